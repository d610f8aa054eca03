/**
 * What the host-side scripts leave behind and what they never lose, run for real with bash on
 * scratch folders (no host): remote/lib.sh's run_dir (a killed run's private files cleared by the
 * next run, a run under way left alone), aside_name and open_access, and remote/broker-remove.sh
 * putting conf.d files back without overwriting any, warning about what they open.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { remoteFile, renderHeader } from "../../src/remote/compose";

const work = mkdtempSync(path.join(tmpdir(), "mqtt-lab-hygiene-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs `body` in bash after remote/lib.sh. */
function bash(body: string) {
    return spawnSync("bash", ["-c", `set -eu\n${remoteFile("lib")}\n${body}`], { cwd: work, encoding: "utf8" });
}

describe("run_dir: one private directory per run", () => {
    it("clears the directory of a run killed outright (and stops what still writes there), keeps one under way", async () => {
        // A run killed outright: its shell is gone (a pid that has exited), its files and a capture stay.
        const gone = spawnSync("bash", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
        const stale = `/tmp/mqtt-lab-run.${gone}.hygtest`;
        mkdirSync(stale, { mode: 0o700 });
        writeFileSync(path.join(stale, "mosquitto_pub"), "-u student\n-P pw-hygiene-test\n");
        // A stand-in dumpcap (a program of that name) writing to its stdout there, as capture_start has it.
        const standIn = path.join(stale, "..", `dumpcap-standin-${gone}`);
        mkdirSync(standIn, { recursive: true });
        copyFileSync("/bin/sleep", path.join(standIn, "dumpcap"));
        const pcap = openSync(path.join(stale, "plain.pcap"), "w");
        const capture = spawn(path.join(standIn, "dumpcap"), ["300"], { stdio: ["ignore", pcap, "ignore"] });
        closeSync(pcap);
        // A run under way: its shell is alive.
        const running = spawn("bash", ["-c", "sleep 300; :"], { stdio: "ignore" });
        const live = `/tmp/mqtt-lab-run.${running.pid}.hygtest`;
        mkdirSync(live, { mode: 0o700 });
        writeFileSync(path.join(live, "password"), "pw-live\n");
        const captureEnded = new Promise((r) => capture.once("exit", r));
        try {
            const r = bash(`d=$(run_dir); stat -c '%a' "$d"; rmdir "$d"`);
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout.trim(), "700", "the new run's directory is private");
            assert.equal(existsSync(stale), false, "the killed run's directory (with its password file) is gone");
            await captureEnded;
            assert.equal(capture.signalCode, "SIGTERM", "the capture that wrote there was stopped");
            assert.deepEqual(readdirSync(live), ["password"], "the run under way keeps its directory");
        } finally {
            running.kill();
            capture.kill();
            rmSync(live, { recursive: true, force: true });
            rmSync(stale, { recursive: true, force: true });
            rmSync(standIn, { recursive: true, force: true });
        }
    });

    it("is removed when the script ends, a SIGTERM (cancel) included", () => {
        for (const end of ["exit 0", "exit 3", "kill -TERM $$"]) {
            const r = bash(`d=$(run_dir); remove_on_exit "$d"; echo "$d"; echo secret > "$d/password"; ${end}`);
            const dir = r.stdout.trim();
            assert.match(dir, /^\/tmp\/mqtt-lab-run\.\d+\.\w+$/, r.stderr);
            assert.equal(existsSync(dir), false, `removed after ${end}`);
        }
    });
});

