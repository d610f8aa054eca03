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
            "mqtt-lab:labName": { value: `mqtt-lab-${Date.now().toString(36)}` },
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
        for (const check of ["tls-roundtrip", "no-certificate", "plaintext-refused"]) {
            assert.match(results, new RegExp(`^PASS ${check}`, "m"), `check ${check} passed; results: ${results}`);
        }
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
        assert.equal(preview.changeSummary.create, 6, `a new key, CSR and certificate for the broker and client-a: ${JSON.stringify(preview.changeSummary)}`);
        assert.equal(preview.changeSummary.delete, 6);
        const up = await t.stack.up({ color: "never" });
        outputs = up.outputs;
        const newSerial = new X509Certificate((outputs.clientCerts.value as Record<string, { certPem: string }>)["client-a"].certPem).serialNumber;
        assert.notEqual(newSerial, oldSerial);
        assert.match((outputs.checkResults.value as string[]).join("\n"), /^PASS tls-roundtrip/m);
        assert.match(String(outputs.brokerApplied.value), /mosquitto action: sighup/, "a leaf rotation reloads, it does not restart");
    });
});
