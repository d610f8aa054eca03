# shellcheck shell=bash
# client-checks.sh — the post-deploy checks, run on a client host as the SSH user after every
# change of certificates or conf. Each check prints "PASS name: what was seen", or fails naming
# what was seen; every check runs, and the script exits 1 if any failed.
#
# Data header (src/remote/compose.ts): IDENTITY, CLIENT_DIR, BROKER, TLS_PORT, TOPIC_TEMPLATE (a topic of
# the identity, NONCE to be filled in), ACL_OUTSIDE (a topic outside its ACL, or "" when none is),
# PLAIN_PORT and PLAIN_CHECK (plaintext-refused, or anonymous-refused with the teaching listener
# on), TEACHING_USER, TEACHING_MOUNT (its mount point) and TEACHING_SHARED (yes: TLS identities
# read its topics), MIN_DAYS, VERIFY_NAME (-verify_ip or -verify_hostname), AS_ROOT, and the
# switches HOST_CHECKS (the checks that do not depend on the identity: once per host), CAPTURE_TLS
# and CAPTURE_PLAINTEXT (yes or no). With CAPTURE_PLAINTEXT, stdin holds the teaching password.
#
# The password never goes on a command line (any local user could read it in ps or /proc): it
# stays in a shell variable and in files of this run's private (0700) directory (run_dir, lib.sh),
# removed on exit, or by the next run when this one is killed outright; mosquitto_pub and
# mosquitto_sub read it from their options file ($XDG_CONFIG_HOME/mosquitto_pub), grep from a
# pattern file (-f). The captures, which hold it too (a plaintext login), are written there as well.
set -u
priv=$(run_dir); out="$priv/out"
remove_on_exit "$priv"
if [ "$CAPTURE_PLAINTEXT" = yes ]; then
  # The teaching password arrives on stdin (a secret); nothing else may read stdin after this.
  IFS= read -r TEACH_PW || true
  exec </dev/null
  # printf is a shell builtin: writing these files runs no program.
  printf -- '-u %s\n-P %s\n' "$TEACHING_USER" "$TEACH_PW" > "$priv/mosquitto_pub"
  cp "$priv/mosquitto_pub" "$priv/mosquitto_sub"
  printf '%s\n' "$TEACH_PW" > "$priv/password"
