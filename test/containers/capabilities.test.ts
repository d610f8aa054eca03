/**
 * The containers' capabilities (src/config/capabilities.ts) measured on the lab's base image:
 * with the lab's set, every behaviour the lab relies on works; with any one capability of it left
 * out, the behaviour it is there for breaks. So the set holds nothing that is not needed, and
 * each capability says what it is for. Its own containers on 172.30.209.0/24, labelled.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { utils } from "ssh2";
import { containerCapabilities } from "../../src/config/capabilities";
import { sshExec, SshTarget } from "../../src/ssh/exec";
import { sshFingerprint } from "../../src/ssh/fingerprint";
import { requireImage } from "../../testkit/labHosts";

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const id = `cap${Date.now().toString(36)}`;
const network = `mqtt-lab-${id}`;

interface Started {
    name: string;
    ssh: SshTarget;
}

/** Whether `cmd` succeeds as root in the container (docker exec keeps the container's capabilities). */
const inside = (cmd: string) => (c: Started) => Promise.resolve(spawnSync("docker", ["exec", c.name, "bash", "-c", cmd], { timeout: 60_000 }).status === 0);
/** Whether root logs in over SSH (host key pinned) and runs `cmd` with exit 0 and `want` in its output. */
const overSsh =
    (cmd: string, want: RegExp, pty = false) =>
    async (c: Started) => {
        try {
            const r = await sshExec(c.ssh, cmd, { pty, timeoutMs: 30_000 });
            return r.code === 0 && want.test(r.stdout);
        } catch {
            return false;
        }
    };

/** What each capability of the set is for, as a probe that must pass with it and fail without it. */
const needs: Record<string, { what: string; works: (c: Started) => Promise<boolean> }> = {
    CAP_AUDIT_WRITE: { what: "an SSH login with a terminal", works: overSsh("tty", /^\/dev\/pts\/\d+/, true) },
    CAP_CHOWN: { what: "root giving a file to group mosquitto (broker-apply.sh)", works: inside("touch /tmp/f && chgrp mosquitto /tmp/f") },
    CAP_DAC_OVERRIDE: { what: "root reading mosquitto's log, owned by mosquitto", works: inside("cat /var/log/mosquitto/mosquitto.log >/dev/null") },
    CAP_FOWNER: {
        what: "root copying, mode kept, a file owned by mosquitto (the apply's backup, cp -p)",
        works: inside("rm -f /tmp/o /tmp/o.bak && touch /tmp/o && chmod 640 /tmp/o && chown mosquitto /tmp/o && cp -p /tmp/o /tmp/o.bak"),
    },
    CAP_KILL: { what: "root sending mosquitto SIGHUP (a reload)", works: inside("pkill -HUP -x mosquitto") },
    CAP_NET_RAW: { what: "dumpcap capturing (the checks' capture)", works: inside("timeout 30 dumpcap -i any -a duration:1 -P -w /tmp/c.pcap -q") },
    CAP_SETGID: { what: "mosquitto dropping to its user and group", works: inside('[ "$(ps -o user= -C mosquitto)" = mosquitto ]') },
    CAP_SETUID: { what: "an SSH login (privilege separation)", works: overSsh("id -u", /^0$/m) },
    CAP_SYS_CHROOT: { what: "an SSH login (sshd's chrooted pre-auth child)", works: overSsh("id -u", /^0$/m) },
};

describe("The containers' capabilities", { timeout: 600_000 }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mqtt-lab-test-caps-"));
    const names: string[] = [];
    const clientKey = utils.generateKeyPairSync("ed25519");
    let next = 20;

    /** A container of the base image with `caps` added to nothing, sshd serving a key we pinned. */
    async function start(caps: readonly string[]): Promise<Started> {
        const n = next++;
        const name = `${network}-${n}`;
        names.push(name);
        const hostKey = utils.generateKeyPairSync("ed25519");
        const root = path.join(dir, String(n));
        mkdirSync(path.join(root, "etc", "ssh"), { recursive: true });
        mkdirSync(path.join(root, "root", ".ssh"), { recursive: true, mode: 0o700 });
        writeFileSync(path.join(root, "etc", "ssh", "ssh_host_ed25519_key"), hostKey.private, { mode: 0o600 });
        writeFileSync(path.join(root, "etc", "ssh", "ssh_host_ed25519_key.pub"), hostKey.public);
        writeFileSync(path.join(root, "root", ".ssh", "authorized_keys"), clientKey.public, { mode: 0o600 });
        chmodSync(path.join(root, "root", ".ssh"), 0o700);
        const address = `172.30.209.${n}`;
        const flags = ["--cap-drop", "ALL", ...caps.flatMap((c) => ["--cap-add", c])];
        docker("create", "--name", name, "--network", network, "--ip", address, ...flags, "--label", `mqtt-lab-run=${id}`, requireImage());
        docker("cp", `${root}/.`, `${name}:/`);
        docker("start", name);
        // lab-init says "ready" once sshd and mosquitto were started (or failed to).
        const logs = () => spawnSync("docker", ["logs", name], { encoding: "utf8" }).stderr;
        for (let i = 0; !logs().includes("lab-init: ready"); i++) {
            if (i > 120) throw new Error(`${name} never got ready: ${logs()}`);
            await new Promise((r) => setTimeout(r, 250));
        }
        return { name, ssh: { address, port: 22, user: "root", fingerprint: sshFingerprint(hostKey.public), privateKey: clientKey.private } };
    }

    before(() => {
        docker("network", "create", "--subnet", "172.30.209.0/24", "--label", `mqtt-lab-run=${id}`, network);
    });
    after(() => {
        for (const n of names) spawnSync("docker", ["rm", "-f", n]);
        spawnSync("docker", ["network", "rm", network]);
        rmSync(dir, { recursive: true, force: true });
    });

    it("says what each capability of the set is for", () => {
        assert.deepEqual([...containerCapabilities.adds].sort(), Object.keys(needs).sort());
    });

    it("with the lab's set, everything the lab relies on works", async () => {
        const c = await start(containerCapabilities.adds);
        for (const [cap, n] of Object.entries(needs)) assert.ok(await n.works(c), `${n.what} (${cap}) works with the lab's set`);
    });

    for (const cap of containerCapabilities.adds) {
        it(`without ${cap}, ${needs[cap].what} fails`, async () => {
            const c = await start(containerCapabilities.adds.filter((x) => x !== cap));
            assert.equal(await needs[cap].works(c), false, `${needs[cap].what} still works without ${cap}: it would not be needed`);
        });
    }
});
