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
import { spawnSync } from "node:child_process";
import { containerShell, parseBundle } from "../../lib/remoteScript";
import { sshExec, SshTarget } from "../../lib/sshExec";
import { containersOfRun, createTestStack, repoRoot, requireEnv, storedState, TestStack, requireProviderPlugins } from "../e2e/harness";

const serverAuth = "1.3.6.1.5.5.7.3.1";
const clientAuth = "1.3.6.1.5.5.7.3.2";

/**
 * Strings that only the private half of a key contains: the head of its PEM body (which holds the
 * private scalar after a short fixed prefix) and the private scalar itself, as base64, base64url
 * and hex. Not the tail of the body: an EC key's PEM ends with its public point, which the state
 * rightly holds in publicKeyPem.
 */
function privateKeyNeedles(pem: string): string[] {
    const body = pem.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
    const d = createPrivateKey(pem).export({ format: "jwk" }).d;
    assert.ok(body.length > 60 && d, "a private key was read from the stack's secret output");
    const scalar = Buffer.from(d, "base64url");
    return [body.slice(0, 48), d.slice(0, 24), scalar.toString("base64").slice(0, 24), scalar.toString("hex").slice(0, 32)];
}

interface Endpoint { address: string; port: number; user: string; hostKey: string; fingerprint: string }

