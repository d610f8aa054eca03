#!/usr/bin/env bash
# Builds the Pulumi docker resource provider plugin, pulumi-resource-docker labelled 5.2.0 (what
# @pulumi/docker 5.2.0 asks for), from source, with nothing but the Go module proxy:
#
#   toolchain/providers/docker/build.sh OUTDIR    -> OUTDIR/pulumi-resource-docker
#   toolchain/providers/docker/build.sh --tidy    re-tidies go.mod/go.sum here (maintainers)
#
# then, e.g.: pulumi plugin install resource docker 5.2.0 --file OUTDIR/pulumi-resource-docker
#
# How: the Terraform provider (github.com/kreuzwerker/terraform-provider-docker, which the proxy
# serves only at the pseudo-version below; its go.mod still names it
# github.com/terraform-providers/terraform-provider-docker) keeps its code under internal/, which
# no other module may import. So each run downloads it into the module cache, copies it into a
# fresh temporary build directory as ./upstream, adds one exported package to that copy
# (mqttlabshim, returning the provider's *schema.Provider), and builds the wrapper module of this
# directory (go.mod, go.sum, main.go), whose go.mod replaces the provider with ./upstream. Nothing
# of upstream is kept in the repository; its module hash is pinned below and checked. Pulumi's fork
# of terraform-plugin-sdk (which go.mod must use, as the bridge does) gets the same treatment plus
# one added method; see step 3 below for why.
#
# The compose resource (a Plugin Framework resource the bridge build does not serve anyway) is left
# out with upstream's no_compose build tag. The binary is built in the temporary directory, checked
# (-version must print 5.2.0) and only then renamed into OUTDIR, so an interrupted run leaves
# nothing half-made; a rerun simply rebuilds (about 5 s with a warm Go build cache). The result is
# bit-for-bit the same from run to run (-trimpath, no VCS stamping, fixed inputs).
#
# Environment (defaults as the project's toolchain.sh uses them): MQTTLAB_CACHE (default
# /var/cache/mqtt-lab), GOMODCACHE, GOCACHE, GO (default /usr/local/go/bin/go), GOBUILDP (go build
# -p, default: Go's choice; set 1 when the machine is busy). Cold (empty Go build cache): about
# 6.5 minutes on two shared cores, plus the module downloads on a machine that never had them.
set -euo pipefail
# shellcheck disable=SC2317  # cleanup/stop are called from traps
# The whole script is one brace group, so bash parses it completely before running any of it.
{
die() { printf 'provider-docker/build.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'provider-docker/build.sh: %s\n' "$*" >&2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

UPSTREAM=github.com/kreuzwerker/terraform-provider-docker
UPSTREAM_VERSION=v0.0.0-20260916201441-96d331c98ff4
UPSTREAM_SUM=h1:T3HvvZCRd4h2qkMl+SXA2zza26Rdz8xqV81skikQWy4=
# The path upstream's go.mod declares, which the wrapper requires and replaces with ./upstream.
UPSTREAM_MODPATH=github.com/terraform-providers/terraform-provider-docker
PLUGIN=pulumi-resource-docker
PLUGIN_VERSION=5.2.0
BUILD_TAGS=no_compose

usage() { printf 'usage: %s OUTDIR [VERSION] | --tidy\n' "$0"; }
TIDY=0
OUTDIR=
case "${1:-}" in
  --tidy) TIDY=1 ;;
  -h|--help) usage; exit 0 ;;
  ""|-*) usage >&2; exit 2 ;;
  *) OUTDIR=$1 ;;
