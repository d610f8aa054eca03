#!/usr/bin/env bash
# Builds pulumi-resource-tls into OUTDIR (called by toolchain/toolchain.sh; env GOMODCACHE, GOCACHE,
# GOFLAGS and GOTOOLCHAIN come from there).
#
# The upstream Terraform provider keeps its provider in internal/provider, which Go lets no other
# module import. So the build copies the upstream module, exactly as the module proxy served it
# (checked against the checksum database by `go mod download`), into a scratch directory, adds one
# file that re-exports the provider (mqttlabshim), and builds this wrapper against that copy
# (go.mod: replace => ./upstream). Nothing of upstream is kept in the repository.
#
# Usage: build.sh OUTDIR PLUGIN_VERSION
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:?usage: build.sh OUTDIR PLUGIN_VERSION}
PLUGIN_VERSION=${2:?usage: build.sh OUTDIR PLUGIN_VERSION}
GO=${GO:-go}
UPSTREAM=github.com/hashicorp/terraform-provider-tls
UPSTREAM_VERSION=$(awk -v m="$UPSTREAM" '$1 == m { print $2; exit }' "$HERE/go.mod")
[ -n "$UPSTREAM_VERSION" ] || { echo "build.sh: $HERE/go.mod does not require $UPSTREAM" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/provider-tls.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$("$GO" mod download -json "$UPSTREAM@$UPSTREAM_VERSION" | awk -F'"' '$2 == "Dir" { print $4 }')
[ -d "$src" ] || { echo "build.sh: could not download $UPSTREAM@$UPSTREAM_VERSION" >&2; exit 1; }
cp "$HERE/go.mod" "$HERE/go.sum" "$HERE/main.go" "$work/"
cp -r "$src" "$work/upstream"
chmod -R u+w "$work/upstream"
mkdir "$work/upstream/mqttlabshim"
cat >"$work/upstream/mqttlabshim/shim.go" <<'GO'
// Package mqttlabshim re-exports the provider that upstream keeps in an internal package.
package mqttlabshim

import (
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"

	"github.com/hashicorp/terraform-provider-tls/internal/provider"
)

func New() fwprovider.Provider { return provider.New() }
GO
# The wrapper is vetted here, where its upstream copy exists (the test command vets the rest).
(cd "$work" && "$GO" vet . && "$GO" build -o "$work/pulumi-resource-tls" -ldflags "-X main.version=$PLUGIN_VERSION" .)
mkdir -p "$OUT"
mv -f "$work/pulumi-resource-tls" "$OUT/pulumi-resource-tls"
echo "built $OUT/pulumi-resource-tls ($UPSTREAM $UPSTREAM_VERSION, plugin version $PLUGIN_VERSION)"
