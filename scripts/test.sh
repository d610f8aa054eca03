#!/usr/bin/env bash
# test.sh — the README's test command: typecheck, unit tests, then end-to-end tests against
# the real engine, real providers and real containers. Anything missing fails loudly.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
step "typecheck and build"
npx tsc -p tsconfig.json
step "sweep leftovers of killed test runs"
bash "$ROOT/scripts/sweep.sh" >&2
step "tests (unit, then end to end; one shared lab)"
# One process at a time: the e2e suites share the machine's 2 cores and one Docker daemon.
node --test --test-concurrency=1 bin/test/unit/ bin/test/e2e/
