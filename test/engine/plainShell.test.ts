/**
 * The README's `pulumi` lines, as written, in a new login shell with nothing sourced and nothing
 * exported (`env -i HOME=… bash -l -c …`): the launcher that scripts/setup.sh installed must
 * supply plugin home, backend, passphrase and offline switches by itself. It runs in a throw-away
 * clone of this repository, with its own backend (the clone's .pulumi-state), its own HOME (so
 * its own passphrase), and its own lab name and subnet: never the user's `lab`. The lines come
 * from the README's block marked `plain-shell`, so the README and this test cannot drift apart.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { containersOfRun, repoRoot, runId } from "../../testkit/engineHarness";

/** The lines of the README block that follows the `plain-shell` marker, comments dropped. */
export function plainShellLines(readme: string): string[] {
    const at = readme.indexOf("<!-- plain-shell");
    assert.ok(at >= 0, "README.md has no <!-- plain-shell --> block");
    const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
    assert.ok(block, "no ```sh block after the plain-shell marker");
    return block[1]
        .split("\n")
        .map((l) => l.replace(/\s+#.*$/, "").trim())
        .filter((l) => l && !l.startsWith("#"));
}

const id = runId();
const work = mkdtempSync(path.join(tmpdir(), "mqtt-lab-test-plain-"));
const clone = path.join(work, "clone");
const home = path.join(work, "home");
const subnetOctet = 230 + Math.floor(Math.random() * 10);
const broker = `172.30.${subnetOctet}.10`;

/** One command in a new login shell: only HOME is given, PATH comes from /etc/profile. */
function plain(cmd: string, timeout = 600_000): { status: number | null; out: string; stdout: string; stderr: string } {
    const r = spawnSync("env", ["-i", `HOME=${home}`, "bash", "-l", "-c", `cd ${clone} && ${cmd}`], { encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 }); // a stack export is megabytes
    if (r.error) throw r.error;
    return { status: r.status, out: `${r.stdout}\n${r.stderr}`, stdout: r.stdout, stderr: r.stderr };
}
function ok(cmd: string): string {
    const r = plain(cmd);
    assert.equal(r.status, 0, `${cmd} exited ${r.status}:\n${r.out.slice(-4000)}`);
    return r.out;
}

/** The serial of the certificate the broker serves. */
function servedSerial(): string {
    return execFileSync("bash", ["-c", `openssl s_client -connect ${broker}:8883 </dev/null 2>/dev/null | openssl x509 -noout -serial`], {
        encoding: "utf8",
        timeout: 30_000,
    }).trim();
}

describe("pulumi in a plain login shell, the README's lines as written", { timeout: 3_600_000 }, () => {
    // Cleanup first: tear down through the launcher, then whatever still carries the run label.
    after(() => {
        try {
            if (existsSync(path.join(clone, ".pulumi-state", ".pulumi", "stacks"))) plain("pulumi destroy --yes --stack lab --non-interactive");
        } finally {
            for (const c of containersOfRun(id)) spawnSync("docker", ["rm", "-f", c]);
            spawnSync("bash", ["-c", `docker network ls -q --filter label=mqtt-lab-run=${id} | xargs -r docker network rm`]);
            rmSync(work, { recursive: true, force: true });
        }
    });

    before(() => {
        mkdirSync(home);
        execFileSync("git", ["clone", "--quiet", "--no-hardlinks", repoRoot, clone]);
    });

    it("finds the launcher on the login PATH, and no Pulumi variable is set by hand", () => {
        const r = plain('command -v pulumi; env | grep -c "^PULUMI_" || true');
        assert.deepEqual(r.stdout.trim().split("\n"), ["/usr/local/bin/pulumi", "0"], r.out);
    });

    it("brings the clone's lab up with the README's lab command and prints a readable summary", () => {
        // The clone's own lab: a stack of its own backend, its own name and subnet, labelled for sweep.sh.
        ok("pulumi stack init lab");
        ok(
            `pulumi config set mqtt-lab:labName ${id} && pulumi config set mqtt-lab:subnet 172.30.${subnetOctet}.0/24 && pulumi config set mqtt-lab:runId ${id}`,
        );
        const lab = plain("npm run lab");
        assert.equal(lab.status, 0, `npm run lab exited ${lab.status}:\n${lab.out.slice(-4000)}`);
        // What the user reads at the end is the summary on stdout; the engine's log goes to stderr.
        const out = lab.stdout;
        assert.doesNotMatch(out, /\\n|\[\s*"PASS/, "no JSON array of check strings");
        assert.match(out, /^ {2}PASS {2}tls-roundtrip +client-a on client 172\.30\.\d+\.11: /m);
        assert.doesNotMatch(out, /^ {2}FAIL/m);
        assert.match(out, /^Evidence report: \S+evidence\/up-lab\.md$/m);
        assert.match(out, new RegExp(`^Broker: ${broker.replace(/\./g, "\\.")}:8883 `, "m"));
        assert.match(out, /^ {2}npm run bundle -- client-a \.\/lab-out --stack lab$/m);
        assert.match(out, /^ {2}pulumi destroy --yes --stack lab /m);
        // The passphrase: made for this HOME, 0600, outside the clone; nothing written to the repository.
        const phrase = path.join(home, ".config", "mqtt-lab", "passphrase");
        assert.equal(statSync(phrase).mode & 0o777, 0o600);
    });

    it("the state decrypts with the generated passphrase only", () => {
        const wrong = plain("PULUMI_CONFIG_PASSPHRASE=not-the-one pulumi stack export --show-secrets --stack lab");
        assert.notEqual(wrong.status, 0);
        assert.match(wrong.out, /incorrect passphrase/);
        const right = ok("pulumi stack export --show-secrets --stack lab");
        assert.match(right, /BEGIN (EC )?PRIVATE KEY/);
        const stored = readdirSync(path.join(clone, ".pulumi-state", ".pulumi", "stacks", "mqtt-lab"))
            .filter((f) => f.endsWith(".json"))
            .map((f) => readFileSync(path.join(clone, ".pulumi-state", ".pulumi", "stacks", "mqtt-lab", f), "utf8"))
            .join("\n");
        assert.doesNotMatch(stored, /BEGIN (EC |OPENSSH )?PRIVATE KEY/, "no key in clear at rest");
    });

    it("runs every line of the README's plain-shell block, the rotation serving a new certificate", () => {
        const lines = plainShellLines(readFileSync(path.join(clone, "README.md"), "utf8"));
        for (const needed of [
            /^pulumi version$/,
            /^pulumi config set --path mqtt-lab:pki\./,
            /^pulumi preview --policy-pack policies$/,
            /^pulumi refresh/,
            /^npm run bundle/,
            /^npm run verify/,
            /^pulumi cancel/,
            /^pulumi destroy/,
        ]) {
            assert.ok(
                lines.some((l) => needed.test(l)),
                `the README's block lacks ${needed}`,
            );
        }
        let serial = servedSerial();
        let rotated = false;
        for (const line of lines) {
            if (/^pulumi destroy/.test(line)) {
                // Before tear-down: the backup restored on a fresh backend previews with no changes.
                renameSync(path.join(clone, ".pulumi-state"), path.join(work, "state-before"));
                renameSync(path.join(home, ".config"), path.join(work, "config-before"));
                ok("bash scripts/state.sh restore ~/mqtt-lab-backup.tar");
                ok("pulumi preview --expect-no-changes --stack lab");
            }
            const out = ok(line);
            if (/^pulumi version$/.test(line)) assert.match(out, /^v3\.\d+\.\d+$/m);
            if (/^pulumi config set --path mqtt-lab:pki\.leafValidityHours/.test(line)) rotated = true;
            if (/^pulumi up/.test(line) && rotated) {
                const now = servedSerial();
                assert.notEqual(now, serial, "the rotation serves a new broker certificate");
                serial = now;
                rotated = false;
            }
            if (/^npm run bundle/.test(line)) {
                for (const f of ["ca.crt", "client.crt", "client.key"]) assert.equal(statSync(path.join(clone, "lab-out", f)).mode & 0o777, 0o600, f);
            }
            if (/^npm run verify/.test(line)) assert.match(out, /^report: \S+verify-lab-/m);
        }
        assert.deepEqual(containersOfRun(id), [], "the tear-down leaves no container of this run");
    });

    it("refuses a typo in a config key before any change, naming the nearest key", () => {
        ok("pulumi config set mqtt-lab:tlsPrt 8884");
        const r = plain("pulumi preview --stack lab");
        assert.notEqual(r.status, 0);
        assert.match(r.out, /\[mqtt-lab:tlsPrt\] is not a setting of this program: did you mean \[mqtt-lab:tlsPort\]\?/);
        ok("pulumi config rm mqtt-lab:tlsPrt");
    });

    it("leaves the clone's git status clean", () => {
        assert.equal(execFileSync("git", ["-C", clone, "status", "--porcelain"], { encoding: "utf8" }), "");
    });
});
