import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cleartextHits, pcapPacketCount } from "../../testkit/brokerCapture";

/** A classic little-endian pcap with the given packet payloads. */
function pcap(packets: Buffer[]): Buffer {
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(65535, 16);
    header.writeUInt32LE(1, 20);
    const records = packets.map((p) => {
        const r = Buffer.alloc(16);
        r.writeUInt32LE(p.length, 8);
        r.writeUInt32LE(p.length, 12);
        return Buffer.concat([r, p]);
    });
    return Buffer.concat([header, ...records]);
}

describe("capture detector", () => {
    it("counts the packets of a pcap file", () => {
        assert.equal(pcapPacketCount(pcap([])), 0);
        assert.equal(pcapPacketCount(pcap([Buffer.from("a"), Buffer.alloc(100), Buffer.from("xyz")])), 3);
    });

    it("refuses what is not a pcap file", () => {
        assert.throws(() => pcapPacketCount(Buffer.from("short")), /not a pcap file/);
        assert.throws(() => pcapPacketCount(Buffer.alloc(40)), /bad magic/);
    });

    it("finds a topic and payload sent in clear, and nothing in ciphertext", () => {
        const clear = pcap([Buffer.from("\x30\x1a\x00\x0elab/secret-42payload-42", "latin1")]);
        assert.deepEqual(cleartextHits(clear, ["lab/secret-42", "payload-42", "absent"]), ["lab/secret-42", "payload-42"]);
        const sealed = pcap([Buffer.from("17030300", "hex"), Buffer.alloc(64, 0x5a)]);
        assert.deepEqual(cleartextHits(sealed, ["lab/secret-42", "payload-42"]), []);
    });
});