describe("Lab on containers", () => {
    before(() => requireProviderPlugins());
    let t: TestStack;
    let outputs: OutputMap;
    const labName = `mqtt-lab-${Date.now().toString(36)}`;
    const target = (role: "broker" | "client"): SshTarget => {
        const e = (outputs.ssh.value as Record<string, Endpoint>)[role];
        return { address: e.address, port: e.port, user: e.user, fingerprint: e.fingerprint, privateKey: String(outputs.sshClientPrivateKey.value) };
    };

    before(async () => {
        t = await createTestStack(repoRoot, {
            "mqtt-lab:hostSource": { value: "containers" },
            "mqtt-lab:image": { value: requireEnv("MQTTLAB_IMAGE") },
            // Its own subnet and names, so a user's local lab can run beside the tests.
            "mqtt-lab:subnet": { value: "172.30.201.0/24" },
            "mqtt-lab:labName": { value: labName },
            // Two identities: one with every topic (as in the seed), one held to sensors/#.
            "mqtt-lab:clients": { value: JSON.stringify([{ name: "client-a", topics: ["#"] }, { name: "sensor-1", topics: ["sensors/#"] }]) },
        });
    });
    after(async () => { await t?.cleanup(); });

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
        for (const check of ["tls-roundtrip", "no-certificate", "plaintext-refused", "server-chain", "cert-validity", "capture-tls", "impostor-ca", "expired-cert", "acl"]) {
            assert.match(results, new RegExp(`^PASS ${check}`, "m"), `check ${check} passed; results: ${results}`);
        }
        assert.match(results, /^PASS acl: sensor-1 publishing on \S+ \(outside its ACL\) got PUBACK reason 135/m, "the held identity is refused outside its ACL");
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
        const verify = () => spawnSync("node", [path.join(repoRoot, "bin", "tools", "verify.js"), "--stack", t.stack.name], {
            cwd: repoRoot, encoding: "utf8", timeout: 240_000,
            env: { ...process.env, PULUMI_BACKEND_URL: `file://${t.backend}`, PULUMI_CONFIG_PASSPHRASE: "mqtt-lab-test" },
        });
        const restart = containerShell.restart;
        const backup = "rm -rf /root/mosquitto.bak && cp -a /etc/mosquitto /root/mosquitto.bak";
        const restore = `rm -rf /etc/mosquitto && cp -a /root/mosquitto.bak /etc/mosquitto && { ${restart}; } && sleep 1`;
        const cases = [
            { why: "anonymous access on a plaintext listener", check: "plaintext-refused",
                breakIt: `printf 'listener 1883\nallow_anonymous true\n' >> /etc/mosquitto/conf.d/mqtt-lab.conf && { ${restart}; } && sleep 1` },
            { why: "require_certificate off", check: "no-certificate",
                breakIt: `sed -i 's/^require_certificate true/require_certificate false/' /etc/mosquitto/conf.d/mqtt-lab.conf && { ${restart}; } && sleep 1` },
            { why: "a foreign CA trusted beside the lab's", check: "impostor-ca",
                // The impostor's CA, from the forged bundle of the refusal checks, in the broker's trust directory.
                breakIt: `cat > /etc/mosquitto/mqtt-lab/ca.d/impostor-ca.crt && openssl rehash /etc/mosquitto/mqtt-lab/ca.d && { ${restart}; } && sleep 1`,
                stdin: () => parseBundle(String(outputs.refusalForgeries.value))["impostor-ca.crt"] },
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

    it("keeps the broker key readable by mosquitto and nobody else", async () => {
        const r = await sshExec(target("broker"), "stat -c '%a %U:%G' /etc/mosquitto/mqtt-lab/server.key /etc/mosquitto/mqtt-lab; ls -A /etc/mosquitto/mqtt-lab");
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
        const again = await t.stack.up({ color: "never" });
        const changed = Object.entries(again.summary.resourceChanges ?? {}).filter(([op]) => op !== "same");
        assert.deepEqual(changed, [], `the second up proposed changes: ${JSON.stringify(again.summary.resourceChanges)}`);
    });

    it("refuses bad config before changing anything, naming the key", async () => {
        const before = JSON.stringify((await t.stack.exportStack()).deployment.resources);
        const hostFiles = "find /etc/mosquitto -type f -exec sha256sum {} + | sort";
        const filesBefore = (await sshExec(target("broker"), hostFiles)).stdout;
        await t.stack.setConfig("mqtt-lab:tlsVersion", { value: "tlsv1.1" });
        try {
            await assert.rejects(t.stack.up({ color: "never" }), (e: Error) => {
                assert.match(e.message, /\[mqtt-lab:tlsVersion\] is "tlsv1\.1"; allowed: tlsv1\.2, tlsv1\.3/);
                return true;
            });
        } finally {
            await t.stack.removeConfig("mqtt-lab:tlsVersion");
        }
        const afterState = JSON.stringify((await t.stack.exportStack()).deployment.resources);
        assert.equal(afterState, before, "the state is unchanged");
        assert.equal((await sshExec(target("broker"), hostFiles)).stdout, filesBefore, "the broker's files are unchanged");
        const r = await sshExec(target("broker"), "pgrep -x mosquitto >/dev/null && echo running");
        assert.equal(r.stdout.trim(), "running", "the broker still runs");
    });

    it("rotates leaf certificates when the rotation counter is bumped, and the checks pass again", async () => {
        const oldSerial = new X509Certificate((outputs.clientCerts.value as Record<string, { certPem: string }>)["client-a"].certPem).serialNumber;
        await t.stack.setConfig("mqtt-lab:pki", { value: JSON.stringify({ leafRotation: 1 }) });
        const preview = await t.stack.preview({ color: "never" });
        assert.equal(preview.changeSummary.create, 9, `a new key, CSR and certificate for the broker, client-a and sensor-1: ${JSON.stringify(preview.changeSummary)}`);
        assert.equal(preview.changeSummary.delete, 9);
        const up = await t.stack.up({ color: "never" });
        outputs = up.outputs;
        const newSerial = new X509Certificate((outputs.clientCerts.value as Record<string, { certPem: string }>)["client-a"].certPem).serialNumber;
        assert.notEqual(newSerial, oldSerial);
        assert.match((outputs.checkResults.value as string[]).join("\n"), /^PASS tls-roundtrip/m);
        assert.match(String(outputs.brokerApplied.value), /mosquitto action: sighup/, "a leaf rotation reloads, it does not restart");
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
