/**
 * The pure parts of the checks: MQTT topic matching for the ACL check, the topic it picks outside
 * an identity's patterns, and the forgeries script run for real with openssl (it runs on the
 * machine running Pulumi, so it needs no host).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { clientChecksScript, refusalChecksScript, topicMatches, topicOutside } from "../../src/remote/checkScripts";
import { forgeriesScript, forgeryOutputs } from "../../src/pki/forgeries";
import { parseBundle, renderBundle } from "../../src/remote/hostScripts";
import { headerValues, remoteFile, unwrapBashC } from "../../src/remote/compose";
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
    // The scripts are remote/client-checks.sh and remote/refusal-checks.sh; what changes per host and
    // identity is the data in their header, which these tests read back.
    const header = (script: string) => headerValues(unwrapBashC(script));
    it("plans the ACL check only for identities with something outside their ACL", () => {
        const base = { brokerAddress: "203.0.113.1", tlsPort: 8883, plaintextPort: 1883 };
        assert.match(header(clientChecksScript({ ...base, identity: "a", topics: ["lab/#"] })).ACL_OUTSIDE, /^mqtt-lab-acl-outside/);
        assert.equal(header(clientChecksScript({ ...base, identity: "a", topics: ["#"] })).ACL_OUTSIDE, "");
        assert.match(remoteFile("client-checks"), /^\[ -n "\$ACL_OUTSIDE" \] && \{ check_acl \|\| true; \}$/m, "an empty ACL_OUTSIDE skips the check");
    });
    it("leaves the host-level checks to the host's first identity", () => {
        const base = { brokerAddress: "203.0.113.1", tlsPort: 8883, plaintextPort: 1883, identity: "b", topics: ["#"] };
        const first = header(clientChecksScript(base));
        const other = header(clientChecksScript({ ...base, hostChecks: false }));
        assert.deepEqual([first.HOST_CHECKS, first.CAPTURE_TLS], ["yes", "yes"]);
        assert.deepEqual([other.HOST_CHECKS, other.CAPTURE_TLS, other.CAPTURE_PLAINTEXT], ["no", "no", "no"]);
        const body = remoteFile("client-checks");
        const hostBlock = /^if \[ "\$HOST_CHECKS" = yes \]; then\n((?: {2}check_\w+ \|\| true\n)+)fi$/m.exec(body);
        assert.deepEqual(hostBlock?.[1].match(/check_\w+/g), ["check_no_certificate", "check_plaintext", "check_server_chain"]);
        for (const fn of ["check_tls_roundtrip", "check_client_validity"])
            assert.match(body, new RegExp(`^${fn} \\|\\| true$`, "m"), `${fn} runs for every identity`);
    });
    it("checks the host clock against the certificate, and captures the teaching port only when it is on, reading its password from stdin", () => {
        const base = { brokerAddress: "203.0.113.1", tlsPort: 8883, plaintextPort: 1883, identity: "a", topics: ["#"] };
        assert.match(remoteFile("client-checks"), /^check_clock \|\| true$/m);
        assert.equal(header(clientChecksScript(base)).CAPTURE_PLAINTEXT, "no");
        const on = header(clientChecksScript({ ...base, teachingPort: 1884, teachingUser: "student" }));
        assert.deepEqual([on.CAPTURE_PLAINTEXT, on.PLAIN_PORT, on.PLAIN_CHECK, on.TEACHING_USER], ["yes", "1884", "anonymous-refused", "student"]);
        assert.match(
            remoteFile("client-checks"),
            /^set -u\npriv=\$\(run_dir\); out="\$priv\/out"\nremove_on_exit "\$priv"\nif \[ "\$CAPTURE_PLAINTEXT" = yes \]; then\n.*\n {2}IFS= read -r TEACH_PW \|\| true\n {2}exec <\/dev\/null$/m,
            "the password is read first (run_dir reads no stdin), and nothing else reads stdin",
        );
        // Never on a command line: only shell builtins (read, printf, [) touch the variable; clients
        // read it from their options file, grep from a pattern file (test/containers/argv.test.ts records it).
        const uses = remoteFile("client-checks")
            .split("\n")
            .filter((l) => l.includes("TEACH_PW") && !l.trim().startsWith("#"));
        assert.deepEqual(
            uses.map((l) => l.trim().split(" ")[0]),
            ["IFS=", "printf", "printf", "["],
            uses.join("\n"),
        );
        assert.match(remoteFile("client-checks"), /printf -- '-u %s\\n-P %s\\n' "\$TEACHING_USER" "\$TEACH_PW" > "\$priv\/mosquitto_pub"/);
        assert.match(remoteFile("client-checks"), /\[ -n "\$TEACH_PW" \] && in_capture_file "\$pcap" "\$priv\/password"/);
        assert.doesNotMatch(remoteFile("client-checks"), / -P /, "no password option on a command line");
        assert.deepEqual([on.TEACHING_MOUNT, on.TEACHING_SHARED], ["teaching/", "no"]);
        const shared = header(clientChecksScript({ ...base, teachingPort: 1884, teachingMountPoint: "class/", teachingShared: true }));
        assert.deepEqual([shared.TEACHING_MOUNT, shared.TEACHING_SHARED], ["class/", "yes"]);
        assert.equal(header(clientChecksScript({ ...base, teachingPort: 1884, hostChecks: false })).CAPTURE_PLAINTEXT, "no", "once per host");
    });
    it("runs the capture (dumpcap) as root through the host's prefix", () => {
        const s = header(
            clientChecksScript({ brokerAddress: "203.0.113.1", tlsPort: 8883, plaintextPort: 1883, identity: "a", topics: ["#"], asRoot: "sudo -n " }),
        );
        assert.equal(s.AS_ROOT, "sudo");
        assert.match(remoteFile("lib"), /as_root\(\) \{ if \[ "\$\{AS_ROOT:-\}" = sudo \]; then sudo -n "\$@"; else "\$@"; fi; \}/);
        assert.match(remoteFile("lib"), /as_root dumpcap -i any -f "\$2"/);
        assert.equal(s.CAPTURE_TLS, "yes");
    });
});

describe("refusalChecksScript", () => {
    it("reads the handshake alert over TLS 1.2 when the broker allows it, and says where the reason is with TLS 1.3", () => {
        const o = { identity: "client-a", brokerAddress: "203.0.113.1", tlsPort: 8883 };
        const header = (script: string) => headerValues(unwrapBashC(script));
        assert.equal(header(refusalChecksScript({ ...o, tlsVersion: "tlsv1.2" })).READ_ALERT, "yes");
        assert.equal(header(refusalChecksScript({ ...o, tlsVersion: "tlsv1.3" })).READ_ALERT, "no");
        assert.match(remoteFile("refusal-checks"), /if \[ "\$READ_ALERT" = yes \]; then\n.*openssl s_client -tls1_2/);
        assert.match(remoteFile("refusal-checks"), /the reason is in the broker's log/);
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
