# shellcheck shell=bash
# broker-apply.sh — installs the lab's files on the broker and makes mosquitto use them.
# Runs as root. Reads from the data header (src/remote/compose.ts): the paths (MQTTLAB_DIR, CONF,
# CONF_D, LOG), TLS_PORT, LISTEN_PORTS, SSH_PORT, TAKE_OVER_CONF_FILES, RIVAL_DIRECTIVES, the file lists
# (BROKER_FILES, REQUIRED_FILES, SIGHUP_FILES, RESTART_FILES, RETIRED_FILES: ours no longer in use,
# the password file once the teaching listener is off), SERVICE_MANAGER, and the conf and ACL
# as quoted heredocs (CONF_TEXT, ACL_TEXT: what the policy pack judged). stdin: a bundle with one
# ca-g<N>.crt per trusted CA generation, server.crt, server.key, crl.pem (and passwd).
#
# Steps: stage everything in a private directory, refuse a port another program holds, refuse (or
# move aside) rival conf.d files, back up, swap in, reload or restart, wait until mosquitto listens,
# and put the old files back, with mosquitto's own message, if it will not. Once mosquitto serves
# the new files, nothing else is left: no backup (.previous), no staging, no retired file.
set -eu
umask 077
D=$MQTTLAB_DIR
mkdir -p "$CONF_D"
install -d -m 0750 -o root -g mosquitto "$D"
# A run killed outright (SIGKILL) leaves its private staging directory and its backup of the
# previous files (keys and password file among them): clear those first.
rm -rf "$D"/.stage.* "$D/.previous"
S=$(mktemp -d "$D/.stage.XXXXXX")
trap 'rm -rf "$S"' EXIT
read_bundle "$S"
# The drift token (src/drift/observer.ts): not a file of mosquitto's. It is in the bundle only so
# that a drift seen by `pulumi refresh` makes Pulumi run this script again.
rm -f "$S/repair"
printf '%s' "$CONF_TEXT" > "$S/mqtt-lab.conf"
printf '%s' "$ACL_TEXT" > "$S/acl"
for f in $REQUIRED_FILES; do
  [ -s "$S/$f" ] || { echo "mqtt-lab: $f missing from the bundle" >&2; exit 2; }
