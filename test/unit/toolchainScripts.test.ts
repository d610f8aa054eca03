/**
 * The shell pieces that make `pulumi` work in a plain shell, run with stand-in CLIs (scripts that
 * print their version or their environment): nothing is built, no engine runs.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const repo = path.join(__dirname, "..", "..", "..");
let tmp: string;
before(() => (tmp = mkdtempSync(path.join(tmpdir(), "mqttlab-toolchain-"))));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** An executable `pulumi` in `dir` running `body`. */
function stub(dir: string, body: string): string {
    mkdirSync(dir, { recursive: true });
    const f = path.join(dir, "pulumi");
    writeFileSync(f, `#!/bin/sh\n${body}\n`);
    chmodSync(f, 0o755);
    return f;
}

const basePath = "/usr/bin:/bin";

describe("find-pulumi.sh (an installed CLI instead of a build)", () => {
    const find = (dirs: string[], env: Record<string, string> = {}) =>
        spawnSync("bash", [path.join(repo, "toolchain", "find-pulumi.sh"), "v3.248.0"], {
            encoding: "utf8",
            env: { PATH: [...dirs, basePath].join(":"), MQTTLAB_CACHE: path.join(tmp, "no-cache"), ...env },
        });
    // Which CLI versions found on PATH are used instead of a build, by what they are.
    const used = { "the pinned version": "v3.248.0", "a newer version of the same major": "v3.250.1" };
    const notUsed = { "an older version": "v3.247.0", "another major": "v4.0.0", "something that is not a version": "oops" };
    for (const [what, version] of [...Object.entries(used), ...Object.entries(notUsed)]) {
        const expected = Object.values(used).includes(version);
        it(`${expected ? "uses" : "does not use"} ${what} (${version})`, () => {
            const f = stub(path.join(tmp, `v-${version}`), `echo ${version}`);
            const r = find([path.dirname(f)]);
            assert.equal(r.status, expected ? 0 : 1, r.stderr);
            assert.equal(r.stdout.trim(), expected ? f : "");
        });
    }
    it("builds when MQTTLAB_BUILD_PULUMI=1, even with a good CLI on PATH", () => {
        const f = stub(path.join(tmp, "forced"), "echo v3.250.0");
        assert.equal(find([path.dirname(f)]).status, 0);
        const r = find([path.dirname(f)], { MQTTLAB_BUILD_PULUMI: "1" });
        assert.equal(r.status, 1);
        assert.equal(r.stdout, "");
    });
    it("skips the mqtt-lab launcher and the toolchain's own bin, taking the next CLI on PATH", () => {
        const launcher = stub(path.join(tmp, "launcher"), "# mqtt-lab launcher\necho v3.260.0");
        const cache = path.join(tmp, "cache");
        const own = stub(path.join(cache, "bin"), "echo v3.260.0");
        const user = stub(path.join(tmp, "user"), "echo v3.249.0");
        const r = find([path.dirname(launcher), path.dirname(own), path.dirname(user)], { MQTTLAB_CACHE: cache });
        assert.equal(r.stdout.trim(), user, r.stderr);
    });
});

