# shellcheck shell=bash
# client-checks.sh — the post-deploy checks of one client host, run as the SSH user in one SSH
# session after every change of certificates or conf. Each check prints "PASS name: what was
# seen", or fails naming what was seen; every check runs, and the script exits 1 if any failed.
#
# What it checks: once for the host (with its first identity's files), a client without a
# certificate refused, the plaintext port, the broker's chain, captures of the TLS port (and of the
# teaching port when on); then, for every identity on the host, its own round trip, validity,
# clock and ACL, PARALLEL identities at a time; and, with REFUSALS=yes, the refusal checks of
# remote/refusal-checks.sh (sent ahead of this file). The identities' checks and the refusals run
# while the host's own checks do: the host waits on the network, not on its two cores.
#
# With CHANGED_ONLY=yes (what `pulumi up` runs when only identities or the broker's ACL changed,
# not the broker's conf, certificate, CA or CRL, which run everything), an identity whose digest
# (its certificate, CA and topics, computed by the program) is the one its last fully passing run
# left in its folder ("checked") is not checked again: it is reported as "unchanged". The host's
# own checks and the first identity's always run.
#
# Data header (src/remote/compose.ts): IDENTITIES (names, one a line), TOPIC_TEMPLATES (a topic of
# each, NONCE to be filled in, one a line), ACL_OUTSIDE (a topic outside each one's ACL, or an empty
# line when none is), CLIENTS_DIR, BROKER, TLS_PORT, PLAIN_PORT and PLAIN_CHECK
# (plaintext-refused, or anonymous-refused with the teaching listener on), TEACHING_USER,
# TEACHING_MOUNT (its mount point) and TEACHING_SHARED (yes: TLS identities read its topics),
# MIN_DAYS, VERIFY_NAME (-verify_ip or -verify_hostname), AS_ROOT, PARALLEL, and the switches
# CAPTURE_TLS, CAPTURE_PLAINTEXT, REFUSALS and CHANGED_ONLY (yes or no), with the refusals' own keys.
#
# Stdin is a bundle (bundle.sh): the teaching password (teaching-password) with CAPTURE_PLAINTEXT,
# the forged, revoked and CRL files with REFUSALS, and the identities' digests ("digests", a
# "name digest" line each; absent when `npm run verify` runs the checks). It is read into this run's private (0700)
# directory (run_dir, lib.sh), removed on exit, or by the next run when this one is killed
# outright. The password never goes on a command line (any local user could read it in ps or
# /proc): mosquitto_pub and mosquitto_sub read it from their options file
# ($XDG_CONFIG_HOME/mosquitto_pub), grep from a pattern file (-f). The captures, which hold it too
# (a plaintext login), are written there as well.
set -u
# The header's lists and switches (shellcheck cannot see them: the program writes them ahead of lib.sh).
: "${IDENTITIES?}" "${TOPIC_TEMPLATES?}" "${ACL_OUTSIDE?}" "${REFUSALS?}" "${CHANGED_ONLY?}"
priv=$(run_dir)
remove_on_exit "$priv"
read_bundle "$priv"
exec </dev/null
if [ "$CAPTURE_PLAINTEXT" = yes ]; then
  TEACH_PW=$(<"$priv/teaching-password")
  # printf is a shell builtin: writing these files runs no program.
  printf -- '-u %s\n-P %s\n' "$TEACHING_USER" "$TEACH_PW" > "$priv/mosquitto_pub"
  cp "$priv/mosquitto_pub" "$priv/mosquitto_sub"
fi
failed=0
capture_error=""  # set by capture_ready (lib.sh) when a capture does not start
nonce=$(cat /proc/sys/kernel/random/uuid)
# One line per identity in each list (heredocs of the header, each ending with a newline).
mapfile -t names < <(printf '%s' "$IDENTITIES")
mapfile -t templates < <(printf '%s' "$TOPIC_TEMPLATES")
mapfile -t outsides < <(printf '%s' "$ACL_OUTSIDE")
# as_student COMMAND...: a mosquitto client logged in as the teaching user, from its options file.
as_student() { XDG_CONFIG_HOME="$priv" "$@"; }
# topic_of N / message_of N: what identity N publishes in its round trip.
topic_of() { printf '%s' "${templates[$1]//NONCE/$nonce}"; }
message_of() { printf '%s' "mqtt-lab-check-$nonce-${names[$1]}"; }
# The broker and the lab CA of identity N, then its certificate, for every TLS client below.
tls_of() { tls=(-h "$BROKER" -p "$TLS_PORT" --cafile "$HOME/$CLIENTS_DIR/${names[$1]}/ca.crt"); }
me_of() { me=(--cert "$HOME/$CLIENTS_DIR/${names[$1]}/client.crt" --key "$HOME/$CLIENTS_DIR/${names[$1]}/client.key"); }

