import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { StackOutputs } from "../../src/outputs";
import { checkLines, freeFolder, renderSummary } from "../../tools/summary";

const endpoint = (address: string) => ({ address, port: 22, user: "root", hostKey: "ssh-ed25519 AAAA", fingerprint: "SHA256:x" });
const outputs = {
    brokerAddress: "172.30.56.10",
    tlsPort: 8883,
    brokerDnsName: "broker.mqtt-lab.internal",
    latestReport: "/lab/evidence/up-lab.md",
    checkResults: [
        "PASS no-certificate: refused during the handshake\n== identity client-a\nPASS tls-roundtrip: message came back\n== identity client-a\nPASS impostor-ca: refused: unknown ca",
        "PASS no-certificate: refused too\n== identity bob\nPASS tls-roundtrip: came back on the broker host",
    ],
    checkPlan: [
        { identity: "client-a", identities: ["client-a"], host: "client", script: "…", refusals: true },
        { identity: "bob", identities: ["bob"], host: "broker", script: "…", refusals: false },
    ],
    ssh: { broker: endpoint("172.30.56.10"), client: endpoint("172.30.56.11") },
    clientCerts: { "client-a": { host: "client", dir: "/root/.mqtt-lab/client-a", certPem: "", privateKeyPem: "" } },
} as unknown as StackOutputs;

describe("the lab command's summary", () => {
    it("puts each check on its own line with its verdict, identity, host and what was seen", () => {
        assert.deepEqual(
            checkLines(outputs).map((c) => `${c.pass ? "PASS" : "FAIL"} ${c.check} ${c.identity} ${c.host}: ${c.seen}`),
            [
                "PASS no-certificate client-a client 172.30.56.11: refused during the handshake",
                "PASS tls-roundtrip client-a client 172.30.56.11: message came back",
                "PASS impostor-ca client-a client 172.30.56.11: refused: unknown ca",
                "PASS no-certificate bob broker 172.30.56.10: refused too",
                "PASS tls-roundtrip bob broker 172.30.56.10: came back on the broker host",
            ],
        );
    });

    it("ends with the report, the broker and the next commands as they can be typed, no JSON", () => {
        const text = renderSummary("lab", outputs, "./lab-out", 0);
        assert.doesNotMatch(text, /\\n|\["/, "no JSON array, no escaped newline");
        assert.match(text, /^Stack lab: 5 of 5 checks pass\.$/m);
        assert.match(text, /^ {2}PASS {2}tls-roundtrip {3}client-a on client 172\.30\.56\.11: message came back$/m);
        assert.match(text, /^Evidence report: \/lab\/evidence\/up-lab\.md$/m);
        assert.match(text, /^Broker: 172\.30\.56\.10:8883 /m);
        assert.match(text, /^ {2}npm run bundle -- client-a \.\/lab-out --stack lab$/m);
        assert.match(
            text,
            /^ {2}mosquitto_sub -h 172\.30\.56\.10 -p 8883 --cafile lab-out\/ca\.crt --cert lab-out\/client\.crt --key lab-out\/client\.key -t '#' -v$/m,
        );
        assert.match(
            text,
            /pulumi config set --path mqtt-lab:pki\.leafRotation 1 --stack lab && pulumi preview --diff --stack lab && pulumi up --yes --policy-pack policies --stack lab/,
        );
        assert.match(text, /^ {2}pulumi destroy --yes --stack lab /m);
    });

    it("offers a bundle folder that npm run bundle accepts (absent or empty)", () => {
        const cwd = mkdtempSync(path.join(tmpdir(), "mqttlab-summary-"));
        try {
            assert.equal(freeFolder(cwd), "./lab-out");
            mkdirSync(path.join(cwd, "lab-out"));
            assert.equal(freeFolder(cwd), "./lab-out");
            writeFileSync(path.join(cwd, "lab-out", "ca.crt"), "x");
            assert.equal(freeFolder(cwd), "./lab-out-2");
        } finally {
            rmSync(cwd, { recursive: true, force: true });
        }
    });
});