fi
D="$HOME/$CLIENT_DIR"
failed=0
capture_error=""  # set by capture_ready (lib.sh) when a capture does not start
nonce=$(cat /proc/sys/kernel/random/uuid)
topic=${TOPIC_TEMPLATE//NONCE/$nonce}
msg="mqtt-lab-check-$nonce"
roundtrip_pub=""  # what the round trip's publish printed (check 1), read by check 8
# as_student COMMAND...: a mosquitto client logged in as the teaching user, from its options file.
as_student() { XDG_CONFIG_HOME="$priv" "$@"; }
# The broker and the lab CA, then this identity's certificate, for every TLS client below.
tls=(-h "$BROKER" -p "$TLS_PORT" --cafile "$D/ca.crt")
me=(--cert "$D/client.crt" --key "$D/client.key")

# 1. A QoS 1 message over mutual TLS comes back to a subscriber, the broker's address verified.
#    Published with MQTT v5: its PUBACK reason is the ACL check's positive control (check 8).
check_tls_roundtrip() {
  timeout 20 stdbuf -oL mosquitto_sub "${tls[@]}" "${me[@]}" -i "$IDENTITY-check-sub-$$" -q 1 -t "$topic" -C 1 -W 15 -d > "$out" 2>&1 &
  sub=$!
  # Publish once the subscription is acknowledged (at most 5 s), not after a fixed head start:
  # stdbuf makes mosquitto_sub write each line as it comes (to a file, stdio would hold them).
  i=0; while ! grep -q "received SUBACK" "$out" && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
  roundtrip_pub=$(timeout 15 mosquitto_pub "${tls[@]}" "${me[@]}" -i "$IDENTITY-check-pub-$$" -V 5 -d -q 1 -t "$topic" -m "$msg" 2>&1) ||
    { kill $sub 2>/dev/null; fail "tls-roundtrip: mosquitto_pub as $IDENTITY failed: $(short "$roundtrip_pub")"; return; }
  wait $sub || true
  grep -qx "$msg" "$out" || { fail "tls-roundtrip: the subscriber did not receive the message; it saw: $(short "$(cat "$out")")"; return; }
  echo "PASS tls-roundtrip: $IDENTITY published and received on $topic over TLS (QoS 1)"
}

# 2. A client without a certificate is refused during the TLS handshake.
check_no_certificate() {
  if nocert=$(timeout 15 mosquitto_pub "${tls[@]}" -i "mqtt-lab-nocert-$$" -q 1 -t "$topic" -m refused 2>&1); then
    fail "no-certificate: a client without a certificate was accepted"; return
  fi
  # Refused for the right reason: at the TLS handshake (require_certificate), not only at MQTT CONNECT.
  if printf '%s' "$nocert" | grep -q "Connection Refused"; then
    fail "no-certificate: refused only at the MQTT CONNECT step, not at the TLS handshake, so require_certificate is off; the client saw: $(short "$nocert")"; return
  fi
  echo "PASS no-certificate: refused at the TLS handshake ($(short "$nocert"))"
}

# 3. The plaintext port refuses anonymous clients (or refuses connections, listener off).
check_plaintext() {
  local ptopic="$topic"
  [ "$PLAIN_CHECK" = anonymous-refused ] && ptopic=lab/x
  if plain=$(timeout 15 mosquitto_pub -h "$BROKER" -p "$PLAIN_PORT" -i "mqtt-lab-plain-$$" -t "$ptopic" -m refused 2>&1); then
    fail "$PLAIN_CHECK: an anonymous client published on port $PLAIN_PORT"; return
  fi
  echo "PASS $PLAIN_CHECK: port $PLAIN_PORT refused an anonymous client ($(short "$plain"))"
}

# 4. The broker's chain as served verifies against the lab CA for the address we dialled.
check_server_chain() {
  chain=$(echo | timeout 15 openssl s_client -connect "$BROKER:$TLS_PORT" "$VERIFY_NAME" "$BROKER" -verify_return_error -CAfile "$D/ca.crt" -cert "$D/client.crt" -key "$D/client.key" 2>&1)
  printf '%s' "$chain" | grep -q "Verify return code: 0 (ok)" || { fail "server-chain: the broker's certificate does not verify against the lab CA for $BROKER: $(short "$(printf '%s' "$chain" | grep -iE 'verify|error' | head -n 3)")"; return; }
  printf '%s' "$chain" | openssl x509 -noout -checkend $((MIN_DAYS * 86400)) >/dev/null 2>&1 || { fail "cert-validity: the broker's certificate expires within $MIN_DAYS days ($(printf '%s' "$chain" | openssl x509 -noout -enddate 2>/dev/null))"; return; }
  echo "PASS server-chain: verified for $BROKER, $(printf '%s' "$chain" | openssl x509 -noout -serial -enddate -fingerprint -sha256 2>/dev/null | tr '\n' ' ')"
}

# 5. This identity's certificate and CA stay valid long enough.
check_client_validity() {
  local f seen said=""
  for f in client.crt ca.crt; do
    # One openssl run per file: -checkend sets the exit status, the fields are what was seen.
    seen=$(openssl x509 -in "$D/$f" -noout -serial -enddate -fingerprint -sha256 -checkend $((MIN_DAYS * 86400)) 2>&1) ||
      { fail "cert-validity: $f of $IDENTITY expires within $MIN_DAYS days ($(printf '%s' "$seen" | grep notAfter))"; return; }
    [ $f = client.crt ] && said=$(printf '%s' "$seen" | grep -v "will not expire" | tr '\n' ' ')
  done
  echo "PASS cert-validity: $IDENTITY's certificate and CA valid for $MIN_DAYS+ days ($said)"
}

# 6. A host clock behind the certificate's start rejects a fresh certificate ("not yet valid").
check_clock() {
  v=$(openssl verify -CAfile "$D/ca.crt" "$D/client.crt" 2>&1)
  printf '%s' "$v" | grep -q "not yet valid" && { fail "clock: the clock of $(hostname) ($(date -u +%FT%TZ)) is behind the start of $IDENTITY's certificate ($(openssl x509 -in "$D/client.crt" -noout -startdate)): $(short "$v")"; return; }
  printf '%s' "$v" | grep -q ": OK$" || { fail "clock: $IDENTITY's certificate does not verify against its CA on $(hostname): $(short "$v")"; return; }
  echo "PASS clock: $(hostname) at $(date -u +%FT%TZ) is within $IDENTITY's certificate's validity ($(openssl x509 -in "$D/client.crt" -noout -startdate))"
}

# 7. On the teaching port, the capture detector must find topic and payload in clear: the positive
#    control that makes the silence of check 9 mean something. The capture (plain.pcap) runs
#    during the whole run; the student's payload is its end marker.
check_capture_plaintext() {
  local pcap="$priv/plain.pcap" ptopic="lab/mqtt-lab-plain-$nonce" ppayload="mqtt-lab-plain-payload-$nonce" seen="" pw=""
  [ "$plain_capture" = started ] || { fail "capture-plaintext: the capture did not start on $(hostname): $plain_capture"; return; }
  pubout=$(as_student timeout 15 mosquitto_pub -h "$BROKER" -p "$PLAIN_PORT" -i "mqtt-lab-plain-$$" -t "$ptopic" -m "$ppayload" 2>&1) ||
    { capture_stop "$pcap" "$ppayload"; fail "capture-plaintext: the password-protected publish on port $PLAIN_PORT failed: $(short "$pubout")"; return; }
  capture_stop "$pcap" "$ppayload" || true
  in_capture "$pcap" "$ptopic" && seen="$seen topic"
  in_capture "$pcap" "$ppayload" && seen="$seen payload"
  [ -n "$TEACH_PW" ] && in_capture_file "$pcap" "$priv/password" && pw="; the password crossed in clear too ([redacted])"
  rm -f "$pcap"
  [ "$seen" = " topic payload" ] || { fail "capture-plaintext: the detector did not find the topic and payload in a plaintext capture (found:$seen), so its silence on the TLS port proves nothing"; return; }
  echo "PASS capture-plaintext: the capture held the topic $ptopic and the payload in clear on port $PLAIN_PORT, as in the seed$pw"
}

# 7b. The teaching listener has its own namespace: what a student publishes on "lab/x" is
#     "${TEACHING_MOUNT}lab/x" to the TLS identities, and a mutual-TLS identity reads it only when the
#     lab shares it (TEACHING_SHARED). A student subscriber receiving it is the positive control.
check_teaching_namespace() {
  local stopic="lab/mqtt-lab-ns-$nonce" msg="mqtt-lab-ns-$nonce" tlsout="$priv/ns-tls" stuout="$priv/ns-student"
  local fence="mqtt-lab-ns-fence-$nonce"
  # The TLS subscriber also listens on its own topic, where the fence comes after the student's message.
  timeout 30 stdbuf -oL mosquitto_sub "${tls[@]}" "${me[@]}" -i "$IDENTITY-ns-$$" -t "$TEACHING_MOUNT$stopic" -t "$stopic" -t "$topic" -v -W 25 -d > "$tlsout" 2>&1 &
  local tsub=$!
  as_student timeout 30 stdbuf -oL mosquitto_sub -h "$BROKER" -p "$PLAIN_PORT" -i "mqtt-lab-ns-student-$$" -t "$stopic" -C 1 -W 25 -v -d > "$stuout" 2>&1 &
  local ssub=$!
  # Publish only once both subscriptions are acknowledged (a loaded host can take seconds; stdbuf
  # as in check 1).
  local i=0
  while { ! grep -q "received SUBACK" "$tlsout" || ! grep -q "received SUBACK" "$stuout"; } && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
  { grep -q "received SUBACK" "$tlsout" && grep -q "received SUBACK" "$stuout"; } ||
    { kill $tsub $ssub 2>/dev/null; fail "teaching-namespace: the subscribers were not acknowledged within 20 s: $(short "$(grep -hv '^Client' "$tlsout" "$stuout")")"; return; }
  pubout=$(as_student timeout 15 mosquitto_pub -h "$BROKER" -p "$PLAIN_PORT" -i "mqtt-lab-ns-$$" -q 1 -t "$stopic" -m "$msg" 2>&1) ||
    { kill $tsub $ssub 2>/dev/null; fail "teaching-namespace: the student's publish on port $PLAIN_PORT failed: $(short "$pubout")"; return; }
  wait $ssub || true
  # mosquitto hands a message to every subscriber when it arrives, and each client gets its
  # messages in order: once the TLS subscriber has the fence, published after, it has had its chance.
  timeout 15 mosquitto_pub "${tls[@]}" "${me[@]}" -i "$IDENTITY-ns-fence-$$" -q 1 -t "$topic" -m "$fence" >/dev/null 2>&1
  i=0; while ! grep -q "^$topic $fence\$" "$tlsout" && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
  kill $tsub 2>/dev/null; wait $tsub 2>/dev/null || true
  grep -q "^$topic $fence\$" "$tlsout" || { fail "teaching-namespace: $IDENTITY's own fence message on $topic did not come back within 10 s, so what it did not receive proves nothing: $(short "$(grep -v '^Client' "$tlsout")")"; return; }
  # mosquitto 2.0.11 hands a student its own topics with the mount point in front (fixed in 2.0.12,
  # mosquitto #2244); later versions strip it. Either is the student's message.
  grep -qx -e "$stopic $msg" -e "$TEACHING_MOUNT$stopic $msg" "$stuout" || { fail "teaching-namespace: a student subscriber on port $PLAIN_PORT did not receive the student's message on $stopic, so the check proves nothing; it saw: $(short "$(grep -v '^Client' "$stuout")")"; return; }
  grep -q "^$stopic $msg" "$tlsout" && { fail "teaching-namespace: $IDENTITY received the student's message on $stopic itself, outside the mount point $TEACHING_MOUNT"; return; }
  if [ "$TEACHING_SHARED" = yes ]; then
    grep -qx "$TEACHING_MOUNT$stopic $msg" "$tlsout" || { fail "teaching-namespace: the teaching topics are shared with the TLS identities, but $IDENTITY did not receive the student's message on $TEACHING_MOUNT$stopic"; return; }
    echo "PASS teaching-namespace: a student's $stopic reached $IDENTITY over TLS as $TEACHING_MOUNT$stopic (shared, as configured)"
  else
    grep -q "^$TEACHING_MOUNT$stopic " "$tlsout" && { fail "teaching-namespace: $IDENTITY, a mutual-TLS identity, read the student's message on $TEACHING_MOUNT$stopic, which the lab keeps from TLS identities"; return; }
    echo "PASS teaching-namespace: a student's $stopic reached a student subscriber, and not $IDENTITY over TLS (on $TEACHING_MOUNT$stopic or $stopic)"
  fi
}

# 8. A publish outside the identity's ACL gets MQTT v5 reason 135; one inside (check 1's) is
#    acknowledged.
check_acl() {
  local outside=${ACL_OUTSIDE//NONCE/$nonce} denied allowed=$roundtrip_pub
  denied=$(timeout 15 mosquitto_pub "${tls[@]}" "${me[@]}" -i "$IDENTITY-acl-$$" -V 5 -d -q 1 -t "$outside" -m acl-probe 2>&1)
  printf '%s' "$allowed" | grep -qE "received PUBACK \(Mid: [0-9]+, RC:(0|16)\)" ||
    { fail "acl: the positive control, a publish on $topic (inside the ACL), was not acknowledged: $(short "$(printf '%s' "$allowed" | grep -E 'PUBACK|Error|rror' | head -n 2)")"; return; }
  printf '%s' "$denied" | grep -qE "received PUBACK \(Mid: [0-9]+, RC:135\)" ||
    { fail "acl: a publish by $IDENTITY on $outside, outside its ACL, was not refused with reason 135 (not authorized): $(short "$(printf '%s' "$denied" | grep -E 'PUBACK|Error|rror' | head -n 2)")"; return; }
  echo "PASS acl: $IDENTITY publishing on $outside (outside its ACL) got PUBACK reason 135 (not authorized); on $topic reason $(printf '%s' "$allowed" | sed -n 's/.*received PUBACK (Mid: [0-9]*, RC:\([0-9]*\)).*/\1/p' | head -n 1)"
}

# 9. The capture of the TLS port (tls.pcap) during the whole run, every TLS publish of the checks
#    above included: packets seen, neither topic nor payload in clear. Its end marker, sent in
#    clear on that port, is also its positive control: what does cross in clear, the detector finds.
check_capture_tls() {
  local pcap="$priv/tls.pcap" marker="mqtt-lab-capture-end-$nonce" packets hits="" needle
  local who="root run it"; [ "${AS_ROOT:-}" = sudo ] && who="sudo run it"
  [ "$tls_capture" = started ] || { fail "capture-tls: the capture did not start on $(hostname) (is tshark installed, may $who?): $tls_capture"; return; }
  send_in_clear "$BROKER" "$TLS_PORT" "$marker"
  capture_stop "$pcap" "$marker" || { rm -f "$pcap"; fail "capture-tls: bytes sent in clear on port $TLS_PORT never showed in the capture, so it proves nothing"; return; }
  packets=$(capture_packets "$pcap")
  for needle in "$topic" "$msg"; do in_capture "$pcap" "$needle" && hits="$hits $needle"; done
  rm -f "$pcap"
  [ -z "$hits" ] || { fail "capture-tls: in clear on port $TLS_PORT:$hits"; return; }
  echo "PASS capture-tls: ${packets:-?} packets on port $TLS_PORT during the checks' TLS publishes; neither their topic nor their payload in clear (the bytes sent in clear on purpose were found)"
}

# The captures start first, both at once, so that they see every check.
tls_capture=off; plain_capture=off
[ "$CAPTURE_TLS" = yes ] && capture_start "$priv/tls.pcap" "tcp port $TLS_PORT and host $BROKER"
[ "$CAPTURE_PLAINTEXT" = yes ] && capture_start "$priv/plain.pcap" "tcp port $PLAIN_PORT and host $BROKER"
if [ "$CAPTURE_TLS" = yes ]; then capture_ready "$priv/tls.pcap" && tls_capture=started || tls_capture=$capture_error; fi
if [ "$CAPTURE_PLAINTEXT" = yes ]; then capture_ready "$priv/plain.pcap" && plain_capture=started || plain_capture=$capture_error; fi

check_tls_roundtrip || true
if [ "$HOST_CHECKS" = yes ]; then
  check_no_certificate || true
  check_plaintext || true
  check_server_chain || true
fi
check_client_validity || true
check_clock || true
[ "$CAPTURE_PLAINTEXT" = yes ] && { check_capture_plaintext || true; check_teaching_namespace || true; }
[ -n "$ACL_OUTSIDE" ] && { check_acl || true; }
[ "$CAPTURE_TLS" = yes ] && { check_capture_tls || true; }
[ "$failed" -eq 0 ] || exit 1
