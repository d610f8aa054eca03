/**
 * Benchmark: the lab through the Pulumi engine (Automation API, file backend in a temp dir,
 * passphrase secrets), against floors measured in the same run. Prints figures and ratios with
 * their goals beside them, writes them as JSON to bench/results/ (git-ignored); never fails on
 * time: exit 0 unless something broke.
 *
 * 1. no-op preview and no-op up of the lab, against the same on a floor program (one
 *    tls.PrivateKey, one command.local.Command, one docker.Network, one dynamic resource: the
 *    same three plugins and the dynamic provider);
 * 2. a cold up (image cached), where the time goes by resource, and its critical path;
 * 3. a rotating up (pki.leafRotation bumped) minus a no-op up, against a physical floor: openssl
 *    makes the same certificates, one SSH session per host copies them, SIGHUP, the same checks;
 * 4. messages lost and reconnects of a QoS 1 subscriber and publisher during a rotating up;
 * 5. cold up with 1, 4, 16 and 32 client identities, and the cost per added client (bench/scale.ts
 *    goes to 256, with memory).
 *
 * The program runs compiled (a copy of bin/index.js and bin/src/ in a temp work dir,
 * `typescript: false`): ts-node's start-up would otherwise be counted as engine time.
 *
 *   npm run bench:engine
 *   BENCH_ROUNDS=5 BENCH_ROTATION_ROUNDS=3 BENCH_CLIENTS=1,4,16,32 BENCH_PROGRAM=HEAD npm run bench:engine
 * (BENCH_SKIP: any of checkpoints,trace,rotation,loss,scale; BENCH_PROGRAM: a git rev to bench instead
 * of the working tree)
 */
import { LocalWorkspace, OutputMap, Stack } from "@pulumi/pulumi/automation";
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { checkInput, clientChecksScript } from "../src/remote/checkScripts";
import { renderBrokerConf } from "../src/mosquitto/conf";
import { renderBundle } from "../src/remote/hostScripts";
import { sshExec } from "../src/ssh/exec";
import { repoRoot, requireEnv, requireProviderPlugins, sshTargetOf } from "../testkit/engineHarness";
import { benchBrokerApply, installIdentity, labCrl, OpensslPki, startLabHosts } from "../testkit/labHosts";
import {
    byType,
    changed,
    criticalPath,
    Ctx,
    dependencyMap,
    newRunContext,
    dropStack,
    isWorkStep,
    log,
    makeStack,
    median,
    OpRecord,
    PathStep,
    phases,
    r2,
    ResTiming,
    s,
    stageLabProgram,
    sweepRun,
    table,
    timed,
    topResources,
} from "./engineOps";

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const rotationRounds = Number(process.env.BENCH_ROTATION_ROUNDS ?? 3);
const clientCounts = (process.env.BENCH_CLIENTS ?? "1,4,16,32")
    .split(",")
    .map(Number)
    .filter((n) => n >= 1);
const skip = new Set((process.env.BENCH_SKIP ?? "").split(",").filter(Boolean));
// Our own subnets (172.30.210-219 are the bench's): lab, scaling stacks, floor program, physical floor.
const subnets = {
    lab: "172.30.210",
    scale: ["172.30.211", "172.30.212", "172.30.213", "172.30.214", "172.30.215"],
    floorNet: "172.30.219",
    physical: "172.30.218",
};

function stageFloorProgram(root: string): string {
    const dir = path.join(root, "floor");
    mkdirSync(dir, { recursive: true });
    symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    // The lab's package.json too: the language host finds the plugins through it the same way.
    cpSync(path.join(repoRoot, "package.json"), path.join(dir, "package.json"));
    writeFileSync(path.join(dir, "Pulumi.yaml"), "name: mqtt-lab-bench-floor\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n");
    writeFileSync(
        path.join(dir, "index.js"),
        `// The engine floor: the lab's three provider plugins and a dynamic provider (the lab has three
// dynamic resources: its host observers and CRL) loaded, one resource of each kind.
const pulumi = require("@pulumi/pulumi");
const tls = require("@pulumi/tls");
const command = require("@pulumi/command");
const docker = require("@pulumi/docker");
const config = new pulumi.Config();
const labels = [{ label: "mqtt-lab-run", value: process.env.MQTTLAB_RUN_ID || "bench" }];
const key = new tls.PrivateKey("floor-key", { algorithm: "ED25519" });
const cmd = new command.local.Command("floor-cmd", { create: "true" });
const net = new docker.Network("floor-net", { name: config.require("netName"), driver: "bridge", ipamConfigs: [{ subnet: config.require("subnet") }], labels });
const noted = {
    async create(inputs) { return { id: "floor-dynamic", outs: inputs }; },
    async diff(_id, olds, news) { return { changes: olds.note !== news.note }; },
};
const dyn = new pulumi.dynamic.Resource(noted, "floor-dynamic", { note: "floor" });
exports.done = pulumi.all([key.publicKeyOpenssh, cmd.stdout, net.name, dyn.id]).apply(() => true);
`,
    );
    return dir;
}

