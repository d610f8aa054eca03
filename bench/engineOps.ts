/**
 * What the engine benches share: timed engine operations through the Automation API (with the
 * engine's event stream: where the time goes by resource, start-up, steps, tail), the compiled
 * program staged in a work dir of its own, stacks on a throw-away file backend, and the sweep of
 * a run's labelled containers and networks.
 */
import { EngineEvent, LocalWorkspace, OutputMap, Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { repoRoot } from "../testkit/engineHarness";

export const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
export const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "n/a");
export const r2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");
export const log = (m: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

// ---------------------------------------------------------------------------------------------
// Timed engine operations, with the engine's event stream (received over gRPC as they happen).

export interface ResTiming {
    urn: string;
    type: string;
    name: string;
    op: string;
    startMs: number;
    endMs?: number;
}
export interface OpRecord {
    kind: string;
    wallMs: number;
    /** CLI start to the first engine event, and to the first resource step. */
    firstEventMs?: number;
    firstResourceMs?: number;
    lastResourceMs?: number;
    summaryMs?: number;
    changes: Record<string, number>;
    resources: ResTiming[];
    /** The CLI processes started, and the time of the operation's own command (pulumi up/preview/destroy). */
    cli: { cmd: string; ms: number }[];
    commandMs: number;
    /** When it started, in ms since the epoch (performance.timeOrigin based). */
    t0Abs: number;
}

/** Every CLI process the Automation API starts during one timed operation (up also runs `stack output` twice and `stack history`). */
let cliCalls: { cmd: string; ms: number }[] = [];

export function instrumentCli(stack: Stack): void {
    const pc = (stack.workspace as LocalWorkspace).pulumiCommand as unknown as { run: (...a: unknown[]) => Promise<unknown>; benchPatched?: boolean };
    if (pc.benchPatched) return;
    const run = pc.run.bind(pc);
    pc.run = async (...a: unknown[]) => {
        const t = performance.now();
        try {
            return await run(...a);
        } finally {
            const args = a[0] as string[];
            cliCalls.push({ cmd: args[0] === "stack" ? `stack ${args[1]}` : args[0], ms: performance.now() - t });
        }
    };
    pc.benchPatched = true;
}

export const nameOf = (urn: string) => urn.split("::").pop() ?? urn;
/** Steps that do work of their own: not the stack or our components (they span their children). */
export const isWorkStep = (r: ResTiming) => !/^(pulumi:pulumi:Stack|mqttlab:)/.test(r.type);

/** One engine operation, timed; `refresh` makes an up look at the hosts first (`pulumi up --refresh`). */
export async function timed(
    stack: Stack,
    kind: "up" | "preview" | "destroy",
    opts: { refresh?: boolean } = {},
): Promise<{ rec: OpRecord; outputs?: OutputMap }> {
    const t0 = performance.now();
    const rec: OpRecord = { kind, wallMs: 0, changes: {}, resources: [], cli: [], commandMs: NaN, t0Abs: performance.timeOrigin + t0 };
    instrumentCli(stack);
    cliCalls = rec.cli;
    const open = new Map<string, ResTiming>();
    const onEvent = (e: EngineEvent) => {
        const t = performance.now() - t0;
        rec.firstEventMs ??= t;
        if (e.resourcePreEvent) {
            const m = e.resourcePreEvent.metadata;
            const r: ResTiming = { urn: m.urn, type: m.type, name: nameOf(m.urn), op: m.op, startMs: t };
            open.set(`${m.op}|${m.urn}`, r);
            rec.resources.push(r);
            if (isWorkStep(r)) rec.firstResourceMs ??= t;
        }
        if (e.resOutputsEvent) {
            const m = e.resOutputsEvent.metadata;
            const r = open.get(`${m.op}|${m.urn}`);
            if (r) {
                r.endMs = t;
                if (isWorkStep(r)) rec.lastResourceMs = t;
            }
        }
        if (e.summaryEvent) {
            rec.summaryMs = t;
            rec.changes = { ...e.summaryEvent.resourceChanges } as Record<string, number>;
        }
    };
    let outputs: OutputMap | undefined;
    if (kind === "up") outputs = (await stack.up({ color: "never", onEvent, refresh: opts.refresh })).outputs;
    else if (kind === "preview") await stack.preview({ color: "never", onEvent });
    else await stack.destroy({ color: "never", onEvent });
    rec.wallMs = performance.now() - t0;
    rec.commandMs = rec.cli.find((c) => c.cmd === kind)?.ms ?? NaN;
    return { rec, outputs };
}

export const changed = (rec: OpRecord) => Object.entries(rec.changes).filter(([op, n]) => op !== "same" && n > 0);

/** Dependencies of each resource as the state records them (plus its provider): for the critical path. */
export async function dependencyMap(stack: Stack): Promise<Map<string, string[]>> {
    const d = await stack.exportStack();
    const out = new Map<string, string[]>();
    for (const r of (d.deployment.resources ?? []) as { urn: string; dependencies?: string[]; provider?: string; parent?: string }[]) {
        const deps = [...(r.dependencies ?? [])];
        if (r.provider) deps.push(r.provider.split("::").slice(0, -1).join("::"));
        out.set(r.urn, deps);
    }
    return out;
}

export interface PathStep {
    name: string;
    type: string;
    durMs: number;
    waitMs: number;
}

/**
 * Walks back from the step that ended last, each time to the dependency that ended last: the
 * chain that set the wall time. waitMs: from that dependency's end to this step's start (the
 * program resolving outputs and registering, the engine's check and diff).
 */
export function criticalPath(rec: OpRecord, deps: Map<string, string[]>): PathStep[] {
    // One span per resource: a replacement is several steps (create-replacement, replace).
    const spans = new Map<string, ResTiming>();
    for (const r of rec.resources) {
        if (!isWorkStep(r) || r.endMs === undefined || r.op === "delete" || r.op === "delete-replaced" || r.op === "discard-replaced") continue;
        const s0 = spans.get(r.urn);
        spans.set(r.urn, s0 ? { ...s0, startMs: Math.min(s0.startMs, r.startMs), endMs: Math.max(s0.endMs!, r.endMs) } : { ...r });
    }
    const work = [...spans.values()];
    const latest = (xs: ResTiming[]) => xs.reduce<ResTiming | undefined>((a, r) => (!a || r.endMs! > a.endMs! ? r : a), undefined);
    let cur = latest(work);
    const out: PathStep[] = [];
    while (cur) {
        const preds = (deps.get(cur.urn) ?? []).map((u) => spans.get(u)).filter((r): r is ResTiming => !!r && r.endMs! <= cur!.startMs + 5);
        // A provider is registered with its first resource: only on the path when nothing else is.
        const pred = latest(preds.filter((r) => !r.type.startsWith("pulumi:providers:"))) ?? latest(preds);
        out.unshift({ name: cur.name, type: cur.type, durMs: cur.endMs! - cur.startMs, waitMs: cur.startMs - (pred?.endMs ?? 0) });
        cur = pred;
    }
    return out;
}

export function topResources(rec: OpRecord, n: number): { name: string; type: string; op: string; durMs: number }[] {
    return rec.resources
        .filter((r) => isWorkStep(r) && r.endMs !== undefined)
        .map((r) => ({ name: r.name, type: r.type, op: r.op, durMs: r.endMs! - r.startMs }))
        .sort((a, b) => b.durMs - a.durMs)
        .slice(0, n);
}

/** Busy time by resource type (sum of step durations; steps overlap, so this is work, not wall). */
export function byType(rec: OpRecord): Record<string, { count: number; sumMs: number; maxMs: number }> {
    const out: Record<string, { count: number; sumMs: number; maxMs: number }> = {};
    for (const r of rec.resources.filter((x) => isWorkStep(x) && x.endMs !== undefined)) {
        const t = (out[`${r.type} (${r.op})`] ??= { count: 0, sumMs: 0, maxMs: 0 });
        t.count++;
        t.sumMs += r.endMs! - r.startMs;
        t.maxMs = Math.max(t.maxMs, r.endMs! - r.startMs);
    }
    return out;
}

/** Start-up (CLI and program until the first step), steps, and tail (last step to exit: summary, state, plugin shutdown). */
export function phases(rec: OpRecord) {
    return {
        startupMs: rec.firstResourceMs ?? NaN,
        stepsMs: (rec.lastResourceMs ?? NaN) - (rec.firstResourceMs ?? NaN),
        tailMs: rec.wallMs - (rec.lastResourceMs ?? NaN),
    };
}

// ---------------------------------------------------------------------------------------------
// Work dirs: the compiled program, and the floor program, each with its own Pulumi.yaml.

/**
 * The program, compiled, in a work dir of its own: by default the working tree as `npm run
 * bench:engine` just compiled it to bin/ (copied: `npm test` removes and rebuilds bin/ while this
 * runs); with BENCH_PROGRAM=<git rev>, that commit, extracted and compiled apart.
 */
export function stageLabProgram(root: string, rev: string | undefined): { dir: string; source: string } {
    let from = repoRoot;
    let source: string;
    if (rev) {
        from = path.join(root, "src");
        mkdirSync(from, { recursive: true });
        const commit = execFileSync("git", ["-C", repoRoot, "rev-parse", "--short", rev], { encoding: "utf8" }).trim();
        execFileSync("bash", [
            "-c",
            `git -C "$1" archive "$2" index.ts src remote Pulumi.yaml package.json tsconfig.json | tar -x -C "$3"`,
            "-",
            repoRoot,
            commit,
            from,
        ]);
        symlinkSync(path.join(repoRoot, "node_modules"), path.join(from, "node_modules"));
        execFileSync(path.join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", path.join(from, "tsconfig.json")], { stdio: "inherit" });
        source = `commit ${commit}`;
    } else {
        const dirty = execFileSync("git", ["-C", repoRoot, "status", "--porcelain", "--", "index.ts", "src"], { encoding: "utf8" }).trim();
        source = `working tree at ${execFileSync("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim()}${dirty ? " with uncommitted changes" : ""}`;
    }
    const bin = path.join(from, "bin");
    for (const p of ["index.js", "src"]) {
        if (!existsSync(path.join(bin, p))) throw new Error(`${path.join(bin, p)} is missing: build first (npx tsc -p tsconfig.json)`);
    }
    const dir = path.join(root, "lab");
    mkdirSync(dir, { recursive: true });
    for (const p of ["index.js", "src"]) cpSync(path.join(bin, p), path.join(dir, p), { recursive: true });
    // The host-side scripts the program composes (src/remote/compose.ts looks for remote/ above itself).
    cpSync(path.join(from, "remote"), path.join(dir, "remote"), { recursive: true });
    symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
    cpSync(path.join(from, "package.json"), path.join(dir, "package.json"));
    const yaml = readFileSync(path.join(from, "Pulumi.yaml"), "utf8");
    const compiled = yaml
        .replace(/^runtime:\n(?:[ \t]+.*\n)+/m, "runtime:\n  name: nodejs\n  options:\n    typescript: false\n")
        .replace(/^main: .*$/m, "main: index.js");
    if (!/typescript: false/.test(compiled) || !/^main: index\.js$/m.test(compiled)) throw new Error("could not point Pulumi.yaml at the compiled program");
    writeFileSync(path.join(dir, "Pulumi.yaml"), compiled);
    return { dir, source };
}

export interface Ctx {
    id: string;
    root: string;
    backend: string;
    envVars: Record<string, string>;
    stacks: Stack[];
}

/** A bench run's context: its id (`prefix` + time), a temp root with a file backend, a fresh passphrase. */
export function newRunContext(prefix: string): Ctx {
    const id = `${prefix}${Date.now().toString(36)}`;
    const root = mkdtempSync(path.join(tmpdir(), "mqtt-lab-bench-"));
    const backend = path.join(root, "state");
    mkdirSync(backend);
    return {
        id,
        root,
        backend,
        stacks: [],
        envVars: { PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: randomBytes(32).toString("base64"), MQTTLAB_RUN_ID: id },
    };
}

export async function makeStack(ctx: Ctx, workDir: string, name: string, config: Record<string, string>): Promise<Stack> {
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir }, { envVars: { ...ctx.envVars }, secretsProvider: "passphrase" });
    ctx.stacks.push(stack);
    await stack.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v }])));
    return stack;
}

