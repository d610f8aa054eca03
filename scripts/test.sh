#!/usr/bin/env bash
# test.sh — the README's test command: typecheck, unit tests, integration tests of the remote
# scripts on a real broker in real containers, the engine's own end-to-end test, and the lab end
# to end through the engine with the tls/command/docker provider plugins (test/engine/).
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
# Every suite, always: one that needs something missing fails loudly (setup.sh built the plugins).
suites=(bin/test/unit/ bin/test/integration/ bin/test/e2e/ bin/test/engine/)
step "go test of our command provider plugin"
(cd "$ROOT/scripts/toolchain/provider-command" \
  && GOMODCACHE="$MQTTLAB_CACHE/gomod" GOCACHE="$MQTTLAB_CACHE/gocache" GOTOOLCHAIN=local \
     GOFLAGS="-mod=readonly -modcacherw -buildvcs=false -trimpath" "${GO:-/usr/local/go/bin/go}" test -count=1 ./... >&2)
step "tests: ${suites[*]}"
# One file at a time: the suites share the machine's 2 cores and one Docker daemon.
node --test --test-concurrency=1 "${suites[@]}"
