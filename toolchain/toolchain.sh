#!/usr/bin/env bash
# Builds the Pulumi engine that the project runs, from the Go module proxy only, into a
# machine-wide cache (default /var/cache/mqtt-lab, override with MQTTLAB_CACHE):
#
#   $MQTTLAB_CACHE/bin/pulumi                          CLI + engine, pkg/v3 v3.248.0
#   $MQTTLAB_CACHE/bin/pulumi-language-nodejs          Node.js language host (see below)
#   $MQTTLAB_CACHE/bin/pulumi-resource-pulumi-nodejs   dynamic-provider launcher (from sdk/v3 v3.248.0)
#   $MQTTLAB_CACHE/gomod, gocache                      Go module and build caches
#   $MQTTLAB_CACHE/pulumi-home                         PULUMI_HOME (plugins, file-backend logins)
#   $MQTTLAB_CACHE/pulumi-home/plugins/resource-*      tls, command and docker provider plugins
#
# Usage: toolchain/toolchain.sh, then `. toolchain/env.sh` to use it. A run with everything in place
# only checks `go version -m` of each binary (a second or two); a cold run takes about ten minutes
# on two cores. Every binary is built into a temporary directory and renamed into place only after
# the build finished and its build info checked out, so an interrupted run leaves nothing half-made.
#
# Why the language host is not at v3.248.0: its module
# (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is a separate module that the
# proxy serves only at a few pseudo-versions, the newest found being
# v3.0.0-20250806165243-bee5e4fa4815 (23 commits after v3.187.0). It does not compile against
# pkg/sdk v3.248.0, so it is built in its own wrapper module against pkg/sdk v3.187.0. It speaks the
# same gRPC protocol and runs @pulumi/pulumi 3.248.0 programs and Node.js policy packs.
#
# Resource provider plugins (tls, command, docker) are built from wrappers in toolchain/providers/
# and installed into PULUMI_HOME at the versions of their npm packages, see PROVIDERS below.
set -euo pipefail
# shellcheck disable=SC2317  # functions are called indirectly (traps, build's check argument)
# The whole script is one brace group, so bash parses it completely before running any of it
# (editing the file while a run is under way cannot derail that run).
{

die() { printf 'toolchain.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'toolchain.sh: %s\n' "$*" >&2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=toolchain/env.sh
. "$HERE/env.sh"
CACHE=$MQTTLAB_CACHE
BIN=$CACHE/bin
# The project's plugins always go to the cache's own plugin home, never to a PULUMI_HOME of the
# user's (env.sh keeps theirs if they set one).
PLUGIN_HOME=$CACHE/pulumi-home

# --- Go -------------------------------------------------------------------------------------------
GO=${GO:-/usr/local/go/bin/go}
GO_WANTED=$GO
if [ ! -x "$GO" ]; then GO=$(command -v go 2>/dev/null || true); fi
if [ -z "$GO" ] || [ ! -x "$GO" ]; then
  die "Go is missing: nothing at $GO_WANTED and no 'go' on PATH (set GO=/path/to/go). The Pulumi CLI needs Go >= 1.25.11 (made with go1.26.8)."
fi
GOVER=$("$GO" env GOVERSION 2>/dev/null) || die "'$GO env GOVERSION' failed: is $GO a working Go install?"
if [ "$(printf '%s\n' go1.25.11 "$GOVER" | sort -V | head -n1)" != go1.25.11 ]; then
  die "$GO is $GOVER; the Pulumi CLI needs Go >= 1.25.11 (made with go1.26.8)."
fi

mkdir -p "$BIN" "$CACHE/tmp" "$PLUGIN_HOME/plugins" 2>/dev/null \
  || die "cannot create $CACHE (set MQTTLAB_CACHE to a writable directory)"
[ -w "$CACHE" ] || die "$CACHE is not writable (set MQTTLAB_CACHE to a writable directory)"

export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gocache
export GOTOOLCHAIN=local                  # never fetch another Go toolchain
export GOFLAGS="-mod=readonly -modcacherw -buildvcs=false -trimpath"
# The sum database behind the proxy has no entry for the language host's pseudo-version; the
# committed go.sum pins its hash, so this only matters when the wrapper modules are re-tidied.
export GONOSUMDB=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs

# One run at a time per cache (CI and a developer may share the machine).
exec 9>"$CACHE/.toolchain.lock"
flock 9

# Leftovers of a run that was killed outright (they were never moved into $BIN, so never trusted).
rm -rf "$CACHE"/tmp/build.* "$CACHE"/tmp/copy.*
TMPDIRS=()
BUILD_PID=
cleanup() { local d; for d in "${TMPDIRS[@]}"; do rm -rf "$d"; done; }
# On a signal, stop the go build under way too (it runs in the background so that bash can react).
stop() { if [ -n "$BUILD_PID" ]; then kill -TERM "$BUILD_PID" 2>/dev/null || true; fi; exit "$1"; }
trap cleanup EXIT
trap 'stop 130' INT
trap 'stop 143' TERM

# --- what to build ----------------------------------------------------------------------------------
# Every version comes from package.json: the SDKs the program loads ask the engine for exactly
# these (test/unit/versions.test.ts holds the wrapper modules' go.mod files to it).
PACKAGE_JSON=$HERE/../package.json
npm_version() {
  local v
  v=$(awk -F'"' -v p="$1" '$2 == p { print $4; exit }' "$PACKAGE_JSON")
  [ -n "$v" ] || die "no version of $1 in $PACKAGE_JSON"
  echo "$v"
}
PULUMI_VERSION=v$(npm_version @pulumi/pulumi)
VERSION_PKG=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
CLI_DIR=$HERE/pulumi
CLI_PKG=github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
LH_DIR=$HERE/language-nodejs
LH_MOD=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
LH_PKG=$LH_MOD

# modver DIR MODULE: the version of MODULE that DIR/go.mod requires.
modver() {
  awk -v m="$2" '{ for (i = 1; i < NF; i++) if ($i == m) { print $(i + 1); exit } }' "$1/go.mod"
}
LH_VERSION=$(modver "$LH_DIR" "$LH_MOD")
LH_SDK=$(modver "$LH_DIR" github.com/pulumi/pulumi/sdk/v3)
[ "$(modver "$CLI_DIR" github.com/pulumi/pulumi/pkg/v3)" = "$PULUMI_VERSION" ] \
  || die "$CLI_DIR/go.mod does not require github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION"
[ "$(modver "$CLI_DIR" github.com/pulumi/pulumi/sdk/v3)" = "$PULUMI_VERSION" ] \
  || die "$CLI_DIR/go.mod does not require github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION"
if [ -z "$LH_VERSION" ] || [ -z "$LH_SDK" ]; then die "cannot read versions from $LH_DIR/go.mod"; fi
# The language host has no version of its own; report the sdk it is built against plus its commit.
LH_LDVERSION="${LH_SDK}-langhost.${LH_VERSION##*-}"

# binary_ok FILE PKG [MODULE VERSION]... : FILE is a Go binary of package PKG whose build info
# lists every MODULE at VERSION (as its main module or as a dependency).
binary_ok() {
  local file=$1 pkg=$2 info
  shift 2
  [ -f "$file" ] && [ -x "$file" ] || return 1
  info=$("$GO" version -m "$file" 2>/dev/null) || return 1
  awk -v p="$pkg" '$1 == "path" && $2 == p { ok = 1 } END { exit !ok }' <<<"$info" || return 1
  while [ $# -ge 2 ]; do
    awk -v m="$1" -v v="$2" '($1 == "mod" || $1 == "dep") && $2 == m && $3 == v { ok = 1 } END { exit !ok }' <<<"$info" \
      || return 1
    shift 2
  done
}

# cli_ok FILE: the CLI reports the version it was linked with (-trimpath keeps -ldflags out of the
# build info, so the -X version is checked by running it).
cli_ok() { [ "$("$1" version 2>/dev/null)" = "$PULUMI_VERSION" ]; }

# build NAME MODDIR PKG LDVERSION EXTRA-CHECK CHECK-ARGS...: unless $BIN/NAME already passes
# binary_ok and EXTRA-CHECK, go build PKG from the wrapper module MODDIR into a temporary file, check
# it the same way, then rename it into $BIN (same file system: atomic).
build() {
  local name=$1 dir=$2 pkg=$3 ldversion=$4 extra=$5 tmp start
  shift 5
  if binary_ok "$BIN/$name" "$pkg" "$@" && "$extra" "$BIN/$name"; then
    return 0
  fi
  tmp=$(mktemp -d "$CACHE/tmp/build.XXXXXX")
  TMPDIRS+=("$tmp")
  log "building $name from $pkg (this takes minutes on a cold cache) ..."
  start=$SECONDS
  (cd "$dir" && exec "$GO" build -ldflags "-X $VERSION_PKG=$ldversion" -o "$tmp/$name" "$pkg") &
  BUILD_PID=$!
  wait "$BUILD_PID" || die "go build of $name failed (module dir $dir; see the errors above)"
  BUILD_PID=
  binary_ok "$tmp/$name" "$pkg" "$@" \
    || die "built $name, but its 'go version -m' does not show $pkg with $*"
  "$extra" "$tmp/$name" || die "built $name, but it fails its check ($extra)"
  mv -f "$tmp/$name" "$BIN/$name"
  log "built $name in $((SECONDS - start)) s"
}

# A CLI already installed (same major, at least the pinned version) is used instead of building
# one: $BIN/pulumi becomes a link to it. MQTTLAB_BUILD_PULUMI=1 forces the build.
if installed_cli=$(bash "$HERE/find-pulumi.sh" "$PULUMI_VERSION"); then
  if [ "$(readlink "$BIN/pulumi" 2>/dev/null)" != "$installed_cli" ]; then
    ln -sfn "$installed_cli" "$BIN/.pulumi.link"
    mv -Tf "$BIN/.pulumi.link" "$BIN/pulumi"
  fi
  log "using the installed $installed_cli ($("$installed_cli" version)) instead of building the CLI (MQTTLAB_BUILD_PULUMI=1 builds it)"
else
  if [ -L "$BIN/pulumi" ]; then rm -f "$BIN/pulumi"; fi
  build pulumi "$CLI_DIR" "$CLI_PKG" "$PULUMI_VERSION" cli_ok \
    github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION" github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION"
fi
build pulumi-language-nodejs "$LH_DIR" "$LH_PKG" "$LH_LDVERSION" true \
  "$LH_MOD" "$LH_VERSION" github.com/pulumi/pulumi/sdk/v3 "$LH_SDK"

# The launcher the engine runs for pulumi.dynamic providers ships in sdk/v3's module zip.
SDK_DIR=$GOMODCACHE/github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION
if [ ! -f "$SDK_DIR/nodejs/dist/pulumi-resource-pulumi-nodejs" ]; then
  (cd "$CLI_DIR" && "$GO" mod download "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION") \
    || die "cannot download github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
fi
if ! cmp -s "$SDK_DIR/nodejs/dist/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"; then
  tmp=$(mktemp -d "$CACHE/tmp/copy.XXXXXX")
  TMPDIRS+=("$tmp")
  cp "$SDK_DIR/nodejs/dist/pulumi-resource-pulumi-nodejs" "$tmp/"
  chmod 0755 "$tmp/pulumi-resource-pulumi-nodejs"
  mv -f "$tmp/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"
fi

# --- resource providers -----------------------------------------------------------------------------
# The Go modules of pulumi-tls, pulumi-command and pulumi-docker are not served by the module proxy
# (HTTP 403 at every version tried), so each plugin is built from what is served, by a wrapper in
# toolchain/providers/NAME/ (see its build.sh): tls and docker are the upstream Terraform
# providers served through pulumi-terraform-bridge (how pulumi-tls and pulumi-docker are made);
# command is this project's own implementation of command:remote:Command and command:local:Command.
# Each is installed into PULUMI_HOME at the version its npm package asks for. A stamp (hash of the
# wrapper's files and of the Go version) decides when to rebuild.
# name and plugin version (= the npm package's version in package.json)
PROVIDERS=()
for name in tls command docker; do PROVIDERS+=("$name $(npm_version "@pulumi/$name")"); done
PLUGIN_STAMPS=$CACHE/plugin-stamps
mkdir -p "$PLUGIN_STAMPS"
plugin_stamp() {
  (cd "$HERE/providers/$1" && find . -path ./upstream -prune -o -type f -print0 | LC_ALL=C sort -z \
    | xargs -0 sha256sum; echo "$GOVER $2") | sha256sum | cut -c1-16
}
for p in "${PROVIDERS[@]}"; do
  read -r name version <<<"$p"
  dir=$HERE/providers/$name
  [ -f "$dir/build.sh" ] || die "no $dir/build.sh: cannot build pulumi-resource-$name"
  installed=$PLUGIN_HOME/plugins/resource-$name-v$version/pulumi-resource-$name
  stamp=$(plugin_stamp "$name" "$version")
  if [ -x "$installed" ] && [ "$(cat "$PLUGIN_STAMPS/$name-v$version" 2>/dev/null)" = "$stamp" ]; then
    continue
  fi
  tmp=$(mktemp -d "$CACHE/tmp/build.XXXXXX")
  TMPDIRS+=("$tmp")
  log "building pulumi-resource-$name v$version (a few minutes on a cold cache) ..."
  start=$SECONDS
  TMPDIR=$tmp GO=$GO bash "$dir/build.sh" "$tmp/out" "$version" >&2 &
  BUILD_PID=$!
  wait "$BUILD_PID" || die "build of pulumi-resource-$name failed (see the errors above; wrapper in $dir)"
  BUILD_PID=
  [ "$("$tmp/out/pulumi-resource-$name" -version 2>/dev/null || true)" = "$version" ] \
    || die "built pulumi-resource-$name, but it does not report version $version"
  PULUMI_HOME=$PLUGIN_HOME "$BIN/pulumi" plugin install resource "$name" "$version" --reinstall --file "$tmp/out/pulumi-resource-$name" >&2 \
    || die "pulumi plugin install of $name $version failed"
  echo "$stamp" >"$PLUGIN_STAMPS/$name-v$version"
  log "built and installed pulumi-resource-$name v$version in $((SECONDS - start)) s"
done

# --- summary ----------------------------------------------------------------------------------------
summary() {
  "$GO" version -m "$1" | awk -v f="$(basename "$1")" '
    NR == 1 { gover = $2 }
    $1 == "path" { path = $2 }
    $1 == "mod" { mod = $2 " " $3 }
    $1 == "dep" && ($2 == "github.com/pulumi/pulumi/pkg/v3" || $2 == "github.com/pulumi/pulumi/sdk/v3" ||
                    $2 ~ /pulumi-language-nodejs/) { deps = deps "\n    dep  " $2 " " $3 }
    END { printf "%s (%s)\n    path %s\n    mod  %s%s\n", f, gover, path, mod, deps }'
}
echo "Pulumi toolchain in $BIN (plugins in $PLUGIN_HOME):"
if [ -L "$BIN/pulumi" ]; then echo "pulumi -> $(readlink "$BIN/pulumi") ($("$BIN/pulumi" version))"; else summary "$BIN/pulumi"; fi
summary "$BIN/pulumi-language-nodejs"
echo "pulumi-resource-pulumi-nodejs (script from github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION)"
for d in "$PLUGIN_HOME"/plugins/resource-*; do
  [ -d "$d" ] && echo "plugin $(basename "$d")"
done
echo "Use it with: . toolchain/env.sh"
exit 0
}