# --- every identity ------------------------------------------------------------------------------

# 1. A QoS 1 message over mutual TLS comes back to its publisher, the broker's address verified:
#    mosquitto_rr subscribes, publishes once subscribed and waits for the message, in one TLS
#    session (MQTT v5). Its message coming back is the ACL check's positive control (check 8).
check_tls_roundtrip() {
  roundtrip=$(timeout 20 mosquitto_rr "${tls[@]}" "${me[@]}" -i "$identity-check-$$" -q 1 -t "$topic" -e "$topic" -m "$msg" -W 15 -d 2>&1) ||
    { fail "tls-roundtrip: mosquitto_rr as $identity failed: $(short "$(printf '%s' "$roundtrip" | grep -v '^Client')")"; return; }
  printf '%s\n' "$roundtrip" | grep -qx "$msg" || { fail "tls-roundtrip: $identity did not receive its own message; it saw: $(short "$roundtrip")"; return; }
  roundtrip_ok=yes
  echo "PASS tls-roundtrip: $identity published and received on $topic over TLS (QoS 1)"
}

# 5. This identity's certificate and CA stay valid long enough.
check_client_validity() {
  local f seen said=""
  for f in client.crt ca.crt; do
    # One openssl run per file: -checkend sets the exit status, the fields are what was seen.
    seen=$(openssl x509 -in "$D/$f" -noout -serial -enddate -fingerprint -sha256 -checkend $((MIN_DAYS * 86400)) 2>&1) ||
      { fail "cert-validity: $f of $identity expires within $MIN_DAYS days ($(printf '%s' "$seen" | grep notAfter))"; return; }
    [ $f = client.crt ] && said=$(printf '%s' "$seen" | grep -v "will not expire" | tr '\n' ' ')
  done
  echo "PASS cert-validity: $identity's certificate and CA valid for $MIN_DAYS+ days ($said)"
}

# 6. A host clock behind the certificate's start rejects a fresh certificate ("not yet valid").
check_clock() {
  local v start
  v=$(openssl verify -CAfile "$D/ca.crt" "$D/client.crt" 2>&1)
  start=$(openssl x509 -in "$D/client.crt" -noout -startdate)
  printf '%s' "$v" | grep -q "not yet valid" && { fail "clock: the clock of $(hostname) ($(date -u +%FT%TZ)) is behind the start of $identity's certificate ($start): $(short "$v")"; return; }
  printf '%s' "$v" | grep -q ": OK$" || { fail "clock: $identity's certificate does not verify against its CA on $(hostname): $(short "$v")"; return; }
  echo "PASS clock: $(hostname) at $(date -u +%FT%TZ) is within $identity's certificate's validity ($start)"
}

# 8. A publish outside the identity's ACL gets MQTT v5 reason 135; one inside, check 1's, came
#    back to its subscriber (a publish the ACL denies is dropped silently): the positive control.
check_acl() {
  local denied
  denied=$(timeout 15 mosquitto_pub "${tls[@]}" "${me[@]}" -i "$identity-acl-$$" -V 5 -d -q 1 -t "$outside" -m acl-probe 2>&1)
  [ "$roundtrip_ok" = yes ] ||
    { fail "acl: the positive control, a publish on $topic (inside the ACL), did not come back (see tls-roundtrip)"; return; }
  printf '%s' "$denied" | grep -qE "received PUBACK \(Mid: [0-9]+, RC:135\)" ||
    { fail "acl: a publish by $identity on $outside, outside its ACL, was not refused with reason 135 (not authorized): $(short "$(printf '%s' "$denied" | grep -E 'PUBACK|Error|rror' | head -n 2)")"; return; }
  echo "PASS acl: $identity publishing on $outside (outside its ACL) got PUBACK reason 135 (not authorized); its publish on $topic came back"
}