// ---------------------------------------------------------------------------------------------

const labConfig = (ctx: Ctx, subnet: string, suffix: string): Record<string, string> => ({
    "mqtt-lab:hostSource": "containers",
    "mqtt-lab:image": requireEnv("MQTTLAB_IMAGE"),
    "mqtt-lab:subnet": `${subnet}.0/24`,
    "mqtt-lab:labName": `${ctx.id}-${suffix}`,
});

const targetOf = sshTargetOf;

// ---------------------------------------------------------------------------------------------
// 3. The physical floor of a rotation: openssl, one SSH session per host, SIGHUP, same checks.

interface PhysicalRound {
    totalMs: number;
    opensslMs: number;
    brokerMs: number;
    clientMs: number;
    checksMs: number;
}

async function physicalFloor(n: number): Promise<PhysicalRound[]> {
    const lab = await startLabHosts(subnets.physical);
    const pki = new OpensslPki();
    try {
        const ca = pki.ca("ca", "bench CA generation 1");
        const sans = [`IP:${lab.broker.address}`, "DNS:broker.mqtt-lab.internal"];
        const conf = renderBrokerConf({ owner: "bench", tlsPort: 8883, tlsVersion: "tlsv1.2", trust: "capath" });
        const apply = benchBrokerApply(conf);
        const s0 = pki.leaf("s0", "ca", "broker.mqtt-lab.internal", "server", sans);
        const c0 = pki.leaf("c0", "ca", "client-a", "client");
        const first = await lab.run(
            "broker",
            apply,
            renderBundle({ "ca-g1.crt": ca.cert, "server.crt": s0.cert, "server.key": s0.key, "crl.pem": labCrl([ca]) }),
        );
        if (first.code !== 0) throw new Error(`physical floor: broker install failed: ${first.stderr}`);
        await installIdentity(lab, "client-a", ca, c0);
        const check = clientChecksScript({
            identities: [{ name: "client-a", topics: ["#"] }],
            brokerAddress: lab.broker.address,
            tlsPort: 8883,
            plaintextPort: 1883,
        });
        // What a careful admin would type: write the two files, SIGHUP (and a moment for it), per host.
        const writeFiles = (dir: string) =>
            `set -e; umask 077; d=${dir}; while read -r n b; do case $n in ""|__end__) continue;; esac; printf '%s' "$b" | base64 -d > $d/$n; done`;
        const brokerScript = `${writeFiles("/etc/mosquitto/mqtt-lab")}; chgrp mosquitto /etc/mosquitto/mqtt-lab/server.key; chmod 0640 /etc/mosquitto/mqtt-lab/server.key; chmod 0644 /etc/mosquitto/mqtt-lab/server.crt; pkill -HUP -x mosquitto; sleep 0.2`;
        const clientScript = writeFiles("$HOME/.mqtt-lab/client-a");
        const out: PhysicalRound[] = [];
        for (let i = 1; i <= n; i++) {
            const t0 = performance.now();
            const sv = pki.leaf(`s${i}`, "ca", "broker.mqtt-lab.internal", "server", sans);
            const cl = pki.leaf(`c${i}`, "ca", "client-a", "client");
            const t1 = performance.now();
            const b = await lab.run("broker", brokerScript, renderBundle({ "server.crt": sv.cert, "server.key": sv.key }));
            const t2 = performance.now();
            const c = await lab.run("client", clientScript, renderBundle({ "client.crt": cl.cert, "client.key": cl.key }));
            const t3 = performance.now();
            const k = await lab.run("client", check, checkInput({}));
            const t4 = performance.now();
            if (b.code !== 0 || c.code !== 0 || k.code !== 0) throw new Error(`physical floor round ${i} failed: ${b.stderr}${c.stderr}${k.stderr}${k.stdout}`);
            out.push({ totalMs: t4 - t0, opensslMs: t1 - t0, brokerMs: t2 - t1, clientMs: t3 - t2, checksMs: t4 - t3 });
        }
        return out;
    } finally {
        lab.cleanup();
        pki.cleanup();
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Messages lost and reconnects during a rotating up.

interface LossResult {
    sent: number;
    received: number;
    lost: number;
    duplicates: number;
    subConnacks: number;
    pubConnacks: number;
    brokerSubConnects: number;
    brokerPubConnects: number;
    brokerRestarts: number;
    ratePerS: number;
    upMs: number;
    coveredUp: boolean;
    brokerAction: string;
}

async function lossDuringRotation(stack: Stack, outputs: OutputMap, rotation: number, upEstimateMs: number): Promise<{ loss: LossResult; rec: OpRecord }> {
    const client = targetOf(outputs, "client");
    const broker = targetOf(outputs, "broker");
    const addr = String(outputs.brokerAddress.value);
    const nonce = Date.now().toString(36);
    const topic = `bench/${nonce}`;
    const n = Math.min(1500, Math.max(300, Math.ceil((upEstimateMs / 1000 + 10) * 20)));
    const tls = `-h ${addr} -p 8883 --cafile "$D/ca.crt" --cert "$D/client.crt" --key "$D/client.key" -q 1 -t ${topic}`;
    const D = `D="$HOME/.mqtt-lab/client-a"`;
    const limit = Math.ceil((n / 20) * 2 + upEstimateMs / 1000 + 60);
    const mark = Number((await sshExec(broker, "wc -l < /var/log/mosquitto/mosquitto.log")).stdout.trim()) || 0;
    await stack.setConfig("mqtt-lab:pki", { value: JSON.stringify({ leafRotation: rotation }) });
    const sub = sshExec(client, `${D}; timeout ${limit} mosquitto_sub -d ${tls} -i bench-sub-${nonce} -C ${n} 2>&1; echo "EXIT $?"`, {
        timeoutMs: (limit + 30) * 1000,
    });
    await new Promise((r) => setTimeout(r, 2500));
    const pubStart = performance.now();
    let pubEnd = 0;
    const pub = sshExec(
        client,
        `${D}; i=1; while [ $i -le ${n} ]; do printf 'm-%06d\\n' $i; i=$((i+1)); sleep 0.05; done | timeout ${limit} mosquitto_pub -d -l ${tls} -i bench-pub-${nonce} 2>&1; echo "EXIT $?"`,
        { timeoutMs: (limit + 30) * 1000 },
    ).then((x) => {
        pubEnd = performance.now();
        return x;
    });
    await new Promise((r) => setTimeout(r, 3000));
    const upStart = performance.now();
    const { rec, outputs: after } = await timed(stack, "up");
    const upEnd = performance.now();
    const [p, sres] = await Promise.all([pub, sub]);
    const lines = sres.stdout.split("\n");
    const got = lines.filter((l) => /^m-\d{6}$/.test(l));
    const uniq = new Set(got);
    const count = (text: string, re: RegExp) => text.split("\n").filter((l) => re.test(l)).length;
    const blog = (await sshExec(broker, `tail -n +${mark + 1} /var/log/mosquitto/mosquitto.log`)).stdout;
    const loss: LossResult = {
        sent: n,
        received: uniq.size,
        lost: n - uniq.size,
        duplicates: got.length - uniq.size,
        subConnacks: count(sres.stdout, /received CONNACK/),
        pubConnacks: count(p.stdout, /received CONNACK/),
        brokerSubConnects: count(blog, new RegExp(`New client connected .* as bench-sub-${nonce}`)),
        brokerPubConnects: count(blog, new RegExp(`New client connected .* as bench-pub-${nonce}`)),
        brokerRestarts: count(blog, /mosquitto version .* starting/),
        ratePerS: n / ((pubEnd - pubStart) / 1000),
        upMs: upEnd - upStart,
        coveredUp: pubStart < upStart && pubEnd > upEnd,
        brokerAction: String(after?.brokerApplied?.value ?? "")
            .replace(/\s+/g, " ")
            .trim(),
    };
    if (loss.lost > 0) log(`subscriber output tail: ${lines.slice(-8).join(" | ")}; publisher tail: ${p.stdout.split("\n").slice(-5).join(" | ")}`);
    return { loss, rec };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
    requireProviderPlugins();
    requireEnv("MQTTLAB_IMAGE");
    const ctx = newRunContext("mlb");
    const { id, root } = ctx;
    const results: Record<string, unknown> = {
        when: new Date().toISOString(),
        machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
        run: id,
        rounds,
        rotationRounds,
    };
    const problems: string[] = [];
    let cleaned = false;
    const cleanupAll = async () => {
        if (cleaned) return;
        cleaned = true;
        for (const st of [...ctx.stacks].reverse()) await dropStack(ctx, st);
        sweepRun(id);
        rmSync(root, { recursive: true, force: true });
    };
    const onSignal = (sig: string) => {
        log(`${sig}: cleaning up run ${id}`);
        sweepRun(id);
        rmSync(root, { recursive: true, force: true });
        process.exit(130);
    };
    process.once("SIGINT", () => onSignal("SIGINT"));
    process.once("SIGTERM", () => onSignal("SIGTERM"));
    log(`run ${id}, work dir ${root}`);
    try {
        const staged = stageLabProgram(root, process.env.BENCH_PROGRAM || undefined);
        const labDir = staged.dir;
        results.program = staged.source;
        log(`program: ${staged.source}`);
        const floorDir = stageFloorProgram(root);
        const lab = await makeStack(ctx, labDir, "bench-lab", labConfig(ctx, subnets.lab, "lab"));
        const floor = await makeStack(ctx, floorDir, "bench-floor", {
            "mqtt-lab-bench-floor:netName": `${id}-floor-net`,
            "mqtt-lab-bench-floor:subnet": `${subnets.floorNet}.0/24`,
        });

        // 2. Cold up (and the 1-client point of 5).
        log("floor program: first up");
        const floorCold = (await timed(floor, "up")).rec;
        log("lab: cold up");
        const cold = await timed(lab, "up");
        let outputs = cold.outputs!;
        const deps = await dependencyMap(lab);
        const coldPath = criticalPath(cold.rec, deps);
        results.cold = {
            wallMs: cold.rec.wallMs,
            ...phases(cold.rec),
            steps: cold.rec.resources.filter(isWorkStep).length,
            top: topResources(cold.rec, 10),
            byType: byType(cold.rec),
            criticalPath: coldPath,
            floorFirstUpMs: floorCold.wallMs,
        };

        // 1. No-op preview and up, lab against floor, alternating.
        const noop = { labPreview: [] as number[], floorPreview: [] as number[], labUp: [] as number[], floorUp: [] as number[] };
        const noopRecs: OpRecord[] = [];
        const floorRecs: OpRecord[] = [];
        const labPrev: OpRecord[] = [];
        const floorPrev: OpRecord[] = [];
        for (let i = 0; i < rounds; i++) {
            log(`no-op round ${i + 1}/${rounds}`);
            labPrev.push((await timed(lab, "preview")).rec);
            noop.labPreview.push(labPrev[i].wallMs);
            floorPrev.push((await timed(floor, "preview")).rec);
            noop.floorPreview.push(floorPrev[i].wallMs);
            const u = await timed(lab, "up");
            noop.labUp.push(u.rec.wallMs);
            noopRecs.push(u.rec);
            if (changed(u.rec).length) problems.push(`no-op up ${i + 1} changed something: ${JSON.stringify(u.rec.changes)}`);
            const f = await timed(floor, "up");
            noop.floorUp.push(f.rec.wallMs);
            floorRecs.push(f.rec);
        }
        // The state writes: the same no-op up with intermediate checkpoints skipped.
        const skipCk: number[] = [];
        if (!skip.has("checkpoints")) {
            const ws = lab.workspace as LocalWorkspace;
            ws.envVars.PULUMI_SKIP_CHECKPOINTS = "true";
            try {
                for (let i = 0; i < Math.min(rounds, 3); i++) {
                    log(`no-op up without checkpoints ${i + 1}`);
                    skipCk.push((await timed(lab, "up")).rec.wallMs);
                }
            } finally {
                delete ws.envVars.PULUMI_SKIP_CHECKPOINTS;
            }
        }
        // Inside the pulumi up process: when the program's node process starts and exits (a --require hook).
        const programTrace: Record<string, { nodeStartMs: number; programExitMs: number; commandMs: number; processes: number }> = {};
        if (!skip.has("trace")) {
            const hook = path.join(root, "trace-hook.js");
            const traceFile = path.join(root, "trace.jsonl");
            writeFileSync(
                hook,
                `const fs = require("fs"); const { performance } = require("perf_hooks");
process.on("exit", () => { try { fs.appendFileSync(process.env.BENCH_TRACE_FILE, JSON.stringify({ argv: process.argv.slice(1, 3).join(" "), start: performance.timeOrigin, exit: performance.timeOrigin + performance.now() }) + "\\n"); } catch (e) {} });
`,
            );
            for (const [label, st] of [
                ["lab", lab],
                ["floor", floor],
            ] as const) {
                const ws = st.workspace as LocalWorkspace;
                ws.envVars.NODE_OPTIONS = `--require ${hook}`;
                ws.envVars.BENCH_TRACE_FILE = traceFile;
                const runs: { nodeStartMs: number; programExitMs: number; commandMs: number; processes: number }[] = [];
                try {
                    for (let i = 0; i < 3; i++) {
                        log(`no-op up of ${label}, traced ${i + 1}/3`);
                        writeFileSync(traceFile, "");
                        const { rec } = await timed(st, "up");
                        const procs = readFileSync(traceFile, "utf8")
                            .split("\n")
                            .filter(Boolean)
                            .map((l) => JSON.parse(l) as { start: number; exit: number });
                        if (!procs.length) continue;
                        const first = Math.min(...procs.map((p) => p.start));
                        const last = Math.max(...procs.map((p) => p.exit));
                        runs.push({ nodeStartMs: first - rec.t0Abs, programExitMs: last - rec.t0Abs, commandMs: rec.commandMs, processes: procs.length });
                    }
                } finally {
                    delete ws.envVars.NODE_OPTIONS;
                    delete ws.envVars.BENCH_TRACE_FILE;
                }
                programTrace[label] = {
                    nodeStartMs: median(runs.map((r) => r.nodeStartMs)),
                    programExitMs: median(runs.map((r) => r.programExitMs)),
                    commandMs: median(runs.map((r) => r.commandMs)),
                    processes: runs[0]?.processes ?? 0,
                };
            }
        }
        const midRec = (recs: OpRecord[]) => [...recs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(recs.length / 2)];
        const labMid = midRec(noopRecs);
        const floorMid = midRec(floorRecs);
        results.noop = {
            ...Object.fromEntries(Object.entries(noop).map(([k, v]) => [k, { medianMs: median(v), all: v.map(Math.round) }])),
            previewRatio: median(noop.labPreview) / median(noop.floorPreview),
            upRatio: median(noop.labUp) / median(noop.floorUp),
            labSteps: labMid.resources.length,
            floorSteps: floorMid.resources.length,
            labPhases: phases(labMid),
            floorPhases: phases(floorMid),
            labTop: topResources(labMid, 6),
            floorTop: topResources(floorMid, 4),
            skipCheckpointsUpMedianMs: median(skipCk),
            // The `pulumi up` process alone: stack.up() also runs `stack output` twice and `stack history`.
            labUpCommandMs: median(noopRecs.map((r) => r.commandMs)),
            floorUpCommandMs: median(floorRecs.map((r) => r.commandMs)),
            upCommandRatio: median(noopRecs.map((r) => r.commandMs)) / median(floorRecs.map((r) => r.commandMs)),
            labUpCli: labMid.cli.map((c) => ({ cmd: c.cmd, ms: Math.round(c.ms) })),
            floorUpCli: floorMid.cli.map((c) => ({ cmd: c.cmd, ms: Math.round(c.ms) })),
            labPreviewPhases: phases(midRec(labPrev)),
            floorPreviewPhases: phases(midRec(floorPrev)),
            programTrace,
            labPreviewSteps: midRec(labPrev).resources.length,
            labPreviewTop: topResources(midRec(labPrev), 6),
        };

        // 3. Rotation: program (rotating up minus no-op up) against the physical floor.
        const rot: OpRecord[] = [];
        let physical: PhysicalRound[] = [];
        if (!skip.has("rotation")) {
            for (let i = 1; i <= rotationRounds; i++) {
                log(`rotating up ${i}/${rotationRounds}`);
                await lab.setConfig("mqtt-lab:pki", { value: JSON.stringify({ leafRotation: i }) });
                const u = await timed(lab, "up");
                rot.push(u.rec);
                outputs = u.outputs!;
                if (!String(outputs.brokerApplied.value).includes("sighup"))
                    problems.push(`rotation ${i}: broker action was not a SIGHUP: ${outputs.brokerApplied.value}`);
            }
            log(`physical floor: ${rotationRounds} rounds`);
            physical = await physicalFloor(rotationRounds);
            const rotMid = midRec(rot);
            const rotDeps = await dependencyMap(lab);
            const rotUp = median(rot.map((r) => r.wallMs));
            const program = rotUp - median(noop.labUp);
            const floorTotal = median(physical.map((p) => p.totalMs));
            results.rotation = {
                rotatingUpMedianMs: rotUp,
                all: rot.map((r) => Math.round(r.wallMs)),
                noopUpMedianMs: median(noop.labUp),
                programMs: program,
                physical: {
                    totalMs: floorTotal,
                    opensslMs: median(physical.map((p) => p.opensslMs)),
                    brokerMs: median(physical.map((p) => p.brokerMs)),
                    clientMs: median(physical.map((p) => p.clientMs)),
                    checksMs: median(physical.map((p) => p.checksMs)),
                },
                ratio: program / floorTotal,
                ratioWholeUp: rotUp / floorTotal,
                phases: phases(rotMid),
                top: topResources(rotMid, 12),
                byType: byType(rotMid),
                criticalPath: criticalPath(rotMid, rotDeps),
            };
        }

        // 4. Loss and reconnects during a rotating up.
        if (!skip.has("loss")) {
            log("rotating up under a steady publish rate");
            const est = rot.length ? median(rot.map((r) => r.wallMs)) : 20000;
            const { loss, rec } = await lossDuringRotation(lab, outputs, rotationRounds + 1, est);
            results.loss = { ...loss, changes: rec.changes };
        }

        log("lab: destroy");
        const labDestroy = await dropStack(ctx, lab);
        await dropStack(ctx, floor);
        results.destroyMs = labDestroy?.wallMs;

        // 5. Cold up against the number of client identities (1 is the cold up above).
        const scale: {
            clients: number;
            coldUpMs: number;
            destroyMs?: number;
            steps: number;
            phases: ReturnType<typeof phases>;
            checks: { medianMs: number; maxMs: number };
            installs: { medianMs: number; maxMs: number };
            criticalPathMs: number;
            criticalPath: PathStep[];
        }[] = [];
        const stepStats = (rec: OpRecord, pick: (r: ResTiming) => boolean) => {
            const d = rec.resources.filter((r) => pick(r) && r.endMs !== undefined).map((r) => r.endMs! - r.startMs);
            return { medianMs: median(d), maxMs: d.length ? Math.max(...d) : NaN };
        };
        const isCheck = (r: ResTiming) => r.type === "command:remote:Command" && /-checks-/.test(r.name);
        const isInstall = (r: ResTiming) => r.type === "command:remote:Command" && /-install$/.test(r.name);
        const pathSum = (p: PathStep[]) => p.reduce((a, x) => a + x.durMs + x.waitMs, 0);
        if (!skip.has("scale")) {
            if (clientCounts.includes(1)) {
                scale.push({
                    clients: 1,
                    coldUpMs: cold.rec.wallMs,
                    destroyMs: labDestroy?.wallMs,
                    steps: cold.rec.resources.filter(isWorkStep).length,
                    phases: phases(cold.rec),
                    checks: stepStats(cold.rec, isCheck),
                    installs: stepStats(cold.rec, isInstall),
                    criticalPathMs: pathSum(coldPath),
                    criticalPath: coldPath,
                });
            }
            let k = 0;
            for (const n of clientCounts.filter((c) => c > 1)) {
                const subnet = subnets.scale[k++ % subnets.scale.length];
                const clients = Array.from({ length: n }, (_, i) => ({ name: `c${String(i + 1).padStart(2, "0")}`, topics: ["#"], host: "client" }));
                const st = await makeStack(ctx, labDir, `bench-c${n}`, { ...labConfig(ctx, subnet, `c${n}`), "mqtt-lab:clients": JSON.stringify(clients) });
                try {
                    log(`${n} clients: cold up`);
                    const u = await timed(st, "up");
                    const p = criticalPath(u.rec, await dependencyMap(st));
                    log(`${n} clients: destroy`);
                    const d = await dropStack(ctx, st);
                    scale.push({
                        clients: n,
                        coldUpMs: u.rec.wallMs,
                        destroyMs: d?.wallMs,
                        steps: u.rec.resources.filter(isWorkStep).length,
                        phases: phases(u.rec),
                        checks: stepStats(u.rec, isCheck),
                        installs: stepStats(u.rec, isInstall),
                        criticalPathMs: pathSum(p),
                        criticalPath: p,
                    });
                } catch (e) {
                    problems.push(`${n} clients: ${(e as Error).message.slice(0, 500)}`);
                    await dropStack(ctx, st);
                }
            }
            results.scale = scale;
        }

        report(results, problems);
        return problems.length ? 1 : 0;
    } catch (e) {
        log(`failed: ${(e as Error).stack ?? e}`);
        if (Object.keys(results).length > 5) report(results, [...problems, (e as Error).message.slice(0, 500)]);
        return 1;
    } finally {
        await cleanupAll();
        log(`cleaned up run ${id}`);
    }
}

// ---------------------------------------------------------------------------------------------

function report(res: Record<string, any>, problems: string[]): void {
    const out: string[] = [];
    out.push(
        `\n# Engine benchmark (${res.machine}; ${res.program}; run ${res.run}; ${res.rounds} no-op rounds, ${res.rotationRounds} rotation rounds; medians)\n`,
    );
    const rows: (string | number)[][] = [];
    if (res.noop) {
        rows.push(["no-op preview", s(res.noop.labPreview.medianMs), s(res.noop.floorPreview.medianMs), r2(res.noop.previewRatio), "<= 1.3"]);
        rows.push(["no-op up (Automation API stack.up)", s(res.noop.labUp.medianMs), s(res.noop.floorUp.medianMs), r2(res.noop.upRatio), "<= 1.3"]);
        rows.push(["no-op up (the pulumi up process alone)", s(res.noop.labUpCommandMs), s(res.noop.floorUpCommandMs), r2(res.noop.upCommandRatio), "<= 1.3"]);
    }
    if (res.rotation) {
        rows.push(["rotation (rotating up - no-op up)", s(res.rotation.programMs), s(res.rotation.physical.totalMs), r2(res.rotation.ratio), "<= 2"]);
        rows.push(["rotating up, whole", s(res.rotation.rotatingUpMedianMs), s(res.rotation.physical.totalMs), r2(res.rotation.ratioWholeUp), "(info)"]);
    }
    if (res.loss) {
        const l = res.loss;
        rows.push(["messages lost during a rotating up", `${l.lost} of ${l.sent}`, "0", "", "0"]);
        rows.push([
            "reconnects (sub, pub; broker log)",
            `${l.subConnacks - 1}, ${l.pubConnacks - 1}; ${l.brokerSubConnects - 1}, ${l.brokerPubConnects - 1}`,
            "0",
            "",
            "0",
        ]);
    }
    out.push(table(["what", "lab", "floor", "ratio", "goal"], rows));
    if (res.noop) {
        out.push(
            `\nno-op: lab ${res.noop.labSteps} steps, floor ${res.noop.floorSteps}; lab up phases: start-up ${s(res.noop.labPhases.startupMs)}, steps ${s(res.noop.labPhases.stepsMs)}, tail ${s(res.noop.labPhases.tailMs)}; floor: ${s(res.noop.floorPhases.startupMs)}, ${s(res.noop.floorPhases.stepsMs)}, ${s(res.noop.floorPhases.tailMs)}`,
        );
        out.push(
            `no-op preview phases: lab start-up ${s(res.noop.labPreviewPhases.startupMs)}, steps ${s(res.noop.labPreviewPhases.stepsMs)}, tail ${s(res.noop.labPreviewPhases.tailMs)}; floor ${s(res.noop.floorPreviewPhases.startupMs)}, ${s(res.noop.floorPreviewPhases.stepsMs)}, ${s(res.noop.floorPreviewPhases.tailMs)}`,
        );
        out.push(`slowest no-op preview steps (lab): ${res.noop.labPreviewTop.map((t: any) => `${t.name} ${Math.round(t.durMs)} ms`).join(", ")}`);
        out.push(
            `CLI processes of one no-op stack.up(): lab ${res.noop.labUpCli.map((c: any) => `${c.cmd} ${c.ms} ms`).join(", ")}; floor ${res.noop.floorUpCli.map((c: any) => `${c.cmd} ${c.ms} ms`).join(", ")}`,
        );
        for (const [label, p] of Object.entries(res.noop.programTrace ?? {}) as [string, any][]) {
            out.push(
                `inside a no-op pulumi up (${label}, ${p.processes} node process): program's node starts at ${s(p.nodeStartMs)}, exits at ${s(p.programExitMs)}, the pulumi up process ends at ${s(p.commandMs)}`,
            );
        }
        out.push(`no-op up with PULUMI_SKIP_CHECKPOINTS=true: ${s(res.noop.skipCheckpointsUpMedianMs)} (with checkpoints ${s(res.noop.labUp.medianMs)})`);
        out.push(`slowest no-op steps (lab): ${res.noop.labTop.map((t: any) => `${t.name} ${Math.round(t.durMs)} ms`).join(", ")}`);
    }
    if (res.cold) {
        const c = res.cold;
        out.push(
            `\n## Cold up: ${s(c.wallMs)} (${c.steps} steps; start-up ${s(c.startupMs)}, steps ${s(c.stepsMs)}, tail ${s(c.tailMs)}; floor program's first up ${s(c.floorFirstUpMs)})\n`,
        );
        out.push(
            table(
                ["slowest resources", "type", "op", "time"],
                c.top.map((t: any) => [t.name, t.type, t.op, `${Math.round(t.durMs)} ms`]),
            ),
        );
        out.push("\ncritical path (wait = from the dependency's end to this step's start):\n");
        out.push(
            table(
                ["step", "type", "wait", "time"],
                c.criticalPath.map((p: PathStep) => [p.name, p.type, `${Math.round(p.waitMs)} ms`, `${Math.round(p.durMs)} ms`]),
            ),
        );
    }
    if (res.rotation) {
        const r = res.rotation;
        out.push(
            `\n## Rotation: rotating up ${s(r.rotatingUpMedianMs)} (all: ${r.all.join(", ")} ms), no-op up ${s(r.noopUpMedianMs)}; physical floor ${s(r.physical.totalMs)} = openssl ${Math.round(r.physical.opensslMs)} ms + broker copy/SIGHUP ${Math.round(r.physical.brokerMs)} ms + client copy ${Math.round(r.physical.clientMs)} ms + checks ${Math.round(r.physical.checksMs)} ms\n`,
        );
        out.push(`rotating up phases: start-up ${s(r.phases.startupMs)}, steps ${s(r.phases.stepsMs)}, tail ${s(r.phases.tailMs)}\n`);
        out.push(
            table(
                ["critical path", "type", "wait", "time"],
                r.criticalPath.map((p: PathStep) => [p.name, p.type, `${Math.round(p.waitMs)} ms`, `${Math.round(p.durMs)} ms`]),
            ),
        );
        out.push("");
        out.push(
            table(
                ["slowest steps", "type", "op", "time"],
                r.top.map((t: any) => [t.name, t.type, t.op, `${Math.round(t.durMs)} ms`]),
            ),
        );
    }
    if (res.loss) {
        const l = res.loss;
        out.push(
            `\n## Loss: ${l.sent} QoS 1 messages at ${l.ratePerS.toFixed(1)}/s, publishing covered the up (${s(l.upMs)}): ${l.coveredUp ? "yes" : "NO"}; received ${l.received}, duplicates ${l.duplicates}; CONNACKs sub ${l.subConnacks}, pub ${l.pubConnacks}; broker log: ${l.brokerSubConnects}/${l.brokerPubConnects} connects, ${l.brokerRestarts} restarts; broker: ${l.brokerAction}`,
        );
    }
    if (res.scale?.length) {
        out.push("\n## Cold up by number of client identities\n");
        const sc = res.scale as any[];
        out.push(
            table(
                [
                    "clients",
                    "steps",
                    "cold up",
                    "per added client",
                    "start-up",
                    "tail",
                    "critical path",
                    "check step median/max",
                    "install median/max",
                    "destroy",
                ],
                sc.map((x, i) => [
                    x.clients,
                    x.steps,
                    s(x.coldUpMs),
                    i ? `${((x.coldUpMs - sc[i - 1].coldUpMs) / (x.clients - sc[i - 1].clients) / 1000).toFixed(2)} s` : "",
                    s(x.phases.startupMs),
                    s(x.phases.tailMs),
                    s(x.criticalPathMs),
                    `${s(x.checks.medianMs)} / ${s(x.checks.maxMs)}`,
                    `${s(x.installs.medianMs)} / ${s(x.installs.maxMs)}`,
                    s(x.destroyMs ?? NaN),
                ]),
            ),
        );
    }
    if (problems.length) out.push(`\nproblems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    console.log(out.join("\n"));
    const dir = path.join(repoRoot, "bench", "results");
    mkdirSync(dir, { recursive: true });
    const json = JSON.stringify({ ...res, problems }, null, 2);
    writeFileSync(path.join(dir, `engine-${String(res.when).replace(/[:.]/g, "-")}.json`), json);
    writeFileSync(path.join(dir, "engine-latest.json"), json);
    console.log(`\nJSON: bench/results/engine-latest.json`);
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(`bench: ${e.message}`);
        process.exit(1);
    },
);
