/**
 * The integration suite's packet capture on the broker, as the seed did with tshark (the checks of
 * `pulumi up` capture on the client host, in src/remote/checkScripts.ts), and a detector that looks for
 * strings in the raw bytes. The detector is one function for both ports: on 1883 it must find
 * the topic and payload (its positive control), on 8883 it must find neither.
 */
import { shQuote } from "../src/remote/hostScripts";

/** Shell (run as root on the broker) that captures `seconds` of traffic on `port` in classic pcap. */
export function captureScript(port: number, seconds: number, file: string): string {
    return `rm -f ${file}; (timeout ${seconds + 5} tshark -i eth0 -F pcap -w ${file} -f 'tcp port ${port}' -a duration:${seconds} -q >/dev/null 2>&1 &)
i=0; while [ ! -s ${file} ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; [ -s ${file} ] || { echo "tshark did not start" >&2; exit 1; }`;
}

/** Number of packets in a classic pcap file (24-byte header, then 16-byte record headers). */
export function pcapPacketCount(pcap: Buffer): number {
    if (pcap.length < 24) throw new Error(`not a pcap file: ${pcap.length} bytes`);
    const magic = pcap.readUInt32LE(0);
    const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
    if (!le && pcap.readUInt32BE(0) !== 0xa1b2c3d4 && pcap.readUInt32BE(0) !== 0xa1b23c4d) throw new Error("not a pcap file: bad magic");
    let count = 0;
    for (let off = 24; off + 16 <= pcap.length; count++) {
        const incl = le ? pcap.readUInt32LE(off + 8) : pcap.readUInt32BE(off + 8);
        off += 16 + incl;
    }
    return count;
}

/** Which of `needles` appear, as plain bytes, anywhere in the capture. */
export function cleartextHits(pcap: Buffer, needles: readonly string[]): string[] {
    return needles.filter((n) => pcap.includes(Buffer.from(n, "utf8")));
}

/** Runs a command on one host (over SSH in practice) and resolves with its result. */
export type HostRunner = (cmd: string, stdin?: string) => Promise<{ code: number | null; stdout: string; stderr: string }>;

export interface CaptureEvidence {
    port: number;
    packets: number;
    /** Which of the needles appeared in clear in the capture's raw bytes. */
    seen: string[];
    needles: string[];
}

/**
 * Captures `port` on the broker (as root there) while the client runs `publish`, and reports
 * which needles crossed the wire in clear. One definition for `npm run verify` and the tests.
 */
export async function captureWhilePublishing(o: {
    broker: HostRunner;
    client: HostRunner;
    asRoot: string;
    port: number;
    publish: string;
    needles: string[];
    seconds?: number;
}): Promise<CaptureEvidence> {
    const file = `/tmp/mqtt-lab-capture-${o.port}.pcap`;
    const start = await o.broker(`${o.asRoot}bash -c ${shQuote(captureScript(o.port, o.seconds ?? 4, file))}`);
    if (start.code !== 0) throw new Error(`capture on port ${o.port} did not start: ${start.stderr}`);
    const pub = await o.client(o.publish);
    if (pub.code !== 0) throw new Error(`publish for the capture on port ${o.port} failed: ${pub.stderr}`);
    await o.broker("while pgrep -x tshark >/dev/null || pgrep -x dumpcap >/dev/null; do sleep 0.2; done");
    const raw = Buffer.from((await o.broker(`${o.asRoot}base64 -w0 ${file}`)).stdout, "base64");
    await o.broker(`${o.asRoot}rm -f ${file}`);
    return { port: o.port, packets: pcapPacketCount(raw), seen: cleartextHits(raw, o.needles), needles: o.needles };
}
