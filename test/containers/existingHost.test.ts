/**
 * The existing-host image (image/variant.sh) that the peers bench gives every tool: a login user
 * with passwordless sudo, python3 for Ansible, and a systemctl stand-in that drives mosquitto as
 * the program's `systemd` service manager expects (reload is a SIGHUP that keeps the process,
 * restart a new process), reached over SSH with its pinned host key only.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { sshExec } from "../../src/ssh/exec";
import { sshFingerprint } from "../../src/ssh/fingerprint";
import { repoRoot } from "../../testkit/engineHarness";
import { ExistingHostPair, startExistingHosts } from "../../testkit/existingHosts";
import { requireImage } from "../../testkit/labHosts";
import { utils } from "ssh2";

describe("The existing-host image", () => {
    let hosts: ExistingHostPair;
    const id = `eh${Date.now().toString(36)}`;

    before(async () => {
        // Built once from the base image (cached by its inputs): a second run builds nothing.
        const image =
            execFileSync("bash", [path.join(repoRoot, "image", "variant.sh"), requireImage()], { encoding: "utf8" })
                .trim()
                .split("\n")
                .pop() ?? "";
        hosts = await startExistingHosts(image, "172.30.226", `mqtt-lab-${id}`, id);
    });
    after(() => hosts?.cleanup());

    const onBroker = (cmd: string) => sshExec(hosts.broker.target, cmd, { timeoutMs: 60_000 });
    const pid = async () => (await onBroker("pgrep -x mosquitto")).stdout.trim();

    it("lets the login user become root without a password, and has the python3 Ansible needs", async () => {
        const r = await onBroker("id -un; sudo -n id -u; /usr/bin/python3 -c 'print(42)'");
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.stdout.trim().split("\n"), ["lab", "0", "42"]);
    });

    it("reloads mosquitto with a SIGHUP that keeps the process, and restarts it as a new one", async () => {
        const first = await pid();
        assert.match(first, /^\d+$/, "mosquitto runs from the start");
        assert.equal((await onBroker("sudo -n systemctl reload mosquitto")).code, 0);
        assert.equal(await pid(), first, "a reload keeps the process");
        const log = await onBroker("sudo -n tail -n 3 /var/log/mosquitto/mosquitto.log");
        assert.match(log.stdout, /Reloading config/, "mosquitto saw the SIGHUP");
        const r = await onBroker("sudo -n systemctl restart mosquitto.service && systemctl is-active mosquitto");
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), "active");
        const second = await pid();
        assert.match(second, /^\d+$/);
        assert.notEqual(second, first, "a restart starts a new process");
    });

    it("refuses what it does not stand in for, and a caller who is not root", async () => {
        const other = await onBroker("sudo -n systemctl restart ssh");
        assert.notEqual(other.code, 0);
        assert.match(other.stderr, /only mosquitto is managed here, not ssh/);
        const notRoot = await onBroker("systemctl reload mosquitto");
        assert.notEqual(notRoot.code, 0);
        assert.match(notRoot.stderr, /must be root/);
    });

    it("serves only the host key it was given: a client pinning another key is refused", async () => {
        assert.equal(hosts.broker.target.fingerprint, sshFingerprint(hosts.broker.hostKey));
        const stranger = utils.generateKeyPairSync("ed25519");
        await assert.rejects(
            sshExec({ ...hosts.broker.target, fingerprint: sshFingerprint(stranger.public) }, "true", { timeoutMs: 20_000 }),
            /host key SHA256:\S+, pinned SHA256:/,
        );
    });
    it("lets the checks' capture start through sudo as the login user, as on a VM (dumpcap then belongs to root)", async () => {
        const lib = readFileSync(path.join(repoRoot, "remote", "lib.sh"), "utf8");
        const probe = [
            "AS_ROOT=sudo",
            'd=$(mktemp -d); started=no; capture_start "$d/c.pcap" "tcp port 22" && capture_ready "$d/c.pcap" && started=yes',
            'echo "started=$started ${capture_error:-}"',
            // Stopped by its own end marker, sent in clear, as the checks stop theirs.
            '[ "$started" = yes ] && send_in_clear 127.0.0.1 22 "end-$$" && capture_stop "$d/c.pcap" "end-$$" && echo "stopped packets=$(capture_packets "$d/c.pcap")"',
            'pgrep -x dumpcap && echo "still running"',
            'sudo -n rm -rf "$d"',
        ].join("\n");
        const r = await sshExec(hosts.client.target, "bash -s", { stdin: `${lib}\n${probe}\n`, timeoutMs: 60_000 });
        assert.match(hosts.client.target.user, /^lab$/, "the probe runs as the login user, not root");
        assert.match(r.stdout, /^started=yes/m, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /^stopped packets=[1-9]\d*$/m, `the capture saw its end marker and counted packets: ${r.stdout}\n${r.stderr}`);
        assert.doesNotMatch(r.stdout, /still running/, "the user stopped root's dumpcap");
    });
});
