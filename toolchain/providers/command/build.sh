#!/usr/bin/env bash
# Builds the command provider plugin: build.sh OUTDIR VERSION  ->  OUTDIR/pulumi-resource-command,
# reporting VERSION (toolchain.sh passes the @pulumi/command version of package.json).
# Needs Go >= 1.25.11 and the Go module proxy only (go.sum pins every module). The binary is built
# into a temporary file in OUTDIR and renamed into place only when the build succeeded.
# Install it for the engine with:
#   pulumi plugin install resource command VERSION --file OUTDIR/pulumi-resource-command
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 OUTDIR VERSION" >&2; exit 2; fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
GO=${GO:-/usr/local/go/bin/go}
[ -x "$GO" ] || GO=$(command -v go) || { echo "build.sh: Go is missing (set GO=/path/to/go)" >&2; exit 1; }
CACHE=${MQTTLAB_CACHE:-/var/cache/mqtt-lab}
export GOMODCACHE=${GOMODCACHE:-$CACHE/gomod} GOCACHE=${GOCACHE:-$CACHE/gocache}
export GOTOOLCHAIN=local GOFLAGS="-mod=readonly -modcacherw -buildvcs=false -trimpath" CGO_ENABLED=0
TMP=$(mktemp "$OUT/.pulumi-resource-command.XXXXXX")
trap 'rm -f "$TMP"' EXIT
VERSION=$2
(cd "$HERE" && "$GO" build -ldflags="-s -w -X main.Version=$VERSION" -o "$TMP" .)
chmod 0755 "$TMP"
mv -f "$TMP" "$OUT/pulumi-resource-command"
trap - EXIT
built=$("$OUT/pulumi-resource-command" --version)
if [ "$built" != "$VERSION" ]; then
  echo "build.sh: built version $built, but $VERSION was asked for" >&2
  exit 1
fi
echo "built $OUT/pulumi-resource-command (version $built)"