export async function dropStack(ctx: Ctx, stack: Stack): Promise<OpRecord | undefined> {
    const at = ctx.stacks.indexOf(stack);
    if (at < 0) return undefined;
    ctx.stacks.splice(at, 1);
    try {
        const { rec } = await timed(stack, "destroy");
        await stack.workspace.removeStack(stack.name);
        return rec;
    } catch (e) {
        log(`destroy of ${stack.name} failed: ${(e as Error).message.slice(0, 400)}`);
        return undefined;
    }
}

/** What a killed or failed run leaves: containers and networks carrying this run's label. */
export function sweepRun(id: string): void {
    const q = (args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).split("\n").filter(Boolean);
    try {
        const cs = q(["ps", "-aq", "--filter", `label=mqtt-lab-run=${id}`]);
        if (cs.length) execFileSync("docker", ["rm", "-f", ...cs], { stdio: "ignore" });
        const ns = q(["network", "ls", "-q", "--filter", `label=mqtt-lab-run=${id}`]);
        if (ns.length) execFileSync("docker", ["network", "rm", ...ns], { stdio: "ignore" });
        if (cs.length || ns.length) log(`swept ${cs.length} containers and ${ns.length} networks of run ${id}`);
    } catch (e) {
        log(`sweep of run ${id}: ${(e as Error).message}`);
    }
}

export function table(head: string[], rows: (string | number)[][]): string {
    const cells = [head, ...rows.map((r) => r.map(String))];
    const w = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
    const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i])).join(" | ")} |`;
    return [line(head), `|${w.map((x) => "-".repeat(x + 2)).join("|")}|`, ...cells.slice(1).map(line)].join("\n");
}
