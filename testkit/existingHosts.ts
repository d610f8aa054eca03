/**
 * Two "existing hosts" for benches: containers from the existing-host image (image/variant.sh:
 * the base image plus sudo, python3, a login user `lab` with passwordless sudo and a systemctl
 * stand-in), on a network of their own, reached over SSH as `lab` with host keys generated here
 * and pinned from the first connection on. Everything carries the run's label, and `cleanup`
 * removes it even after a failure; scripts/sweep.sh finds what a killed run left.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { utils } from "ssh2";
import { sshExec, SshTarget } from "../src/ssh/exec";
import { sshFingerprint } from "../src/ssh/fingerprint";

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).trim();

export interface ExistingHost {
    role: "broker" | "client";
    address: string;
    /** The pinned host key, authorized_keys format ("ssh-ed25519 AAAA..."). */
    hostKey: string;
    target: SshTarget;
}

export interface ExistingHostPair {
    /** Names the network and containers: `<name>-broker`, `<name>-client`, `<name>-net`. */
    name: string;
    user: string;
    broker: ExistingHost;
    client: ExistingHost;
    /** The SSH client key (OpenSSH format, 0600) and a known_hosts file with both pinned keys, for OpenSSH's own client. */
    keyFile: string;
    knownHosts: string;
    privateKey: string;
    cleanup: () => void;
}

/**
 * Starts two fresh existing hosts on `subnetPrefix`.0/24 (.10 broker, .11 client), labelled
 * mqtt-lab-run=`runLabel`; returns once both answer over SSH with their pinned key.
 */
export async function startExistingHosts(image: string, subnetPrefix: string, name: string, runLabel: string): Promise<ExistingHostPair> {
    const dir = mkdtempSync(path.join(tmpdir(), "mqtt-lab-test-hosts-"));
    const net = `${name}-net`;
    const containers: string[] = [];
    const cleanup = () => {
        for (const c of containers) {
            try {
                docker("rm", "-f", c);
            } catch {
                /* already gone */
            }
        }
        try {
            docker("network", "rm", net);
        } catch {
            /* already gone */
        }
        rmSync(dir, { recursive: true, force: true });
    };
    try {
        const label = `mqtt-lab-run=${runLabel}`;
        docker("network", "create", "--subnet", `${subnetPrefix}.0/24`, "--label", label, net);
        const client = utils.generateKeyPairSync("ed25519");
        const keyFile = path.join(dir, "id_ed25519");
        writeFileSync(keyFile, client.private, { mode: 0o600 });
        const make = (role: "broker" | "client", address: string): ExistingHost => {
            const hostKey = utils.generateKeyPairSync("ed25519");
            const root = path.join(dir, role);
            mkdirSync(path.join(root, "etc", "ssh"), { recursive: true });
            mkdirSync(path.join(root, "home", "lab", ".ssh"), { recursive: true });
            writeFileSync(path.join(root, "etc", "ssh", "ssh_host_ed25519_key"), hostKey.private, { mode: 0o600 });
            writeFileSync(path.join(root, "etc", "ssh", "ssh_host_ed25519_key.pub"), hostKey.public);
            writeFileSync(path.join(root, "home", "lab", ".ssh", "authorized_keys"), client.public, { mode: 0o600 });
            chmodSync(path.join(root, "home", "lab", ".ssh"), 0o700);
            const c = `${name}-${role}`;
            containers.push(c);
            docker("create", "--name", c, "--hostname", role, "--network", net, "--ip", address, "--cap-add", "NET_RAW", "--label", label, image);
            docker("cp", `${root}/.`, `${c}:/`);
            docker("start", c);
            // docker cp writes as root: the login user's own ~/.ssh, as sshd's StrictModes wants it.
            docker("exec", c, "chown", "-R", "lab:lab", "/home/lab");
            const pub = hostKey.public.trim().split(/\s+/).slice(0, 2).join(" ");
            return {
                role,
                address,
                hostKey: pub,
                target: { address, port: 22, user: "lab", fingerprint: sshFingerprint(pub), privateKey: client.private },
            };
        };
        const broker = make("broker", `${subnetPrefix}.10`);
        const clientHost = make("client", `${subnetPrefix}.11`);
        const knownHosts = path.join(dir, "known_hosts");
        writeFileSync(knownHosts, `${broker.address} ${broker.hostKey}\n${clientHost.address} ${clientHost.hostKey}\n`);
        // sshd comes up a moment after the container: retry, bounded.
        for (let i = 0; ; i++) {
            try {
                for (const h of [broker, clientHost]) {
                    const r = await sshExec(h.target, "sudo -n true", { timeoutMs: 10000 });
                    if (r.code !== 0) throw new Error(`sudo on ${h.role}: ${r.stderr}`);
                }
                break;
            } catch (e) {
                // A loaded machine can take a while to start sshd: a minute, then say what the containers said.
                if (i >= 240) {
                    const logs = containers.map(
                        (c) => `${c}: ${execFileSync("docker", ["logs", "--tail", "5", c], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim()}`,
                    );
                    throw new Error(`${(e as Error).message}; container logs: ${logs.join("; ")}`, { cause: e });
                }
                await new Promise((r) => setTimeout(r, 250));
            }
        }
        return { name, user: "lab", broker, client: clientHost, keyFile, knownHosts, privateKey: client.private, cleanup };
    } catch (e) {
        cleanup();
        throw e;
    }
}
