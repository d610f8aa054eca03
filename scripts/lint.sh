#!/usr/bin/env bash
# lint.sh — the static checks of the README's test command, each on every file of its kind:
# TypeScript (typescript-eslint strict, Prettier's format), shell (bash -n, shellcheck) and Go
# (gofmt, go vet; the tls and docker wrappers are vetted by their build, beside their upstream).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
fail=0
check() { local what=$1; shift; if ! "$@"; then echo "lint: $what failed" >&2; fail=1; fi; }

# Tracked and new files alike, as the working tree has them.
files() { git ls-files -co --exclude-standard -- "$@" | while read -r f; do [ -f "$f" ] && echo "$f"; done; }
shell_files() {
  files | while read -r f; do
    case "$f" in
      *.sh) echo "$f" ;;
      *.*) ;;
      *) head -n1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f" ;;
    esac
  done
}

check "typescript-eslint" npx eslint --max-warnings=0 .
check "prettier --check" npx prettier --check --log-level=warn "**/*.{ts,mjs}"

mapfile -t sh < <(shell_files)
for f in "${sh[@]}"; do check "bash -n $f" bash -n "$f"; done
command -v shellcheck >/dev/null || { echo "lint: shellcheck is missing (scripts/setup.sh installs it)" >&2; exit 1; }
check "shellcheck" shellcheck "${sh[@]}"

GO=${GO:-/usr/local/go/bin/go}
mapfile -t gofiles < <(files '*.go')
unformatted=$("$GO"fmt -l "${gofiles[@]}" 2>&1 || true)
if [ -n "$unformatted" ]; then echo "lint: gofmt would change: $unformatted" >&2; fail=1; fi
check "go vet (command plugin)" env -C toolchain/providers/command \
  GOMODCACHE="$MQTTLAB_CACHE/gomod" GOCACHE="$MQTTLAB_CACHE/gocache" GOTOOLCHAIN=local \
  GOFLAGS="-mod=readonly -modcacherw -buildvcs=false -trimpath" "$GO" vet ./...

[ "$fail" = 0 ] && echo "lint: clean (${#sh[@]} shell files, ${#gofiles[@]} Go files, TypeScript)" >&2
exit "$fail"