esac
# toolchain/toolchain.sh passes the version the npm package asks for: it must be this plugin's.
if [ $# -eq 2 ] && [ "$2" != "$PLUGIN_VERSION" ]; then
  printf 'provider-docker/build.sh: error: %s was asked for, this wrapper builds %s\n' "$2" "$PLUGIN_VERSION" >&2; exit 2
fi
[ $# -le 2 ] || { usage >&2; exit 2; }

MQTTLAB_CACHE=${MQTTLAB_CACHE:-/var/cache/mqtt-lab}
export GOMODCACHE=${GOMODCACHE:-$MQTTLAB_CACHE/gomod}
export GOCACHE=${GOCACHE:-$MQTTLAB_CACHE/gocache}
export GOTOOLCHAIN=local   # never fetch another Go toolchain
export GOWORK=off          # no go.work from above the temporary directory
# These two are downloaded outside the wrapper module, so go.sum does not cover them: their hashes
# are checked here instead (pinned below / taken from go.sum), not looked up in the checksum DB.
export GONOSUMDB=github.com/kreuzwerker/terraform-provider-docker,github.com/pulumi/terraform-plugin-sdk
export GOFLAGS="-modcacherw -buildvcs=false -trimpath"
export CGO_ENABLED=${CGO_ENABLED:-0}
GO=${GO:-/usr/local/go/bin/go}
[ -x "$GO" ] || GO=$(command -v go 2>/dev/null) || die "Go is missing: nothing at /usr/local/go/bin/go and no 'go' on PATH (set GO=)"
GOVER=$("$GO" env GOVERSION) || die "'$GO env GOVERSION' failed"
if [ "$(printf '%s\n' go1.25.8 "$GOVER" | sort -V | head -n1)" != go1.25.8 ]; then
  die "$GO is $GOVER; upstream needs Go >= 1.25.8"
fi

START=$(date +%s)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/provider-docker.XXXXXX")
BUILD_PID=
PARTIAL=
cleanup() {
  chmod -R u+w "$WORK" 2>/dev/null || true
  rm -rf "$WORK"
  if [ -n "$PARTIAL" ]; then rm -f "$PARTIAL"; fi
}
stop() { if [ -n "$BUILD_PID" ]; then kill -TERM "$BUILD_PID" 2>/dev/null || true; fi; exit "$1"; }
trap cleanup EXIT
trap 'stop 130' INT
trap 'stop 143' TERM

# --- 1. upstream, from the proxy into the module cache, hash checked -------------------------------
# (run in an empty directory: outside any module, `go mod download` takes a bare path@version)
mkdir "$WORK/dl"
INFO=$(cd "$WORK/dl" && "$GO" mod download -json "$UPSTREAM@$UPSTREAM_VERSION") \
  || die "go mod download $UPSTREAM@$UPSTREAM_VERSION failed: $INFO"
json() { printf '%s\n' "$INFO" | sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" | head -n1; }
DIR=$(json Dir); SUM=$(json Sum)
if [ -z "$DIR" ] || [ ! -d "$DIR" ]; then die "go mod download gave no directory for $UPSTREAM@$UPSTREAM_VERSION: $INFO"; fi
[ "$SUM" = "$UPSTREAM_SUM" ] || die "$UPSTREAM@$UPSTREAM_VERSION has hash $SUM, expected $UPSTREAM_SUM"

# --- 2. the build directory: wrapper + a writable copy of upstream + the shim -------------------
B=$WORK/build
mkdir "$B"
cp "$HERE/go.mod" "$HERE/go.sum" "$HERE/main.go" "$B/"
cp -R "$DIR" "$B/upstream"
chmod -R u+w "$B/upstream"
MODLINE=$(sed -n 's/^module[[:space:]]\{1,\}//p' "$B/upstream/go.mod" | head -n1)
[ "$MODLINE" = "$UPSTREAM_MODPATH" ] || die "upstream's go.mod declares module '$MODLINE', expected $UPSTREAM_MODPATH"
mkdir "$B/upstream/mqttlabshim"
cat >"$B/upstream/mqttlabshim/shim.go" <<'EOF'
// Package mqttlabshim is added by mqtt-lab's build.sh to a build-time copy of the provider, so
// that the Pulumi bridge (another module) can reach the provider under internal/.
package mqttlabshim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// NewProvider returns the SDKv2 half of terraform-provider-docker.
func NewProvider(version string) *schema.Provider {
	return provider.New(version)()
}
EOF

# --- 3. Pulumi's fork of the plugin SDK, made to compile against terraform-plugin-go v0.31 --------
# The bridge (and so go.mod here) replaces terraform-plugin-sdk/v2 with Pulumi's fork at
# $SDK_FORK_VERSION, which is built against terraform-plugin-go v0.29. Upstream needs v0.31, whose
# tfprotov5.ResourceServer has one more method, GenerateResourceConfig (Terraform 1.14's
# `plan -generate-config-out`, which the bridge never calls), so the fork's helper/schema does not
# compile. The build therefore copies the fork (hash checked against go.sum) next to upstream as
# ./sdkv2, adds that one method, and points the replace there. go.mod/go.sum keep naming the fork.
SDK_MOD=github.com/hashicorp/terraform-plugin-sdk/v2
SDK_FORK=github.com/pulumi/terraform-plugin-sdk/v2
SDK_FORK_VERSION=$(sed -n "s|^replace $SDK_MOD => $SDK_FORK \(v[^ ]*\)\$|\1|p" "$HERE/go.mod")
[ -n "$SDK_FORK_VERSION" ] || die "go.mod has no 'replace $SDK_MOD => $SDK_FORK vX' line"
SDK_FORK_SUM=$(awk -v m="$SDK_FORK" -v v="$SDK_FORK_VERSION" '$1 == m && $2 == v { print $3 }' "$HERE/go.sum")
[ -n "$SDK_FORK_SUM" ] || die "go.sum has no hash for $SDK_FORK $SDK_FORK_VERSION"
INFO=$(cd "$WORK/dl" && "$GO" mod download -json "$SDK_FORK@$SDK_FORK_VERSION") \
  || die "go mod download $SDK_FORK@$SDK_FORK_VERSION failed: $INFO"
DIR=$(json Dir); SUM=$(json Sum)
if [ -z "$DIR" ] || [ ! -d "$DIR" ]; then die "go mod download gave no directory for $SDK_FORK@$SDK_FORK_VERSION: $INFO"; fi
[ "$SUM" = "$SDK_FORK_SUM" ] || die "$SDK_FORK@$SDK_FORK_VERSION has hash $SUM, go.sum says $SDK_FORK_SUM"
if [ "$TIDY" = 0 ]; then
  cp -R "$DIR" "$B/sdkv2"
  chmod -R u+w "$B/sdkv2"
  if grep -q 'GenerateResourceConfig' "$B"/sdkv2/helper/schema/grpc_provider.go; then
    log "note: the SDK fork already has GenerateResourceConfig; not patching it"
  else
    cat >"$B/sdkv2/helper/schema/mqttlab_generate_resource_config.go" <<'EOF'
// Added by mqtt-lab's provider-docker/build.sh to a build-time copy of Pulumi's SDK fork: the
// method that terraform-plugin-go v0.31's tfprotov5.ResourceServer has and the fork lacks.

package schema

import (
	"context"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
)

// GenerateResourceConfig serves Terraform's `plan -generate-config-out`, which Pulumi never
// sends; it answers with an error diagnostic.
func (s *GRPCProviderServer) GenerateResourceConfig(_ context.Context, req *tfprotov5.GenerateResourceConfigRequest) (*tfprotov5.GenerateResourceConfigResponse, error) {
	return &tfprotov5.GenerateResourceConfigResponse{
		Diagnostics: []*tfprotov5.Diagnostic{{
			Severity: tfprotov5.DiagnosticSeverityError,
			Summary:  "GenerateResourceConfig is not supported",
			Detail:   "resource type " + req.TypeName + ": this provider build does not generate configuration",
		}},
	}, nil
}
EOF
  fi
  (cd "$B" && "$GO" mod edit -replace "$SDK_MOD=./sdkv2") || die "go mod edit failed"
fi

if [ "$TIDY" = 1 ]; then
  log "go mod tidy in $B"
  (cd "$B" && "$GO" mod tidy) || die "go mod tidy failed"
  cp "$B/go.mod" "$B/go.sum" "$HERE/"
  log "updated $HERE/go.mod and go.sum"
  exit 0
fi

# --- 4. build, check, move into place -------------------------------------------------------------
mkdir -p "$OUTDIR" || die "cannot create $OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
log "building $PLUGIN $PLUGIN_VERSION ($UPSTREAM@$UPSTREAM_VERSION, bridge v3) in $B"
(
  cd "$B"
  # The wrapper is vetted here, where its upstream copy exists (the test command vets the rest).
  "$GO" vet -mod=readonly -tags "$BUILD_TAGS" .
  exec "$GO" build -mod=readonly ${GOBUILDP:+-p "$GOBUILDP"} -tags "$BUILD_TAGS" -ldflags "-s -w" \
    -o "$B/$PLUGIN" .
) &
BUILD_PID=$!
wait "$BUILD_PID" || die "go build failed"
BUILD_PID=
GOT=$("$B/$PLUGIN" -version) || die "$B/$PLUGIN -version failed"
[ "$GOT" = "$PLUGIN_VERSION" ] || die "built plugin reports version '$GOT', expected $PLUGIN_VERSION"
# Same file system as OUTDIR first, then an atomic rename.
PARTIAL=$OUTDIR/.$PLUGIN.tmp.$$
cp "$B/$PLUGIN" "$PARTIAL"
chmod 0755 "$PARTIAL"
mv -f "$PARTIAL" "$OUTDIR/$PLUGIN"
PARTIAL=
log "built $OUTDIR/$PLUGIN (version $GOT, $(du -h "$OUTDIR/$PLUGIN" | cut -f1), $(( $(date +%s) - START ))s)"
printf '%s\n' "$OUTDIR/$PLUGIN"
exit 0
}
