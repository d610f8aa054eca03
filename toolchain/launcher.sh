#!/usr/bin/env bash
# mqtt-lab launcher: the `pulumi` on the login PATH, installed by scripts/setup.sh (as
# /usr/local/bin/pulumi) and removed by scripts/uninstall.sh. This line marks it as ours.
#
# Inside an mqtt-lab checkout (this folder or a parent holds its Pulumi.yaml), it adds what the
# user has not set (toolchain/project-env.sh: plugin home, passphrase file, offline switches,
# backend) and runs the project's CLI. Anywhere else it runs the user's own `pulumi`, the next
# one on PATH, untouched; or the project's CLI plainly when there is none.
set -u
MQTTLAB_LAUNCHER_CACHE=@MQTTLAB_CACHE@
self=$(readlink -f "${BASH_SOURCE[0]}")

checkout() {
  local d=$PWD
  while :; do
    if [ -f "$d/toolchain/project-env.sh" ] && grep -qx 'name: mqtt-lab' "$d/Pulumi.yaml" 2>/dev/null; then
      printf '%s\n' "$d"
      return 0
    fi
    [ "$d" = / ] && return 1
    d=$(dirname "$d")
  done
}

if MQTTLAB_ROOT=$(checkout); then
  export MQTTLAB_CACHE="${MQTTLAB_CACHE:-$MQTTLAB_LAUNCHER_CACHE}"
  # shellcheck source=toolchain/project-env.sh
  . "$MQTTLAB_ROOT/toolchain/project-env.sh" || exit 1
  if [ ! -x "$MQTTLAB_CACHE/bin/pulumi" ]; then
    echo "pulumi (mqtt-lab launcher): no CLI in $MQTTLAB_CACHE/bin: run \`npm run lab\` (or bash scripts/setup.sh) in $MQTTLAB_ROOT first" >&2
    exit 127
  fi
  exec "$MQTTLAB_CACHE/bin/pulumi" "$@"
fi

IFS=: read -ra dirs <<<"${PATH:-}"
for d in "${dirs[@]}"; do
  c="${d:-.}/pulumi"
  if [ -x "$c" ] && [ ! -d "$c" ] && [ "$(readlink -f "$c")" != "$self" ]; then exec "$c" "$@"; fi
done
exec "$MQTTLAB_LAUNCHER_CACHE/bin/pulumi" "$@"
