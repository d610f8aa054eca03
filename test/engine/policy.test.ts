/**
 * The policy pack through the real engine: `pulumi preview --policy-pack policies` fails on a
 * program that reproduces the seed's mistakes, naming each broken rule, and passes on the `dev`
 * stack's configuration, previewed with test keys inside a network namespace with no route out,
 * so nothing can reach the seed's VMs. (The local lab stack's pass is in lab.test.ts, on the
 * deployed lab.)
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { utils } from "ssh2";
import { repoRoot, runForStack, suiteStacks, TestStack } from "../../testkit/engineHarness";

const policies = path.join(repoRoot, "policies");

/** Runs the CLI with no network at all: a fresh namespace holding only loopback. */
function previewOffline(t: TestStack, workDir: string): { code: number | null; out: string } {
    const cmd = `ip link set lo up && ip route | grep -q . && { echo "namespace has a route out" >&2; exit 99; }; exec pulumi preview --stack ${t.stack.name} --policy-pack ${policies} --non-interactive --color never`;
    return runForStack(t, workDir, "unshare", ["-n", "sh", "-c", cmd]);
}

/** The flat `key: value` entries of a committed stack file. */
function stackFileConfig(file: string): Record<string, { value: string }> {
    const out: Record<string, { value: string }> = {};
    for (const m of readFileSync(file, "utf8").matchAll(/^ {2}(mqtt-lab:[\w.]+): (.+)$/gm)) out[m[1]] = { value: m[2].trim() };
    return out;
}

function publicKeyLine(): string {
    const pair = utils.generateKeyPairSync("ed25519");
    return pair.public.trim().split(" ").slice(0, 2).join(" ");
}

describe("Policy pack through the engine", () => {
    const stackOf = suiteStacks();

    it("fails the seed's setup, naming every rule it breaks", async () => {
        const t = await stackOf(path.join(repoRoot, "test", "fixtures", "seed-program"), {});
        const r = previewOffline(t, path.join(repoRoot, "test", "fixtures", "seed-program"));
        assert.notEqual(r.code, 0, `the preview must fail; it printed:\n${r.out}`);
        for (const rule of [
            "mosquitto-no-anonymous-plaintext",
            "mosquitto-tls-listener-hardened",
            "x509-key-allowed",
            "ca-certificate-can-sign",
            "leaf-certificate-not-ca-distinct-subject",
            "ssh-host-key-pinned",
            "no-verification-bypass",
            "remote-commands-judged",
        ]) {
            assert.match(r.out, new RegExp(`\\[mandatory\\]\\s+${rule}`), `rule ${rule} is reported as broken:\n${r.out}`);
        }
    });

    it("passes the dev stack's configuration, previewed offline with test keys", async () => {
        const devConfig = stackFileConfig(path.join(repoRoot, "Pulumi.dev.yaml"));
        assert.equal(devConfig["mqtt-lab:hostSource"]?.value, "existing", "Pulumi.dev.yaml describes existing hosts");
        const t = await stackOf(repoRoot, {
            ...devConfig,
            "mqtt-lab:sshPrivateKey": { value: utils.generateKeyPairSync("ed25519").private, secret: true },
            "mqtt-lab:brokerHostKey": { value: publicKeyLine() },
            "mqtt-lab:clientHostKey": { value: publicKeyLine() },
        });
        const r = previewOffline(t, repoRoot);
        assert.equal(r.code, 0, `the preview must pass; it printed:\n${r.out}`);
        assert.doesNotMatch(r.out, /\[mandatory\]/, "no mandatory rule is broken");
        assert.match(r.out, /mqtt-lab@v0\.1\.0/, "the pack ran and reported");
    });
});
