/**
 * The lab report's pure parts: what the host scripts print read back (openssl, tshark, stat), the
 * measurements assembled from it, and the renderers (Markdown, HTML, questions only) in French
 * and English: answers only from measurements, a missing one shown as missing, the teaching
 * password never in a report file.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { composedScriptOf, headerIsData, headerValues, remoteFile, scriptLibraries, unwrapBashC } from "../../src/remote/compose";
import { reportBrokerScript, reportClientScript, tlsLegTopic, unknownCaScript } from "../../src/remote/reportScripts";
import { assembleMeasurements, AssembleInput } from "../../src/report/assemble";
import { daysBetween, handshakeFrames, parseSections, parseX509Text, tlsRecordKinds } from "../../src/report/hostOutput";
import { renderHtml } from "../../src/report/html";
import { renderMarkdown } from "../../src/report/markdown";
import { renderQuestionsHtml, renderQuestionsMarkdown } from "../../src/report/questions";
import { questionOrder, texts } from "../../src/report/text";

const password = "s3cret-teaching-pw";

const x509 = (o: { version: string; subject: string; issuer: string; key: string; bits: string; from: string; to: string; san?: string; ca?: boolean }) =>
    [
        "Certificate:",
        "    Data:",
        `        Version: ${o.version}`,
        "        Serial Number:",
        "            72:e9:8e:4e",
        `        Signature Algorithm: ${o.key === "rsaEncryption" ? "sha256WithRSAEncryption" : "ecdsa-with-SHA256"}`,
        `        Issuer: ${o.issuer}`,
        "        Validity",
        `            Not Before: ${o.from}`,
        `            Not After : ${o.to}`,
        `        Subject: ${o.subject}`,
        "        Subject Public Key Info:",
        `            Public Key Algorithm: ${o.key}`,
        `                Public-Key: (${o.bits})`,
        ...(o.san || o.ca !== undefined ? ["        X509v3 extensions:"] : []),
        ...(o.san ? ["            X509v3 Subject Alternative Name: ", `                ${o.san}`] : []),
        ...(o.ca !== undefined ? ["            X509v3 Basic Constraints: critical", `                CA:${o.ca ? "TRUE" : "FALSE"}`] : []),
    ].join("\n");

const caText = x509({
    version: "3 (0x2)",
    subject: "O = lab, CN = lab CA generation 1",
    issuer: "O = lab, CN = lab CA generation 1",
    key: "id-ecPublicKey",
    bits: "256 bit",
    from: "Dec  4 05:05:30 2026 GMT",
    to: "Dec  3 05:05:30 2028 GMT",
    ca: true,
});
const brokerText = (key = "id-ecPublicKey", bits = "256 bit") =>
    x509({
        version: "3 (0x2)",
        subject: "O = lab, OU = broker, CN = broker.mqtt-lab.internal",
        issuer: "O = lab, CN = lab CA generation 1",
        key,
        bits,
        from: "Dec  4 05:05:30 2026 GMT",
        to: "Mar 14 05:05:30 2027 GMT",
        san: "DNS:broker.mqtt-lab.internal, IP Address:172.30.56.10",
        ca: false,
    });

const section = (name: string, ...lines: string[]) => [`=== report ${name}`, ...lines].join("\n");
const plainFrames = [
    "    1   0.000000 172.30.56.11 → 172.30.56.10 TCP 76 58216 → 1883 [SYN] Seq=0",
    "    2   0.000051 172.30.56.10 → 172.30.56.11 TCP 76 1883 → 58216 [SYN, ACK] Seq=0 Ack=1",
    "    3   0.000064 172.30.56.11 → 172.30.56.10 TCP 68 58216 → 1883 [ACK] Seq=1 Ack=1",
    "    4   0.001000 172.30.56.11 → 172.30.56.10 MQTT 120 Connect Command",
    "    5   0.002000 172.30.56.11 → 172.30.56.10 MQTT 90 Publish Message [cheese/strudel]",
    `    6   0.003000 172.30.56.11 → 172.30.56.10 MQTT 70 Disconnect Req ${password}`,
    "    7   0.004000 172.30.56.11 → 172.30.56.10 TCP 68 58216 → 1883 [FIN, ACK] Seq=40",
];
const tlsFrames = [
    "    1   0.000000 172.30.56.11 → 172.30.56.10 TCP 76 37776 → 8883 [SYN] Seq=0",
    "    2   0.000049 172.30.56.10 → 172.30.56.11 TCP 76 8883 → 37776 [SYN, ACK] Seq=0 Ack=1",
    "    3   0.000058 172.30.56.11 → 172.30.56.10 TCP 68 37776 → 8883 [ACK] Seq=1 Ack=1",
    "    4   0.002933 172.30.56.11 → 172.30.56.10 TLSv1 383 Client Hello",
    "    6   0.003507 172.30.56.10 → 172.30.56.11 TLSv1.3 1521 Server Hello, Change Cipher Spec, Application Data",
];

function clientOutput(o: { plaintext: boolean; broker?: string }): string {
    const leg = (name: string, port: number, topic: string, frames: string[], seedOut: string[], clear: boolean) => [
        section(`${name}-publish-command`, `mosquitto_pub -h 172.30.56.10 -p ${port} -t ${topic} -m 'hello 1' -d`),
        section(`${name}-publish`, "exit 0", "Client null sending CONNECT"),
        section(`${name}-packets`, String(frames.length)),
        section(`${name}-seed-command`, `tshark -r ${name}.pcap -d tcp.port==${port},mqtt -Y mqtt -T fields -e mqtt.topic`),
        section(`${name}-seed-output`, ...seedOut),
        section(`${name}-frames-command`, `tshark -r ${name}.pcap`),
        section(`${name}-frames`, ...frames),
        section(
            `${name}-in-clear`,
            clear ? `topic ${topic}` : "topic none",
            clear ? "payload hello 1" : "payload none",
            name === "tls" ? "marker end" : "marker none",
        ),
    ];
    return [
        section("hostname", "client"),
        section("openssl-version", "OpenSSL 3.0.20 7 Apr 2026"),
        section("mosquitto-version", "mosquitto_pub version 2.0.11 running on libmosquitto 2.0.11."),
        section("stat", "700 root:root /root/.mqtt-lab/client-a", "600 root:root /root/.mqtt-lab/client-a/client.key"),
        section("s-client-command", "openssl s_client -connect 172.30.56.10:8883 -showcerts"),
        section("s-client", "0 s:O = lab, OU = broker", "New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256", "Verify return code: 0 (ok)"),
        section("cert-served-1", o.broker ?? brokerText()),
        section("cert-served-2", caText),
        section(
            "cert-client",
            x509({
                version: "3 (0x2)",
                subject: "O = lab, CN = client-a",
                issuer: "O = lab, CN = lab CA generation 1",
                key: "id-ecPublicKey",
                bits: "256 bit",
                from: "Dec  4 05:05:30 2026 GMT",
                to: "Mar 14 05:05:30 2027 GMT",
                ca: false,
            }),
        ),
        section("cert-ca", caText),
        ...leg("tls", 8883, "cheese/strudel", tlsFrames, [""], false),
        ...(o.plaintext
            ? [
                  ...leg("plaintext", 1883, "cheese/strudel", plainFrames, ["", "cheese/strudel", ""], true),
                  section("plaintext-connect-command", "tshark … -e mqtt.passwd"),
                  section("plaintext-connect", "username student", "password the teaching password"),
              ]
            : []),
    ].join("\n");
}

const brokerOutput = [
    section("hostname", "broker"),
    section("openssl-version", "OpenSSL 3.0.20 7 Apr 2026"),
    section("mosquitto-version", "mosquitto version 2.0.11"),
    section(
        "ss",
        "State Recv-Q Send-Q Local Address:Port Peer Address:Port",
        "LISTEN 0 100 0.0.0.0:8883 0.0.0.0:*",
        "LISTEN 0 100 172.30.56.10:1883 0.0.0.0:*",
    ),
    section("stat", "640 root:mosquitto /etc/mosquitto/mqtt-lab/server.key"),
].join("\n");

function input(over: Partial<AssembleInput> & { plaintext?: boolean; brokerCert?: string } = {}): AssembleInput {
    const plaintext = over.plaintext ?? true;
    return {
        stack: "lab",
        when: "2026-12-04T05:11:07Z",
        brokerAddress: "172.30.56.10",
        tlsPort: 8883,
        teachingPort: plaintext ? 1883 : null,
        teachingUser: plaintext ? "student" : null,
        identity: "client-a",
        tlsTopic: "cheese/strudel",
        plainTopic: "cheese/strudel",
        payload: "hello 1",
        broker: { role: "broker", address: "172.30.56.10", user: "root", fingerprint: "SHA256:brokerfp", sections: parseSections(brokerOutput) },
        client: {
            role: "client",
            address: "172.30.56.11",
            user: "root",
            fingerprint: "SHA256:clientfp",
            sections: parseSections(clientOutput({ plaintext, broker: over.brokerCert })),
        },
        scripts: { broker: "remote/report-broker.sh", client: "remote/report-client.sh" },
        pcapFiles: { tls: "evidence/capture-lab-tls.pcap", plaintext: plaintext ? "evidence/capture-lab-plaintext.pcap" : "" },
        teachingOnCommands: [
            "pulumi config set --path mqtt-lab:teachingListener.enabled true --stack lab",
            "pulumi up --yes --policy-pack policies --stack lab",
        ],
        checks: {
            file: "evidence/up-lab.json",
            when: "2026-12-04T05:05:35Z",
            outcomes: [{ check: "capture-tls", identity: "client-a", host: "client", pass: true, seen: "156 packets" }],
        },
        unknownCa: "not reproduced in this run",
        ...over,
    };
}

describe("what the report's host scripts print, read back", () => {
    it("reads the seed's X.509 v1 certificate: version 1, the CA's subject, RSA 2048, 100 days, no basicConstraints", () => {
        const c = parseX509Text(
            x509({
                version: "1 (0x0)",
                subject: "C = FR, ST = France, O = ISIS",
                issuer: "C = FR, ST = France, O = ISIS",
                key: "rsaEncryption",
                bits: "2048 bit",
                from: "Jun  1 15:17:29 2022 GMT",
                to: "Sep  9 15:17:29 2022 GMT",
            }),
        );
        assert.ok(c);
        assert.equal(c.version, 1);
        assert.equal(c.subject, c.issuer);
        assert.equal(c.keyAlgorithm, "rsaEncryption");
        assert.equal(c.keySize, "2048 bit");
        assert.equal(c.validityDays, 100);
        assert.equal(c.isCa, undefined);
        assert.deepEqual(c.sans, []);
    });

    it("reads a lab leaf: version 3, its SANs, CA:FALSE", () => {
        const c = parseX509Text(brokerText());
        assert.equal(c?.version, 3);
        assert.deepEqual(c?.sans, ["DNS:broker.mqtt-lab.internal", "IP Address:172.30.56.10"]);
        assert.equal(c?.isCa, false);
        assert.equal(parseX509Text("unable to load certificate"), undefined);
    });

    it("finds the TCP handshake and the teardown among tshark's frame lines, and the TLS records", () => {
        const { handshake, teardown } = handshakeFrames(plainFrames);
        assert.deepEqual(
            handshake.map((f) => /\[(.*?)\]/.exec(f)?.[1]),
            ["SYN", "SYN, ACK", "ACK"],
        );
        assert.equal(teardown.length, 1);
        assert.deepEqual(handshakeFrames(plainFrames.slice(1)).handshake, [], "no SYN, no handshake");
        assert.deepEqual(tlsRecordKinds(tlsFrames), ["Client Hello", "Server Hello", "Change Cipher Spec", "Application Data"]);
        assert.equal(daysBetween("Dec  4 05:05:30 2026 GMT", "Mar 14 05:05:30 2027 GMT"), 100);
    });
});

describe("the report's host scripts", () => {
    it("are the program's own scripts with a data header (the policy pack's test), the password nowhere in them", () => {
        const client = reportClientScript({
            brokerAddress: "172.30.56.10",
            tlsPort: 8883,
            teachingPort: 1883,
            teachingUser: "student",
            identity: "client-a",
            topics: ["#"],
            payload: "hello 1",
            asRoot: false,
        });
        assert.equal(composedScriptOf(client), "report-client");
        assert.equal(composedScriptOf(reportBrokerScript({ asRoot: true })), "report-broker");
        assert.match(unknownCaScript(), /^FIRST_PORT='8883'$/m);
        assert.equal(headerValues(unwrapBashC(client)).PLAIN_TOPIC, "cheese/strudel");
    });

    it("send a data header ahead of remote/lib.sh and the script, kept as snapshots (UPDATE_SNAPSHOTS=1 rewrites them)", () => {
        const snapshots = path.resolve(__dirname, "..", "..", "..", "test", "unit", "snapshots");
        const sent: [string, string, string][] = [
            [
                "report-client",
                "report-client",
                unwrapBashC(
                    reportClientScript({
                        brokerAddress: "172.30.56.10",
                        tlsPort: 8883,
                        teachingPort: 1883,
                        teachingUser: "student",
                        identity: "client-a",
                        topics: ["lab/#"],
                        payload: "hello from mqtt-lab 00000000",
                        asRoot: true,
                    }),
                ),
            ],
            ["report-broker", "report-broker", unwrapBashC(reportBrokerScript({ asRoot: false }))],
            ["unknown-ca", "unknown-ca", unknownCaScript()],
        ];
        for (const [name, script, text] of sent) {
            const tail = ["", ...scriptLibraries(script).map(remoteFile), remoteFile(script)].join("\n");
            assert.ok(text.endsWith(tail), `${name}: the script as it is in the repository`);
            const header = text.slice(0, text.length - tail.length);
            assert.ok(headerIsData(header), `${name}: the header holds data, not code`);
            const file = path.join(snapshots, `${name}.header.txt`);
            if (process.env.UPDATE_SNAPSHOTS === "1" || !existsSync(file)) {
                assert.notEqual(process.env.CI, "true", `snapshot ${file} is missing: run the unit tests with UPDATE_SNAPSHOTS=1 and commit it`);
                writeFileSync(file, header);
            }
            assert.equal(header, readFileSync(file, "utf8"), `what is sent changed: review it, then UPDATE_SNAPSHOTS=1 (${file})`);
        }
    });

    it("never put the teaching password on a command line of the client host: only the shell reads it, programs get files", () => {
        const body = remoteFile("report-client");
        const uses = body.split("\n").filter((l) => l.includes("teaching-password") && !l.trim().startsWith("#"));
        assert.deepEqual(
            uses.map((l) => l.trim()),
            [
                `printf -- '-u %s\\n-P %s\\n' "$TEACHING_USER" "$(<"$priv/teaching-password")" > "$priv/mosquitto_pub"`,
                `if cut -f2 "$priv/connect" | grep -q -x -F -f "$priv/teaching-password"; then echo "password the teaching password"`,
            ],
            "printf (a builtin) writes the options file; grep reads a pattern file",
        );
        assert.doesNotMatch(body, / -P "?\$/, "no -P option with a value on a command line");
        assert.match(
            body,
            /^priv=\$\(run_dir\)\nremove_on_exit "\$priv"\nread_bundle "\$priv"\nexec <\/dev\/null$/m,
            "stdin into the run's private folder, removed on exit",
        );
    });

    it("publishes on cheese/strudel over TLS when the identity's ACL allows it, else on the identity's own topic", () => {
        assert.equal(tlsLegTopic(["#"]), "cheese/strudel");
        assert.equal(tlsLegTopic(["cheese/+"]), "cheese/strudel");
        assert.equal(tlsLegTopic(["plant/+/temp"]), "plant/x/temp");
    });
});

describe("the report", () => {
    it("answers in French and in English, each answer from a measurement with its command and host", () => {
        const md = renderMarkdown(assembleMeasurements(input()), [password]);
        for (const q of questionOrder) {
            assert.ok(md.includes(texts.fr.questions[q]), `French question ${q}`);
            assert.ok(md.includes(texts.en.questions[q]), `English question ${q}`);
        }
        assert.match(md, /tshark retourne le topic `cheese\/strudel`/);
        assert.match(md, /tshark returns the topic `cheese\/strudel`/);
        assert.match(md, /\[SYN, ACK\]/);
        assert.match(md, /Mesuré par `ss -ltn` sur broker 172\.30\.56\.10\./);
        assert.match(md, /Measured by `openssl version` on|`OpenSSL 3\.0\.20 7 Apr 2026` \(`openssl version`\)/);
        assert.match(md, /TCP ports listening on the broker: 0\.0\.0\.0:8883, 172\.30\.56\.10:1883\./);
        assert.match(md, /\| X\.509 version \| 3 \| 3 \| 3 \| 1 \(0x0\) \| 1 \(0x0\) \|/, "the lab's versions beside the seed's");
        assert.match(md, /\| validity \(days\) \| 730 \| 100 \| 100 \|/);
        assert.match(md, /\| subject = issuer \(right for a root CA, the TP's mistake for a leaf\) \| yes \| no \| no \| yes \| no \|/);
        assert.match(md, /SHA256:brokerfp/);
        assert.match(md, /\| capture-tls \| client-a \| client \| pass \| 156 packets \|/);
        assert.match(md, /Not reproduced in this report: `npm run report -- --reproduce-unknown-ca`/);
    });

    it("follows the measurements: another key algorithm is another answer", () => {
        const ec = renderMarkdown(assembleMeasurements(input()), []);
        const rsa = renderMarkdown(assembleMeasurements(input({ brokerCert: brokerText("rsaEncryption", "2048 bit") })), []);
        assert.match(ec, /id-ecPublicKey keys \(256 bit\)/);
        assert.match(rsa, /rsaEncryption keys \(2048 bit\)/);
        assert.doesNotMatch(rsa, /id-ecPublicKey keys/);
    });

    it("shows the plaintext leg as missing when the teaching listener is off, with the commands that turn it on", () => {
        const md = renderMarkdown(assembleMeasurements(input({ plaintext: false })), []);
        assert.match(md, /\*\*Mesure manquante\*\* : le listener pédagogique \(en clair\) est désactivé/);
        assert.match(md, /\*\*Missing measurement\*\*: the \(plaintext\) teaching listener is off/);
        assert.match(md, /pulumi config set --path mqtt-lab:teachingListener\.enabled true --stack lab/);
        assert.match(md, /pulumi up --yes --policy-pack policies --stack lab/);
        assert.doesNotMatch(md, /tshark returns the topic/, "no plaintext answer is made up");
        assert.match(md, /no plaintext capture \(teaching listener off\)/);
        assert.match(
            md,
            /The capture of the TLS port 8883 answers it: TCP is set up before TLS\.\n\nYes: the three frames of the TCP handshake/,
            "the handshake from the leg that was measured",
        );
        assert.equal(md.split("pulumi config set --path mqtt-lab:teachingListener.enabled true").length - 1, 2, "the commands once a language");
    });

    it("shows every measurement of an unreachable host as missing, never filled in", () => {
        const m = assembleMeasurements(
            input({ broker: { role: "broker", address: "172.30.56.10", user: "root", fingerprint: "SHA256:brokerfp", unreachable: "no route to host" } }),
        );
        assert.equal(m.broker.openssl.ok, false);
        assert.equal(m.listening.ok, false);
        const md = renderMarkdown(m, []);
        assert.match(md, /\*\*Missing measurement\*\*: the broker host could not be reached: no route to host \(ss -ltn, broker 172\.30\.56\.10\)/);
        assert.doesNotMatch(md, /mosquitto version 2\.0\.11/, "the broker's version is not guessed");
    });

    it("never holds the teaching password, in Markdown or HTML, and says it crossed in clear", () => {
        const m = assembleMeasurements(input());
        const md = renderMarkdown(m, [password]);
        const html = renderHtml(m, [password]);
        assert.ok(!md.includes(password) && !html.includes(password));
        assert.match(md, /\[redacted: seen in clear\]/, "the frame that held it is marked");
        assert.match(md, /The CONNECT carries the username `student` and the password in clear \(the teaching listener's password; redacted/);
        assert.match(md, /holds the teaching password in clear/);
    });

    it("is one self-contained HTML page: inline CSS, no script, nothing fetched", () => {
        const html = renderHtml(assembleMeasurements(input()), []);
        assert.match(html, /^<!DOCTYPE html>/);
        assert.match(html, /<style>/);
        assert.doesNotMatch(html, /<script|<link|<img|<iframe|src=|url\(|@import|href="(?!#)/i);
        assert.match(html, /<section id="fr" lang="fr">/);
        assert.match(html, /<section id="en" lang="en">/);
        assert.match(html, /<td>1 \(0x0\)<\/td>/);
    });

    it("gives the teacher the questions only: every question in both languages, no answer, no measurement", () => {
        for (const text of [renderQuestionsMarkdown(), renderQuestionsHtml()]) {
            for (const q of questionOrder) {
                assert.ok(text.includes(texts.fr.questions[q].replace(/'/g, "'")) || text.includes(texts.fr.questions[q].replace(/'/g, "&#39;")), q);
                assert.ok(text.includes(texts.en.questions[q]) || text.includes(texts.en.questions[q].replace(/"/g, "&quot;")), q);
            }
            assert.doesNotMatch(text, /Mesuré par|Measured by|172\.30\.|SHA256:|OpenSSL 3|tshark retourne|tshark returns|Le TP d'origine|The original TP/);
        }
    });
});
