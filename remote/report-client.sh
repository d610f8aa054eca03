# shellcheck shell=bash
# report-client.sh — what the lab report (`npm run report`, tools/report.ts) measures on a client
# host, as the SSH user, in one SSH session: the tools' versions, the identity's files and their
# modes, the broker's chain as it serves it, and the seed's publish (`mosquitto_pub -m hello -t
# cheese/strudel`) captured twice with dumpcap: on the TLS port, and on the teaching port when that
# listener is on. Each capture is read back with tshark here, the seed's own command first.
# It changes nothing on the host: what it writes lives in this run's private (0700) directory
# (run_dir, lib.sh), removed on exit.
#
# Data header (src/remote/compose.ts): BROKER, TLS_PORT, PLAIN_PORT (empty when the teaching
# listener is off), TEACHING_USER, CLIENTS_DIR, IDENTITY, TLS_TOPIC, PLAIN_TOPIC, PAYLOAD,
# VERIFY_NAME (-verify_ip or -verify_hostname), AS_ROOT.
# Stdin is a bundle (bundle.sh): the teaching password (teaching-password) when PLAIN_PORT is set.
# It never goes on a command line: mosquitto_pub reads it from its options file
# ($XDG_CONFIG_HOME/mosquitto_pub) and grep from a pattern file (-f), both in the private directory.
#
# Prints sections, each a line "=== report NAME" then its lines (src/report/hostOutput.ts reads
# them). The password is never printed: the CONNECT packet's password field is compared with it
# here. The captures come last, as a bundle (write_bundle, bundle.sh): the plaintext one holds the
# password, as a student's capture would.
set -u
priv=$(run_dir)
remove_on_exit "$priv"
read_bundle "$priv"
exec </dev/null
section() { echo "=== report $1"; }
D="$HOME/$CLIENTS_DIR/$IDENTITY"
nonce=$(cat /proc/sys/kernel/random/uuid)
capture_error=""

section hostname; hostname
section openssl-version; openssl version
# mosquitto_pub's help names its version ("mosquitto_pub version 2.0.11 running on libmosquitto 2.0.11.").
section mosquitto-version; mosquitto_pub --help 2>&1 | grep -m 1 version
section stat; stat -c '%a %U:%G %n' "$D" "$D"/*

# --- the certificates: the chain as the broker serves it, and this identity's own files -----------
section s-client-command
echo "openssl s_client -connect $BROKER:$TLS_PORT -showcerts $VERIFY_NAME $BROKER -CAfile $D/ca.crt -cert $D/client.crt -key $D/client.key"
chain=$(echo | timeout 15 openssl s_client -connect "$BROKER:$TLS_PORT" -showcerts "$VERIFY_NAME" "$BROKER" -CAfile "$D/ca.crt" -cert "$D/client.crt" -key "$D/client.key" 2>&1)
section s-client
printf '%s\n' "$chain" | grep -E '^ *[0-9]+ s:|^ +[iav]:|^Verify return code|^New, |^Server Temp Key|^Peer signature type' | sed 's/^ *//'
printf '%s\n' "$chain" | awk -v dir="$priv" '/-----BEGIN CERTIFICATE-----/ { n++; f = dir "/served-" n ".pem" } f { print > f } /-----END CERTIFICATE-----/ { close(f); f = "" }'
for f in "$priv"/served-*.pem; do
  [ -e "$f" ] || continue
  section "cert-$(basename "$f" .pem)"; openssl x509 -in "$f" -noout -text
done
section cert-client; openssl x509 -in "$D/client.crt" -noout -text
section cert-ca; openssl x509 -in "$D/ca.crt" -noout -text

