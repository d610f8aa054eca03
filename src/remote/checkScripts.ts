/**
 * The post-deploy checks as shell, one definition each. They run on the client host after every
 * change of certificates or conf, and fail `pulumi up` naming the check and what was seen.
 */
import { clientDir, readBundleShell, shQuote } from "./hostScripts";

/** A topic this identity may use: its first pattern with wildcards filled in. */
export function checkTopic(patterns: readonly string[], nonce: string): string {
    const p = patterns[0] ?? "#";
    const filled = p.split("/").map((level) => (level === "+" ? "x" : level === "#" ? `mqtt-lab-check/${nonce}` : level));
    return filled.join("/");
}

/** MQTT topic matching: does `pattern` (with + and #) match `topic`? */
export function topicMatches(pattern: string, topic: string): boolean {
    const p = pattern.split("/");
    const t = topic.split("/");
    for (let i = 0; i < p.length; i++) {
        if (p[i] === "#") return true;
        if (i >= t.length) return false;
        if (p[i] !== "+" && p[i] !== t[i]) return false;
    }
    return p.length === t.length;
}

/**
 * A topic none of `patterns` allows, for the ACL check; undefined when the patterns allow every
 * topic (e.g. "#", flagged by the advisory policy): then there is nothing to refuse.
 */
export function topicOutside(patterns: readonly string[], nonce: string): string | undefined {
    const candidates = [`mqtt-lab-acl-outside/${nonce}`, `mqtt-lab-acl-outside/${nonce}/x/y/z`, `mqtt-lab-acl-outside-${nonce}`];
    return candidates.find((t) => !patterns.some((p) => topicMatches(p, t)));
}

export interface CheckScriptOptions {
    identity: string;
    topics: readonly string[];
    brokerAddress: string;
    tlsPort: number;
    /** When undefined the plaintext port must refuse connections outright. */
    teachingPort?: number;
    /** The teaching listener's user; its password comes on the script's stdin. @default "student" */
    teachingUser?: string;
    plaintextPort: number;
    /** A certificate with fewer days left than this fails the validity check. @default 7 */
    minCertDaysLeft?: number;
    /** Prefix that runs a command as root on this host ("" or "sudo -n "), for tshark. @default "" */
    asRoot?: string;
    /** Capture the TLS publish with tshark and look for its topic and payload in clear. @default true */
    capture?: boolean;
    /**
     * Run the checks that do not depend on the identity (no certificate, plaintext port, served
     * chain, capture): once per host is enough, so only its first identity runs them. @default true
     */
    hostChecks?: boolean;
}

/**
 * Runs on the client host as the SSH user:
 * 1. mutual-TLS round trip at QoS 1, the broker's address verified against the CA;
 * 2. a client without a certificate is refused;
 * 3. the plaintext port refuses anonymous clients;
 * 4. the broker's chain verifies for its address, certificates stay valid long enough;
 * 5. a publish outside the identity's ACL is refused with MQTT v5 reason 135 (when its patterns
 *    leave any topic outside), a publish inside is not (positive control);
 * 6. tshark on this host during a TLS publish: packets seen, neither topic nor payload in clear.
 */
