/**
 * The lab end to end, in the rhythm of Terratest and Molecule: preview, deploy, verify,
 * converge again with no change, refuse bad input without touching anything, rotate, destroy.
 * One lab is shared by every case: CI has 2 cores.
 */
import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { OutputMap } from "@pulumi/pulumi/automation";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { checkInput } from "../../src/remote/checkScripts";
import { containerShell, parseBundle } from "../../src/remote/hostScripts";
import { sshExec, SshTarget } from "../../src/ssh/exec";
import { containersOfRun, createTestStack, repoRoot, storedState, TestStack, requireProviderPlugins } from "../../testkit/engineHarness";
import { assertStreamWhole, containerLabConfig, sshTargetOf } from "../../testkit/engineHarness";
import type { HostRole } from "../../src/config/labConfig";
import { auditTls, nonAeadSuites, suitesWithoutForwardSecrecy } from "../../testkit/testssl";

const serverAuth = "1.3.6.1.5.5.7.3.1";
const clientAuth = "1.3.6.1.5.5.7.3.2";

/**
 * Strings that only the private half of a key contains: the head of its PEM body (which holds the
 * private scalar after a short fixed prefix) and the private scalar itself, as base64, base64url
 * and hex. Not the tail of the body: an EC key's PEM ends with its public point, which the state
 * rightly holds in publicKeyPem.
 */
function privateKeyNeedles(pem: string): string[] {
    const body = pem
        .split("\n")
        .filter((l) => l && !l.startsWith("-----"))
        .join("");
    const d = createPrivateKey(pem).export({ format: "jwk" }).d;
    assert.ok(body.length > 60 && d, "a private key was read from the stack's secret output");
    const scalar = Buffer.from(d, "base64url");
    return [body.slice(0, 48), d.slice(0, 24), scalar.toString("base64").slice(0, 24), scalar.toString("hex").slice(0, 32)];
}

