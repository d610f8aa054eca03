import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCheckRun, redact, renderEvidenceJson, renderEvidenceMarkdown } from "../../src/evidence/report";

const run = {
    identity: "client-a",
    host: "client 172.30.56.11",
    stdout: "PASS tls-roundtrip: client-a published and received on t over TLS (QoS 1)\nnoise\nPASS plaintext-refused: port 1883 refused (Connection refused)\n",
    stderr: "mqtt-lab check failed on host client: no-certificate: refused only at the MQTT CONNECT step; the client saw: Connection Refused: not authorised.\n",
    code: 1,
};

describe("evidence report", () => {
    it("reads every passing and failing check of a run, with what was seen", () => {
        const out = parseCheckRun(run);
        assert.deepEqual(
            out.map((o) => [o.check, o.pass]),
            [
                ["tls-roundtrip", true],
                ["plaintext-refused", true],
                ["no-certificate", false],
            ],
        );
        assert.match(out[2].seen, /MQTT CONNECT step/);
    });

    it("reports a script that failed without naming a check", () => {
        const out = parseCheckRun({ ...run, stdout: "", stderr: "bash: mosquitto_pub: command not found\n", code: 127 });
        assert.deepEqual(out, [{ check: "script", identity: "client-a", host: run.host, pass: false, seen: "bash: mosquitto_pub: command not found" }]);
    });

    it("redacts a password seen in clear, saying it was seen", () => {
        assert.equal(redact("CONNECT user student password s3cret", ["s3cret"]), "CONNECT user student password [redacted: seen in clear]");
        const out = parseCheckRun({ ...run, stdout: "PASS leak-shown: tshark saw password s3cret\n", stderr: "", code: 0 }, ["s3cret"]);
        assert.ok(!JSON.stringify(out).includes("s3cret"));
        assert.match(out[0].seen, /\[redacted: seen in clear\]/);
    });

    it("renders Markdown with counts and one row per outcome, and JSON that round-trips", () => {
        const report = { stack: "lab", when: "2026-11-25T12:00:00Z", broker: "172.30.56.10:8883", outcomes: parseCheckRun(run) };
        const md = renderEvidenceMarkdown(report);
        assert.match(md, /2 passed, 1 failed/);
        assert.equal((md.match(/^\| (tls-roundtrip|plaintext-refused|no-certificate) \|/gm) ?? []).length, 3);
        assert.match(md, /\| no-certificate \| client-a \| client 172\.30\.56\.11 \| \*\*FAIL\*\* \|/);
        assert.deepEqual(JSON.parse(renderEvidenceJson(report)), report);
    });
});