# The identities' digests, from the bundle: digest[NAME].
declare -A digest=()
if [ -f "$priv/digests" ]; then
  while read -r name sum; do digest[$name]=$sum; done < "$priv/digests"
fi

# check_identity N: the checks of identity N, each run; the number that failed in $priv/id-N.failed.
# Once they all pass, its digest is left in its folder ("checked"), for a later CHANGED_ONLY run.
check_identity() {
  local identity=${names[$1]} topic msg outside D roundtrip="" roundtrip_ok=no
  topic=$(topic_of "$1"); msg=$(message_of "$1"); outside=${outsides[$1]//NONCE/$nonce}
  D="$HOME/$CLIENTS_DIR/$identity"
  tls_of "$1"; me_of "$1"
  failed=0
  check_tls_roundtrip || true
  check_client_validity || true
  check_clock || true
  [ -n "$outside" ] && { check_acl || true; }
  if [ "$failed" -eq 0 ] && [ -n "${digest[$identity]:-}" ]; then printf '%s\n' "${digest[$identity]}" > "$D/checked"; fi
  echo "$failed" > "$priv/id-$1.failed"
}

# unchanged N: with CHANGED_ONLY, identity N (not the first) still has the digest of its last fully
# passing run; says so in its files, as check_identity would.
unchanged() {
  local identity=${names[$1]} stored=""
  [ "$CHANGED_ONLY" = yes ] && [ "$1" -gt 0 ] && [ -n "${digest[$identity]:-}" ] || return 1
  read -r stored < "$HOME/$CLIENTS_DIR/$identity/checked" 2>/dev/null || return 1
  [ "$stored" = "${digest[$identity]}" ] || return 1
  echo "PASS unchanged: $identity not checked again: its certificate, CA and topics are those every check passed with ($stored)" > "$priv/id-$1.out"
  : > "$priv/id-$1.err"; echo 0 > "$priv/id-$1.failed"
}

# --- the host, with its first identity's files ----------------------------------------------------
D="$HOME/$CLIENTS_DIR/${names[0]}"
tls_of 0; me_of 0
topic=$(topic_of 0)

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
  [ -n "$TEACH_PW" ] && in_capture_file "$pcap" "$priv/teaching-password" && pw="; the password crossed in clear too ([redacted])"
  rm -f "$pcap"
  [ "$seen" = " topic payload" ] || { fail "capture-plaintext: the detector did not find the topic and payload in a plaintext capture (found:$seen), so its silence on the TLS port proves nothing"; return; }
  echo "PASS capture-plaintext: the capture held the topic $ptopic and the payload in clear on port $PLAIN_PORT, as in the seed$pw"
}

