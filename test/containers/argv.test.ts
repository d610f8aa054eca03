/**
 * The teaching password never reaches a command line on the client host, where any local user
 * could read it (`ps`, /proc/PID/cmdline). Not sampled with ps: strace, from the Docker host,
 * follows the client container's sshd and every process it starts (-f), and records the argv
 * and environment of every execve while the checks run over SSH. A positive control proves the
 * recorder sees a password that is put in argv. Its own hosts on 172.30.205.0/24.
 */
import assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { startTeachingBroker, TeachingBroker } from "../../testkit/teachingBroker";

/** Records every execve (argv and environment) of `pid` and its descendants, until `stop`. */
async function recordExecs(pid: number, file: string): Promise<{ stop: () => Promise<string> }> {
    const strace: ChildProcess = spawn("strace", ["-f", "-v", "-e", "trace=execve", "-s", "65536", "-o", file, "-p", String(pid)], {
        stdio: ["ignore", "ignore", "pipe"],
    });
    let said = "";
    const exited = new Promise<void>((resolve) => strace.on("close", () => resolve()));
    await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`strace did not attach to ${pid} within 10 s: ${said}`)), 10000);
        strace.stderr!.on("data", (d: Buffer) => {
            said += d.toString();
            if (/Process \d+ attached/.test(said)) {
                clearTimeout(timer);
                resolve();
            }
        });
        strace.on("error", (e) => reject(e));
    });
    return {
        stop: async () => {
            strace.kill("SIGINT"); // detaches from every traced process and exits
            await exited;
            return readFileSync(file, "utf8");
        },
    };
}

/** The host PID of the sshd that listens in `container` (new sessions are its children). */
function sshdListener(container: string): number {
    const rows = execFileSync("docker", ["top", container, "-eo", "pid,args"], { encoding: "utf8" }).trim().split("\n").slice(1);
    const row = rows.find((r) => /sshd: \/usr\/sbin\/sshd .*\[listener\]/.test(r));
    assert.ok(row, `no sshd listener in ${container}: ${rows.join(" | ")}`);
    return Number(row.trim().split(/\s+/)[0]);
}

/** The execve lines of a recording that contain `needle`. */
const linesWith = (recording: string, needle: string) => recording.split("\n").filter((l) => l.includes("execve(") && l.includes(needle));

describe("The teaching password on the client host", () => {
    let t: TeachingBroker;
    let dir: string;
    const teaching = { password: `argv-${randomBytes(8).toString("hex")}` };

    before(async () => {
        execFileSync("strace", ["-V"]); // fails loudly when strace is missing (scripts/setup.sh installs it)
        dir = mkdtempSync(path.join(tmpdir(), "mqtt-lab-argv-"));
        t = await startTeachingBroker("172.30.205", [{ name: "client-a", topics: ["lab/#"], host: "client" }]);
        const r = await t.apply(teaching);
        assert.equal(r.code, 0, r.stderr);
    });
    after(() => {
        t?.cleanup();
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("never appears in the argv or environment of any program the checks start, though they use it", async () => {
        const rec = await recordExecs(sshdListener(t.lab.clientContainer), path.join(dir, "checks.strace"));
        const c = await t.checks(teaching);
        const recording = await rec.stop();
        assert.equal(c.code, 0, c.stderr);
        // The password was used: the student's publish went through, and the capture saw it on the wire.
        assert.match(c.stdout, /^PASS capture-plaintext: .*the password crossed in clear too \(\[redacted\]\)$/m);
        assert.match(c.stdout, /^PASS teaching-namespace/m);
        // The recording holds the checks' programs: what it did not see, it could not have missed.
        for (const program of ["mosquitto_pub", "mosquitto_sub", "grep", "dumpcap", "openssl"])
            assert.ok(linesWith(recording, `/${program}"`).length > 0, `strace recorded no execve of ${program}`);
        assert.deepEqual(linesWith(recording, teaching.password), [], "the password is on a command line");
        assert.ok(linesWith(recording, '"-u", "student"').length === 0, "the user name is not on a command line either");
        // Nothing of it left on the host: the private folder went with the script.
        const left = await t.lab.run("client", `grep -rlF -- '${teaching.password}' /tmp "$HOME" 2>/dev/null || true`);
        assert.equal(left.stdout.trim(), "", `files still holding the password: ${left.stdout}`);
    });

    it("is caught by the same recording when a script does put it in argv (positive control)", async () => {
        const rec = await recordExecs(sshdListener(t.lab.clientContainer), path.join(dir, "leak.strace"));
        // What the checks did before: the password read from stdin, then handed to mosquitto_pub -P and grep.
        const leak = await t.lab.run(
            "client",
            `bash -c 'IFS= read -r pw; mosquitto_pub -h ${t.lab.broker.address} -p 1883 -u student -P "$pw" -t lab/leak -m x; echo "$pw" | grep -qF -- "$pw"'`,
            `${teaching.password}\n`,
        );
        const recording = await rec.stop();
        assert.equal(leak.code, 0, leak.stderr);
        const caught = linesWith(recording, teaching.password);
        assert.equal(caught.length, 2, `expected mosquitto_pub and grep with the password in argv, got: ${caught.join("\n")}`);
        assert.match(caught[0], /execve\("\/usr\/bin\/mosquitto_pub", \[.*"-P", "argv-[0-9a-f]+"/);
        assert.match(caught[1], /execve\("\/usr\/bin\/grep"/);
    });
});
