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
    return `set -u
D=${d}
fail() { echo "mqtt-lab check failed on host $(hostname): $*" >&2; exit 1; }
nonce=$(cat /proc/sys/kernel/random/uuid)
topic=${shQuote(checkTopic(o.topics, "NONCE"))}; topic=$(printf '%s' "$topic" | sed "s/NONCE/$nonce/")
msg="mqtt-lab-check-$nonce"
out=$(mktemp); trap 'rm -f "$out"' EXIT
timeout 20 mosquitto_sub ${tls} --cert "$D/client.crt" --key "$D/client.key" -i "${o.identity}-check-sub-$$" -q 1 -t "$topic" -C 1 -W 15 > "$out" 2>&1 &
sub=$!
sleep 1
pubout=$(timeout 15 mosquitto_pub ${tls} --cert "$D/client.crt" --key "$D/client.key" -i "${o.identity}-check-pub-$$" -q 1 -t "$topic" -m "$msg" 2>&1) || fail "tls-roundtrip: mosquitto_pub as ${o.identity} failed: $pubout"
wait $sub || true
grep -qx "$msg" "$out" || fail "tls-roundtrip: the subscriber did not receive the message; it saw: $(head -c 400 "$out")"
echo "PASS tls-roundtrip: ${o.identity} published and received on $topic over TLS (QoS 1)"
if nocert=$(timeout 15 mosquitto_pub ${tls} -i "mqtt-lab-nocert-$$" -q 1 -t "$topic" -m refused 2>&1); then
  fail "no-certificate: a client without a certificate was accepted"
fi
echo "PASS no-certificate: refused ($(printf '%s' "$nocert" | head -c 200 | tr '\\n' ' '))"
${o.teachingPort === undefined
        ? `if plain=$(timeout 15 mosquitto_pub -h ${shQuote(o.brokerAddress)} -p ${o.plaintextPort} -i "mqtt-lab-plain-$$" -t "$topic" -m refused 2>&1); then
  fail "plaintext-refused: an anonymous client published on port ${o.plaintextPort}"
fi
echo "PASS plaintext-refused: port ${o.plaintextPort} refused ($(printf '%s' "$plain" | head -c 200 | tr '\\n' ' '))"`
        : `if plain=$(timeout 15 mosquitto_pub -h ${shQuote(o.brokerAddress)} -p ${o.teachingPort} -i "mqtt-lab-anon-$$" -t "lab/x" -m refused 2>&1); then
  fail "anonymous-refused: an anonymous client published on the teaching port ${o.teachingPort}"
fi
echo "PASS anonymous-refused: port ${o.teachingPort} refused an anonymous client ($(printf '%s' "$plain" | head -c 200 | tr '\\n' ' '))"`}
`;
}