describe("the pulumi launcher (toolchain/launcher.sh)", () => {
    let cache: string;
    let launcherDir: string;
    let checkout: string;
    before(() => {
        cache = path.join(tmp, "lcache");
        // The project's CLI, a stand-in printing what it was given.
        stub(path.join(cache, "bin"), 'echo "project-cli $*"; env | grep -E "^(PULUMI_|MQTTLAB_CACHE=)" | sort');
        launcherDir = path.join(tmp, "lbin");
        mkdirSync(launcherDir);
        const text = readFileSync(path.join(repo, "toolchain", "launcher.sh"), "utf8").replace("@MQTTLAB_CACHE@", cache);
        writeFileSync(path.join(launcherDir, "pulumi"), text);
        chmodSync(path.join(launcherDir, "pulumi"), 0o755);
        checkout = path.join(tmp, "checkout");
        mkdirSync(path.join(checkout, "toolchain"), { recursive: true });
        mkdirSync(path.join(checkout, "sub", "dir"), { recursive: true });
        writeFileSync(path.join(checkout, "Pulumi.yaml"), "name: mqtt-lab\nruntime: nodejs\n");
        for (const f of ["env.sh", "project-env.sh"]) copyFileSync(path.join(repo, "toolchain", f), path.join(checkout, "toolchain", f));
    });
    const run = (cwd: string, home: string, extraPath: string[] = [], env: Record<string, string> = {}) =>
        spawnSync(path.join(launcherDir, "pulumi"), ["version"], {
            cwd,
            encoding: "utf8",
            env: { HOME: home, PATH: [launcherDir, ...extraPath, basePath].join(":"), ...env },
        });

    it("inside a checkout (or below it), runs the project's CLI with plugin home, backend, offline switches and a passphrase file made for this user, 0600", () => {
        const home = path.join(tmp, "home1");
        mkdirSync(home);
        const r = run(path.join(checkout, "sub", "dir"), home);
        assert.equal(r.status, 0, r.stderr);
        const file = path.join(home, ".config", "mqtt-lab", "passphrase");
        assert.match(r.stdout, /^project-cli version$/m);
        assert.match(r.stdout, new RegExp(`^PULUMI_HOME=${cache}/pulumi-home$`, "m"));
        assert.match(r.stdout, new RegExp(`^PULUMI_BACKEND_URL=file://${checkout}/.pulumi-state$`, "m"));
        assert.match(r.stdout, new RegExp(`^PULUMI_CONFIG_PASSPHRASE_FILE=${file}$`, "m"));
        assert.match(r.stdout, /^PULUMI_SKIP_UPDATE_CHECK=true$/m);
        assert.match(r.stdout, /^PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true$/m);
        assert.doesNotMatch(r.stdout, /^PULUMI_CONFIG_PASSPHRASE=/m);
        assert.equal(statSync(file).mode & 0o777, 0o600);
        assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
        const phrase = readFileSync(file, "utf8").trim();
        assert.ok(Buffer.from(phrase, "base64").length >= 16, "at least 128 random bits");
        // Made once: a second run keeps it; another user (HOME) gets another one.
        run(checkout, home);
        assert.equal(readFileSync(file, "utf8").trim(), phrase);
        const home2 = path.join(tmp, "home2");
        mkdirSync(home2);
        run(checkout, home2);
        assert.notEqual(readFileSync(path.join(home2, ".config", "mqtt-lab", "passphrase"), "utf8").trim(), phrase);
    });

    it("keeps what the user set: their passphrase, backend and plugin home win", () => {
        const home = path.join(tmp, "home3");
        mkdirSync(home);
        const r = run(checkout, home, [], { PULUMI_CONFIG_PASSPHRASE: "theirs", PULUMI_BACKEND_URL: "file:///elsewhere", PULUMI_HOME: "/their/home" });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^PULUMI_CONFIG_PASSPHRASE=theirs$/m);
        assert.doesNotMatch(r.stdout, /^PULUMI_CONFIG_PASSPHRASE_FILE=/m);
        assert.match(r.stdout, /^PULUMI_BACKEND_URL=file:\/\/\/elsewhere$/m);
        assert.match(r.stdout, /^PULUMI_HOME=\/their\/home$/m);
        assert.equal(existsSync(path.join(home, ".config", "mqtt-lab")), false, "no passphrase made when the user has one");
    });

    it("refuses a passphrase file others can read, in one line", () => {
        const home = path.join(tmp, "home4");
        mkdirSync(path.join(home, ".config", "mqtt-lab"), { recursive: true });
        writeFileSync(path.join(home, ".config", "mqtt-lab", "passphrase"), "x\n", { mode: 0o644 });
        const r = run(checkout, home);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr.trim(), /^mqtt-lab: \S+passphrase is mode 644; it must be readable by you alone: chmod 600 \S+$/);
    });

    it("outside a checkout, runs the user's own pulumi untouched, or the project's CLI plainly when there is none", () => {
        const own = stub(path.join(tmp, "own"), 'echo "own-cli $*"; env | grep -c "^PULUMI_" || true');
        const outside = mkdtempSync(path.join(tmp, "outside-"));
        const home = path.join(tmp, "home5");
        mkdirSync(home);
        const r = run(outside, home, [path.dirname(own)]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "own-cli version\n0\n");
        const plain = run(outside, home);
        assert.match(plain.stdout, /^project-cli version$/m);
        assert.doesNotMatch(plain.stdout, /^PULUMI_/m);
        assert.equal(existsSync(path.join(home, ".config")), false);
    });
});
