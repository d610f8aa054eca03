#!/usr/bin/env bash
# setup.sh — everything both README commands need, idempotent and quick when warm:
# the Pulumi engine and providers (toolchain/toolchain.sh), Docker and the base image
# (image/substrate.sh),
# and the project's npm packages, the `pulumi` launcher for plain shells. Source it: it exports PATH,
# PULUMI_HOME, the backend and the passphrase file (only what the user has not set).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MQTTLAB_CACHE="${MQTTLAB_CACHE:-/var/cache/mqtt-lab}"
export MQTTLAB_CACHE

step() { printf '\n== %s\n' "$*" >&2; }

# Step times, for the README's Measured section (tools/renderReadmeFigures.ts renders them):
# "name seconds built" per step, written to $MQTTLAB_CACHE/setup-times.json at the end (this run,
# and per step the latest run in which it built something, i.e. its cold time).
setup_t0=$SECONDS
setup_steps=()
record_step() { setup_steps+=("$1 $2 $3"); }

need_apt() {
  local missing=()
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]} from Debian's packages"
    [ "$(id -u)" = 0 ] || { echo "setup: ${missing[*]} missing and not root: install them with apt-get" >&2; exit 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}
# mosquitto-clients: the mosquitto_sub that the lab command prints runs on this machine.
# strace: test/containers/argv.test.ts records every program the checks start on the client host.
# tshark, chromium: test/engine/report.test.ts opens the report's pcaps (tshark -r) and renders its
# HTML page (headless Chromium) on this machine.
need_apt node:nodejs npm:npm git:git curl:curl ss:iproute2 openssl:openssl shellcheck:shellcheck mosquitto_sub:mosquitto-clients testssl:testssl.sh strace:strace tshark:tshark chromium:chromium

step "toolchain (Pulumi CLI, language host, providers)"
t0=$SECONDS
built_before=$(ls "$MQTTLAB_CACHE/bin" "$MQTTLAB_CACHE/plugin-stamps" 2>/dev/null || true)
bash "$ROOT/toolchain/toolchain.sh" >&2
[ "$(ls "$MQTTLAB_CACHE/bin" "$MQTTLAB_CACHE/plugin-stamps" 2>/dev/null || true)" = "$built_before" ] && built=no || built=yes
record_step toolchain $((SECONDS - t0)) "$built"
# shellcheck source=toolchain/env.sh
source "$ROOT/toolchain/env.sh"
echo "toolchain ready in $((SECONDS - t0)) s" >&2

# Before the substrate: its subnet check runs the program's CIDR code (tools/overlaps.ts).
step "npm packages"
t0=$SECONDS built=no
stamp="$ROOT/node_modules/.mqtt-lab-lock-hash"
want="$(sha256sum "$ROOT/package-lock.json" | cut -c1-64)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$want" > "$stamp"
  built=yes
fi
record_step npm $((SECONDS - t0)) "$built"

step "substrate (Docker Engine, base image)"
t0=$SECONDS
t0_epoch=$(date +%s)
MQTTLAB_IMAGE="$(bash "$ROOT/image/substrate.sh" | tail -n 1)"
export MQTTLAB_IMAGE
# Built in this run when the image was imported since the step began.
created=$(date -d "$(docker image inspect -f '{{.Created}}' "$MQTTLAB_IMAGE")" +%s 2>/dev/null || echo 0)
[ "$created" -ge "$t0_epoch" ] && built=yes || built=no
record_step substrate $((SECONDS - t0)) "$built"
echo "image $MQTTLAB_IMAGE ready in $((SECONDS - t0)) s" >&2

# Local state and secrets, as the `pulumi` launcher sets them in a plain shell: a file backend
# inside the project (git-ignored) and this user's passphrase file (made on first use, outside
# the checkout), unless the user set their own. Then stacks under the retired shared passphrase
# are moved to it.
MQTTLAB_ROOT=$ROOT
# shellcheck source=toolchain/project-env.sh
source "$ROOT/toolchain/project-env.sh"
bash "$ROOT/scripts/migrate-passphrase.sh"

# The `pulumi` of a plain login shell: the launcher (toolchain/launcher.sh), which adds the above
# inside an mqtt-lab checkout and runs the user's own CLI anywhere else. Never replaces a `pulumi`
# that is not ours; scripts/uninstall.sh removes it.
install_launcher() {
  local target="${MQTTLAB_LAUNCHER:-/usr/local/bin/pulumi}" tmp
  if [ -e "$target" ] && ! grep -q 'mqtt-lab launcher' "$target" 2>/dev/null; then
    echo "setup: $target is not the mqtt-lab launcher (your own pulumi?): left alone; in a plain shell, run the lab's pulumi as $ROOT/toolchain/launcher.sh" >&2
    return 0
  fi
  tmp=$(mktemp "$(dirname "$target")/.pulumi.XXXXXX" 2>/dev/null) \
    || { echo "setup: cannot write to $(dirname "$target"): the launcher is not installed (set MQTTLAB_LAUNCHER to a folder on your PATH)" >&2; return 0; }
  sed "s|@MQTTLAB_CACHE@|$(printf '%q' "$MQTTLAB_CACHE")|" "$ROOT/toolchain/launcher.sh" >"$tmp"
  chmod 0755 "$tmp"
  if cmp -s "$tmp" "$target"; then rm -f "$tmp"; else mv -f "$tmp" "$target" && echo "setup: installed the pulumi launcher as $target" >&2; fi
}
install_launcher

# The step times, merged into what earlier runs recorded; temp then move, so a reader never sees half a file.
write_setup_times() {
  local file="$MQTTLAB_CACHE/setup-times.json" tmp
  tmp=$(mktemp "$MQTTLAB_CACHE/.setup-times.XXXXXX") || return 0
  if printf '%s\n' "${setup_steps[@]}" | (cd "$ROOT" && node -r ts-node/register/transpile-only tools/setupTimes.ts "$file" "$((SECONDS - setup_t0))") >"$tmp"; then
    mv -f "$tmp" "$file"
  else
    rm -f "$tmp"; echo "setup: could not record the step times in $file" >&2
  fi
}
write_setup_times

# The provider plugins the lab needs that `pulumi plugin ls` lacks, one name a word ("" when all
# are there). Used by lab.sh (stop before touching anything) and test.sh (which suites can run).
missing_provider_plugins() {
  local listed p out=""
  listed=$(pulumi plugin ls --json 2>/dev/null || echo '[]')
  for p in tls command docker; do
    grep -q "\"name\": *\"$p\"" <<<"$listed" || out="$out pulumi-resource-$p"
  done
  echo "${out# }"
}

