#!/usr/bin/env bash
# test.sh — the README's test command: lint, typecheck, unit tests (test/unit, mocks), the remote
# scripts on a real broker in real containers (test/containers), and the engine suites
# (test/engine: the bare engine, the provider plugins, the policy pack, the lab end to end).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$ROOT/scripts/setup.sh"
cd "$ROOT"
step "lint (typescript-eslint, prettier, bash -n, shellcheck, gofmt, go vet)"
bash "$ROOT/scripts/lint.sh"
step "typecheck and build"
rm -rf bin  # stale outputs of moved or deleted tests must not run
npx tsc -p tsconfig.json
step "sweep leftovers of killed test runs"
bash "$ROOT/scripts/sweep.sh" >&2
# Every suite, always: one that needs something missing fails loudly (setup.sh built the plugins).
suites=(bin/test/unit/ bin/test/containers/ bin/test/engine/)
step "go test of our command provider plugin"
(cd "$ROOT/toolchain/providers/command" \
  && GOMODCACHE="$MQTTLAB_CACHE/gomod" GOCACHE="$MQTTLAB_CACHE/gocache" GOTOOLCHAIN=local \
     GOFLAGS="-mod=readonly -modcacherw -buildvcs=false -trimpath" "${GO:-/usr/local/go/bin/go}" test -count=1 ./... >&2)
step "tests: ${suites[*]}"
# One file at a time: the suites share the machine's 2 cores and one Docker daemon.
node --test --test-concurrency=1 "${suites[@]}"
