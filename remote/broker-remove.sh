# shellcheck shell=bash
# broker-remove.sh — destroy: removes the lab's files from the broker, puts back the conf.d files
# the apply moved aside, and leaves mosquitto running on what remains. Runs as root. Reads from the
# data header: MQTTLAB_DIR, CONF, CONF_D, SERVICE_MANAGER.
#
# Nothing is lost: each aside goes back under its own name when that name is free, the earliest
# first (the original: later ones are copies moved aside after it came back by other hands);
# an aside whose name is taken stays where it is, named in a warning. A file put back that opens
# anonymous access or a plaintext listener is named in a warning too: mosquitto serves it again.
set -eu
rm -f "$CONF"
rm -rf "$MQTTLAB_DIR"
# Every aside, dot-files too (mosquitto reads those), grouped by original name, earliest first.
for a in "$CONF_D"/*.mqtt-lab-disabled "$CONF_D"/.*.mqtt-lab-disabled "$CONF_D"/*.mqtt-lab-disabled.[0-9]* "$CONF_D"/.*.mqtt-lab-disabled.[0-9]*; do
  [ -f "$a" ] && printf '%s\n' "$a"
done | sort -uV | while read -r a; do
  f=${a%.mqtt-lab-disabled*}
  if [ -e "$f" ] || [ -L "$f" ]; then
    warn "mqtt-lab: destroy left $a as it is: $f exists (nothing was overwritten); compare them and keep the one you want"
    continue
  fi
  mv "$a" "$f"
  opened=$(open_access "$f")
  if [ -n "$opened" ]; then
    warn "mqtt-lab: destroy put back $f, which opens $opened: mosquitto serves it again; remove it if that is not what you want"
  fi
done
( mosquitto_restart ) >/dev/null 2>&1 || true
echo "mqtt-lab: broker restored"