# --- the captures ----------------------------------------------------------------------------------
# capture_leg NAME PORT DECODE MARKER COMMAND...: captures PORT on the broker's address while
# COMMAND publishes, stopped once MARKER is in the capture (lib.sh); then what tshark reads in it.
capture_leg() {
  local name=$1 port=$2 decode=$3 marker=$4 pcap="$priv/$1.pcap" out
  shift 4
  capture_start "$pcap" "tcp port $port and host $BROKER"
  if ! capture_ready "$pcap"; then section "$name-missing"; echo "the capture did not start: $capture_error"; rm -f "$pcap"; return; fi
  section "$name-publish"
  out=$("$@" 2>&1); echo "exit $?"; printf '%s\n' "$out"
  [ "$name" = tls ] && send_in_clear "$BROKER" "$port" "$marker"
  if ! capture_stop "$pcap" "$marker"; then section "$name-missing"; echo "the end marker never showed in the capture of port $port, so it proves nothing"; rm -f "$pcap"; return; fi
  section "$name-packets"; capture_packets "$pcap"
  # The seed's own command, on the capture (-r) rather than live; -d tells tshark the port's protocol.
  section "$name-seed-command"; echo "tshark -r $name.pcap -d tcp.port==$port,$decode -Y mqtt -T fields -e mqtt.topic"
  section "$name-seed-output"; tshark -r "$pcap" -d "tcp.port==$port,$decode" -Y mqtt -T fields -e mqtt.topic 2>/dev/null
  section "$name-frames-command"; echo "tshark -r $name.pcap -d tcp.port==$port,$decode"
  section "$name-frames"; tshark -r "$pcap" -d "tcp.port==$port,$decode" 2>/dev/null
  section "$name-in-clear"
  in_capture "$pcap" "$topic" && echo "topic $topic" || echo "topic none"
  in_capture "$pcap" "$PAYLOAD" && echo "payload $PAYLOAD" || echo "payload none"
  in_capture "$pcap" "$marker" && echo "marker $marker" || echo "marker none"
}

# The TLS leg: the identity publishes over mutual TLS; the end marker is sent in clear on that port
# afterwards (its own connection, which the broker drops: not TLS), the detector's positive control.
topic=$TLS_TOPIC
section tls-publish-command
echo "mosquitto_pub -h $BROKER -p $TLS_PORT --cafile $D/ca.crt --cert $D/client.crt --key $D/client.key -t $TLS_TOPIC -m '$PAYLOAD' -d"
capture_leg tls "$TLS_PORT" tls "mqtt-lab-report-end-$nonce" \
  timeout 15 mosquitto_pub -h "$BROKER" -p "$TLS_PORT" --cafile "$D/ca.crt" --cert "$D/client.crt" --key "$D/client.key" -i "mqtt-lab-report-$$" -t "$TLS_TOPIC" -m "$PAYLOAD" -d
pcaps=(tls.pcap)

# The plaintext leg, with the teaching listener on: the student's login and publish, as in the seed.
if [ -n "$PLAIN_PORT" ]; then
  # printf is a shell builtin: writing the options file runs no program.
  printf -- '-u %s\n-P %s\n' "$TEACHING_USER" "$(<"$priv/teaching-password")" > "$priv/mosquitto_pub"
  topic=$PLAIN_TOPIC
  section plaintext-publish-command
  echo "mosquitto_pub -h $BROKER -p $PLAIN_PORT -t $PLAIN_TOPIC -m '$PAYLOAD' -d   (user $TEACHING_USER, its password from the options file)"
  capture_leg plaintext "$PLAIN_PORT" mqtt "$PAYLOAD" \
    env XDG_CONFIG_HOME="$priv" timeout 15 mosquitto_pub -h "$BROKER" -p "$PLAIN_PORT" -i "mqtt-lab-report-$$" -t "$PLAIN_TOPIC" -m "$PAYLOAD" -d
  if [ -e "$priv/plaintext.pcap" ]; then
    section plaintext-connect-command; echo "tshark -r plaintext.pcap -d tcp.port==$PLAIN_PORT,mqtt -Y 'mqtt.msgtype == 1' -T fields -e mqtt.username -e mqtt.passwd"
    tshark -r "$priv/plaintext.pcap" -d "tcp.port==$PLAIN_PORT,mqtt" -Y 'mqtt.msgtype == 1' -T fields -e mqtt.username -e mqtt.passwd > "$priv/connect" 2>/dev/null
    section plaintext-connect
    echo "username $(cut -f1 "$priv/connect" | head -n 1)"
    if cut -f2 "$priv/connect" | grep -q -x -F -f "$priv/teaching-password"; then echo "password the teaching password"
    elif [ -n "$(cut -f2 "$priv/connect")" ]; then echo "password another value"
    else echo "password none"; fi
    pcaps+=(plaintext.pcap)
  fi
fi

section captures
present=()
for f in "${pcaps[@]}"; do [ -e "$priv/$f" ] && present+=("$f"); done
write_bundle "$priv" "${present[@]}"
