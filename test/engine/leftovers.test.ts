/**
 * Secrets hygiene through the engine, on a lab of containers (its own subnet, 172.30.207.0/24):
 * no key or password on a host but in the live files after an up, after an up killed outright
 * (SIGKILL) mid-apply and mid-check and the next up, and once the teaching listener is off; and a
 * destroy that puts back a conf.d dot-file opening an anonymous listener says so, naming the file.
 * Each listing searches the host's whole root file system for the secrets themselves.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { OutputMap } from "@pulumi/pulumi/automation";
import { sshExec, SshTarget } from "../../src/ssh/exec";
import { brokerPaths } from "../../src/mosquitto/conf";
import { containerLabConfig, createTestStack, repoRoot, requireProviderPlugins, sshTargetOf, TestStack } from "../../testkit/engineHarness";
import type { HostRole } from "../../src/config/labConfig";

/** The first line of a PEM body (past the fixed PKCS#8 prefix, into the private scalar), or the text itself. */
const needleOf = (secret: string) => (secret.includes("-----BEGIN") ? (secret.split("\n").find((l) => l && !l.startsWith("-----")) ?? secret) : secret.trim());

describe("Nothing left behind on a lab's hosts, through the engine", () => {
    before(() => requireProviderPlugins());
    let t: TestStack;
    let outputs: OutputMap;
    const labName = `mqtt-lab-left-${Date.now().toString(36)}`;
    const broker = `${labName}-broker`;
    const teachingPassword = `pw-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const target = (role: HostRole): SshTarget => sshTargetOf(outputs, role);
    const clientKeyPath = "/root/.mqtt-lab/client-a/client.key";

    /**
     * The files of `role`'s root file system (changed in the last two hours) that hold one of
     * `secrets`, sorted, then what run directories, captures, backups and stagings are left, and
     * any dumpcap still running. The needles go on stdin into /dev/shm, outside the search.
     */
    const leftovers = async (role: HostRole, secrets: string[]) => {
        const r = await sshExec(
            target(role),
            "umask 077; cat > /dev/shm/needles; " +
                "find / -xdev -type f -cmin -120 -size -4M -print0 2>/dev/null | xargs -0 -r grep -lF -f /dev/shm/needles 2>/dev/null | sort; " +
                "rm -f /dev/shm/needles; " +
                "find / -xdev \\( -name 'mqtt-lab-run.*' -o -name '*.pcap' -o -name .previous -o -name '.stage.*' \\) -printf 'left %p\\n' 2>/dev/null | sort; " +
                "pgrep -a dumpcap | sed 's/^/running /' || true",
            { stdin: secrets.map(needleOf).join("\n") + "\n", timeoutMs: 180_000 },
        );
        return r.stdout.trim().split("\n").filter(Boolean);
    };
    const live = async (role: HostRole, file: string) => (await sshExec(target(role), `cat ${file} 2>/dev/null || true`)).stdout;
    /** The secrets of both hosts as they are now: the broker's key and password file, the client's key, the password. */
    const secretsNow = async () => ({
        serverKey: await live("broker", brokerPaths.keyFile),
        passwd: await live("broker", brokerPaths.passwordFile),
        clientKey: (outputs.clientCerts.value as Record<string, { privateKeyPem: string }>)["client-a"].privateKeyPem,
    });
    const assertOnlyLive = async (why: string, extra: string[] = []) => {
        const s = await secretsNow();
        assert.deepEqual(await leftovers("broker", [s.serverKey, s.passwd, teachingPassword, ...extra]), [brokerPaths.passwordFile, brokerPaths.keyFile], why);
        assert.deepEqual(await leftovers("client", [s.clientKey, teachingPassword, ...extra]), [clientKeyPath], why);
    };
    const up = async (refresh = false) => {
        const r = await t.stack.up({ color: "never", refresh });
        assert.equal(r.summary.result, "succeeded");
        outputs = r.outputs;
    };
    /** `pulumi up` as a user runs it, in its own process group, killed outright once `when` says so. */
    const upKilled = async (when: (out: string) => Promise<boolean> | boolean) => {
        const env = { ...process.env, ...t.env };
        const cli = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", t.stack.name], { cwd: repoRoot, env, detached: true });
        let out = "";
        cli.stdout.on("data", (b: Buffer) => (out += b.toString()));
        cli.stderr.on("data", (b: Buffer) => (out += b.toString()));
        const exited = new Promise((r) => cli.once("exit", r));
        const started = Date.now();
        while (!(await when(out))) {
            assert.ok(Date.now() - started < 300_000, `the moment to kill never came:\n${out}`);
            assert.equal(cli.exitCode, null, `the up ended before the moment to kill:\n${out}`);
            await new Promise((r) => setTimeout(r, 200));
        }
        process.kill(-cli.pid!, "SIGKILL");
        await exited;
        // The killed CLI left its lock; `pulumi cancel` clears it (README).
        execFileSync("pulumi", ["cancel", "--yes", "--stack", t.stack.name], { cwd: repoRoot, env, stdio: "pipe" });
    };
    const rotate = (n: number) => t.stack.setConfig("mqtt-lab:pki", { value: JSON.stringify({ leafRotation: n }) });

    before(async () => {
        t = await createTestStack(repoRoot, {
            ...containerLabConfig("172.30.207.0/24", labName),
            "mqtt-lab:teachingListener": { value: JSON.stringify({ enabled: true, port: 1883, username: "student" }) },
            "mqtt-lab:teachingPassword": { value: teachingPassword, secret: true },
            "mqtt-lab:takeOverConfFiles": { value: "true" },
        });
        await up();
    });
    after(async () => {
        await t?.cleanup();
    });

    it("keeps the keys and the password file only in the live files after an up", async () => {
        await assertOnlyLive("after the first up");
    });

    it("after an up killed outright mid-apply, the next up leaves the live files only: no backup, no staging, no old key", async () => {
        const old = await secretsNow();
        await rotate(2);
        await upKilled((out) => /lab-apply updating/.test(out));
        await up();
        assert.notEqual(needleOf((await secretsNow()).serverKey), needleOf(old.serverKey), "the server key was rotated");
        await assertOnlyLive("after the killed up and the next", [old.serverKey]);
    });

    it("after an up killed outright mid-check, while the password is on the client, the next up leaves none of it", async () => {
        await rotate(3);
        // The checks hold the password in their run directory from their start to their end.
        await upKilled(async () => (await sshExec(target("client"), "ls /tmp/mqtt-lab-run.*/mosquitto_pub 2>/dev/null || true")).stdout.trim() !== "");
        await up();
        await assertOnlyLive("after the killed up and the next");
    });

    it("removes the password file when the teaching listener is turned off", async () => {
        const before = await secretsNow();
        await t.stack.setConfig("mqtt-lab:teachingListener", { value: JSON.stringify({ enabled: false }) });
        await up();
        const s = await secretsNow();
        assert.deepEqual(await leftovers("broker", [s.serverKey, before.passwd, teachingPassword]), [brokerPaths.keyFile]);
        assert.deepEqual(await leftovers("client", [s.clientKey, teachingPassword]), [clientKeyPath]);
    });

    it("destroy puts back a conf.d dot-file it took over, and warns, naming it, that it opens an anonymous listener", async () => {
        execFileSync("docker", ["exec", broker, "sh", "-c", "printf 'listener 1884\\nallow_anonymous true\\n' > /etc/mosquitto/conf.d/.rival.conf"]);
        await up(true);
        assert.match(
            execFileSync("docker", ["exec", broker, "ls", "-A", "/etc/mosquitto/conf.d"], { encoding: "utf8" }),
            /^\.rival\.conf\.mqtt-lab-disabled$/m,
            "taken over",
        );
        const d = spawnSync("pulumi", ["destroy", "--yes", "--skip-preview", "--non-interactive", "--color", "never", "--stack", t.stack.name], {
            cwd: repoRoot,
            encoding: "utf8",
            timeout: 600_000,
            env: { ...process.env, ...t.env },
        });
        const said = `${d.stdout}\n${d.stderr}`;
        assert.equal(d.status, 0, said);
        assert.match(
            said,
            /warning: mqtt-lab: destroy put back \/etc\/mosquitto\/conf\.d\/\.rival\.conf, which opens a plaintext listener on port 1884 and anonymous access \(allow_anonymous true\)/,
            said,
        );
        assert.doesNotMatch(said, new RegExp(teachingPassword), "no secret in what destroy says");
    });
});
