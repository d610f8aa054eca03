# shellcheck shell=bash
# broker-remove.sh — destroy: removes the lab's files from the broker, puts back the conf.d files
# the apply moved aside, and leaves mosquitto running on what remains. Runs as root. Reads from the
# data header: MQTTLAB_DIR, CONF, CONF_D, SERVICE_MANAGER.
set -eu
rm -f "$CONF"
rm -rf "$MQTTLAB_DIR"
for f in "$CONF_D"/*.conf.mqtt-lab-disabled; do [ -e "$f" ] && mv "$f" "${f%.mqtt-lab-disabled}"; done
( mosquitto_restart ) >/dev/null 2>&1 || true
echo "mqtt-lab: broker restored"