describe("Lab on containers", () => {
    before(() => requireProviderPlugins());
    let t: TestStack;
    let outputs: OutputMap;
    const labName = `mqtt-lab-${Date.now().toString(36)}`;
    const target = (role: HostRole): SshTarget => sshTargetOf(outputs, role);

    /** client-a's own check script, run again now: the round trip must pass. */
    const assertServing = async (why: string) => {
        const plan = (outputs.checkPlan.value as { identity: string; script: string }[]).find((p) => p.identity === "client-a")!;
        // The client host's run holds the refusal checks too: their forgeries on stdin, as at up.
        const stdin = checkInput({ refusalFiles: outputs.refusalForgeries.value as string });
        const r = await sshExec(target("client"), plan.script, { timeoutMs: 120000, stdin });
        assert.match(r.stdout, /^PASS tls-roundtrip/m, `${why}: ${r.stdout}${r.stderr}`);
    };
    /** An up succeeds with the round trip passing, and a preview after it proposes nothing. */
    const upConverges = async () => {
        const up = await t.stack.up({ color: "never" });
        outputs = up.outputs;
        assert.equal(up.summary.result, "succeeded");
        assert.match((outputs.checkResults.value as string[]).join("\n"), /^PASS tls-roundtrip/m);
        const again = await t.stack.preview({ color: "never" });
        assert.deepEqual(
            Object.keys(again.changeSummary).filter((k) => k !== "same"),
            [],
            `converged: ${JSON.stringify(again.changeSummary)}`,
        );
    };

    before(async () => {
        t = await createTestStack(repoRoot, {
            // Its own subnet and names, so a user's local lab can run beside the tests.
            ...containerLabConfig("172.30.201.0/24", labName),
            // Two identities: one with every topic (as in the seed), one held to sensors/#.
            "mqtt-lab:clients": {
                value: JSON.stringify([
                    { name: "client-a", topics: ["#"] },
                    { name: "sensor-1", topics: ["sensors/#"] },
                ]),
            },
        });
    });
    after(async () => {
        await t?.cleanup();
    });

    it("previews the whole lab before anything exists", async () => {
        const preview = await t.stack.preview({ color: "never" });
        assert.ok((preview.changeSummary.create ?? 0) >= 15, `expected the lab's resources to be created, got ${JSON.stringify(preview.changeSummary)}`);
        assert.deepEqual(containersOfRun(t.id), [], "a preview creates no container");
    });

    it("deploys, and the post-deploy checks prove mutual TLS and refusals", async () => {
        const up = await t.stack.up({ color: "never" });
        assert.equal(up.summary.result, "succeeded");
        outputs = up.outputs;
        assert.equal(containersOfRun(t.id).length, 2, "a broker and a client container exist");
        const results = (outputs.checkResults.value as string[]).join("\n");
        for (const check of [
            "tls-roundtrip",
            "no-certificate",
            "plaintext-refused",
            "server-chain",
            "cert-validity",
            "capture-tls",
            "impostor-ca",
            "expired-cert",
            "acl",
        ]) {
            assert.match(results, new RegExp(`^PASS ${check}`, "m"), `check ${check} passed; results: ${results}`);
        }
        assert.match(
            results,
            /^PASS acl: sensor-1 publishing on \S+ \(outside its ACL\) got PUBACK reason 135/m,
            "the held identity is refused outside its ACL",
        );
        assert.doesNotMatch(results, /^PASS acl: client-a/m, "client-a may use every topic: nothing to refuse, no ACL check planned");
    });

    it("keeps an identity to its ACL: sensor-1 reads sensors/#, not another topic", async () => {
        const d = (id: string) => `--cafile .mqtt-lab/${id}/ca.crt --cert .mqtt-lab/${id}/client.crt --key .mqtt-lab/${id}/client.key`;
        const broker = `-h ${String(outputs.brokerAddress.value)} -p ${String(outputs.tlsPort.value)}`;
        const script = `timeout 12 mosquitto_sub ${broker} ${d("sensor-1")} -i acl-reader -q 1 -t 'other/#' -t 'sensors/#' -v -W 8 > /tmp/acl-seen 2>&1 & sleep 1.5
mosquitto_pub ${broker} ${d("client-a")} -q 1 -t other/secret -m not-for-sensor-1
mosquitto_pub ${broker} ${d("client-a")} -q 1 -t sensors/t1 -m for-sensor-1
wait; cat /tmp/acl-seen`;
        const seen = (await sshExec(target("client"), script, { timeoutMs: 30000 })).stdout;
        assert.match(seen, /^sensors\/t1 for-sensor-1$/m, `sensor-1 receives on sensors/# (positive control): ${seen}`);
        assert.doesNotMatch(seen, /not-for-sensor-1/, "sensor-1 does not read a topic outside its ACL");
    });

    it("fails the right check when a protection is broken on the running lab, and passes again once it is restored", async () => {
        const verify = () =>
            spawnSync("node", [path.join(repoRoot, "bin", "tools", "verify.js"), "--stack", t.stack.name], {
                cwd: repoRoot,
                encoding: "utf8",
                timeout: 240_000,
                env: { ...process.env, PULUMI_BACKEND_URL: t.env.PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE: t.passphrase },
            });
        const restart = containerShell.restart;
        const backup = "rm -rf /root/mosquitto.bak && cp -a /etc/mosquitto /root/mosquitto.bak";
        const restore = `rm -rf /etc/mosquitto && cp -a /root/mosquitto.bak /etc/mosquitto && { ${restart}; } && sleep 1`;
        const cases = [
            {
                why: "anonymous access on a plaintext listener",
                check: "plaintext-refused",
                breakIt: `printf 'listener 1883\nallow_anonymous true\n' >> /etc/mosquitto/conf.d/mqtt-lab.conf && { ${restart}; } && sleep 1`,
            },
            {
                why: "require_certificate off",
                check: "no-certificate",
                breakIt: `sed -i 's/^require_certificate true/require_certificate false/' /etc/mosquitto/conf.d/mqtt-lab.conf && { ${restart}; } && sleep 1`,
            },
            {
                why: "a foreign CA trusted beside the lab's (and the CRL check dropped)",
                check: "impostor-ca",
                // The impostor's CA, from the forged bundle of the refusal checks, in the broker's trust directory.
                // With a crlfile, OpenSSL refuses a CA that has no CRL there (unknown ca): a CA trusted by hand
                // only works with its own CRL added, or with the crlfile line gone, as here.
                breakIt: `cat > /etc/mosquitto/mqtt-lab/ca.d/impostor-ca.crt && openssl rehash /etc/mosquitto/mqtt-lab/ca.d && sed -i '/^crlfile /d' /etc/mosquitto/conf.d/mqtt-lab.conf && { ${restart}; } && sleep 1`,
                stdin: () => parseBundle(String(outputs.refusalForgeries.value))["impostor-ca.crt"],
            },
        ];
        for (const c of cases) {
            await sshExec(target("broker"), backup);
            try {
                await sshExec(target("broker"), c.breakIt, { stdin: c.stdin?.() });
                const r = verify();
                assert.equal(r.status, 1, `verify exits 1 with ${c.why}:\n${r.stdout}\n${r.stderr}`);
                assert.match(r.stdout, new RegExp(`^FAIL ${c.check} `, "m"), `${c.check} fails with ${c.why}:\n${r.stdout}`);
            } finally {
                await sshExec(target("broker"), restore);
            }
        }
        const again = verify();
        assert.equal(again.status, 0, `every check passes once restored:\n${again.stdout}`);
    });

    it("issues v3 certificates: a real CA, leaves with their own subjects, verified for their purpose and name", () => {
        const ca = new X509Certificate(String(outputs.caCertPem.value));
        assert.equal(ca.ca, true, "the CA certificate is a CA");
        assert.equal(ca.verify(ca.publicKey), true, "the CA is self-signed");
        const clients = outputs.clientCerts.value as Record<string, { certPem: string }>;
        const client = new X509Certificate(clients["client-a"].certPem);
        assert.equal(client.ca, false);
        assert.notEqual(client.subject, ca.subject, "no leaf carries the CA's subject");
        assert.equal(client.issuer, ca.subject);
        assert.equal(client.verify(ca.publicKey), true, "the client certificate verifies against the CA");
        assert.match(client.subject, /CN=client-a/);
        assert.ok(client.keyUsage?.includes(clientAuth), "client certificate is for client auth");
        assert.ok(!client.keyUsage?.includes(serverAuth), "client certificate is not for server auth");
    });

    it("serves a broker certificate that verifies for the broker's address and name", async () => {
        const address = String(outputs.brokerAddress.value);
        const pem = (await sshExec(target("broker"), "cat /etc/mosquitto/mqtt-lab/server.crt")).stdout;
        const server = new X509Certificate(pem);
        const ca = new X509Certificate(String(outputs.caCertPem.value));
        assert.equal(server.verify(ca.publicKey), true);
        assert.notEqual(server.subject, ca.subject);
        assert.equal(server.checkIP(address), address, "SAN covers the broker's address");
        assert.equal(server.checkHost(String(outputs.brokerDnsName.value)), String(outputs.brokerDnsName.value));
        assert.ok(server.keyUsage?.includes(serverAuth));
    });

    it("passes an external TLS audit (testssl.sh): TLS 1.2+ only, AEAD suites only, forward secrecy only, the lab's chain", async () => {
        const audit = auditTls(String(outputs.brokerAddress.value), Number(outputs.tlsPort.value), String(outputs.caCertPem.value));
        for (const p of ["SSLv2", "SSLv3", "TLS1", "TLS1_1"]) assert.match(audit.protocols[p], /^not offered/, `${p}: ${audit.protocols[p]}`);
        assert.match(audit.protocols.TLS1_2, /^offered/);
        assert.match(audit.protocols.TLS1_3, /^offered/);
        assert.ok(audit.suites.length >= 3, `testssl listed the offered suites: ${JSON.stringify(audit.suites)}`);
        assert.deepEqual(nonAeadSuites(audit), [], "no CBC (or other non-AEAD) suite is offered");
        assert.deepEqual(suitesWithoutForwardSecrecy(audit), [], "every suite has forward secrecy");
        assert.match(audit.chainOfTrust, /^passed/, "the served chain verifies against the lab CA");
        assert.equal(audit.certificates, "1", "the broker serves its own certificate, signed by the lab CA");
    });

    it("keeps the broker key readable by mosquitto and nobody else", async () => {
        const r = await sshExec(
            target("broker"),
            "stat -c '%a %U:%G' /etc/mosquitto/mqtt-lab/server.key /etc/mosquitto/mqtt-lab; ls -A /etc/mosquitto/mqtt-lab",
        );
        const [key, dir] = r.stdout.trim().split("\n");
        assert.equal(key, "640 root:mosquitto");
        assert.equal(dir, "750 root:mosquitto");
        assert.doesNotMatch(r.stdout, /\.stage\./, "no staging directory is left behind");
        const c = await sshExec(target("client"), "stat -c '%a' .mqtt-lab/client-a/client.key .mqtt-lab/client-a");
        assert.deepEqual(c.stdout.trim().split("\n"), ["600", "700"]);
    });

    it("refuses an SSH host whose key is not the pinned one", async () => {
        const wrong = { ...target("broker"), fingerprint: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
        await assert.rejects(sshExec(wrong, "true", { timeoutMs: 20000 }), /host key SHA256:/);
    });

    it("keeps private keys out of the state file and the CLI output in plaintext", async () => {
        const keyPem = (outputs.clientCerts.value as Record<string, { privateKeyPem: string }>)["client-a"].privateKeyPem;
        const needles = privateKeyNeedles(keyPem);
        const state = storedState(t);
        for (const n of needles) assert.ok(!state.includes(n), `the private key (${n.slice(0, 6)}…) is not in the state in plaintext`);
        const preview = await t.stack.preview({ color: "never", diff: true });
        for (const n of needles) assert.ok(!preview.stdout.includes(n), "the private key is not in the CLI output");
    });

    it("passes the policy pack once deployed, with every value known", async () => {
        const preview = await t.stack.preview({ color: "never", policyPacks: [path.join(repoRoot, "policies")] });
        assert.doesNotMatch(preview.stdout, /\[mandatory\]/, `no mandatory rule is broken:\n${preview.stdout}`);
        assert.match(preview.stdout, /mqtt-lab@v0\.1\.0/, "the pack ran");
    });

    it("converges: a second up changes nothing", async () => {
        const steps: string[] = [];
        const again = await t.stack.up({
            color: "never",
            onEvent: (e) => {
                const m = e.resourcePreEvent?.metadata;
                if (m && m.op !== "same") steps.push(`${m.op} ${m.urn.split("::").pop()} [${(m.diffs ?? []).join(",")}]`);
            },
        });
        const changed = Object.entries(again.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");
        assert.deepEqual(changed, [], `the second up proposed changes: ${JSON.stringify(again.summary.resourceChanges)}\n${steps.join("\n")}`);
    });

    it("refuses bad config before changing anything, naming the key, in 26 ways", async () => {
        const before = JSON.stringify((await t.stack.exportStack()).deployment.resources);
        const hostFiles = "find /etc/mosquitto .mqtt-lab -type f -exec sha256sum {} + 2>/dev/null | sort";
        const filesBefore = { broker: (await sshExec(target("broker"), hostFiles)).stdout, client: (await sshExec(target("client"), hostFiles)).stdout };
        const o = (v: unknown) => JSON.stringify(v);
        const cases: [string, string, RegExp][] = [
            ["tlsVersion", "tlsv1.1", /\[mqtt-lab:tlsVersion\] is "tlsv1\.1"; allowed: tlsv1\.2, tlsv1\.3/],
            ["tlsPort", "0", /\[mqtt-lab:tlsPort\] is "0"; allowed: a TCP port from 1 to 65535/],
            ["tlsPort", "70000", /\[mqtt-lab:tlsPort\] is "70000"/],
            // Keys typed in Pulumi.yaml are refused by the engine itself, before the program runs.
            ["tlsPort", "abc", /configuration key 'mqtt-lab:tlsPort' must be of type 'integer'/],
            ["brokerAddress", "300.1.1.1", /\[mqtt-lab:brokerAddress\] is "300\.1\.1\.1"; allowed: an IPv4 address/],
            ["brokerAddress", "172.30.99.10", /\[mqtt-lab:brokerAddress\] 172\.30\.99\.10 is outside \[mqtt-lab:subnet\]/],
            ["subnet", "192.168.56.0/24", /\[mqtt-lab:subnet\] "192\.168\.56\.0\/24" overlaps 192\.168\.56\.0\/24, the seed's VM network/],
            ["subnet", "not-a-cidr", /\[mqtt-lab:subnet\] is "not-a-cidr"; allowed: an IPv4 CIDR/],
            ["pki", o({ algorithm: "DSA" }), /\[mqtt-lab:pki\.algorithm\]: algorithm "DSA" is not allowed; use one of RSA, ECDSA, ED25519/],
            ["pki", o({ algorithm: "RSA", rsaBits: 1024 }), /\[mqtt-lab:pki\.rsaBits\]: RSA key of 1024 bits is not allowed/],
            ["pki", o({ ecdsaCurve: "P224" }), /\[mqtt-lab:pki\.ecdsaCurve\]: ECDSA curve "P224" is not allowed/],
            ["pki", o({ leafValidityHours: 0 }), /\[mqtt-lab:pki\.leafValidityHours\] is 0; allowed: hours/],
            ["pki", o({ caValidityHours: -5 }), /\[mqtt-lab:pki\.caValidityHours\] is -5/],
            ["clients", o([]), /\[mqtt-lab:clients\] must be a non-empty list/],
            ["clients", o([{ name: "a" }, { name: "a" }]), /\[mqtt-lab:clients\[1\]\.name\] "a" is a duplicate/],
            ["clients", o([{ name: "" }]), /\[mqtt-lab:clients\[0\]\.name\] is ""/],
            ["clients", o([{ name: "x", topics: ["a/#/b"] }]), /\[mqtt-lab:clients\[0\]\.topics\[0\]\] "a\/#\/b" uses "#"/],
            ["clients", o([{ name: "x", host: "moon" }]), /\[mqtt-lab:clients\[0\]\.host\] is "moon"; allowed: client, broker/],
            ["hostSource", "cloud", /\[mqtt-lab:hostSource\] is "cloud"; allowed: containers, existing/],
            ["minCertDaysLeft", "-1", /\[mqtt-lab:minCertDaysLeft\] is "-1"/],
            ["labName", "Bad Name!", /\[mqtt-lab:labName\] is "Bad Name!"/],
            ["sshPort", "0", /\[mqtt-lab:sshPort\] is "0"/],
            ["teachingListener", o({ enabled: true, port: 8883 }), /\[mqtt-lab:teachingListener\.port\] 8883 is also \[mqtt-lab:tlsPort\]/],
            ["brokerDnsName", "bad_name..x", /\[mqtt-lab:brokerDnsName\] is "bad_name\.\.x"/],
            ["maxLeafValidityHours", "0", /\[mqtt-lab:maxLeafValidityHours\] is "0"/],
            ["takeOverConfFiles", "maybe", /configuration key 'mqtt-lab:takeOverConfFiles' must be of type 'boolean'/],
        ];
        const saved = await t.stack.getAllConfig();
        for (const [key, value, says] of cases) {
            await t.stack.setConfig(`mqtt-lab:${key}`, { value });
            try {
                await assert.rejects(t.stack.up({ color: "never" }), (e: Error) => {
                    assert.match(e.message, says, `${key}=${value}`);
                    assert.doesNotMatch(e.message, /at validateLabConfig|\.ts:\d+/, "a config error is a message, not a stack trace");
                    return true;
                });
            } finally {
                const prev = saved[`mqtt-lab:${key}`];
                if (prev) await t.stack.setConfig(`mqtt-lab:${key}`, prev);
                else await t.stack.removeConfig(`mqtt-lab:${key}`);
            }
        }
        const afterState = JSON.stringify((await t.stack.exportStack()).deployment.resources);
        assert.equal(afterState, before, "the state is unchanged");
        assert.equal((await sshExec(target("broker"), hostFiles)).stdout, filesBefore.broker, "the broker's files are unchanged");
        assert.equal((await sshExec(target("client"), hostFiles)).stdout, filesBefore.client, "the client's files are unchanged");
        const r = await sshExec(target("broker"), "pgrep -x mosquitto >/dev/null && echo running");
        assert.equal(r.stdout.trim(), "running", "the broker still runs");
    });

    it("rotates leaf certificates when the rotation counter is bumped: preview shows only what rotates, a subscriber loses nothing and never reconnects", async () => {
        const servedSerial = async () =>
            (
                await sshExec(
                    target("client"),
                    `echo | openssl s_client -connect ${String(outputs.brokerAddress.value)}:${String(outputs.tlsPort.value)} -CAfile .mqtt-lab/client-a/ca.crt -cert .mqtt-lab/client-a/client.crt -key .mqtt-lab/client-a/client.key 2>/dev/null | openssl x509 -noout -serial`,
                )
            ).stdout.trim();
        const oldServed = await servedSerial();
        const oldSerial = new X509Certificate((outputs.clientCerts.value as Record<string, { certPem: string }>)["client-a"].certPem).serialNumber;
        await t.stack.setConfig("mqtt-lab:pki", { value: JSON.stringify({ leafRotation: 1 }) });

        // What the preview proposes, resource by resource.
        const steps: { op: string; type: string; name: string }[] = [];
        const preview = await t.stack.preview({
            color: "never",
            onEvent: (e) => {
                const m = e.resourcePreEvent?.metadata;
                if (m && m.op !== "same") steps.push({ op: m.op, type: m.type, name: m.urn.split("::").pop() ?? "" });
            },
        });
        assert.equal(
            preview.changeSummary.create,
            9,
            `a new key, CSR and certificate for the broker, client-a and sensor-1: ${JSON.stringify(preview.changeSummary)}`,
        );
        assert.equal(preview.changeSummary.delete, 9);
        const unexpected = steps.filter(
            (x) =>
                !(
                    (/^tls:index\/(privateKey|certRequest|locallySignedCert):/.test(x.type) && /-(broker|client-[\w-]+)-(key|csr|cert)-g1-/.test(x.name)) ||
                    (x.type === "command:remote:Command" && (x.name === "lab-apply" || /^lab-[\w-]+-install$/.test(x.name) || /^lab-checks-/.test(x.name))) ||
                    (x.type === "command:local:Command" && /^lab-checks-(evidence|forgeries)$/.test(x.name)) ||
                    // The host observers expect the new files (their hashes) from now on.
                    (x.type === "pulumi-nodejs:dynamic:Resource" && /^lab-(broker|client)-observer$/.test(x.name)) ||
                    // The CRL remembers the new leaves (so that a later removal revokes them); it revokes nothing.
                    (x.type === "pulumi-nodejs:dynamic:Resource" && x.name === "lab-crl-g1" && x.op === "update") ||
                    // The dynamic providers' host is configured with the stack's config, so a config
                    // change updates that provider resource; it touches no host.
                    (x.type === "pulumi:providers:pulumi-nodejs" && x.name === "default" && x.op === "update") ||
                    x.type === "pulumi:pulumi:Stack"
                ),
        );
        assert.deepEqual(unexpected, [], `only the leaves, their copies (apply, installs) and the checks change:\n${JSON.stringify(steps, null, 1)}`);
        assert.ok(
            steps.some((x) => x.name === "lab-apply" && x.op === "update"),
            "the broker's files are updated in place (no delete)",
        );

        // A QoS 1 subscriber and a steady publisher, both connected before the rotation and through it.
        const d = ".mqtt-lab/client-a";
        const tls = `-h ${String(outputs.brokerAddress.value)} -p ${String(outputs.tlsPort.value)} --cafile ${d}/ca.crt --cert ${d}/client.crt --key ${d}/client.key`;
        const count = 400;
        await sshExec(
            target("client"),
            `rm -f /tmp/rot-*; ` +
                `(nohup timeout 120 mosquitto_sub ${tls} -i rot-sub -c -q 1 -t 'rot/#' -C ${count} -d > /tmp/rot-sub.log 2>&1 &) ; sleep 1; ` +
                `(nohup sh -c 'i=0; while [ $i -lt ${count} ]; do echo m$i; i=$((i+1)); sleep 0.075; done | timeout 120 mosquitto_pub ${tls} -i rot-pub -q 1 -t rot/s -l -d > /tmp/rot-pub.log 2>&1; echo $? > /tmp/rot-pub.done' >/dev/null 2>&1 &)`,
        );
        const up = await t.stack.up({ color: "never" });
        outputs = up.outputs;
        await assertStreamWhole(target("client"), "rot", count);

        const newSerial = new X509Certificate((outputs.clientCerts.value as Record<string, { certPem: string }>)["client-a"].certPem).serialNumber;
        assert.notEqual(newSerial, oldSerial);
        const newServed = await servedSerial();
        assert.match(newServed, /^serial=/);
        assert.notEqual(newServed, oldServed, "a new TLS connection sees the new server certificate");
        assert.match((outputs.checkResults.value as string[]).join("\n"), /^PASS tls-roundtrip/m);
        assert.match(String(outputs.brokerApplied.value), /mosquitto action: sighup/, "a leaf rotation reloads, it does not restart");
        assert.deepEqual(outputs.revokedCertificates.value, [], "a rotation revokes no superseded leaf (src/pki/revocation.ts says why)");
    });

    it("revokes an identity removed from config and one marked revoked: refused at the handshake (certificate revoked), the others connect, with a SIGHUP", async () => {
        type Revoked = { serial: string; name: string; reason: string; generation: number; notAfter: string };
        const certs = outputs.clientCerts.value as Record<string, { certPem: string; privateKeyPem: string }>;
        const removed = certs["sensor-1"];
        const removedSerial = new X509Certificate(removed.certPem).serialNumber.toUpperCase();
        // A stolen copy of sensor-1's certificate and key, kept on the client host by the test.
        const stolen = "/tmp/stolen-sensor-1";
        await sshExec(
            target("client"),
            `umask 077; mkdir -p ${stolen}; cat > ${stolen}/both.pem; awk '/BEGIN CERT/,/END CERT/' ${stolen}/both.pem > ${stolen}/c.crt; awk '/BEGIN .*PRIVATE/,/END .*PRIVATE/' ${stolen}/both.pem > ${stolen}/c.key`,
            {
                stdin: removed.certPem + removed.privateKeyPem,
            },
        );
        const tlsArgs = `-h ${String(outputs.brokerAddress.value)} -p ${String(outputs.tlsPort.value)} --cafile .mqtt-lab/client-a/ca.crt`;
        const presentStolen = () =>
            sshExec(
                target("client"),
                `timeout 15 mosquitto_pub ${tlsArgs} --cert ${stolen}/c.crt --key ${stolen}/c.key -q 1 -t sensors/x -m stolen; echo "pub=$?"; ` +
                    `echo | timeout 15 openssl s_client -tls1_2 -connect ${String(outputs.brokerAddress.value)}:${String(outputs.tlsPort.value)} -CAfile .mqtt-lab/client-a/ca.crt -cert ${stolen}/c.crt -key ${stolen}/c.key 2>&1 | grep -o 'alert [a-z ]*' | head -n 1`,
            );
        const before = await presentStolen();
        assert.match(before.stdout, /^pub=0$/m, `positive control: sensor-1's certificate connects while it is in config: ${before.stdout}${before.stderr}`);

        // 1. sensor-1 removed from config: its certificate goes in the CRL.
        await t.stack.setConfig("mqtt-lab:clients", { value: JSON.stringify([{ name: "client-a", topics: ["#"] }]) });
        let up = await t.stack.up({ color: "never" });
        outputs = up.outputs;
        assert.match(String(outputs.brokerApplied.value), /mosquitto action: sighup/, "a revocation reloads (SIGHUP): connected clients stay");
        let listed = outputs.revokedCertificates.value as Revoked[];
        // Every sensor-1 leaf not expired: the current one, and the one the rotation above superseded.
        assert.deepEqual([...new Set(listed.map((r) => `${r.name} ${r.reason} g${r.generation}`))], ["sensor-1 removed-from-config g1"]);
        assert.equal(listed.length, 2, `the current leaf and the superseded one: ${JSON.stringify(listed)}`);
        assert.ok(listed.some((r) => r.serial === removedSerial));
        const after = await presentStolen();
        assert.doesNotMatch(after.stdout, /^pub=0$/m, `the removed identity's certificate is refused: ${after.stdout}`);
        assert.match(after.stdout, /^alert certificate revoked$/m, `refused at the handshake, as revoked: ${after.stdout}${after.stderr}`);
        const results = () => (outputs.checkResults.value as string[]).join("\n");
        assert.match(results(), /^PASS tls-roundtrip/m, "the others connect");
        assert.match(results(), /^PASS crl-validity: every CRL outlives the certificates it covers .*2 revoked/m);

        // 2. sensor-1 back in config, marked revoked: a new certificate, issued and listed at once; the up's refusal check presents it.
        await t.stack.setConfig("mqtt-lab:clients", {
            value: JSON.stringify([
                { name: "client-a", topics: ["#"] },
                { name: "sensor-1", topics: ["sensors/#"], revoked: true },
            ]),
        });
        up = await t.stack.up({ color: "never" });
        outputs = up.outputs;
        listed = outputs.revokedCertificates.value as Revoked[];
        assert.deepEqual(listed.map((r) => `${r.name} ${r.reason}`).sort(), [
            "sensor-1 removed-from-config",
            "sensor-1 removed-from-config",
            "sensor-1 revoked-in-config",
        ]);
        assert.match(
            results(),
            /^PASS revoked-cert: sensor-1's certificate, revoked in config .* refused at the TLS handshake \(TLS 1\.2 alert: alert certificate revoked/m,
        );
        assert.equal((outputs.clientCerts.value as Record<string, unknown>)["sensor-1"], undefined, "a revoked identity has no files on a host");
        await sshExec(target("client"), `rm -rf ${stolen}`);
        await upConverges();
    });

    it("fails within a bounded time, naming host and port, while the broker is unreachable; converges once it is back", async () => {
        const broker = `${labName}-broker`;
        await t.stack.setConfig("mqtt-lab:pki", { value: JSON.stringify({ leafRotation: 2 }) });
        execFileSync("docker", ["pause", broker]);
        const started = Date.now();
        try {
            await assert.rejects(t.stack.up({ color: "never" }), (e: Error) => {
                assert.match(
                    e.message,
                    new RegExp(`${String(outputs.brokerAddress.value).replace(/\./g, "\\.")}:22`),
                    "the error names the broker's address and SSH port",
                );
                return true;
            });
        } finally {
            execFileSync("docker", ["unpause", broker]);
        }
        const seconds = (Date.now() - started) / 1000;
        assert.ok(seconds < 120, `failed in ${seconds.toFixed(0)} s, within the dial bound`);
        await upConverges();
    });

    it("survives an up killed while it copies to the broker: the live files stay whole, the broker serves, the rerun converges", async () => {
        await t.stack.setConfig("mqtt-lab:pki", { value: JSON.stringify({ leafRotation: 3 }) });
        const env = { ...process.env, ...t.env };
        // The CLI in its own process group, killed outright (SIGKILL, no clean-up) once the broker's apply is under way.
        const cli = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", t.stack.name], { cwd: repoRoot, env, detached: true });
        let out = "";
        await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`the apply never started:\n${out}`)), 180_000);
            const watch = (b: Buffer) => {
                out += b.toString();
                if (/lab-apply updating/.test(out)) {
                    clearTimeout(timer);
                    process.kill(-cli.pid!, "SIGKILL");
                    resolve();
                }
            };
            cli.stdout.on("data", watch);
            cli.stderr.on("data", watch);
        });
        await new Promise((r) => cli.once("exit", r));
        // Whatever the apply had done, the live certificate and key are a pair, and the broker serves them.
        const pair = await sshExec(
            target("broker"),
            'cd /etc/mosquitto/mqtt-lab && [ "$(openssl x509 -in server.crt -noout -pubkey)" = "$(openssl pkey -in server.key -pubout)" ] && echo pair',
        );
        assert.equal(pair.stdout.trim(), "pair", "server.crt and server.key belong together");
        await assertServing("the broker still serves");
        // The killed CLI left its lock; `pulumi cancel` is how a user clears it (README), then the rerun converges.
        execFileSync("pulumi", ["cancel", "--yes", "--stack", t.stack.name], { cwd: repoRoot, env, stdio: "pipe" });
        await upConverges();
        const leftovers = await sshExec(target("broker"), "ls -A /etc/mosquitto/mqtt-lab | grep -c '\\.stage\\.' || true");
        assert.equal(leftovers.stdout.trim(), "0", "no staging directory is left");
    });

    it("refuses a port another program holds on the broker, before changing anything, and keeps serving", async () => {
        // Out of band, something else takes port 9883 on the broker; config then asks mosquitto for it.
        // Not another mosquitto: restarting the broker stops every process of that name.
        await sshExec(
            target("broker"),
            "(setsid openssl s_server -accept 9883 -nocert -quiet >/dev/null 2>&1 </dev/null &); sleep 0.5; ss -ltn | grep -q ':9883 '",
        );
        await t.stack.setConfig("mqtt-lab:tlsPort", { value: "9883" });
        try {
            await assert.rejects(t.stack.up({ color: "never" }), (e: Error) => {
                assert.match(e.message, /port 9883 is already in use on the broker by another program; nothing was changed/);
                return true;
            });
        } finally {
            await t.stack.removeConfig("mqtt-lab:tlsPort");
            await sshExec(target("broker"), "pkill -f 'openssl s_server -accept 9883' || true");
        }
        const conf = (await sshExec(target("broker"), "cat /etc/mosquitto/conf.d/mqtt-lab.conf")).stdout;
        assert.match(conf, /^listener 8883\b/m, "the previous conf is back");
        await assertServing("the broker still serves on 8883");
        await upConverges();
    });

    it("rotates the CA in three config-driven phases: trust both, switch, drop the old one with one restart", async () => {
        const pki = (extra: Record<string, unknown>) => t.stack.setConfig("mqtt-lab:pki", { value: JSON.stringify({ leafRotation: 3, ...extra }) });
        const results = () => (outputs.checkResults.value as string[]).join("\n");
        const issuerOf = (pem: string) => new X509Certificate(pem).issuer;

        await pki({ trustedCaGenerations: [1, 2] });
        let up = await t.stack.up({ color: "never" });
        outputs = up.outputs;
        assert.match(
            String(outputs.brokerApplied.value),
            /trusted CAs: ca-g1\.crt ca-g2\.crt \(added\); mosquitto action: sighup/,
            "phase 1: the new CA is trusted with a SIGHUP, not a restart (its CRL must be loaded: OpenSSL wants one for every CA)",
        );
        assert.equal(outputs.signingCaGeneration.value, 1);
        assert.match(results(), /^PASS tls-roundtrip/m);

        await pki({ caGeneration: 2, trustedCaGenerations: [1, 2] });
        up = await t.stack.up({ color: "never" });
        outputs = up.outputs;
        assert.match(String(outputs.brokerApplied.value), /mosquitto action: sighup/, "phase 2: the server certificate switches with a SIGHUP");
        assert.equal(outputs.signingCaGeneration.value, 2);
        const clientCert = (outputs.clientCerts.value as Record<string, { certPem: string }>)["client-a"].certPem;
        assert.match(issuerOf(clientCert), /CN=.*generation 2/, "clients are reissued by CA 2");
        assert.match(results(), /^PASS tls-roundtrip/m);

        await pki({ caGeneration: 2, trustedCaGenerations: [2] });
        up = await t.stack.up({ color: "never" });
        outputs = up.outputs;
        assert.match(
            String(outputs.brokerApplied.value),
            /trusted CAs: ca-g2\.crt \(removed\); mosquitto action: restart/,
            "phase 3: CA 1 leaves with one planned restart",
        );
        for (const check of ["tls-roundtrip", "impostor-ca", "expired-cert", "revoked-cert", "crl-validity", "server-chain"])
            assert.match(results(), new RegExp(`^PASS ${check}`, "m"), check);
        const generations = (outputs.revokedCertificates.value as { generation: number; name: string }[]).map((r) => `${r.name}@g${r.generation}`);
        assert.deepEqual(generations, ["sensor-1@g2"], "the revoked identity's CA-2 certificate is listed; CA 1's CRL left with CA 1");
        const ca = new X509Certificate(String(outputs.caCertPem.value));
        assert.match(ca.subject, /generation 2/);
    });

    it("destroys everything the run created", async () => {
        assert.equal(containersOfRun(t.id).length, 2, "the run's containers exist before");
        const destroy = await t.stack.destroy({ color: "never" });
        assert.equal(destroy.summary.result, "succeeded");
        assert.deepEqual(containersOfRun(t.id), [], "no container of the run is left");
        const nets = spawnSync("docker", ["network", "ls", "--filter", `name=^${labName}-net$`, "--format", "{{.Name}}"], { encoding: "utf8" }).stdout.trim();
        assert.equal(nets, "", "the lab's network is gone");
    });
});
