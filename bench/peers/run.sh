#!/usr/bin/env bash
# run.sh — `npm run bench:peers`: setup's environment, then what only the peers bench needs
# (Debian's ansible, which ships community.crypto; the existing-host image, built once), then
# bench/peers.ts. Nothing here empties or rebuilds a cache that is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"
if ! command -v ansible-playbook >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "bench:peers: ansible is missing and not root: apt-get install ansible" >&2; exit 1; }
  echo "bench:peers: installing ansible from Debian's packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ansible >/dev/null
fi
MQTTLAB_EXISTING_IMAGE="$(bash "$ROOT/image/variant.sh" "$MQTTLAB_IMAGE" | tail -n 1)"
export MQTTLAB_EXISTING_IMAGE
cd "$ROOT"
npx tsc -p tsconfig.json
node bin/bench/peers.js