done
ls "$S"/ca-g*.crt >/dev/null 2>&1 || { echo "mqtt-lab: no CA (ca-g<N>.crt) in the bundle" >&2; exit 2; }
install -d -m 0755 "$S/ca.d"
mv "$S"/ca-g*.crt "$S/ca.d/"
chmod 0644 "$S"/ca.d/*
openssl rehash "$S/ca.d" >/dev/null

# A port the new conf listens on that mosquitto does not hold yet must be free: otherwise another
# program has it, and the listening check below could take that program for mosquitto. What
# mosquitto holds is what our live conf listens on (the conf we sent last time; the new one's ports
# come as data). Loopback-only holders do not count: mosquitto's own default listener (no conf yet)
# sits there.
old_ports=" $(conf_listener_ports "$CONF") "
held_by_another() {
  ss -Hltn "sport = :$1" 2>/dev/null | awk '{ print $4 }' | grep -qvE '^(127\.[0-9.]+|\[::1\]):'
}
for p in $LISTEN_PORTS; do
  case "$old_ports" in *" $p "*) continue ;; esac
  if held_by_another "$p"; then
    echo "mqtt-lab: port $p is already in use on the broker by another program; nothing was changed (free it, or choose another port)" >&2
    exit 4
  fi
done

# Other conf.d files that open a listener or change access rules would undo ours. mosquitto reads
# every *.conf there, dot-files too.
rivals=""
while read -r f; do
  if grep -qE "$(rival_pattern)" "$f"; then rivals="$rivals $f"; fi
done < <(other_confs)
if [ -n "$rivals" ]; then
  if [ "$TAKE_OVER_CONF_FILES" = yes ]; then
    # A free name each time: a file of the same name moved aside by an earlier run (the original)
    # is never overwritten.
    for f in $rivals; do a=$(aside_name "$f"); mv "$f" "$a"; warn "mqtt-lab: moved $f aside as $a (destroy puts it back)"; done
  else
    echo "mqtt-lab: on the broker ($(hostname)), conf.d already defines a listener or access rule in:$rivals. mosquitto would merge it with the lab's listeners (the seed's confTP.conf had allow_anonymous true). Set mqtt-lab:takeOverConfFiles to true to move it aside (destroy puts it back), or remove it." >&2
    exit 3
  fi
fi

# Modes: mosquitto (a group member) reads the key; only the certificate and conf are public.
for f in "$S"/*; do [ -d "$f" ] || { chgrp mosquitto "$f"; chmod 0640 "$f"; }; done
chmod 0644 "$S/server.crt" "$S/crl.pem" "$S/mqtt-lab.conf"
live() { if [ "$1" = mqtt-lab.conf ]; then echo "$CONF"; else echo "$D/$1"; fi; }

# The action, from src/mosquitto/conf.ts's table: files read only at start, or re-read on SIGHUP.
action=none
for f in $SIGHUP_FILES; do cmp -s "$S/$f" "$(live "$f")" || action=sighup; done
for f in $RESTART_FILES; do cmp -s "$S/$f" "$(live "$f")" || action=restart; done
# A CA removed or changed: restart. A CA added: nothing, new connections read the directory.
ca_change=none
for f in "$S"/ca.d/ca-g*.crt; do cmp -s "$f" "$D/ca.d/$(basename "$f")" || ca_change=added; done
for f in "$D"/ca.d/ca-g*.crt; do [ -e "$f" ] || continue; cmp -s "$f" "$S/ca.d/$(basename "$f")" || ca_change=removed; done
[ $ca_change = removed ] && action=restart
# A file in the CA directory that is not one of our CAs (say, trusted by hand): mosquitto may
# keep it loaded, so only a restart drops it.
for f in "$D"/ca.d/*; do
  if [ -f "$f" ] && [ ! -L "$f" ] && [ ! -e "$S/ca.d/$(basename "$f")" ]; then action=restart; fi
done
# mosquitto as the lab declares it: running, listening on exactly LISTEN_PORTS (a rival moved
# aside, or mosquitto stopped or started by hand with other files, needs a restart to undo).
declared_ports="$(for p in $LISTEN_PORTS; do echo "$p"; done | sort -un | tr '\n' ' ')"
if [ -n "$rivals" ] || ! pgrep -x mosquitto >/dev/null || [ "$(network_ports "$SSH_PORT")" != "$declared_ports" ]; then
  action=restart
fi

# Back up, then swap in: the CA directory by an atomic symlink swap, the files by rename.
B="$D/.previous"; rm -rf "$B"; mkdir -m 0700 "$B"
for f in $BROKER_FILES; do [ -e "$(live "$f")" ] && cp -p "$(live "$f")" "$B/$f"; done
old_ca=$(readlink "$D/ca.d" 2>/dev/null || true)
new_ca="ca.d.$(date +%s%N)"
mv "$S/ca.d" "$D/$new_ca"
ln -sfn "$new_ca" "$D/.ca.d.next" && mv -T "$D/.ca.d.next" "$D/ca.d"
for f in $BROKER_FILES; do mv -f "$S/$f" "$(live "$f")"; done

listening() { ss -Hltn "sport = :$TLS_PORT" 2>/dev/null | grep -q . ; }
# Up to 10 s for the port; a mosquitto that is gone after 1 s refused its files: no need to wait more.
wait_listening() {
  local i=0
  while [ $i -lt 100 ]; do
    listening && pgrep -x mosquitto >/dev/null && return 0
    [ $i -gt 10 ] && ! pgrep -x mosquitto >/dev/null && return 1
    sleep 0.1; i=$((i+1))
  done
  return 1
}
mark=$(wc -l < "$LOG" 2>/dev/null || echo 0)
ok=yes; out=""
case $action in
  restart) out=$( { mosquitto_restart ; } 2>&1 ) || ok=no ;;
  sighup) out=$( { mosquitto_reload ; } 2>&1 ) || ok=no ;;
esac
[ $ok = yes ] && { wait_listening || ok=no; }
if [ $ok = no ]; then
  said=$(tail -n +$((mark+1)) "$LOG" 2>/dev/null | grep -iE 'error|unable|invalid|unknown' | tail -n 5 || true)
  for f in $BROKER_FILES; do if [ -e "$B/$f" ]; then cp -p "$B/$f" "$(live "$f")"; else rm -f "$(live "$f")"; fi; done
  if [ -n "$old_ca" ]; then ln -sfn "$old_ca" "$D/.ca.d.next" && mv -T "$D/.ca.d.next" "$D/ca.d"; fi
  rm -rf "${D:?}/$new_ca" "$B"
  ( mosquitto_restart ) >/dev/null 2>&1 || true
  wait_listening || true
  echo "mqtt-lab: mosquitto refused the new configuration (${action}); the previous one was restored. mosquitto said: $out $said" >&2
  exit 1
fi
[ -n "$old_ca" ] && [ "$old_ca" != "$new_ca" ] && rm -rf "${D:?}/$old_ca"
# mosquitto serves the new files: the backup (the previous key and password file) goes, and so do
# the files the new conf no longer reads (mosquitto has let go of them: it restarted without them).
rm -rf "$B"
for f in ${RETIRED_FILES:-}; do rm -f "${D:?}/$f"; done
echo "mqtt-lab: broker files in place; trusted CAs: $(cd "$D/ca.d" && printf '%s ' ca-g*.crt)(${ca_change}); mosquitto action: $action"