export function clientChecksScript(o: CheckScriptOptions): string {
    const d = `"$HOME/${clientDir(o.identity)}"`;
    const tls = `-h ${shQuote(o.brokerAddress)} -p ${o.tlsPort} --cafile "$D/ca.crt"`;
    const plainPort = o.teachingPort ?? o.plaintextPort;
    const plainCheck = o.teachingPort === undefined ? "plaintext-refused" : "anonymous-refused";
    const outside = topicOutside(o.topics, "NONCE");
    const host = o.hostChecks ?? true;
    const capture = host && (o.capture ?? true);
    // On the teaching port, the same detector must find topic and payload: its positive control.
    const plainCapture = capture && o.teachingPort !== undefined;
    const asRoot = o.asRoot ?? "";
    // Every check runs, even after one fails: a report names all that broke, each with what was seen.
    return `set -u
${
    plainCapture
        ? `# The teaching password arrives on stdin (a secret); nothing else may read stdin after this.
IFS= read -r TEACH_PW || true
exec </dev/null
`
        : ""
}D=${d}
failed=0
fail() { echo "mqtt-lab check failed on host $(hostname): $*" >&2; failed=$((failed+1)); return 1; }
short() { printf '%s' "$1" | head -c 200 | tr '\\n' ' '; }
nonce=$(cat /proc/sys/kernel/random/uuid)
topic=${shQuote(checkTopic(o.topics, "NONCE"))}; topic=$(printf '%s' "$topic" | sed "s/NONCE/$nonce/")
out=$(mktemp); trap 'rm -f "$out"' EXIT

check_tls_roundtrip() {
  msg="mqtt-lab-check-$nonce"
  timeout 20 mosquitto_sub ${tls} --cert "$D/client.crt" --key "$D/client.key" -i "${o.identity}-check-sub-$$" -q 1 -t "$topic" -C 1 -W 15 -d > "$out" 2>&1 &
  sub=$!
  # Publish once the subscription is acknowledged (at most 5 s), not after a fixed head start.
  i=0; while ! grep -q "received SUBACK" "$out" && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
  pubout=$(timeout 15 mosquitto_pub ${tls} --cert "$D/client.crt" --key "$D/client.key" -i "${o.identity}-check-pub-$$" -q 1 -t "$topic" -m "$msg" 2>&1) ||
    { kill $sub 2>/dev/null; fail "tls-roundtrip: mosquitto_pub as ${o.identity} failed: $(short "$pubout")"; return; }
  wait $sub || true
  grep -qx "$msg" "$out" || { fail "tls-roundtrip: the subscriber did not receive the message; it saw: $(short "$(cat "$out")")"; return; }
  echo "PASS tls-roundtrip: ${o.identity} published and received on $topic over TLS (QoS 1)"
}

check_no_certificate() {
  if nocert=$(timeout 15 mosquitto_pub ${tls} -i "mqtt-lab-nocert-$$" -q 1 -t "$topic" -m refused 2>&1); then
    fail "no-certificate: a client without a certificate was accepted"; return
  fi
  # Refused for the right reason: at the TLS handshake (require_certificate), not only at MQTT CONNECT.
  if printf '%s' "$nocert" | grep -q "Connection Refused"; then
    fail "no-certificate: refused only at the MQTT CONNECT step, not at the TLS handshake, so require_certificate is off; the client saw: $(short "$nocert")"; return
  fi
  echo "PASS no-certificate: refused at the TLS handshake ($(short "$nocert"))"
}

check_plaintext() {
  if plain=$(timeout 15 mosquitto_pub -h ${shQuote(o.brokerAddress)} -p ${plainPort} -i "mqtt-lab-plain-$$" -t "${o.teachingPort === undefined ? "$topic" : "lab/x"}" -m refused 2>&1); then
    fail "${plainCheck}: an anonymous client published on port ${plainPort}"; return
  fi
  echo "PASS ${plainCheck}: port ${plainPort} refused an anonymous client ($(short "$plain"))"
}

check_server_chain() {
  # The broker's chain as served, verified against the lab CA for the address we dialled.
  chain=$(echo | timeout 15 openssl s_client -connect ${shQuote(`${o.brokerAddress}:${o.tlsPort}`)} ${/^[0-9.]+$/.test(o.brokerAddress) ? `-verify_ip ${shQuote(o.brokerAddress)}` : `-verify_hostname ${shQuote(o.brokerAddress)}`} -verify_return_error -CAfile "$D/ca.crt" -cert "$D/client.crt" -key "$D/client.key" 2>&1)
  printf '%s' "$chain" | grep -q "Verify return code: 0 (ok)" || { fail "server-chain: the broker's certificate does not verify against the lab CA for ${o.brokerAddress}: $(short "$(printf '%s' "$chain" | grep -iE 'verify|error' | head -n 3)")"; return; }
  printf '%s' "$chain" | openssl x509 -noout -checkend ${(o.minCertDaysLeft ?? 7) * 86400} >/dev/null 2>&1 || { fail "cert-validity: the broker's certificate expires within ${o.minCertDaysLeft ?? 7} days ($(printf '%s' "$chain" | openssl x509 -noout -enddate 2>/dev/null))"; return; }
  echo "PASS server-chain: verified for ${o.brokerAddress}, $(printf '%s' "$chain" | openssl x509 -noout -serial -enddate -fingerprint -sha256 2>/dev/null | tr '\\n' ' ')"
}

check_client_validity() {
  for f in client.crt ca.crt; do
    openssl x509 -in "$D/$f" -noout -checkend ${(o.minCertDaysLeft ?? 7) * 86400} >/dev/null 2>&1 ||
      { fail "cert-validity: $f of ${o.identity} expires within ${o.minCertDaysLeft ?? 7} days ($(openssl x509 -in "$D/$f" -noout -enddate 2>/dev/null))"; return; }
  done
  echo "PASS cert-validity: ${o.identity}'s certificate and CA valid for ${o.minCertDaysLeft ?? 7}+ days ($(openssl x509 -in "$D/client.crt" -noout -serial -enddate -fingerprint -sha256 | tr '\\n' ' '))"
}

check_clock() {
  # A host clock behind the certificate's start rejects a fresh certificate ("not yet valid").
  v=$(openssl verify -CAfile "$D/ca.crt" "$D/client.crt" 2>&1)
  printf '%s' "$v" | grep -q "not yet valid" && { fail "clock: the clock of $(hostname) ($(date -u +%FT%TZ)) is behind the start of ${o.identity}'s certificate ($(openssl x509 -in "$D/client.crt" -noout -startdate)): $(short "$v")"; return; }
  printf '%s' "$v" | grep -q ": OK$" || { fail "clock: ${o.identity}'s certificate does not verify against its CA on $(hostname): $(short "$v")"; return; }
  echo "PASS clock: $(hostname) at $(date -u +%FT%TZ) is within ${o.identity}'s certificate's validity ($(openssl x509 -in "$D/client.crt" -noout -startdate))"
}
${
    plainCapture
        ? `
check_capture_plaintext() {
  pcap="/tmp/mqtt-lab-plain-$nonce.pcap"; ptopic="lab/mqtt-lab-plain-$nonce"; ppayload="mqtt-lab-plain-payload-$nonce"
  ${asRoot}tshark -i any -f ${shQuote(`tcp port ${o.teachingPort} and host ${o.brokerAddress}`)} -F pcap -w "$pcap" -q >/dev/null 2>&1 &
  tpid=$!
  i=0; while [ ! -s "$pcap" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  [ -s "$pcap" ] || { kill $tpid 2>/dev/null; fail "capture-plaintext: tshark did not start on $(hostname)"; return; }
  pubout=$(timeout 15 mosquitto_pub -h ${shQuote(o.brokerAddress)} -p ${o.teachingPort} -u ${shQuote(o.teachingUser ?? "student")} -P "$TEACH_PW" -i "mqtt-lab-plain-$$" -t "$ptopic" -m "$ppayload" 2>&1) ||
    { ${asRoot}pkill -INT -f "$pcap"; wait $tpid; fail "capture-plaintext: the password-protected publish on port ${o.teachingPort} failed: $(short "$pubout")"; return; }
  sleep 0.3; ${asRoot}pkill -INT -f "$pcap"; wait $tpid || true
  seen=""
  ${asRoot}cat "$pcap" | grep -a -q -F -- "$ptopic" && seen="$seen topic"
  ${asRoot}cat "$pcap" | grep -a -q -F -- "$ppayload" && seen="$seen payload"
  pw=""; [ -n "$TEACH_PW" ] && ${asRoot}cat "$pcap" | grep -a -q -F -- "$TEACH_PW" && pw="; the password crossed in clear too ([redacted])"
  ${asRoot}rm -f "$pcap"
  [ "$seen" = " topic payload" ] || { fail "capture-plaintext: the detector did not find the topic and payload in a plaintext capture (found:$seen), so its silence on the TLS port proves nothing"; return; }
  echo "PASS capture-plaintext: tshark read the topic $ptopic and the payload in clear on port ${o.teachingPort}, as in the seed$pw"
}
`
        : ""
}
${
    outside === undefined
        ? ""
        : `check_acl() {
  outside=${shQuote(outside)}; outside=$(printf '%s' "$outside" | sed "s/NONCE/$nonce/")
  denied=$(timeout 15 mosquitto_pub ${tls} --cert "$D/client.crt" --key "$D/client.key" -i "${o.identity}-acl-$$" -V 5 -d -q 1 -t "$outside" -m acl-probe 2>&1)
  allowed=$(timeout 15 mosquitto_pub ${tls} --cert "$D/client.crt" --key "$D/client.key" -i "${o.identity}-acl-$$" -V 5 -d -q 1 -t "$topic" -m acl-control 2>&1)
  printf '%s' "$allowed" | grep -qE "received PUBACK \\(Mid: [0-9]+, RC:(0|16)\\)" ||
    { fail "acl: the positive control, a publish on $topic (inside the ACL), was not acknowledged: $(short "$(printf '%s' "$allowed" | grep -E 'PUBACK|Error|rror' | head -n 2)")"; return; }
  printf '%s' "$denied" | grep -qE "received PUBACK \\(Mid: [0-9]+, RC:135\\)" ||
    { fail "acl: a publish by ${o.identity} on $outside, outside its ACL, was not refused with reason 135 (not authorized): $(short "$(printf '%s' "$denied" | grep -E 'PUBACK|Error|rror' | head -n 2)")"; return; }
  echo "PASS acl: ${o.identity} publishing on $outside (outside its ACL) got PUBACK reason 135 (not authorized); on $topic reason $(printf '%s' "$allowed" | sed -n 's/.*received PUBACK (Mid: [0-9]*, RC:\\([0-9]*\\)).*/\\1/p' | head -n 1)"
}
`
}${
        capture
            ? `check_capture_tls() {
  pcap="/tmp/mqtt-lab-capture-$nonce.pcap"; payload="mqtt-lab-capture-payload-$nonce"
  ${asRoot}tshark -i any -f ${shQuote(`tcp port ${o.tlsPort} and host ${o.brokerAddress}`)} -F pcap -w "$pcap" -q >/dev/null 2>&1 &
  tpid=$!
  i=0; while [ ! -s "$pcap" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  [ -s "$pcap" ] || { kill $tpid 2>/dev/null; fail "capture-tls: tshark did not start on $(hostname) (is it installed, may ${asRoot ? "sudo run it" : "root run it"}?)"; return; }
  pubout=$(timeout 15 mosquitto_pub ${tls} --cert "$D/client.crt" --key "$D/client.key" -i "${o.identity}-capture-$$" -q 1 -t "$topic" -m "$payload" 2>&1) ||
    { ${asRoot}pkill -INT -f "$pcap"; wait $tpid; fail "capture-tls: the publish to capture failed: $(short "$pubout")"; return; }
  sleep 0.3; ${asRoot}pkill -INT -f "$pcap"; wait $tpid || true
  packets=$(${asRoot}tshark -r "$pcap" 2>/dev/null | wc -l)
  hits=""
  for needle in "$topic" "$payload"; do ${asRoot}cat "$pcap" | grep -a -q -F -- "$needle" && hits="$hits $needle"; done
  ${asRoot}rm -f "$pcap"
  [ "$packets" -gt 0 ] || { fail "capture-tls: tshark saw no packet on port ${o.tlsPort} during a publish, so it proves nothing"; return; }
  [ -z "$hits" ] || { fail "capture-tls: in clear on port ${o.tlsPort}:$hits"; return; }
  echo "PASS capture-tls: $packets packets on port ${o.tlsPort} during a publish; neither its topic nor its payload in clear"
}
`
            : ""
    }check_tls_roundtrip || true
${host ? "check_no_certificate || true\ncheck_plaintext || true\ncheck_server_chain || true\n" : ""}check_client_validity || true
check_clock || true
${plainCapture ? "check_capture_plaintext || true\n" : ""}${outside === undefined ? "" : "check_acl || true\n"}${capture ? "check_capture_tls || true\n" : ""}[ "$failed" -eq 0 ] || exit 1
`;
}

export interface RefusalScriptOptions {
    /** The identity whose CA file the client verifies the broker with (its files are on this host). */
    identity: string;
    brokerAddress: string;
    tlsPort: number;
    /** The broker's tls_version: the handshake alert is read over TLS 1.2 when the broker allows it. */
    tlsVersion: string;
}

/**
 * Runs on a client host with the forgeries bundle (src/pki/forgeries.ts) on stdin: a client of
 * another CA bearing a real client's subject, and an expired certificate of the real CA, must both
 * be refused at the TLS handshake. mosquitto_pub must fail with each; over TLS 1.2 openssl shows
 * the broker's alert (48 unknown ca, 45 certificate expired): the reason, seen where it happens.
 * With TLS 1.3 only, a refused client certificate reaches the client as a lost connection; the
 * reason is then in the broker's log alone.
 */
export function refusalChecksScript(o: RefusalScriptOptions): string {
    const d = `"$HOME/${clientDir(o.identity)}"`;
    const tls12 = o.tlsVersion === "tlsv1.2";
    return `set -u
D=${d}
failed=0
fail() { echo "mqtt-lab check failed on host $(hostname): $*" >&2; failed=$((failed+1)); return 1; }
short() { printf '%s' "$1" | head -c 200 | tr '\\n' ' '; }
F=$(mktemp -d); trap 'rm -rf "$F"' EXIT; chmod 700 "$F"
${readBundleShell('"$F"')}

refused() { # check-name file-stem what expected-alert
  if out=$(timeout 15 mosquitto_pub -h ${shQuote(o.brokerAddress)} -p ${o.tlsPort} --cafile "$D/ca.crt" --cert "$F/$2.crt" --key "$F/$2.key" -i "mqtt-lab-$1-$$" -q 1 -t mqtt-lab-refusal -m refused 2>&1); then
    fail "$1: $3 was accepted by the broker"; return
  fi
${
    tls12
        ? `  alert=$(echo | timeout 15 openssl s_client -tls1_2 -connect ${shQuote(`${o.brokerAddress}:${o.tlsPort}`)} -CAfile "$D/ca.crt" -cert "$F/$2.crt" -key "$F/$2.key" 2>&1 | grep -o "alert [a-z ]*" | head -n 1)
  [ "$alert" = "alert $4" ] || { fail "$1: $3 was refused, but not with the TLS alert '$4' at the handshake: saw '$(short "$alert")'; mosquitto_pub: $(short "$out")"; return; }
  echo "PASS $1: $3 refused at the TLS handshake (TLS 1.2 alert: $alert; mosquitto_pub: $(short "$out"))"`
        : `  echo "PASS $1: $3 refused (TLS 1.3: the client sees only: $(short "$out"); the reason is in the broker's log)"`
}
}
refused impostor-ca impostor "a client certificate with ${o.identity}'s subject from another CA bearing the lab CA's subject" "unknown ca" || true
refused expired-cert expired "an expired certificate of ${o.identity}, signed by the lab CA" "certificate expired" || true
[ "$failed" -eq 0 ] || exit 1
`;
}