# 7b. The teaching listener has its own namespace: what a student publishes on "lab/x" is
#     "${TEACHING_MOUNT}lab/x" to the TLS identities, and a mutual-TLS identity reads it only when the
#     lab shares it (TEACHING_SHARED). A student subscriber receiving it is the positive control.
check_teaching_namespace() {
  local identity=${names[0]} stopic="lab/mqtt-lab-ns-$nonce" msg="mqtt-lab-ns-$nonce" tlsout="$priv/ns-tls" stuout="$priv/ns-student"
  local fence="mqtt-lab-ns-fence-$nonce"
  # The TLS subscriber also listens on its own topic, where the fence comes after the student's message.
  timeout 30 stdbuf -oL mosquitto_sub "${tls[@]}" "${me[@]}" -i "$identity-ns-$$" -t "$TEACHING_MOUNT$stopic" -t "$stopic" -t "$topic" -v -W 25 -d > "$tlsout" 2>&1 &
  local tsub=$!
  as_student timeout 30 stdbuf -oL mosquitto_sub -h "$BROKER" -p "$PLAIN_PORT" -i "mqtt-lab-ns-student-$$" -t "$stopic" -C 1 -W 25 -v -d > "$stuout" 2>&1 &
  local ssub=$!
  # Publish only once both subscriptions are acknowledged (a loaded host can take seconds; stdbuf
  # makes mosquitto_sub write each line as it comes: to a file, stdio would hold them).
  local i=0
  while { ! grep -q "received SUBACK" "$tlsout" || ! grep -q "received SUBACK" "$stuout"; } && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
  { grep -q "received SUBACK" "$tlsout" && grep -q "received SUBACK" "$stuout"; } ||
    { kill $tsub $ssub 2>/dev/null; fail "teaching-namespace: the subscribers were not acknowledged within 20 s: $(short "$(grep -hv '^Client' "$tlsout" "$stuout")")"; return; }
  pubout=$(as_student timeout 15 mosquitto_pub -h "$BROKER" -p "$PLAIN_PORT" -i "mqtt-lab-ns-$$" -q 1 -t "$stopic" -m "$msg" 2>&1) ||
    { kill $tsub $ssub 2>/dev/null; fail "teaching-namespace: the student's publish on port $PLAIN_PORT failed: $(short "$pubout")"; return; }
  wait $ssub || true
  # mosquitto hands a message to every subscriber when it arrives, and each client gets its
  # messages in order: once the TLS subscriber has the fence, published after, it has had its chance.
  timeout 15 mosquitto_pub "${tls[@]}" "${me[@]}" -i "$identity-ns-fence-$$" -q 1 -t "$topic" -m "$fence" >/dev/null 2>&1
  i=0; while ! grep -q "^$topic $fence\$" "$tlsout" && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
  kill $tsub 2>/dev/null; wait $tsub 2>/dev/null || true
  grep -q "^$topic $fence\$" "$tlsout" || { fail "teaching-namespace: $identity's own fence message on $topic did not come back within 10 s, so what it did not receive proves nothing: $(short "$(grep -v '^Client' "$tlsout")")"; return; }
  # mosquitto 2.0.11 hands a student its own topics with the mount point in front (fixed in 2.0.12,
  # mosquitto #2244); later versions strip it. Either is the student's message.
  grep -qx -e "$stopic $msg" -e "$TEACHING_MOUNT$stopic $msg" "$stuout" || { fail "teaching-namespace: a student subscriber on port $PLAIN_PORT did not receive the student's message on $stopic, so the check proves nothing; it saw: $(short "$(grep -v '^Client' "$stuout")")"; return; }
  grep -q "^$stopic $msg" "$tlsout" && { fail "teaching-namespace: $identity received the student's message on $stopic itself, outside the mount point $TEACHING_MOUNT"; return; }
  if [ "$TEACHING_SHARED" = yes ]; then
    grep -qx "$TEACHING_MOUNT$stopic $msg" "$tlsout" || { fail "teaching-namespace: the teaching topics are shared with the TLS identities, but $identity did not receive the student's message on $TEACHING_MOUNT$stopic"; return; }
    echo "PASS teaching-namespace: a student's $stopic reached $identity over TLS as $TEACHING_MOUNT$stopic (shared, as configured)"
  else
    grep -q "^$TEACHING_MOUNT$stopic " "$tlsout" && { fail "teaching-namespace: $identity, a mutual-TLS identity, read the student's message on $TEACHING_MOUNT$stopic, which the lab keeps from TLS identities"; return; }
    echo "PASS teaching-namespace: a student's $stopic reached a student subscriber, and not $identity over TLS (on $TEACHING_MOUNT$stopic or $stopic)"
  fi
}

