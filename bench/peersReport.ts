/**
 * The peers bench's report: the table, the ratios (this project over each peer, by the peers'
 * checks), where each tool's time went, and the JSON in bench/results/ (git-ignored) that
 * tools/readmeFigures.ts renders into the README.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../testkit/engineHarness";
import { r2, s, table } from "./engineOps";
import { OpTimes, PeersResults, Series, ToolTimes } from "./peersResults";

/** A tool's operations, typed (Object.entries of an interface gives `any`). */
const opsOf = (x: ToolTimes) => Object.entries(x) as [string, OpTimes | undefined][];

/** Prints the table, the ratios and where the time went, and writes the JSON to bench/results/. */
export function report(res: PeersResults): void {
    const t = res.tools;
    const cell = (x?: Series) => (x ? s(x.medianMs) : "");
    const out: string[] = [`\n# Peers benchmark (${res.machine}; ${res.program}; run ${res.run}; ${res.rounds} rounds; medians)\n`];
    out.push(
        table(
            ["tool", "checks", "cold", "rerun / no-op", "up --refresh", "leaf rotation"],
            [
                ["openssl + ssh by hand (the floor)", "same as up", cell(t["floor-same"].cold), "", "", cell(t["floor-same"].rotation)],
                ["openssl + ssh by hand (the floor)", "one pub/sub", cell(t["floor-pubsub"].cold), "", "", cell(t["floor-pubsub"].rotation)],
                [
                    "Ansible playbook (community.crypto)",
                    "same as up",
                    cell(t["ansible-same"].cold),
                    cell(t["ansible-same"].rerun),
                    "",
                    cell(t["ansible-same"].rotation),
                ],
                [
                    "Ansible playbook (community.crypto)",
                    "one pub/sub",
                    cell(t["ansible-pubsub"].cold),
                    cell(t["ansible-pubsub"].rerun),
                    "",
                    cell(t["ansible-pubsub"].rotation),
                ],
                [
                    "this project, pulumi up (existing hosts)",
                    "its own",
                    cell(t.pulumi.cold),
                    cell(t.pulumi.noop),
                    cell(t.pulumi.refresh),
                    cell(t.pulumi.rotation),
                ],
            ],
        ),
    );
    out.push("\nratios (this project / peer):\n");
    const rr = (x: Record<string, number>) => Object.entries(x).map(([k, v]) => `${k} ${r2(v)}`);
    out.push(
        table(
            ["peer checks", "ratios"],
            [
                ["same as up", rr(res.ratios.same).join(", ")],
                ["one pub/sub", rr(res.ratios.pubsub).join(", ")],
            ],
        ),
    );
    out.push("\nwhere the time goes:");
    for (const [k, op] of opsOf(t.pulumi)) {
        if (!op?.phases) continue;
        const ph = op.phases;
        out.push(
            `  pulumi ${k}: start-up ${s(ph.startupMs)}, steps ${s(ph.stepsMs)}, tail ${s(ph.tailMs)}; slowest: ${(op.top ?? []).map((x) => `${x.name} ${Math.round(x.ms)} ms`).join(", ")}`,
        );
    }
    for (const tool of ["ansible-same", "ansible-pubsub"]) {
        for (const [k, op] of opsOf(t[tool])) {
            if (!op) continue;
            out.push(
                `  ${tool} ${k}: start-up ${s(op.startupMs ?? NaN)}; plays ${(op.plays ?? []).map((x) => `${x.name} ${s(x.ms)}`).join(", ")}; slowest: ${(op.top ?? []).map((x) => `${x.name} ${Math.round(x.ms)} ms`).join(", ")}`,
            );
        }
    }
    for (const tool of ["floor-same", "floor-pubsub"]) {
        for (const [k, op] of opsOf(t[tool])) {
            if (!op?.phases) continue;
            out.push(
                `  ${tool} ${k}: ${Object.entries(op.phases)
                    .map(([n, ms]) => `${n} ${ms} ms`)
                    .join(", ")}`,
            );
        }
    }
    if (res.problems.length) out.push(`\nproblems:\n${res.problems.map((x) => `  - ${x}`).join("\n")}`);
    console.log(out.join("\n"));
    const dir = path.join(repoRoot, "bench", "results");
    mkdirSync(dir, { recursive: true });
    const json = JSON.stringify(res, null, 2);
    const file = `peers-${res.partial ? "partial-" : ""}${res.when.replace(/[:.]/g, "-")}.json`;
    writeFileSync(path.join(dir, file), json);
    // A run of some tools only is kept apart: the README renders whole runs.
    if (!res.partial) writeFileSync(path.join(dir, "peers-latest.json"), json);
    console.log(`\nJSON: bench/results/${res.partial ? file : "peers-latest.json"}`);
}
