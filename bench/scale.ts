/**
 * How the lab grows with its client identities (`npm run bench:scale`): for 1, 16, 64 and 256
 * identities (BENCH_SCALE), each with its own topics, on fresh containers, a cold `up`, a no-op
 * `up`, and at the largest size one identity added and one removed (what their previews list,
 * and their `up`s against the no-op `up` of that size). At each size, where the time goes: the
 * engine's steps by resource type, the SSH sessions, the check runs and their cost per identity,
 * the state file each step rewrites (the file backend writes the whole checkpoint after each
 * step), and the peak resident memory of the whole `pulumi up` process tree (CLI, language host,
 * program, plugins).
 *
 * It prints the figures and writes JSON to bench/results/; it never fails on time. Its own subnets
 * are 172.30.230-233.0/24; what it creates carries its run id and is removed even after a failure.
 */
import { statSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { repoRoot, requireEnv, requireProviderPlugins } from "../testkit/engineHarness";
import { byType, changed, dropStack, log, makeStack, newRunContext, OpRecord, phases, s, stageLabProgram, sweepRun, table, timed } from "./engineOps";
import { sampleTree, TreeMemory } from "./processTree";

const sizes = (process.env.BENCH_SCALE ?? "1,16,64,256")
    .split(",")
    .map(Number)
    .filter((n) => n >= 1);
const subnets = ["172.30.230", "172.30.231", "172.30.232", "172.30.233"];

/** n identities, each with topics of its own (so each has an ACL block and an ACL check). */
const identities = (n: number, from = 1) =>
    Array.from({ length: n }, (_, i) => {
        const name = `id${String(from + i).padStart(3, "0")}`;
        return { name, topics: [`lab/${name}/#`], host: "client" };
    });

interface Op {
    wallMs: number;
    phases: ReturnType<typeof phases>;
    changes: Record<string, number>;
    steps: number;
    byType: ReturnType<typeof byType>;
    sshSessions: number;
    checkRunsMs: number[];
    memory: TreeMemory;
}

interface SizeResult {
    identities: number;
    cold: Op;
    noop: Op;
    /** The state file after the cold up, and the steps that rewrote it. */
    stateBytes: number;
    add?: { preview: string[]; up: Op };
    remove?: { preview: string[]; up: Op };
}

/** One up (or preview), timed, with the process tree's memory sampled meanwhile. */
async function measured(stack: Stack, kind: "up" | "preview"): Promise<{ op: Op; rec: OpRecord }> {
    const sampler = sampleTree();
    const { rec } = await timed(stack, kind);
    const memory = sampler.stop();
    const work = rec.resources.filter((r) => r.endMs !== undefined && !/^(pulumi:pulumi:Stack|mqttlab:)/.test(r.type) && r.op !== "same");
    return {
        rec,
        op: {
            wallMs: rec.wallMs,
            phases: phases(rec),
            changes: rec.changes,
            steps: work.length,
            byType: byType(rec),
            // Each remote command is one SSH session; each host observer's read or diff another.
            sshSessions: work.filter((r) => r.type === "command:remote:Command").length,
            checkRunsMs: work.filter((r) => /-checks-(client|broker)$/.test(r.name)).map((r) => (r.endMs ?? NaN) - r.startMs),
            memory,
        },
    };
}

/** The resources a preview would change, "op name" each: what a user reads before saying yes. */
async function previewed(stack: Stack): Promise<string[]> {
    const { rec } = await timed(stack, "preview");
    return rec.resources.filter((r) => r.op !== "same" && !/^(pulumi:pulumi:Stack|mqttlab:)/.test(r.type)).map((r) => `${r.op} ${r.name}`);
}

function stateBytes(backend: string, stack: string): number {
    const dir = path.join(backend, ".pulumi", "stacks");
    for (const project of readdirSync(dir)) {
        const file = path.join(dir, project, `${stack}.json`);
        try {
            return statSync(file).size;
        } catch {
            // another project
        }
    }
    return NaN;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function report(results: SizeResult[], meta: Record<string, unknown>, problems: string[]): void {
    const out: string[] = [`# mqtt-lab scale: ${meta.when} (${meta.machine}; ${meta.program}; run ${meta.run})`, ""];
    const first = results[0];
    out.push(
        table(
            ["identities", "cold up", "per added identity", "no-op up", "steps", "SSH sessions", "check runs (max)", "state file", "peak memory (cold up)"],
            results.map((r, i) => [
                r.identities,
                s(r.cold.wallMs),
                i && first ? `${((r.cold.wallMs - first.cold.wallMs) / (r.identities - first.identities) / 1000).toFixed(3)} s` : "",
                s(r.noop.wallMs),
                r.cold.steps,
                r.cold.sshSessions,
                s(Math.max(...r.cold.checkRunsMs)),
                `${(r.stateBytes / 1024).toFixed(0)} KiB`,
                mib(r.cold.memory.peakBytes),
            ]),
        ),
    );
    for (const r of results) {
        out.push(`\n## ${r.identities} identities\n`);
        out.push(`- cold up: start-up ${s(r.cold.phases.startupMs)}, steps ${s(r.cold.phases.stepsMs)}, tail ${s(r.cold.phases.tailMs)}`);
        out.push(
            `- by resource type (count, summed step time, longest): ${Object.entries(r.cold.byType)
                .sort((a, b) => b[1].sumMs - a[1].sumMs)
                .map(([t, v]) => `${t.split(":").pop()} ${v.count} × ${s(v.sumMs / v.count)} = ${s(v.sumMs)} (max ${s(v.maxMs)})`)
                .join("; ")}`,
        );
        out.push(`- engine cost per step (steps phase / steps, 2 cores, 8 steps at once): ${s(r.cold.phases.stepsMs / r.cold.steps)}`);
        out.push(
            `- checkpoint: the state file is ${(r.stateBytes / 1024).toFixed(0)} KiB after the cold up; ${r.cold.steps} steps each rewrite it: about ${mib(r.stateBytes * r.cold.steps)} written`,
        );
        out.push(
            `- memory: peak of the process tree ${mib(r.cold.memory.peakBytes)} (cold up), ${mib(r.noop.memory.peakBytes)} (no-op up); largest programs: ${Object.entries(
                r.cold.memory.byProgram,
            )
                .sort((a, b) => b[1] - a[1])
                .slice(0, 5)
                .map(([n, b]) => `${n} ${mib(b)}`)
                .join(", ")}`,
        );
        for (const [what, x] of [
            ["adding one identity", r.add],
            ["removing one identity", r.remove],
        ] as const) {
            if (!x) continue;
            out.push(
                `- ${what}: up ${s(x.up.wallMs)} against the no-op up's ${s(r.noop.wallMs)} (+${s(x.up.wallMs - r.noop.wallMs)}); check runs ${x.up.checkRunsMs.map(s).join(", ")}; the preview lists ${x.preview.length}: ${x.preview.join(", ")}`,
            );
        }
    }
    if (problems.length) out.push("\n## Problems\n", ...problems.map((p) => `- ${p}`));
    console.log(out.join("\n"));
}

async function main(): Promise<number> {
    requireProviderPlugins();
    const image = requireEnv("MQTTLAB_IMAGE");
    const ctx = newRunContext("mls");
    const meta: Record<string, unknown> = {
        when: new Date().toISOString(),
        machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
        run: ctx.id,
    };
    const results: SizeResult[] = [];
    const problems: string[] = [];
    const onSignal = () => {
        sweepRun(ctx.id);
        rmSync(ctx.root, { recursive: true, force: true });
        process.exit(130);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
        const staged = stageLabProgram(ctx.root, process.env.BENCH_PROGRAM || undefined);
        meta.program = staged.source;
        const largest = Math.max(...sizes);
        for (const [k, n] of sizes.entries()) {
            const name = `scale-${n}`;
            const config = (ids: ReturnType<typeof identities>) => ({
                "mqtt-lab:hostSource": "containers",
                "mqtt-lab:image": image,
                "mqtt-lab:subnet": `${subnets[k % subnets.length]}.0/24`,
                "mqtt-lab:labName": `${ctx.id}-${n}`,
                "mqtt-lab:clients": JSON.stringify(ids),
            });
            const st = await makeStack(ctx, staged.dir, name, config(identities(n)));
            try {
                log(`${n} identities: cold up`);
                const cold = (await measured(st, "up")).op;
                log(`${n} identities: no-op up`);
                const noop = (await measured(st, "up")).op;
                if (changed({ changes: noop.changes } as OpRecord).length) problems.push(`${n}: the no-op up changed ${JSON.stringify(noop.changes)}`);
                const r: SizeResult = { identities: n, cold, noop, stateBytes: stateBytes(ctx.backend, name) };
                if (n === largest) {
                    log(`${n} identities: add one`);
                    await st.setConfig("mqtt-lab:clients", { value: JSON.stringify(identities(n + 1)) });
                    const addPreview = await previewed(st);
                    r.add = { preview: addPreview, up: (await measured(st, "up")).op };
                    log(`${n} identities: remove one`);
                    const fewer = identities(n + 1).filter((_, i) => i !== Math.floor(n / 2));
                    await st.setConfig("mqtt-lab:clients", { value: JSON.stringify(fewer) });
                    const removePreview = await previewed(st);
                    r.remove = { preview: removePreview, up: (await measured(st, "up")).op };
                }
                results.push(r);
            } catch (e) {
                problems.push(`${n} identities: ${(e as Error).message.slice(0, 600)}`);
            } finally {
                log(`${n} identities: destroy`);
                await dropStack(ctx, st);
            }
        }
        report(results, meta, problems);
        const dir = path.join(repoRoot, "bench", "results");
        mkdirSync(dir, { recursive: true });
        const file = path.join(dir, `scale-${meta.when as string}.json`.replace(/:/g, "-"));
        writeFileSync(file, JSON.stringify({ ...meta, results, problems }, null, 2));
        log(`results: ${file}`);
        return problems.length ? 1 : 0;
    } finally {
        for (const st of [...ctx.stacks].reverse()) await dropStack(ctx, st);
        sweepRun(ctx.id);
        rmSync(ctx.root, { recursive: true, force: true });
    }
}

main().then(
    (code) => process.exit(code),
    (e: unknown) => {
        log(`failed: ${(e as Error).stack ?? String(e)}`);
        process.exit(1);
    },
);
