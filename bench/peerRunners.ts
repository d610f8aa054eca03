/**
 * The peers of bench/peers.ts, run: the job's files (rendered by the program's own renderers, so
 * the peers deploy and check what `up` would), the Ansible playbook and the floor script, each a
 * child process, timed, with where its time went.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { defaults } from "../src/config/defaults";
import { renderAcl, renderBrokerConf } from "../src/mosquitto/conf";
import { forgeriesScript } from "../src/pki/forgeries";
import { clientChecksScript } from "../src/remote/checkScripts";
import { shQuote, systemdShell } from "../src/remote/hostScripts";
import { repoRoot } from "../testkit/engineHarness";
import { ExistingHostPair } from "../testkit/existingHosts";

const peersDir = path.join(repoRoot, "bench", "peers");
export const brokerDnsName = defaults.brokerDnsName;
/** "same": the check scripts `up` runs; "pubsub": one publish/subscribe round trip. */
export type Flavour = "same" | "pubsub";

// ---------------------------------------------------------------------------------------------
// The job's files for a peer, from the program's own renderers: what `up` would deploy and run.

/** The check command `up` runs for the default identity, refusals included, against this broker address (index.ts passes the same). */
export function sameChecks(brokerAddress: string): { client: string } {
    const c = defaults.clients[0];
    return {
        client: clientChecksScript({
            identities: [{ name: c.name, topics: c.topics }],
            brokerAddress,
            tlsPort: defaults.tlsPort,
            plaintextPort: defaults.plaintextPort,
            minCertDaysLeft: defaults.minCertDaysLeft,
            asRoot: systemdShell.asRoot,
            teachingUser: undefined,
            teachingMountPoint: defaults.teaching.mountPoint,
            teachingShared: defaults.teaching.sharedWithTls,
            refusals: { tlsVersion: defaults.tlsVersion },
        }),
    };
}

/** One publish/subscribe round trip over mutual TLS, as a plain playbook's last task would do it (retained, so no race). */
export function pubsubCheck(brokerAddress: string): string {
    const script = [
        "set -eu",
        'd="$HOME/.mqtt-lab/client-a"',
        `o="-h ${brokerAddress} -p ${defaults.tlsPort} --cafile $d/ca.crt --cert $d/client.crt --key $d/client.key -q 1 -t mqtt-lab-peers/$$"`,
        "mosquitto_pub $o -r -m hello",
        "got=$(mosquitto_sub $o -C 1 -W 10)",
        "mosquitto_pub $o -r -n",
        '[ "$got" = hello ] || { echo "pubsub: got \'$got\', not hello" >&2; exit 1; }',
        'echo "PASS pubsub: hello came back"',
    ].join("\n");
    return `bash -c ${shQuote(script)}`;
}

export function writeJob(work: string, brokerAddress: string): void {
    const job = path.join(work, "job");
    mkdirSync(job, { recursive: true, mode: 0o700 });
    const checks = sameChecks(brokerAddress);
    const files: Record<string, string> = {
        "mqtt-lab.conf": renderBrokerConf({ owner: "mqtt-lab peers bench", tlsPort: defaults.tlsPort, tlsVersion: defaults.tlsVersion, trust: "capath" }),
        acl: renderAcl(defaults.clients),
        "client-checks.cmd": checks.client,
        "pubsub.cmd": pubsubCheck(brokerAddress),
        "forge.sh": forgeriesScript(),
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(job, name), text, { mode: 0o600 });
}

// ---------------------------------------------------------------------------------------------
// Running a peer: a child process, timed, its output kept for the report of a failure.

export interface Run {
    ms: number;
    code: number | null;
    stdout: string;
    stderr: string;
}

export function run(cmd: string, args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
    return new Promise((resolve, reject) => {
        const t0 = performance.now();
        const p = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("error", reject);
        p.on("close", (code) => resolve({ ms: performance.now() - t0, code, stdout, stderr }));
    });
}

export interface AnsibleTask {
    task: { name: string; duration: { start: string; end: string } };
    hosts: Record<string, { changed?: boolean; failed?: boolean; skipped?: boolean; msg?: string; stderr?: string; stdout?: string }>;
}
export interface AnsibleJson {
    plays: { play: { name: string; duration: { start: string; end: string } }; tasks: AnsibleTask[] }[];
    stats: Record<string, { changed: number; failures: number; unreachable: number; ok: number; skipped: number }>;
}

/** Where an ansible-playbook run's time went: before the first task (start-up), each play, the slowest tasks. */
export interface AnsibleProfile {
    ms: number;
    startupMs: number;
    plays: { name: string; ms: number }[];
    top: { name: string; ms: number }[];
    changed: number;
}

