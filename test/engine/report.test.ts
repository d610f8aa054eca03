/**
 * `npm run report` on a real lab, run as the user runs it (a child process with the stack's
 * backend and passphrase): its answers come from what it measured, and change when the lab
 * changes (another check topic, key algorithm, TLS port, and the teaching listener turned off);
 * its pcaps open with `tshark -r` and hold what it says they hold; its HTML renders in headless
 * Chromium; `--reproduce-unknown-ca` gives the seed's `unknown ca` on a throw-away broker, and
 * the same broker accepts a chain of the lab's kind. One lab, two `up`s: CI has 2 cores.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { OutputMap } from "@pulumi/pulumi/automation";
import { containerLabConfig, repoRoot, runForStack, suiteStacks, TestStack } from "../../testkit/engineHarness";
import type { SshEndpoint } from "../../src/outputs";

/** A program this suite needs on this machine (scripts/setup.sh installs both); missing, the suite fails saying so. */
function requireProgram(name: string): void {
    const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    assert.equal(r.status, 0, `${name} is not installed on this machine: scripts/setup.sh installs it (Debian's ${name} package)`);
}

/** What tshark reads in a pcap (stderr aside: tshark warns when it runs as root). */
function tshark(...args: string[]): string {
    return execFileSync("tshark", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
}

/** Headless Chromium on a local file, offline: `--dump-dom` (the rendered DOM) or `--screenshot=FILE`. */
function chromium(file: string, mode: string[]): string {
    const profile = mkdtempSync(path.join(tmpdir(), "mqtt-lab-chromium-"));
    try {
        return execFileSync(
            "chromium",
            [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                `--user-data-dir=${profile}`,
                ...mode,
                `file://${file}`,
            ],
            { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 60_000 },
        );
    } finally {
        rmSync(profile, { recursive: true, force: true });
    }
}

/** The rendered page's text: tags dropped, entities the renderer writes decoded, spaces folded. */
const visibleText = (dom: string) =>
    dom
        .replace(/<style>[\s\S]*?<\/style>/g, "")
        .replace(/<[^>]+>/g, " ")
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&amp;/g, "&")
        .replace(/\s+/g, " ");

