/**
 * Benchmark: the lab's job by the tools a user would pick instead, beside `pulumi up` with
 * `hostSource: existing`, in one run on this machine. Every tool gets fresh hosts of its own (two
 * containers from the existing-host image: sudo, python3, a systemctl stand-in; host keys pinned),
 * on a subnet of its own, for every round; all carry the run's label and are removed even after a
 * failure. The job: a CA and two leaves, the files copied with their modes (ca.d, conf.d, ACL,
 * CRL), mosquitto restarted or reloaded, then the checks.
 *
 * - this project: cold `pulumi up`, a no-op `up`, `up --refresh` (which, like Ansible's rerun,
 *   looks at the hosts), a leaf rotation (pki.leafRotation bumped);
 * - Ansible (bench/peers/playbook.yml, community.crypto from Debian's package): cold, rerun,
 *   rotation;
 * - by hand (bench/peers/floor.sh: openssl + ssh), the floor: cold, rotation.
 * Two flavours of the peers' checks: "same", the check scripts `up` runs (the headline ratios),
 * and "pubsub", one publish/subscribe round trip (what a plain playbook's user gets).
 * Medians of BENCH_ROUNDS rounds; ratios and where the time goes printed, JSON written to
 * bench/results/ (git-ignored). It never fails on time: exit 1 only when something broke.
 *
 *   npm run bench:peers
 *   BENCH_ROUNDS=1 npm run bench:peers
 */
import { Stack } from "@pulumi/pulumi/automation";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import * as path from "node:path";
import { requireEnv, requireProviderPlugins } from "../testkit/engineHarness";
import { ExistingHostPair, startExistingHosts } from "../testkit/existingHosts";
import { Ctx, log, makeStack, median, newRunContext, OpRecord, phases, stageLabProgram, sweepRun, timed, topResources } from "./engineOps";
import { ansible, AnsibleProfile, Flavour, floor, FloorRun, run, sameChecks, writeJob } from "./peerRunners";
import { PeersResults, Series, ToolTimes } from "./peersResults";
import { report } from "./peersReport";

const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
/** BENCH_TOOLS: any of pulumi,ansible,floor (default: all). */
const only = new Set((process.env.BENCH_TOOLS ?? "pulumi,ansible,floor").split(",").filter(Boolean));
// Our own subnets, one per tool and flavour: 172.30.221-226 are this bench's.
const subnets = {
    pulumi: "172.30.221",
    "ansible-same": "172.30.222",
    "ansible-pubsub": "172.30.223",
    "floor-same": "172.30.224",
    "floor-pubsub": "172.30.225",
};

const series = (xs: number[]): Series => ({ medianMs: median(xs), all: xs.map(Math.round) });

// ---------------------------------------------------------------------------------------------

/** Fresh hosts for one round of one tool, removed whatever happens; the work dir too. */
async function withHosts<T>(
    ctx: Ctx,
    image: string,
    key: keyof typeof subnets,
    round: number,
    f: (h: ExistingHostPair, work: string) => Promise<T>,
): Promise<T> {
    const hosts = await startExistingHosts(image, subnets[key], `${ctx.id}-${key}-${round}`, ctx.id);
    const work = mkdtempSync(path.join(ctx.root, `${key}-`));
    try {
        return await f(hosts, work);
    } finally {
        hosts.cleanup();
        rmSync(work, { recursive: true, force: true });
    }
}

interface PulumiRound {
    cold: OpRecord;
    noop: OpRecord;
    refresh: OpRecord;
    rotation: OpRecord;
    checkScript: string;
    brokerAddress: string;
}

async function pulumiRound(ctx: Ctx, labDir: string, hosts: ExistingHostPair, round: number): Promise<PulumiRound> {
    const stack: Stack = await makeStack(ctx, labDir, `peers-${round}`, {
        "mqtt-lab:hostSource": "existing",
        "mqtt-lab:brokerAddress": hosts.broker.address,
        "mqtt-lab:clientAddress": hosts.client.address,
        "mqtt-lab:sshUser": hosts.user,
        "mqtt-lab:brokerHostKey": hosts.broker.hostKey,
        "mqtt-lab:clientHostKey": hosts.client.hostKey,
        "mqtt-lab:labName": `${ctx.id}-peers`,
        // The key's path, as the README's dev stack does: the Automation API's setConfig would put a
        // secret value on the `pulumi config set` command line.
        "mqtt-lab:sshPrivateKeyPath": hosts.keyFile,
    });
    try {
        log(`pulumi ${round}: cold up`);
        const cold = await timed(stack, "up");
        const plan = cold.outputs?.checkPlan?.value as { script: string }[] | undefined;
        log(`pulumi ${round}: no-op up`);
        const noop = (await timed(stack, "up")).rec;
        log(`pulumi ${round}: up --refresh`);
        const refresh = (await timed(stack, "up", { refresh: true })).rec;
        log(`pulumi ${round}: rotating up`);
        await stack.setConfig("mqtt-lab:pki", { value: JSON.stringify({ leafRotation: 1 }) });
        const rotation = (await timed(stack, "up")).rec;
        return { cold: cold.rec, noop, refresh, rotation, checkScript: plan?.[0]?.script ?? "", brokerAddress: hosts.broker.address };
    } finally {
        // The hosts go with the round: the stack is dropped without a destroy.
        ctx.stacks.splice(ctx.stacks.indexOf(stack), 1);
        await stack.workspace.removeStack(stack.name, { force: true }).catch((e: Error) => log(`removing stack ${stack.name}: ${e.message.slice(0, 300)}`));
    }
}

