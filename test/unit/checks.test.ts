/**
 * The pure parts of the checks: MQTT topic matching for the ACL check, the topic it picks outside
 * an identity's patterns, and the forgeries script run for real with openssl (it runs on the
 * machine running Pulumi, so it needs no host).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { checkInput, clientChecksScript, topicMatches, topicOutside } from "../../src/remote/checkScripts";
import { forgeriesScript, forgeryOutputs } from "../../src/pki/forgeries";
import { parseBundle, renderBundle } from "../../src/remote/hostScripts";
import { headerHeredocs, headerValues, remoteFile, unwrapBashC } from "../../src/remote/compose";
import { OpensslPki } from "../../testkit/labHosts";

describe("topicMatches", () => {
    const cases: [string, string, boolean][] = [
        ["#", "a/b", true],
        ["a/#", "a", true],
        ["a/#", "a/b/c", true],
        ["a/#", "b/a", false],
        ["a/+", "a/b", true],
        ["a/+", "a/b/c", false],
        ["+/+", "a/b", true],
        ["+/+", "a", false],
        ["a/b", "a/b", true],
        ["a/b", "a/c", false],
        ["+/#", "x", true],
        ["a/+/c", "a/b/c", true],
    ];
    for (const [p, t, want] of cases) it(`${p} ${want ? "matches" : "does not match"} ${t}`, () => assert.equal(topicMatches(p, t), want));
});

describe("topicOutside", () => {
    it("finds a topic none of the patterns allows", () => {
        for (const patterns of [["lab/#"], ["lab/+", "sensors/#"], ["+/+"], ["+/+/+/+"], ["mqtt-lab-acl-outside/#"]]) {
            const t = topicOutside(patterns, "n1");
            assert.ok(t, `a topic outside ${patterns}`);
            assert.ok(!patterns.some((p) => topicMatches(p, t)), `${t} is outside ${patterns}`);
        }
    });
    it("finds none when the patterns allow every topic", () => {
        assert.equal(topicOutside(["#"], "n1"), undefined);
        assert.equal(topicOutside(["+/#", "+"], "n1"), undefined);
    });
    // The scripts are remote/client-checks.sh and remote/refusal-checks.sh (sent ahead of it); what
    // changes per host and identity is the data in their header, which these tests read back.
    const header = (script: string) => ({ ...headerValues(unwrapBashC(script)), ...headerHeredocs(unwrapBashC(script)) });
    const base = { brokerAddress: "203.0.113.1", tlsPort: 8883, plaintextPort: 1883 };
    it("plans the ACL check only for identities with something outside their ACL", () => {
        const h = header(
            clientChecksScript({
                ...base,
                identities: [
                    { name: "a", topics: ["lab/#"] },
                    { name: "b", topics: ["#"] },
                    { name: "c", topics: ["x/+"] },
                ],
            }),
        );
        const outside = h.ACL_OUTSIDE.split("\n").slice(0, -1);
        assert.equal(outside.length, 3, "one line per identity, an empty one included");
        assert.match(outside[0], /^mqtt-lab-acl-outside/);
        assert.equal(outside[1], "");
        assert.match(outside[2], /^mqtt-lab-acl-outside/);
        assert.match(remoteFile("client-checks"), /^ {2}\[ -n "\$outside" \] && \{ check_acl \|\| true; \}$/m, "an empty line skips the check");
    });
    it("checks every identity of a host in one script, the host's own checks once, with the first identity's files", () => {
        const h = header(
            clientChecksScript({
                ...base,
                identities: [
                    { name: "a", topics: ["#"] },
                    { name: "b", topics: ["lab/+"] },
                ],
            }),
        );
        assert.equal(h.IDENTITIES, "a\nb\n");
        assert.equal(h.TOPIC_TEMPLATES, "mqtt-lab-check/NONCE\nlab/x\n");
        assert.equal(h.CLIENTS_DIR, ".mqtt-lab");
        assert.throws(() => clientChecksScript({ ...base, identities: [] }), /at least one identity/);
        const body = remoteFile("client-checks");
        const identity = /^check_identity\(\) \{\n([\s\S]*?)\n\}$/m.exec(body)?.[1] ?? "";
        assert.deepEqual(identity.match(/check_\w+(?= \|\| true)/g), ["check_tls_roundtrip", "check_client_validity", "check_clock", "check_acl"]);
        for (const fn of ["check_no_certificate", "check_plaintext", "check_server_chain"])
            assert.match(body, new RegExp(`^${fn} \\|\\| true$`, "m"), `${fn} runs once for the host`);
        assert.match(body, /^D="\$HOME\/\$CLIENTS_DIR\/\$\{names\[0\]\}"$/m, "the host's checks use its first identity's files");
        assert.match(body, /wait -n -p finished "\$\{running\[@\]\}"/, "at most PARALLEL identities at once");
        assert.equal(h.PARALLEL, "4");
    });
    it("captures the TLS port for the whole run and looks for every identity's topic and payload in one pass", () => {
        const body = remoteFile("client-checks");
        assert.match(body, /for n in "\$\{!names\[@\]\}"; do topic_of "\$n"; echo; message_of "\$n"; echo; done > "\$priv\/needles"/);
        assert.match(body, /hits=\$\(grep -a -o -F -f "\$priv\/needles" "\$pcap"/);
        // The capture stops only after every identity's publishes and the refusals.
        assert.match(
            body,
            /wait "\$identities_run" \|\| true\n.*wait "\$refusals_run".*\n.*\n\[ "\$CAPTURE_TLS" = yes \] && \{ check_capture_tls \|\| true; \}/,
        );
    });
    it("checks the host clock against the certificate, and captures the teaching port only when it is on, reading its password from stdin", () => {
        const one = { ...base, identities: [{ name: "a", topics: ["#"] }] };
        assert.equal(header(clientChecksScript(one)).CAPTURE_PLAINTEXT, "no");
        const on = header(clientChecksScript({ ...one, teachingPort: 1884, teachingUser: "student" }));
        assert.deepEqual([on.CAPTURE_PLAINTEXT, on.PLAIN_PORT, on.PLAIN_CHECK, on.TEACHING_USER], ["yes", "1884", "anonymous-refused", "student"]);
        assert.match(
            remoteFile("client-checks"),
            /^priv=\$\(run_dir\)\nremove_on_exit "\$priv"\nread_bundle "\$priv"\nexec <\/dev\/null$/m,
            "the bundle is read first (run_dir reads no stdin), into the private directory, and nothing else reads stdin",
        );
        // Never on a command line: only shell builtins (read, printf, [) touch the variable; clients
        // read it from their options file, grep from a pattern file (test/containers/argv.test.ts records it).
        const uses = remoteFile("client-checks")
            .split("\n")
            .filter((l) => l.includes("TEACH_PW") && !l.trim().startsWith("#"));
        assert.deepEqual(
            uses.map((l) => l.trim().split(/[ =]/)[0]),
            ["TEACH_PW", "printf", "["],
            uses.join("\n"),
        );
        assert.match(remoteFile("client-checks"), /TEACH_PW=\$\(<"\$priv\/teaching-password"\)/, "read by the shell itself, no program");
        assert.match(remoteFile("client-checks"), /printf -- '-u %s\\n-P %s\\n' "\$TEACHING_USER" "\$TEACH_PW" > "\$priv\/mosquitto_pub"/);
        assert.match(remoteFile("client-checks"), /\[ -n "\$TEACH_PW" \] && in_capture_file "\$pcap" "\$priv\/teaching-password"/);
        assert.doesNotMatch(remoteFile("client-checks"), / -P /, "no password option on a command line");
        assert.deepEqual([on.TEACHING_MOUNT, on.TEACHING_SHARED], ["teaching/", "no"]);
        const shared = header(clientChecksScript({ ...one, teachingPort: 1884, teachingMountPoint: "class/", teachingShared: true }));
        assert.deepEqual([shared.TEACHING_MOUNT, shared.TEACHING_SHARED], ["class/", "yes"]);
        assert.equal(header(clientChecksScript({ ...one, teachingPort: 1884, capture: false })).CAPTURE_PLAINTEXT, "no");
    });
    it("runs the capture (dumpcap) as root through the host's prefix", () => {
        const s = header(clientChecksScript({ ...base, identities: [{ name: "a", topics: ["#"] }], asRoot: "sudo -n " }));
        assert.equal(s.AS_ROOT, "sudo");
        assert.match(remoteFile("lib"), /as_root\(\) \{ if \[ "\$\{AS_ROOT:-\}" = sudo \]; then sudo -n "\$@"; else "\$@"; fi; \}/);
        assert.match(remoteFile("lib"), /as_root dumpcap -i any -f "\$2"/);
        assert.equal(s.CAPTURE_TLS, "yes");
    });
});

describe("the refusal checks, in a host's check run", () => {
    const header = (script: string) => headerValues(unwrapBashC(script));
    const o = { identities: [{ name: "client-a", topics: ["#"] }], brokerAddress: "203.0.113.1", tlsPort: 8883, plaintextPort: 1883 };
    it("reads the handshake alert over TLS 1.2 when the broker allows it, and says where the reason is with TLS 1.3", () => {
        assert.equal(header(clientChecksScript({ ...o, refusals: { tlsVersion: "tlsv1.2" } })).READ_ALERT, "yes");
        assert.equal(header(clientChecksScript({ ...o, refusals: { tlsVersion: "tlsv1.3" } })).READ_ALERT, "no");
        assert.match(remoteFile("refusal-checks"), /if \[ "\$READ_ALERT" = yes \]; then\n.*openssl s_client -tls1_2/);
        assert.match(remoteFile("refusal-checks"), /the reason is in the broker's log/);
    });
    it("runs them only on the host that is asked to, with the revoked identity it names", () => {
        assert.equal(header(clientChecksScript(o)).REFUSALS, "no");
        const on = header(clientChecksScript({ ...o, refusals: { tlsVersion: "tlsv1.2", revokedName: "client-z" } }));
        assert.deepEqual([on.REFUSALS, on.REVOKED_NAME], ["yes", "client-z"]);
        assert.match(remoteFile("client-checks"), /^if \[ "\$REFUSALS" = yes \]; then\n {2}run_refusals > "\$priv\/refusals.out"/m);
        assert.match(remoteFile("client-checks"), /^run_refusals\(\) \{\n {2}failed=0\n {2}refusal_checks\n/m);
    });
    it("reads its secrets from one stdin bundle: the teaching password and the refusal files", () => {
        const refusalFiles = renderBundle({ "impostor.crt": "I", "crl.pem": "C" });
        assert.deepEqual(parseBundle(checkInput({ teachingPassword: "pw-123456789012", refusalFiles })), {
            "teaching-password": "pw-123456789012",
            "impostor.crt": "I",
            "crl.pem": "C",
        });
        assert.equal(checkInput({}), "__end__ 0\n");
    });
});

describe("forgeriesScript (run with openssl)", () => {
    it("makes an impostor with the real subjects but another key, and an expired certificate of the real CA", () => {
        const pki = new OpensslPki();
        try {
            const realCa = pki.ca("ca", "unit-lab CA generation 1");
            const realClient = pki.leaf("client", "ca", "client-a", "client", [], 10);
            const r = spawnSync("bash", ["-c", forgeriesScript()], {
                input: renderBundle({ "ca.crt": realCa.cert, "ca.key": realCa.key, "client.crt": realClient.cert }),
                encoding: "utf8",
            });
            assert.equal(r.status, 0, r.stderr);
            const out = parseBundle(r.stdout);
            assert.deepEqual(Object.keys(out).sort(), [...forgeryOutputs].sort());
            assert.match(r.stdout, /^__end__ 5$/m, "the bundle ends with its count");
            const ca = new X509Certificate(realCa.cert);
            const client = new X509Certificate(realClient.cert);
            const impostor = new X509Certificate(out["impostor.crt"]);
            assert.equal(impostor.subject, client.subject, "the impostor bears the real client's subject");
            assert.equal(impostor.issuer, ca.subject, "its CA bears the real CA's subject");
            assert.equal(impostor.verify(ca.publicKey), false, "but the real CA did not sign it");
            const impostorCa = new X509Certificate(out["impostor-ca.crt"]);
            assert.equal(impostorCa.subject, ca.subject, "the impostor CA bears the real CA's subject");
            assert.equal(impostor.verify(impostorCa.publicKey), true, "and signed the impostor");
            const expired = new X509Certificate(out["expired.crt"]);
            assert.equal(expired.verify(ca.publicKey), true, "the expired certificate is the real CA's");
            assert.equal(expired.subject, client.subject, "for the real client");
            assert.ok(new Date(expired.validTo) < new Date(), `it expired (${expired.validTo})`);
            assert.ok(out["expired.key"].includes("PRIVATE KEY") && out["impostor.key"].includes("PRIVATE KEY"));
        } finally {
            pki.cleanup();
        }
    });
    it("refuses an input bundle cut short", () => {
        const r = spawnSync("bash", ["-c", forgeriesScript()], { input: "ca.crt AAAA\n", encoding: "utf8" });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /cut short/);
    });
});
