#!/usr/bin/env bash
# setup.sh — everything both README commands need, idempotent and quick when warm:
# the Pulumi engine and providers (toolchain/toolchain.sh), Docker and the base image
# (image/substrate.sh),
# and the project's npm packages. Source it: it exports PATH, PULUMI_HOME and the backend.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MQTTLAB_CACHE="${MQTTLAB_CACHE:-/var/cache/mqtt-lab}"
export MQTTLAB_CACHE

step() { printf '\n== %s\n' "$*" >&2; }

need_apt() {
  local missing=()
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
  if [ ${#missing[@]} -gt 0 ]; then
    step "installing ${missing[*]} from Debian's packages"
    [ "$(id -u)" = 0 ] || { echo "setup: ${missing[*]} missing and not root: install them with apt-get" >&2; exit 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}
need_apt node:nodejs npm:npm git:git curl:curl ss:iproute2 openssl:openssl shellcheck:shellcheck

step "toolchain (Pulumi CLI, language host, providers)"
t0=$SECONDS
bash "$ROOT/toolchain/toolchain.sh" >&2
# shellcheck source=toolchain/env.sh
source "$ROOT/toolchain/env.sh"
echo "toolchain ready in $((SECONDS - t0)) s" >&2

# Before the substrate: its subnet check runs the program's CIDR code (tools/overlaps.ts).
step "npm packages"
stamp="$ROOT/node_modules/.mqtt-lab-lock-hash"
want="$(sha256sum "$ROOT/package-lock.json" | cut -c1-64)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$want" > "$stamp"
fi

step "substrate (Docker Engine, base image)"
t0=$SECONDS
MQTTLAB_IMAGE="$(bash "$ROOT/image/substrate.sh" | tail -n 1)"
export MQTTLAB_IMAGE
echo "image $MQTTLAB_IMAGE ready in $((SECONDS - t0)) s" >&2

# Local state: a file backend inside the project (git-ignored), passphrase secrets.
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$ROOT/.pulumi-state}"
mkdir -p "$ROOT/.pulumi-state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-mqtt-lab-local}"

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