const changedOps = (rec: OpRecord) =>
    Object.entries(rec.changes)
        .filter(([op, n]) => op !== "same" && n > 0)
        .map(([op, n]) => `${op} ${n}`)
        .join(", ");

async function main(): Promise<number> {
    requireProviderPlugins();
    const base = requireEnv("MQTTLAB_IMAGE");
    const image = requireEnv("MQTTLAB_EXISTING_IMAGE");
    const ctx = newRunContext("mlp");
    const { id, root } = ctx;
    const problems: string[] = [];
    const cleanupAll = () => {
        sweepRun(id);
        rmSync(root, { recursive: true, force: true });
    };
    const onSignal = (sig: string) => {
        log(`${sig}: cleaning up run ${id}`);
        cleanupAll();
        process.exit(130);
    };
    process.once("SIGINT", () => onSignal("SIGINT"));
    process.once("SIGTERM", () => onSignal("SIGTERM"));
    log(`run ${id}, ${rounds} rounds, image ${image}, work dir ${root}`);
    try {
        const staged = stageLabProgram(root, process.env.BENCH_PROGRAM || undefined);
        const p: PulumiRound[] = [];
        const a: Record<Flavour, { cold: AnsibleProfile[]; rerun: AnsibleProfile[]; rotation: AnsibleProfile[] }> = {
            same: { cold: [], rerun: [], rotation: [] },
            pubsub: { cold: [], rerun: [], rotation: [] },
        };
        const f: Record<Flavour, { cold: FloorRun[]; rotation: FloorRun[] }> = {
            same: { cold: [], rotation: [] },
            pubsub: { cold: [], rotation: [] },
        };
        const attempt = async (what: string, body: () => Promise<void>) => {
            try {
                await body();
            } catch (e) {
                // The engine's error ends with the program's own message: keep the start and the end.
                const m = (e as Error).message;
                const short = m.length > 2400 ? `${m.slice(0, 600)} [...] ${m.slice(-1800)}` : m;
                problems.push(`${what}: ${short}`);
                log(`${what} failed: ${m}`);
            }
        };
        for (let i = 1; i <= rounds; i++) {
            // Tools interleaved within a round, so drift on this shared machine hits them alike.
            if (only.has("pulumi"))
                await attempt(`pulumi round ${i}`, () =>
                    withHosts(ctx, image, "pulumi", i, async (h) => void p.push(await pulumiRound(ctx, staged.dir, h, i))),
                );
            for (const fl of ["same", "pubsub"] as const) {
                if (only.has("ansible"))
                    await attempt(`ansible (${fl}) round ${i}`, () =>
                        withHosts(ctx, image, `ansible-${fl}`, i, async (h, work) => {
                            writeJob(work, h.broker.address);
                            log(`ansible (${fl}) ${i}: cold, rerun, rotation`);
                            const cold = await ansible(h, work, fl, 0);
                            const rerun = await ansible(h, work, fl, 0);
                            const rotation = await ansible(h, work, fl, 1);
                            a[fl].cold.push(cold);
                            a[fl].rerun.push(rerun);
                            a[fl].rotation.push(rotation);
                        }),
                    );
                if (only.has("floor"))
                    await attempt(`floor (${fl}) round ${i}`, () =>
                        withHosts(ctx, image, `floor-${fl}`, i, async (h, work) => {
                            writeJob(work, h.broker.address);
                            log(`floor (${fl}) ${i}: cold, rotation`);
                            const cold = await floor(h, work, fl, "cold");
                            const rotation = await floor(h, work, fl, "rotate");
                            f[fl].cold.push(cold);
                            f[fl].rotation.push(rotation);
                        }),
                    );
            }
        }
        // The peers' "same" checks must be the very scripts `up` ran (the broker's address aside).
        for (const r of p) {
            const ours = sameChecks(r.brokerAddress).client;
            if (r.checkScript !== ours)
                problems.push("the peers' client check script is not the one `pulumi up` ran: bench/peers.ts sameChecks() and index.ts disagree");
        }
        for (const r of p) {
            if (changedOps(r.noop)) problems.push(`a no-op up changed something: ${changedOps(r.noop)}`);
            if (changedOps(r.refresh)) problems.push(`an up --refresh on quiet hosts changed something: ${changedOps(r.refresh)}`);
        }
        for (const fl of ["same", "pubsub"] as const) {
            for (const r of a[fl].rerun) if (r.changed) problems.push(`an Ansible rerun (${fl}) changed ${r.changed} things: the playbook is not idempotent`);
        }

        const mid = (recs: OpRecord[]) => [...recs].sort((x, y) => x.wallMs - y.wallMs)[Math.floor(recs.length / 2)];
        const pulumiOp = (pick: (r: PulumiRound) => OpRecord) => {
            const recs = p.map(pick);
            if (!recs.length) return undefined;
            const m = mid(recs);
            return {
                ...series(recs.map((r) => r.wallMs)),
                phases: phases(m),
                top: topResources(m, 5).map((t) => ({ name: t.name, ms: t.durMs })),
                changes: m.changes,
            };
        };
        const ansibleOp = (xs: AnsibleProfile[]) => {
            if (!xs.length) return undefined;
            const m = [...xs].sort((x, y) => x.ms - y.ms)[Math.floor(xs.length / 2)];
            return { ...series(xs.map((x) => x.ms)), startupMs: m.startupMs, plays: m.plays, top: m.top, changed: m.changed };
        };
        const floorOp = (xs: FloorRun[]) => {
            if (!xs.length) return undefined;
            const m = [...xs].sort((x, y) => x.ms - y.ms)[Math.floor(xs.length / 2)];
            return { ...series(xs.map((x) => x.ms)), phases: m.phases };
        };
        const tools: Record<string, ToolTimes> = {
            pulumi: {
                cold: pulumiOp((r) => r.cold),
                noop: pulumiOp((r) => r.noop),
                refresh: pulumiOp((r) => r.refresh),
                rotation: pulumiOp((r) => r.rotation),
            },
            "ansible-same": { cold: ansibleOp(a.same.cold), rerun: ansibleOp(a.same.rerun), rotation: ansibleOp(a.same.rotation) },
            "ansible-pubsub": { cold: ansibleOp(a.pubsub.cold), rerun: ansibleOp(a.pubsub.rerun), rotation: ansibleOp(a.pubsub.rotation) },
            "floor-same": { cold: floorOp(f.same.cold), rotation: floorOp(f.same.rotation) },
            "floor-pubsub": { cold: floorOp(f.pubsub.cold), rotation: floorOp(f.pubsub.rotation) },
        };
        const ratio = (x?: Series, y?: Series) => (x && y ? x.medianMs / y.medianMs : NaN);
        const P = tools.pulumi;
        const results: PeersResults = {
            kind: "peers",
            when: new Date().toISOString(),
            machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
            run: id,
            rounds,
            program: staged.source,
            images: { base, existingHost: image },
            ansible: (await run("ansible", ["--version"], {}, root)).stdout.split("\n")[0] ?? "",
            partial: !["pulumi", "ansible", "floor"].every((x) => only.has(x)),
            tools,
            ratios: {
                same: {
                    coldVsAnsible: ratio(P.cold, tools["ansible-same"].cold),
                    coldVsFloor: ratio(P.cold, tools["floor-same"].cold),
                    noopVsAnsibleRerun: ratio(P.noop, tools["ansible-same"].rerun),
                    refreshVsAnsibleRerun: ratio(P.refresh, tools["ansible-same"].rerun),
                    rotationVsAnsible: ratio(P.rotation, tools["ansible-same"].rotation),
                    rotationVsFloor: ratio(P.rotation, tools["floor-same"].rotation),
                },
                pubsub: {
                    coldVsAnsible: ratio(P.cold, tools["ansible-pubsub"].cold),
                    coldVsFloor: ratio(P.cold, tools["floor-pubsub"].cold),
                    noopVsAnsibleRerun: ratio(P.noop, tools["ansible-pubsub"].rerun),
                    refreshVsAnsibleRerun: ratio(P.refresh, tools["ansible-pubsub"].rerun),
                    rotationVsAnsible: ratio(P.rotation, tools["ansible-pubsub"].rotation),
                    rotationVsFloor: ratio(P.rotation, tools["floor-pubsub"].rotation),
                },
            },
            problems,
        };
        report(results);
        return problems.length ? 1 : 0;
    } catch (e) {
        log(`failed: ${(e as Error).stack ?? e}`);
        return 1;
    } finally {
        cleanupAll();
        log(`cleaned up run ${id}`);
    }
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(`bench: ${e.message}`);
        process.exit(1);
    },
);
