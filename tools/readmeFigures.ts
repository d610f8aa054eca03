/**
 * The README's measured figures, rendered from what measured them, so that no hand-copied figure
 * goes stale: the benches' JSON (bench/results/<bench>-latest.json, git-ignored) and setup's own
 * step times ($MQTTLAB_CACHE/setup-times.json, written by scripts/setup.sh through
 * tools/setupTimes.ts). Each figure block of README.md sits between marker comments:
 *
 *   <!-- figures:peers -->  ...rendered, never edited by hand...  <!-- /figures:peers -->
 *
 * Pure functions (JSON in, markdown out) with a small command at the end:
 *
 *   npm run readme:figures            rewrites the blocks whose JSON is there, leaves the others
 *   npm run readme:figures -- --check exits 1 when README.md is not what the JSON renders
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import type { OpTimes, PeersResults } from "../bench/peersResults";

// ---------------------------------------------------------------------------------------------
// Numbers

/** A duration for a reader: "850 ms", "10.5 s", "8 min 30 s"; "n/a" when it was not measured (null in JSON). */
export function duration(ms: number | null | undefined): string {
    if (ms === null || ms === undefined || !Number.isFinite(ms)) return "n/a";
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
    const s = Math.round(ms / 1000);
    return `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function ratio(x: number | null | undefined): string {
    return x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(2);
}

const day = (iso: string) => iso.slice(0, 10);

function table(head: string[], rows: string[][]): string {
    return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Setup's step times

export interface SetupStep {
    seconds: number;
    /** The step built something (downloaded, compiled, imported) in that run: its cold time. */
    built: boolean;
}
export interface SetupTimes {
    /** Per step, the latest run in which it built something. */
    built: Record<string, { seconds: number; when: string }>;
    /** Per step, the latest run in which it had nothing to build. */
    warm: Record<string, { seconds: number; when: string }>;
    /** The latest run in which anything was built, whole. */
    lastBuild?: { seconds: number; when: string; builtSteps: string[] };
    latest?: { seconds: number; when: string };
}

/** setup.sh's "name seconds built" lines (built: yes or no). */
export function parseSetupSteps(text: string): Record<string, SetupStep> {
    const out: Record<string, SetupStep> = {};
    for (const line of text.split("\n")) {
        const m = /^(\S+) (\d+) (yes|no)$/.exec(line.trim());
        if (m) out[m[1]] = { seconds: Number(m[2]), built: m[3] === "yes" };
    }
    return out;
}

/** What a setup run adds to the times recorded before it. */
export function mergeSetupTimes(prev: SetupTimes | undefined, when: string, totalSeconds: number, steps: Record<string, SetupStep>): SetupTimes {
    const next: SetupTimes = {
        built: { ...(prev?.built ?? {}) },
        warm: { ...(prev?.warm ?? {}) },
        lastBuild: prev?.lastBuild,
        latest: { seconds: totalSeconds, when },
    };
    for (const [name, s] of Object.entries(steps)) (s.built ? next.built : next.warm)[name] = { seconds: s.seconds, when };
    const builtSteps = Object.entries(steps)
        .filter(([, s]) => s.built)
        .map(([n]) => n);
    if (builtSteps.length) next.lastBuild = { seconds: totalSeconds, when, builtSteps };
    return next;
}

const setupStepNames: Record<string, string> = {
    toolchain: "`toolchain/toolchain.sh` (Pulumi CLI, language host, provider plugins)",
    npm: "`npm ci`",
    substrate: "`image/substrate.sh` (Docker Engine, base image)",
};

export function renderSetupFigures(t: SetupTimes): string {
    const names = [...new Set([...Object.keys(setupStepNames), ...Object.keys(t.built), ...Object.keys(t.warm)])];
    // setup.sh counts whole seconds (bash's SECONDS): 0 or 1 is anything under 2 s, and says so.
    const when = (x?: { seconds: number; when: string }) =>
        x ? `${x.seconds > 1 ? duration(x.seconds * 1000) : "< 2 s"} (${day(x.when)})` : "not recorded yet";
    const rows = names.map((n) => [setupStepNames[n] ?? `\`${n}\``, when(t.built[n]), when(t.warm[n])]);
    if (t.lastBuild) rows.push([`whole setup, its latest run that built something (${t.lastBuild.builtSteps.join(", ")})`, when(t.lastBuild), ""]);
    if (t.latest) rows.push(["whole setup, its latest run", "", when(t.latest)]);
    return [
        "Recorded by `scripts/setup.sh` itself on this machine (`$MQTTLAB_CACHE/setup-times.json`): each step's latest run that built something, and its latest with nothing to build.",
        "",
        table(["setup step", "cold (it built)", "warm"], rows),
    ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// The peers bench (bench/peers.ts)

export function renderPeersFigures(r: PeersResults): string {
    const t = r.tools;
    const cell = (x?: OpTimes) => (x ? duration(x.medianMs) : "");
    const rows = [
        ["openssl + ssh by hand (the floor)", "the same as `up`", cell(t["floor-same"]?.cold), "", "", cell(t["floor-same"]?.rotation)],
        ["openssl + ssh by hand (the floor)", "one publish/subscribe", cell(t["floor-pubsub"]?.cold), "", "", cell(t["floor-pubsub"]?.rotation)],
        [
            "an Ansible playbook (community.crypto, copy, handlers)",
            "the same as `up`",
            cell(t["ansible-same"]?.cold),
            cell(t["ansible-same"]?.rerun),
            "",
            cell(t["ansible-same"]?.rotation),
        ],
        [
            "an Ansible playbook (community.crypto, copy, handlers)",
            "one publish/subscribe",
            cell(t["ansible-pubsub"]?.cold),
            cell(t["ansible-pubsub"]?.rerun),
            "",
            cell(t["ansible-pubsub"]?.rotation),
        ],
        [
            "this project, `pulumi up` with `hostSource: existing`",
            "its own",
            cell(t.pulumi?.cold),
            cell(t.pulumi?.noop),
            cell(t.pulumi?.refresh),
            cell(t.pulumi?.rotation),
        ],
    ];
    const ratios = (x: Record<string, number>) =>
        [
            `cold ${ratio(x.coldVsAnsible)} × Ansible, ${ratio(x.coldVsFloor)} × the floor`,
            `no-op \`up\` ${ratio(x.noopVsAnsibleRerun)} × Ansible's rerun, \`up --refresh\` ${ratio(x.refreshVsAnsibleRerun)} ×`,
            `leaf rotation ${ratio(x.rotationVsAnsible)} × Ansible, ${ratio(x.rotationVsFloor)} × the floor`,
        ].join("; ");
    const top = (op?: OpTimes) => (op?.top ?? []).map((x) => `${x.name} ${duration(x.ms)}`).join(", ");
    const where: string[] = [];
    const pc = t.pulumi?.cold;
    if (pc?.phases)
        where.push(
            `- \`pulumi up\`, cold: start-up ${duration(pc.phases.startupMs)} (CLI, program, plugins until the first step), steps ${duration(pc.phases.stepsMs)}, tail ${duration(pc.phases.tailMs)}; slowest steps: ${top(pc)}.`,
        );
    const pn = t.pulumi?.noop;
    if (pn?.phases)
        where.push(
            `- \`pulumi up\`, no-op: start-up ${duration(pn.phases.startupMs)}, steps ${duration(pn.phases.stepsMs)}, tail ${duration(pn.phases.tailMs)}.`,
        );
    const pr = t.pulumi?.refresh;
    if (pr?.phases) where.push(`- \`pulumi up --refresh\`: steps ${duration(pr.phases.stepsMs)}; slowest: ${top(pr)}.`);
    const ac = t["ansible-same"]?.cold;
    if (ac?.plays)
        where.push(
            `- Ansible, cold (the same checks): start-up ${duration(ac.startupMs)}; ${ac.plays.map((p) => `${p.name} ${duration(p.ms)}`).join(", ")}; slowest tasks: ${top(ac)}.`,
        );
    const ar = t["ansible-same"]?.rerun;
    if (ar?.plays)
        where.push(
            `- Ansible, rerun: ${ar.plays.map((p) => `${p.name} ${duration(p.ms)}`).join(", ")}${ar.changed === 0 ? " (nothing changed, so no handler and no check ran)" : ` (${ar.changed} tasks changed something)`}.`,
        );
    const fc = t["floor-same"]?.cold;
    if (fc?.phases)
        where.push(
            `- The floor, cold (the same checks): ${Object.entries(fc.phases)
                .map(([n, ms]) => `${n} ${duration(ms)}`)
                .join(", ")}.`,
        );
    return [
        `Latest (${day(r.when)}, ${r.machine}, ${r.program}; ${r.rounds} round${r.rounds === 1 ? "" : "s"}, medians; ${r.ansible}; run ${r.run}):`,
        "",
        table(["tool", "its checks", "cold", "rerun / no-op `up`", "`up --refresh`", "leaf rotation"], rows),
        "",
        `This project over its peers, when they run the checks \`up\` runs: ${ratios(r.ratios.same)}.`,
        "",
        `When they run one publish/subscribe round trip (what a plain playbook's user gets): ${ratios(r.ratios.pubsub)}.`,
        ...(where.length ? ["", "Where the time goes:", "", ...where] : []),
        ...(r.problems.length ? ["", `That run reported problems: ${r.problems.map((p) => p.split("\n")[0].slice(0, 200)).join("; ")}.`] : []),
    ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// The engine bench (bench/engine.ts) and the rotation bench (bench/rotation.ts)

interface Median {
    medianMs: number;
}
/** The fields of bench/results/engine-latest.json rendered here (the bench writes more). */
export interface EngineResults {
    when: string;
    machine: string;
    program: string;
    rounds: number;
    rotationRounds: number;
    noop?: {
        labPreview: Median;
        floorPreview: Median;
        labUp: Median;
        floorUp: Median;
        previewRatio: number;
        upRatio: number;
        labUpCommandMs: number;
        floorUpCommandMs: number;
        upCommandRatio: number;
    };
    rotation?: { rotatingUpMedianMs: number; programMs: number; physical: { totalMs: number }; ratio: number };
    loss?: { sent: number; lost: number; ratePerS: number; subConnacks: number; pubConnacks: number; brokerSubConnects: number; brokerPubConnects: number };
    scale?: { clients: number; coldUpMs: number; destroyMs?: number | null; checks: { medianMs: number; maxMs: number } }[];
    problems?: string[];
}

export function renderEngineFigures(e: EngineResults): string {
    const rows: string[][] = [];
    const goal = (x: number, max: number) => `≤ ${max}${Number.isFinite(x) && x > max ? " (missed)" : ""}`;
    if (e.noop) {
        const n = e.noop;
        rows.push(["no-op `preview`", duration(n.labPreview.medianMs), duration(n.floorPreview.medianMs), ratio(n.previewRatio), goal(n.previewRatio, 1.3)]);
        rows.push([
            "no-op `up`, Automation API `stack.up()`",
            duration(n.labUp.medianMs),
            duration(n.floorUp.medianMs),
            ratio(n.upRatio),
            goal(n.upRatio, 1.3),
        ]);
        rows.push([
            "no-op `up`, the `pulumi up` process alone",
            duration(n.labUpCommandMs),
            duration(n.floorUpCommandMs),
            ratio(n.upCommandRatio),
            goal(n.upCommandRatio, 1.3),
        ]);
    }
    if (e.rotation) {
        const r = e.rotation;
        rows.push([
            `rotation: rotating \`up\` (${duration(r.rotatingUpMedianMs)}) minus no-op \`up\``,
            duration(r.programMs),
            duration(r.physical.totalMs),
            ratio(r.ratio),
            goal(r.ratio, 2),
        ]);
    }
    if (e.loss) {
        const l = e.loss;
        rows.push([`QoS 1 messages lost during a rotating \`up\` (${l.sent} at ${Math.round(l.ratePerS)}/s)`, String(l.lost), "", "", "0"]);
        rows.push([
            "reconnects (subscriber, publisher; broker log)",
            `${l.subConnacks - 1}, ${l.pubConnacks - 1}; ${l.brokerSubConnects - 1}, ${l.brokerPubConnects - 1}`,
            "",
            "",
            "0",
        ]);
    }
    const out = [
        `Latest (${day(e.when)}, ${e.machine}, ${e.program}; ${e.rounds} no-op rounds${e.rotation ? `, ${e.rotationRounds} rotations` : ""}, medians):`,
        "",
        table(["what", "lab", "floor", "ratio", "goal"], rows),
    ];
    if (e.scale?.length) {
        const sc = [...e.scale].sort((a, b) => a.clients - b.clients);
        out.push(
            "",
            table(
                ["client identities", ...sc.map((x) => String(x.clients))],
                [
                    ["cold `up` (image cached)", ...sc.map((x) => duration(x.coldUpMs))],
                    ["cost per added client", ...sc.map((x, i) => (i ? duration((x.coldUpMs - sc[i - 1].coldUpMs) / (x.clients - sc[i - 1].clients)) : ""))],
                    ["one identity's check step (median / max)", ...sc.map((x) => `${duration(x.checks.medianMs)} / ${duration(x.checks.maxMs)}`)],
                    ["`destroy`", ...sc.map((x) => duration(x.destroyMs))],
                ],
            ),
        );
    }
    if (e.problems?.length) out.push("", `That run reported problems: ${e.problems.map((p) => p.split("\n")[0].slice(0, 200)).join("; ")}.`);
    return out.join("\n");
}

/** bench/results/rotation-latest.json. */
export interface RotationResults {
    when: string;
    rounds: number;
    applyMs: number;
    floorCopyMs: number;
    programMs: number;
    floorMs: number;
}

export function renderRotationFigures(r: RotationResults): string {
    return [
        `Latest (${day(r.when)}, ${r.rounds} rounds, medians):`,
        "",
        table(
            ["what", "program", "floor", "ratio (goal ≤ 2)"],
            [
                ["install + SIGHUP", duration(r.applyMs), duration(r.floorCopyMs), ratio(r.applyMs / r.floorCopyMs)],
                ["rotation with the checks", duration(r.programMs), duration(r.floorMs), ratio(r.programMs / r.floorMs)],
            ],
        ),
    ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// README.md

/**
 * README.md with the body of each `<!-- figures:NAME -->` block replaced by `sections[NAME]`;
 * blocks without a section stay as they are. A section without its block is an error: the
 * README and this renderer must not drift apart.
 */
export function applyFigures(readme: string, sections: Record<string, string>): string {
    let out = readme;
    for (const [name, body] of Object.entries(sections)) {
        const open = `<!-- figures:${name} -->`;
        const close = `<!-- /figures:${name} -->`;
        const a = out.indexOf(open);
        const b = out.indexOf(close);
        if (a < 0 || b < a) throw new Error(`README.md has no ${open} ... ${close} block for the ${name} figures`);
        out = `${out.slice(0, a + open.length)}\n${body.trim()}\n${out.slice(b)}`;
    }
    return out;
}

/** The sections whose JSON exists: read from the results folder and the cache. */
export function sectionsFrom(resultsDir: string, setupTimesFile: string): Record<string, string> {
    const read = <T>(f: string): T | undefined => (existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as T) : undefined);
    const out: Record<string, string> = {};
    const peers = read<PeersResults>(path.join(resultsDir, "peers-latest.json"));
    if (peers) out.peers = renderPeersFigures(peers);
    const engine = read<EngineResults>(path.join(resultsDir, "engine-latest.json"));
    if (engine) out.engine = renderEngineFigures(engine);
    const rotation = read<RotationResults>(path.join(resultsDir, "rotation-latest.json"));
    if (rotation) out.rotation = renderRotationFigures(rotation);
    const setup = read<SetupTimes>(setupTimesFile);
    if (setup) out.setup = renderSetupFigures(setup);
    return out;
}

function main(): number {
    const root = path.resolve(__dirname, "..", "..");
    const readmeFile = path.join(root, "README.md");
    const cache = process.env.MQTTLAB_CACHE ?? "/var/cache/mqtt-lab";
    const sections = sectionsFrom(path.join(root, "bench", "results"), path.join(cache, "setup-times.json"));
    const before = readFileSync(readmeFile, "utf8");
    const after = applyFigures(before, sections);
    const missing = ["peers", "engine", "rotation", "setup"].filter((n) => !(n in sections));
    if (missing.length) console.error(`readme figures: no JSON for ${missing.join(", ")}: those blocks are left as they are`);
    if (process.argv.includes("--check")) {
        if (after !== before) console.error("readme figures: README.md is not what the JSON renders: run npm run readme:figures");
        return after === before ? 0 : 1;
    }
    if (after !== before) writeFileSync(readmeFile, after);
    console.error(`readme figures: ${Object.keys(sections).join(", ") || "nothing"} rendered${after === before ? " (no change)" : ""}`);
    return 0;
}

if (require.main === module) process.exit(main());