export function ansibleProfile(r: Run, t0Abs: number): AnsibleProfile {
    const j = JSON.parse(r.stdout) as AnsibleJson;
    const ms = (d: { start: string; end: string }) => Date.parse(d.end) - Date.parse(d.start);
    const tasks = j.plays.flatMap((p) => p.tasks);
    const first = tasks.length ? Date.parse(tasks[0].task.duration.start) : NaN;
    return {
        ms: r.ms,
        startupMs: first - t0Abs,
        plays: j.plays.map((p) => ({ name: p.play.name, ms: ms(p.play.duration) })),
        top: tasks
            .map((t) => ({ name: t.task.name, ms: ms(t.task.duration) }))
            .sort((a, b) => b.ms - a.ms)
            .slice(0, 5),
        changed: Object.values(j.stats).reduce((a, h) => a + h.changed, 0),
    };
}

/** What failed in a playbook run, from its JSON (the failing tasks' messages), or its stderr. */
export function ansibleFailure(r: Run): string {
    try {
        const j = JSON.parse(r.stdout) as AnsibleJson;
        const bad = j.plays
            .flatMap((p) => p.tasks)
            .flatMap((t) =>
                Object.entries(t.hosts)
                    .filter(([, h]) => h.failed)
                    .map(([host, h]) => `${t.task.name} on ${host}: ${(h.msg ?? "").slice(0, 300)} ${(h.stderr ?? "").slice(-600)}`),
            );
        if (bad.length) return bad.join("; ");
    } catch {
        /* not JSON: say what it printed */
    }
    return `${r.stderr.slice(-800)} ${r.stdout.slice(-800)}`;
}

export async function ansible(hosts: ExistingHostPair, work: string, flavour: Flavour, leafRotation: number): Promise<AnsibleProfile> {
    const inventory = path.join(work, "inventory.ini");
    writeFileSync(
        inventory,
        [
            "[lab]",
            `broker ansible_host=${hosts.broker.address}`,
            `client ansible_host=${hosts.client.address}`,
            "[lab:vars]",
            `ansible_user=${hosts.user}`,
            `ansible_ssh_private_key_file=${hosts.keyFile}`,
            `ansible_ssh_common_args='-o UserKnownHostsFile=${hosts.knownHosts}'`,
            "[local]",
            "localhost ansible_connection=local",
            "",
        ].join("\n"),
    );
    const vars = path.join(work, `vars-${leafRotation}.json`);
    writeFileSync(
        vars,
        JSON.stringify({ work, broker_address: hosts.broker.address, broker_dns_name: brokerDnsName, leaf_rotation: leafRotation, checks: flavour }),
    );
    // Each run its own SSH control directory: a run never borrows the previous run's connections.
    const control = mkdtempSync(path.join(work, "cp-"));
    const t0Abs = Date.now();
    const r = await run(
        "ansible-playbook",
        ["-i", inventory, "-e", `@${vars}`, path.join(peersDir, "playbook.yml")],
        {
            ANSIBLE_CONFIG: path.join(peersDir, "ansible.cfg"),
            ANSIBLE_SSH_CONTROL_PATH_DIR: control,
            ANSIBLE_LOCAL_TEMP: path.join(work, "tmp"),
            ANSIBLE_HOME: path.join(work, "ansible-home"),
        },
        work,
    );
    if (r.code !== 0) throw new Error(`ansible-playbook exited ${r.code}: ${ansibleFailure(r)}`);
    return ansibleProfile(r, t0Abs);
}

/** One run of floor.sh: its time, and each phase's (openssl, broker, client, checks). */
export interface FloorRun {
    ms: number;
    phases: Record<string, number>;
}

export async function floor(hosts: ExistingHostPair, work: string, flavour: Flavour, mode: "cold" | "rotate"): Promise<FloorRun> {
    const r = await run(
        "bash",
        [path.join(peersDir, "floor.sh"), mode, work],
        {
            BROKER: hosts.broker.address,
            CLIENT: hosts.client.address,
            SSH_USER: hosts.user,
            SSH_KEY: hosts.keyFile,
            KNOWN_HOSTS: hosts.knownHosts,
            BROKER_DNS_NAME: brokerDnsName,
            CHECKS: flavour,
        },
        work,
    );
    if (r.code !== 0) throw new Error(`floor.sh ${mode} exited ${r.code}: ${r.stderr.slice(-1200)}`);
    const phasesMs: Record<string, number> = {};
    for (const m of r.stderr.matchAll(/^phase (\S+) (\d+)$/gm)) phasesMs[m[1]] = Number(m[2]);
    return { ms: r.ms, phases: phasesMs };
}
