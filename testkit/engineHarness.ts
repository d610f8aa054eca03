/**
 * End-to-end harness: real CLI (Automation API), file backend in a temp dir, passphrase secrets,
 * a unique stack and run id, cleanup registered before setup. Anything missing fails loudly.
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { LocalWorkspace, OutputMap, Stack } from "@pulumi/pulumi/automation";
import type { HostRole } from "../src/config/labConfig";
import type { SshEndpoint } from "../src/outputs";
import { sshExec } from "../src/ssh/exec";
import type { SshTarget } from "../src/ssh/exec";
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "..", "..");

/** Fails with a clear message when something a suite needs is not there. */
export function requireEnv(name: string): string {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set: run the tests through \`npm test\` (scripts/test.sh sets it up).`);
    return v;
}

export function runId(): string {
    return `mlt${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
}

export interface TestStack {
    stack: Stack;
    id: string;
    backend: string;
    /** This run's passphrase: random, made for this throw-away stack, gone with it (no shared literal). */
    passphrase: string;
    /** backend, passphrase and run label, for a CLI a test starts itself */
    env: Record<string, string>;
    /** destroy, then remove the stack and its backend dir; safe to call twice. */
    cleanup: () => Promise<void>;
}

export async function createTestStack(workDir: string, config: Record<string, { value: string; secret?: boolean }>): Promise<TestStack> {
    requireEnv("PULUMI_HOME");
    const id = runId();
    const backend = mkdtempSync(path.join(tmpdir(), "mqtt-lab-test-"));
    const passphrase = randomBytes(32).toString("base64");
    const envVars = {
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        MQTTLAB_RUN_ID: id,
    };
    // Declared before cleanup, which must exist before the stack does (assigned once, below).
    // eslint-disable-next-line prefer-const
    let stack: Stack | undefined;
    let done = false;
    const cleanup = async () => {
        if (done) return;
        done = true;
        try {
            if (stack) {
                await stack.destroy({ color: "never" });
                await stack.workspace.removeStack(stack.name);
            }
        } finally {
            rmSync(backend, { recursive: true, force: true });
        }
    };
    stack = await LocalWorkspace.createOrSelectStack({ stackName: id, workDir }, { envVars, secretsProvider: "passphrase" });
    await stack.setAllConfig({ runId: { value: id }, ...config });
    return { stack, id, backend, passphrase, env: envVars, cleanup };
}

/** Containers carrying this run's label, as `docker ps` sees them. */
export function containersOfRun(id: string): string[] {
    const out = execFileSync("docker", ["ps", "-a", "--filter", `label=mqtt-lab-run=${id}`, "--format", "{{.Names}}"], { encoding: "utf8" });
    return out.split("\n").filter(Boolean);
}

/**
 * The state exactly as stored by the file backend (the Automation API's exportStack decrypts
 * secrets, so it cannot show what is at rest): every file under the backend, concatenated.
 */
export function storedState(t: TestStack): string {
    const out: string[] = [];
    const walk = (dir: string) => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) walk(p);
            else out.push(readFileSync(p, "utf8"));
        }
    };
    walk(t.backend);
    if (out.length === 0) throw new Error(`no state file under ${t.backend}`);
    return out.join("\n");
}

/** The provider plugins the lab needs; throws naming each one that `pulumi plugin ls` lacks. */
export function requireProviderPlugins(): void {
    const listed = execFileSync("pulumi", ["plugin", "ls", "--json"], { encoding: "utf8" });
    const have = (JSON.parse(listed || "[]") as { name: string; kind: string }[]).filter((p) => p.kind === "resource").map((p) => p.name);
    const missing = ["tls", "command", "docker"].filter((n) => !have.includes(n));
    if (missing.length > 0) {
        throw new Error(
            `provider plugins missing: ${missing.map((n) => `pulumi-resource-${n}`).join(", ")}. toolchain/toolchain.sh could not build them: their Go modules are not served here (see its summary and README "Status").`,
        );
    }
}

/** Runs `command args` in `cwd` with the test stack's backend and passphrase; its exit code and all it printed. */
export function runForStack(t: TestStack, cwd: string, command: string, args: string[], timeout = 600_000): { code: number | null; out: string } {
    const r = spawnSync(command, args, { cwd, encoding: "utf8", timeout, env: { ...process.env, ...t.env } });
    if (r.error) throw r.error;
    return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

/**
 * For a describe block: fails it loudly without the provider plugins, and returns how to make a
 * test stack that is destroyed after the block, whatever happens (cleanup registered first).
 */
export function suiteStacks(): (workDir: string, config: Record<string, { value: string; secret?: boolean }>) => Promise<TestStack> {
    before(() => requireProviderPlugins());
    const stacks: TestStack[] = [];
    after(async () => {
        for (const t of stacks) await t.cleanup();
    });
    return async (workDir, config) => {
        const t = await createTestStack(workDir, config);
        stacks.push(t);
        return t;
    };
}

/** How to reach a lab host over SSH from a stack's outputs (Automation API), its host key pinned. */
export function sshTargetOf(outputs: OutputMap, role: HostRole): SshTarget {
    const e = (outputs.ssh.value as Record<HostRole, SshEndpoint>)[role];
    return { address: e.address, port: e.port, user: e.user, fingerprint: e.fingerprint, privateKey: String(outputs.sshClientPrivateKey.value) };
}

/** What a QoS 1 stream (`/tmp/<name>-sub.log`, `/tmp/<name>-pub.log`, `/tmp/<name>-pub.done`, started by a test) saw, once its publisher is done. */
export async function streamCounts(
    target: SshTarget,
    name: string,
): Promise<{ text: string; count: (key: "pub-exit" | "received" | "distinct" | "sub-connacks" | "pub-connacks") => number }> {
    const [sub, pub] = [`/tmp/${name}-sub.log`, `/tmp/${name}-pub.log`];
    const text = (
        await sshExec(
            target,
            `i=0; while [ ! -f /tmp/${name}-pub.done ] && [ $i -lt 120 ]; do sleep 1; i=$((i+1)); done; sleep 2; ` +
                `echo "pub-exit $(cat /tmp/${name}-pub.done)"; echo "received $(grep -c '^m[0-9]*$' ${sub})"; echo "distinct $(grep '^m[0-9]*$' ${sub} | sort -u | wc -l)"; ` +
                `echo "sub-connacks $(grep -c 'received CONNACK' ${sub})"; echo "pub-connacks $(grep -c 'received CONNACK' ${pub})"`,
            { timeoutMs: 180000 },
        )
    ).stdout;
    return { text, count: (key) => Number(new RegExp(`^${key} (\\d+)$`, "m").exec(text)?.[1] ?? NaN) };
}

/** The config of a lab on containers of the engine suites: the base image, and a subnet and names of its own, so a user's lab can run beside. */
export function containerLabConfig(subnet: string, labName: string): Record<string, { value: string; secret?: boolean }> {
    return {
        "mqtt-lab:hostSource": { value: "containers" },
        "mqtt-lab:image": { value: requireEnv("MQTTLAB_IMAGE") },
        "mqtt-lab:subnet": { value: subnet },
        "mqtt-lab:labName": { value: labName },
    };
}

/** Asserts that a QoS 1 stream (see streamCounts) lost none of its `sent` messages and neither end ever reconnected. */
export async function assertStreamWhole(target: SshTarget, name: string, sent: number): Promise<void> {
    const { text, count } = await streamCounts(target, name);
    assert.equal(count("pub-exit"), 0, `the publisher finished: ${text}`);
    assert.equal(count("distinct"), sent, `0 lost: ${text}`);
    assert.equal(count("sub-connacks"), 1, `the subscriber never reconnected: ${text}`);
    assert.equal(count("pub-connacks"), 1, `the publisher never reconnected: ${text}`);
}