# 9. The capture of the TLS port (tls.pcap) during the whole run, every identity's TLS publishes
#    included: packets seen, none of their topics or payloads in clear (one grep for them all).
#    Its end marker, sent in clear on that port, is also its positive control: what does cross in
#    clear, the detector finds.
check_capture_tls() {
  local pcap="$priv/tls.pcap" marker="mqtt-lab-capture-end-$nonce" packets hits n
  local who="root run it"; [ "${AS_ROOT:-}" = sudo ] && who="sudo run it"
  [ "$tls_capture" = started ] || { fail "capture-tls: the capture did not start on $(hostname) (is tshark installed, may $who?): $tls_capture"; return; }
  send_in_clear "$BROKER" "$TLS_PORT" "$marker"
  capture_stop "$pcap" "$marker" || { rm -f "$pcap"; fail "capture-tls: bytes sent in clear on port $TLS_PORT never showed in the capture, so it proves nothing"; return; }
  packets=$(capture_packets "$pcap")
  for n in "${!names[@]}"; do topic_of "$n"; echo; message_of "$n"; echo; done > "$priv/needles"
  hits=$(grep -a -o -F -f "$priv/needles" "$pcap" | sort -u | tr '\n' ' ')
  rm -f "$pcap"
  [ -z "$hits" ] || { fail "capture-tls: in clear on port $TLS_PORT: $hits"; return; }
  local whose="${#names[@]} identities"; [ ${#names[@]} -eq 1 ] && whose="1 identity"
  echo "PASS capture-tls: ${packets:-?} packets on port $TLS_PORT during the TLS publishes of $whose; none of their topics or payloads in clear (the bytes sent in clear on purpose were found)"
}

# --- the run ----------------------------------------------------------------------------------------
# The captures start first, both at once, so that they see every check.
tls_capture=off; plain_capture=off
[ "$CAPTURE_TLS" = yes ] && capture_start "$priv/tls.pcap" "tcp port $TLS_PORT and host $BROKER"
[ "$CAPTURE_PLAINTEXT" = yes ] && capture_start "$priv/plain.pcap" "tcp port $PLAIN_PORT and host $BROKER"
if [ "$CAPTURE_TLS" = yes ]; then capture_ready "$priv/tls.pcap" && tls_capture=started || tls_capture=$capture_error; fi
if [ "$CAPTURE_PLAINTEXT" = yes ]; then capture_ready "$priv/plain.pcap" && plain_capture=started || plain_capture=$capture_error; fi

# The refusals and the identities in the background, each into files of its own; the host's checks
# meanwhile. wait -n -p (bash 5.1) says which identity finished, so at most PARALLEL run at once.
# run_refusals: the refusal checks (remote/refusal-checks.sh); the number that failed in a file.
run_refusals() {
  failed=0
  refusal_checks
  echo "$failed" > "$priv/refusals.failed"
}
# run_identities: every identity's checks, each into its own files.
run_identities() {
  local n i finished running=()
  for n in "${!names[@]}"; do
    unchanged "$n" && continue
    if [ ${#running[@]} -ge "$PARALLEL" ]; then
      wait -n -p finished "${running[@]}" || true
      for i in "${!running[@]}"; do [ "${running[$i]}" = "$finished" ] && unset "running[$i]"; done
    fi
    check_identity "$n" > "$priv/id-$n.out" 2> "$priv/id-$n.err" &
    running+=($!)
  done
  wait
}
if [ "$REFUSALS" = yes ]; then
  run_refusals > "$priv/refusals.out" 2> "$priv/refusals.err" &
  refusals_run=$!
fi
run_identities &
identities_run=$!

if [ "$CAPTURE_PLAINTEXT" = yes ]; then check_capture_plaintext || true; fi
check_no_certificate || true
check_plaintext || true
check_server_chain || true
[ "$CAPTURE_PLAINTEXT" = yes ] && { check_teaching_namespace || true; }
wait "$identities_run" || true
[ "$REFUSALS" = yes ] && { wait "$refusals_run" || true; }
# The TLS capture stops once every TLS publish of the run is done.
[ "$CAPTURE_TLS" = yes ] && { check_capture_tls || true; }

# Each identity's lines, in order, under its name (the evidence report reads the sections).
for n in "${!names[@]}"; do
  echo "== identity ${names[$n]}"; echo "== identity ${names[$n]}" >&2
  cat "$priv/id-$n.out"; cat "$priv/id-$n.err" >&2
  failed=$((failed + $(cat "$priv/id-$n.failed" 2>/dev/null || echo 1)))
done
if [ "$REFUSALS" = yes ]; then
  echo "== identity ${names[0]}"; echo "== identity ${names[0]}" >&2
  cat "$priv/refusals.out"; cat "$priv/refusals.err" >&2
  failed=$((failed + $(cat "$priv/refusals.failed" 2>/dev/null || echo 1)))
fi
[ "$failed" -eq 0 ] || exit 1
