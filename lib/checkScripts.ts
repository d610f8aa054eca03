/**
 * The post-deploy checks as shell, one definition each. They run on the client host after every
 * change of certificates or conf, and fail `pulumi up` naming the check and what was seen.
 */
import { clientDir, shQuote } from "./remoteScript";

/** A topic this identity may use: its first pattern with wildcards filled in. */
export function checkTopic(patterns: readonly string[], nonce: string): string {
    const p = patterns[0] ?? "#";
    const filled = p.split("/").map((level) => (level === "+" ? "x" : level === "#" ? `mqtt-lab-check/${nonce}` : level));
    return filled.join("/");
}

export interface CheckScriptOptions {
    identity: string;
    topics: readonly string[];
    brokerAddress: string;
    tlsPort: number;
    /** When undefined the plaintext port must refuse connections outright. */
    teachingPort?: number;
    plaintextPort: number;
    /** A certificate with fewer days left than this fails the validity check. @default 7 */
    minCertDaysLeft?: number;
}

/**
 * Runs on the client host as the SSH user:
 * 1. mutual-TLS round trip at QoS 1, the broker's address verified against the CA;
 * 2. a client without a certificate is refused;
 * 3. the plaintext port refuses anonymous clients.
 */
export function clientChecksScript(o: CheckScriptOptions): string {
    const d = `"$HOME/${clientDir(o.identity)}"`;
    const tls = `-h ${shQuote(o.brokerAddress)} -p ${o.tlsPort} --cafile "$D/ca.crt"`;
    const plainPort = o.teachingPort ?? o.plaintextPort;
    const plainCheck = o.teachingPort === undefined ? "plaintext-refused" : "anonymous-refused";
    // Every check runs, even after one fails: a report names all that broke, each with what was seen.
    return `set -u
D=${d}
failed=0
fail() { echo "mqtt-lab check failed on host $(hostname): $*" >&2; failed=$((failed+1)); return 1; }
short() { printf '%s' "$1" | head -c 200 | tr '\\n' ' '; }
nonce=$(cat /proc/sys/kernel/random/uuid)
topic=${shQuote(checkTopic(o.topics, "NONCE"))}; topic=$(printf '%s' "$topic" | sed "s/NONCE/$nonce/")
out=$(mktemp); trap 'rm -f "$out"' EXIT

check_tls_roundtrip() {
  msg="mqtt-lab-check-$nonce"
  timeout 20 mosquitto_sub ${tls} --cert "$D/client.crt" --key "$D/client.key" -i "${o.identity}-check-sub-$$" -q 1 -t "$topic" -C 1 -W 15 > "$out" 2>&1 &
  sub=$!
  sleep 1
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
  echo "PASS server-chain: verified for ${o.brokerAddress}, $(printf '%s' "$chain" | openssl x509 -noout -serial -enddate 2>/dev/null | tr '\\n' ' ')"
}

check_client_validity() {
  for f in client.crt ca.crt; do
    openssl x509 -in "$D/$f" -noout -checkend ${(o.minCertDaysLeft ?? 7) * 86400} >/dev/null 2>&1 ||
      { fail "cert-validity: $f of ${o.identity} expires within ${o.minCertDaysLeft ?? 7} days ($(openssl x509 -in "$D/$f" -noout -enddate 2>/dev/null))"; return; }
  done
  echo "PASS cert-validity: ${o.identity}'s certificate and CA valid for ${o.minCertDaysLeft ?? 7}+ days ($(openssl x509 -in "$D/client.crt" -noout -enddate))"
}

check_tls_roundtrip || true
check_no_certificate || true
check_plaintext || true
check_server_chain || true
check_client_validity || true
[ "$failed" -eq 0 ] || exit 1
`;
}