describe("aside_name and open_access", () => {
    it("never names an aside that is already taken", () => {
        const d = mkdtempSync(path.join(work, "aside-"));
        const r = bash(`f=${d}/confTP.conf; a=$(aside_name "$f"); echo "$a"; : > "$a"; b=$(aside_name "$f"); echo "$b"; : > "$b"; aside_name "$f"`);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.stdout.trim().split("\n"), [
            `${d}/confTP.conf.mqtt-lab-disabled`,
            `${d}/confTP.conf.mqtt-lab-disabled.2`,
            `${d}/confTP.conf.mqtt-lab-disabled.3`,
        ]);
    });

    const cases: { conf: string; said: string }[] = [
        { conf: "listener 1883\nallow_anonymous true\n", said: "a plaintext listener on port 1883 and anonymous access (allow_anonymous true)" },
        { conf: "listener 1884\npassword_file /etc/p\n", said: "a plaintext listener on port 1884" },
        { conf: "port 1885\n", said: "a plaintext listener on port 1885" },
        { conf: "listener 8884\ncertfile /c\nkeyfile /k\n", said: "" },
        { conf: "listener 8884\ncertfile /c\nlistener 1886\n", said: "a plaintext listener on port 1886" },
        { conf: "# listener 1883\nlog_type all\n", said: "" },
    ];
    for (const c of cases) {
        it(`says "${c.said}" of ${JSON.stringify(c.conf)}`, () => {
            const f = path.join(mkdtempSync(path.join(work, "conf-")), "x.conf");
            writeFileSync(f, c.conf);
            const r = bash(`open_access ${f}`);
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout.trim(), c.said);
        });
    }
});

describe("broker-remove.sh on a scratch conf.d", () => {
    it("puts each aside back under its free name, the earliest first, dot-files too; keeps the others; warns naming what opens a listener", () => {
        const root = mkdtempSync(path.join(work, "broker-"));
        const confD = path.join(root, "conf.d");
        mkdirSync(confD);
        mkdirSync(path.join(root, "mqtt-lab"));
        const files: Record<string, string> = {
            "confTP.conf.mqtt-lab-disabled": "# the original\nlistener 1883\nallow_anonymous true\n",
            "confTP.conf.mqtt-lab-disabled.2": "# moved aside later\nlistener 1883\n",
            ".hidden.conf.mqtt-lab-disabled": "listener 1884\n",
            "tls.conf.mqtt-lab-disabled": "listener 8884\ncertfile /c\n",
            "mine.conf.mqtt-lab-disabled": "listener 1887\n",
            "mine.conf": "# the user's own, made after the take-over\n",
            "mqtt-lab.conf": "listener 8883\n",
        };
        for (const [name, text] of Object.entries(files)) writeFileSync(path.join(confD, name), text);
        const header = renderHeader("broker-remove", {
            MQTTLAB_DIR: path.join(root, "mqtt-lab"),
            CONF: path.join(confD, "mqtt-lab.conf"),
            CONF_D: confD,
            SERVICE_MANAGER: "signals",
        });
        // As sent, but with mosquitto_restart stubbed: this machine's mosquitto is not ours.
        const script = `${header}\n${remoteFile("lib")}\nmosquitto_restart() { :; }\n${remoteFile("broker-remove")}`;
        const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(readdirSync(confD).sort(), [
            ".hidden.conf",
            "confTP.conf",
            "confTP.conf.mqtt-lab-disabled.2",
            "mine.conf",
            "mine.conf.mqtt-lab-disabled",
            "tls.conf",
        ]);
        assert.equal(readFileSync(path.join(confD, "confTP.conf"), "utf8"), files["confTP.conf.mqtt-lab-disabled"], "the original came back");
        assert.equal(readFileSync(path.join(confD, "mine.conf"), "utf8"), files["mine.conf"], "a file already there is never overwritten");
        const warnings = r.stderr.split("\n").filter((l) => l.startsWith("::warning::"));
        const at = (f: string) => path.join(confD, f);
        assert.deepEqual(
            warnings.sort(),
            [
                `::warning::mqtt-lab: destroy left ${at("confTP.conf.mqtt-lab-disabled.2")} as it is: ${at("confTP.conf")} exists (nothing was overwritten); compare them and keep the one you want`,
                `::warning::mqtt-lab: destroy left ${at("mine.conf.mqtt-lab-disabled")} as it is: ${at("mine.conf")} exists (nothing was overwritten); compare them and keep the one you want`,
                `::warning::mqtt-lab: destroy put back ${at(".hidden.conf")}, which opens a plaintext listener on port 1884: mosquitto serves it again; remove it if that is not what you want`,
                `::warning::mqtt-lab: destroy put back ${at("confTP.conf")}, which opens a plaintext listener on port 1883 and anonymous access (allow_anonymous true): mosquitto serves it again; remove it if that is not what you want`,
            ].sort(),
        );
        assert.equal(existsSync(path.join(root, "mqtt-lab")), false);
    });
});