describe("The lab report on a deployed lab", () => {
    const stacks = suiteStacks();
    let t: TestStack;
    let outputs: OutputMap;
    const labName = `mqtt-lab-report-${Date.now().toString(36)}`;
    const teachingPassword = `pw-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const evidence = path.join(repoRoot, "evidence");
    const files = () => {
        const base = path.join(evidence, `report-${t.stack.name}`);
        return {
            md: `${base}.md`,
            html: `${base}.html`,
            qmd: `${base}-questions.md`,
            qhtml: `${base}-questions.html`,
            tls: path.join(evidence, `capture-${t.stack.name}-tls.pcap`),
            plain: path.join(evidence, `capture-${t.stack.name}-plaintext.pcap`),
        };
    };
    /** The report as a user runs it: `npm run report` (which compiles first), or the compiled tool again. */
    const report = (how: "npm" | "node", ...extra: string[]) => {
        const args = ["--stack", t.stack.name, ...extra];
        const r =
            how === "npm"
                ? runForStack(t, repoRoot, "npm", ["run", "report", "--", ...args], 300_000)
                : runForStack(t, repoRoot, "node", ["bin/tools/report.js", ...args], 300_000);
        assert.equal(r.code, 0, `npm run report succeeds:\n${r.out}`);
        assert.ok(!r.out.includes(teachingPassword), "the tool never prints the teaching password");
        return { out: r.out, md: readFileSync(files().md, "utf8"), html: readFileSync(files().html, "utf8") };
    };
    const fingerprint = (role: "broker" | "client") => (outputs.ssh.value as Record<string, SshEndpoint>)[role].fingerprint;

    before(async () => {
        requireProgram("tshark");
        requireProgram("chromium");
        t = await stacks(repoRoot, {
            ...containerLabConfig("172.30.240.0/24", labName),
            "mqtt-lab:teachingListener": { value: JSON.stringify({ enabled: true, port: 1883, username: "student" }) },
            "mqtt-lab:teachingPassword": { value: teachingPassword, secret: true },
        });
        const up = await t.stack.up({ color: "never" });
        assert.equal(up.summary.result, "succeeded");
        outputs = up.outputs;
    });
    // What this suite's reports and ups wrote goes with the lab (the pcaps hold its password); the screenshot stays.
    after(() => {
        if (!t) return;
        for (const f of [...Object.values(files()), ...["md", "json"].map((x) => path.join(evidence, `up-${t.stack.name}.${x}`))]) rmSync(f, { force: true });
    });

    let first: { md: string; html: string };

    it("answers the TP from what it measured on the lab's hosts, in French and in English, the password nowhere", () => {
        first = report("npm", "--reproduce-unknown-ca");
        const { md } = first;
        const broker = String(outputs.brokerAddress.value);
        assert.match(md, /^# TP Sécurité : MQTT — rapport mesuré du labo/m);
        assert.match(md, /^# MQTT security lab — the lab's measured report/m);
        // The plaintext leg: the seed's command, its topic, the handshake, the credentials.
        assert.match(md, /\$ tshark -r plaintext\.pcap -d tcp\.port==1883,mqtt -Y mqtt -T fields -e mqtt\.topic\n(\n)*cheese\/strudel\n/);
        assert.match(md, /tshark returns the topic `cheese\/strudel`, read in clear in the PUBLISH on port 1883/);
        assert.match(md, /\[SYN\][\s\S]*\[SYN, ACK\][\s\S]*\[ACK\]/);
        assert.match(md, /The CONNECT carries the username `student` and the password in clear/);
        // The TLS leg: records, no topic.
        assert.match(md, /tshark sees TLS records: Client Hello, Server Hello/);
        assert.match(md, /Absent from the captured bytes: topic `cheese\/strudel`, payload `hello from mqtt-lab [0-9a-f]{8}`/);
        // Measured on the hosts, with the command and host.
        assert.match(md, new RegExp(`broker ${broker.replace(/\./g, "\\.")}, mosquitto: \`mosquitto version 2\\.0\\.11\` \\(\`mosquitto -h\`\\)`));
        assert.match(md, /Measured by `ss -ltn` on broker/);
        assert.match(md, new RegExp(`TCP ports listening on the broker: .*${broker.replace(/\./g, "\\.")}:1883.*:8883`));
        assert.match(md, /id-ecPublicKey keys \(256 bit\)/);
        assert.match(md, /\| X\.509 version \| 3 \| 3 \| 3 \| 1 \(0x0\) \| 1 \(0x0\) \|/);
        assert.match(md, /^100 days \(from /m);
        assert.match(md, /\| subject = issuer \(right for a root CA, the TP's mistake for a leaf\) \| yes \| no \| no \| yes \| no \|/);
        assert.match(md, /Verify return code: 0 \(ok\)/);
        assert.ok(md.includes(fingerprint("broker")) && md.includes(fingerprint("client")), "the pinned fingerprints");
        assert.match(md, /640 root:mosquitto \/etc\/mosquitto\/mqtt-lab\/server\.key/);
        assert.match(md, /600 root:root \/root\/\.mqtt-lab\/client-a\/client\.key/);
        assert.match(md, /\| tls-roundtrip \| client-a \| client \| pass \| client-a published and received on mqtt-lab-check\/[0-9a-f-]+ over TLS/);
        // The seed's unknown ca, and its positive control on the same throw-away broker.
        assert.match(md, /OpenSSL Error\[0\]: error:0A000418:SSL routines::tlsv1 alert unknown ca/);
        assert.match(md, /self-signed certificate/);
        assert.match(md, /Reproduced on a throw-away broker \(mosquitto_pub exits with code [1-9]\d*\)/);
        assert.match(md, /Positive control, same broker, .*: mosquitto_pub exits with code 0\./);
        assert.match(md, /New client connected from 127\.0\.0\.1/);
        for (const f of [files().md, files().html, files().qmd, files().qhtml])
            assert.ok(!readFileSync(f, "utf8").includes(teachingPassword), `${f} never holds the password`);
        const questions = readFileSync(files().qmd, "utf8");
        assert.match(questions, /Publiez un nouveau message sur le topic « cheese\/strudel »/);
        assert.doesNotMatch(questions, /Measured by|Mesuré par|172\.30\.240\./, "the questions-only version has no answer");
    });

    it("keeps both captures 0600, and they open with tshark -r and hold what the report says", () => {
        const { tls, plain } = files();
        for (const f of [tls, plain]) assert.equal(statSync(f).mode & 0o777, 0o600, `${f} is 0600`);
        // The plaintext capture: the seed's command finds the topic; it holds the password, as the report says.
        assert.deepEqual(tshark("-r", plain, "-Y", "mqtt", "-T", "fields", "-e", "mqtt.topic").split("\n").filter(Boolean), ["cheese/strudel"]);
        assert.ok(readFileSync(plain).includes(teachingPassword), "the plaintext pcap holds the teaching password");
        assert.match(first.md, /capture-[\w-]+-plaintext\.pcap` \(mode 0600\): the plaintext publish, \d+ packets; it holds the teaching password in clear/);
        const plainFrames = tshark("-r", plain).split("\n").filter(Boolean).length;
        assert.match(first.md, new RegExp(`the plaintext publish, ${plainFrames} packets`), "the report's packet count is what tshark reads");
        // The TLS capture: TLS records, no MQTT topic, neither topic nor payload in its bytes.
        assert.ok(tshark("-r", tls, "-d", "tcp.port==8883,tls", "-Y", "tls").split("\n").filter(Boolean).length > 3, "TLS records");
        assert.deepEqual(tshark("-r", tls, "-d", "tcp.port==8883,tls", "-Y", "mqtt", "-T", "fields", "-e", "mqtt.topic").split("\n").filter(Boolean), []);
        assert.ok(!readFileSync(tls).includes("cheese/strudel"), "no topic in the TLS capture's bytes");
        const tlsFrames = tshark("-r", tls).split("\n").filter(Boolean).length;
        assert.match(first.md, new RegExp(`the publish on the TLS port, ${tlsFrames} packets`));
    });

    it("renders in headless Chromium with its tables and answers, and keeps a screenshot", () => {
        const text = visibleText(chromium(files().html, ["--dump-dom"]));
        for (const words of [
            "Certificates: the lab beside the TP",
            "X.509 version",
            "lab broker (served)",
            "tshark returns the topic cheese/strudel",
            "Certificats : le labo à côté du TP",
            "1. Le TCP Handshake est-il présent dans votre capture ?",
            "TCP ports listening on the broker:",
            "tlsv1 alert unknown ca",
        ]) {
            assert.ok(text.includes(words), `the rendered page says "${words}"`);
        }
        // The artifact: evidence/report-screenshot.png (git-ignored, overwritten by the next run).
        const shot = path.join(evidence, "report-screenshot.png");
        mkdirSync(evidence, { recursive: true });
        rmSync(shot, { force: true });
        chromium(files().html, [`--screenshot=${shot}`, "--window-size=1280,4000"]);
        const png = readFileSync(shot);
        assert.equal(png.subarray(1, 4).toString(), "PNG", `${shot} is a PNG`);
        assert.equal(png.readUInt32BE(16), 1280, "as wide as the window");
        console.log(`screenshot kept: ${shot}`);
    });

    it("changes with the lab: another check topic, key algorithm and TLS port, and the teaching listener off", async () => {
        await t.stack.setConfig("mqtt-lab:clients", { value: JSON.stringify([{ name: "client-a", topics: ["plant/+/temp"], host: "client" }]) });
        await t.stack.setConfig("mqtt-lab:pki", { value: JSON.stringify({ algorithm: "RSA", rsaBits: 3072 }) });
        await t.stack.setConfig("mqtt-lab:tlsPort", { value: "8884" });
        await t.stack.setConfig("mqtt-lab:teachingListener", { value: JSON.stringify({ enabled: false }) });
        const up = await t.stack.up({ color: "never" });
        assert.equal(up.summary.result, "succeeded");
        outputs = up.outputs;
        const { md } = report("node");
        assert.notEqual(md, first.md);
        assert.match(md, /rsaEncryption keys \(3072 bit\)/);
        assert.doesNotMatch(md, /id-ecPublicKey keys/);
        assert.match(md, /\| key algorithm and size \| rsaEncryption, 3072 bit \| rsaEncryption, 3072 bit \| rsaEncryption, 3072 bit \|/);
        assert.match(md, /TCP ports listening on the broker: [^\n]*:8884/);
        assert.doesNotMatch(md, /TCP ports listening on the broker: [^\n]*:(8883|1883)\b/);
        assert.match(md, /mosquitto_pub -h [\d.]+ -p 8884 .* -t plant\/x\/temp -m 'hello from mqtt-lab [0-9a-f]{8}' -d/);
        assert.match(md, /Absent from the captured bytes: topic `plant\/x\/temp`/);
        assert.match(md, /\| tls-roundtrip \| client-a \| client \| pass \| client-a published and received on plant\/x\/temp over TLS/);
        // The plaintext leg is missing, said so, with the commands that turn it on; its old capture is gone.
        assert.match(md, /\*\*Missing measurement\*\*: the \(plaintext\) teaching listener is off, so the plaintext leg was not captured/);
        assert.match(md, new RegExp(`pulumi config set --path mqtt-lab:teachingListener\\.enabled true --stack ${t.stack.name}`));
        assert.match(md, new RegExp(`pulumi up --yes --policy-pack policies --stack ${t.stack.name}`));
        assert.doesNotMatch(md, /tshark returns the topic/);
        assert.match(md, /The capture of the TLS port 8884 answers it: TCP is set up before TLS\.\n\nYes: the three frames of the TCP handshake/);
        assert.ok(!existsSync(files().plain), "the plaintext capture (and the password in it) is gone");
        assert.match(md, /Not reproduced in this report: `npm run report -- --reproduce-unknown-ca`/);
        assert.ok(tshark("-r", files().tls, "-d", "tcp.port==8884,tls", "-Y", "tls").split("\n").filter(Boolean).length > 3, "TLS records on 8884");
        assert.ok(!readFileSync(files().tls).includes("plant/x/temp"));
    });
});
