#!/usr/bin/env bash
# uninstall.sh — removes what scripts/setup.sh put outside the checkout: the `pulumi` launcher,
# the machine-wide cache (CLI, plugins, Go caches, debootstrap tarballs: about 6 GB) and the base
# images. It keeps what you cannot make again, the lab's state and your passphrase, and says
# where they are; tear the lab down first (`pulumi destroy`) and back it up if you want it.
set -euo pipefail
MQTTLAB_CACHE="${MQTTLAB_CACHE:-/var/cache/mqtt-lab}"
launcher="${MQTTLAB_LAUNCHER:-/usr/local/bin/pulumi}"
if [ -f "$launcher" ] && grep -q 'mqtt-lab launcher' "$launcher"; then
  rm -f "$launcher" && echo "uninstall: removed the launcher $launcher"
fi
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  mapfile -t images < <(docker images --format '{{.Repository}}:{{.Tag}}' 'mqttlab/base')
  [ ${#images[@]} -eq 0 ] || { docker rmi "${images[@]}" >/dev/null && echo "uninstall: removed the images ${images[*]}"; }
fi
if [ -d "$MQTTLAB_CACHE" ]; then rm -rf "$MQTTLAB_CACHE" && echo "uninstall: removed the cache $MQTTLAB_CACHE"; fi
echo "uninstall: kept your passphrase ${XDG_CONFIG_HOME:-$HOME/.config}/mqtt-lab/passphrase and each checkout's .pulumi-state/ (delete them yourself once nothing is left to decrypt)"
