#!/usr/bin/env bash
# find-pulumi.sh PINNED (e.g. v3.248.0): prints the path of a `pulumi` CLI already on PATH that
# toolchain/toolchain.sh may use instead of building one: same major version as PINNED and at
# least PINNED. Skips the mqtt-lab launcher and the toolchain's own bin ($MQTTLAB_CACHE/bin).
# Exits 1, printing nothing, when there is none, or when MQTTLAB_BUILD_PULUMI=1 forces the build.
set -euo pipefail
pinned=${1:?usage: find-pulumi.sh vMAJOR.MINOR.PATCH}
pinned=${pinned#v}
[ "${MQTTLAB_BUILD_PULUMI:-}" = 1 ] && exit 1
own=$(readlink -f "${MQTTLAB_CACHE:-/var/cache/mqtt-lab}/bin" 2>/dev/null || true)
IFS=: read -ra dirs <<<"${PATH:-}"
for d in "${dirs[@]}"; do
  c="${d:-.}/pulumi"
  if [ ! -x "$c" ] || [ ! -f "$c" ]; then continue; fi
  [ "$(readlink -f "$d")" = "$own" ] && continue
  grep -q 'mqtt-lab launcher' "$c" 2>/dev/null && continue
  v=$("$c" version 2>/dev/null | head -n 1) || continue
  v=${v#v}
  [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || continue
  [ "${v%%.*}" = "${pinned%%.*}" ] || continue
  [ "$(printf '%s\n' "$pinned" "$v" | sort -V | head -n 1)" = "$pinned" ] || continue
  readlink -f "$c"
  exit 0
done
exit 1
