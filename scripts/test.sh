#!/usr/bin/env bash
# test.sh — the README's test command: typecheck, unit tests, integration tests of the remote
# scripts on a real broker in real containers, and the engine's own end-to-end test. The suites
# that need the tls/command/docker provider plugins (test/engine/) run too when the plugins are
# installed; when they are not, this says so loudly (see README, "Status").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
step "typecheck and build"
rm -rf bin  # stale outputs of moved or deleted tests must not run
npx tsc -p tsconfig.json
step "sweep leftovers of killed test runs"
bash "$ROOT/scripts/sweep.sh" >&2
suites=(bin/test/unit/ bin/test/integration/ bin/test/e2e/)
missing="$(missing_provider_plugins)"
if [ -z "$missing" ]; then
  suites+=(bin/test/engine/)
else
  cat >&2 <<MSG

################################################################################
# NOT RUN: test/engine/ (the lab, smoke and policy suites through the engine).
# They need $missing,
# which scripts/toolchain.sh cannot build: the Go module proxy here does not
# serve those providers' modules (issue 2, blocked). \`npm run test:engine\`
# runs them, and fails, until the plugins are installed.
################################################################################

MSG
fi
step "tests: ${suites[*]}"
# One file at a time: the suites share the machine's 2 cores and one Docker daemon.
node --test --test-concurrency=1 "${suites[@]}"
