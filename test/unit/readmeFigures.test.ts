import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { PeersResults } from "../../bench/peersResults";
import {
    applyFigures,
    duration,
    mergeSetupTimes,
    parseSetupSteps,
    renderEngineFigures,
    renderPeersFigures,
    renderSetupFigures,
    sectionsFrom,
} from "../../tools/readmeFigures";

const op = (ms: number, extra: object = {}) => ({ medianMs: ms, all: [ms], ...extra });

/** A peers result as bench/peers.ts writes it, NaN already turned into null by JSON. */
function peersFixture(): PeersResults {
    const r = {
        kind: "peers",
        when: "2026-12-02T16:00:00.000Z",
        machine: "2 cores, 24 GiB",
        run: "mlptest",
        rounds: 3,
        program: "working tree at abc1234",
        images: { base: "mqttlab/base:x", existingHost: "mqttlab/existing-host:y" },
        ansible: "ansible [core 2.14.18]",
        partial: false,
        tools: {
            pulumi: {
                cold: op(10500, { phases: { startupMs: 3000, stepsMs: 6000, tailMs: 1500 }, top: [{ name: "lab-checks-client-a", ms: 7100 }] }),
                noop: op(3600, { phases: { startupMs: 2500, stepsMs: 600, tailMs: 500 } }),
                refresh: op(5200),
                rotation: op(10600),
            },
            "ansible-same": {
                cold: op(8400, { startupMs: 800, plays: [{ name: "Broker", ms: 2000 }] }),
                rerun: op(7600, { plays: [{ name: "Broker", ms: 900 }], changed: 0 }),
                rotation: op(8000),
            },
            "ansible-pubsub": { cold: op(6000), rerun: op(5000), rotation: op(5500) },
            "floor-same": { cold: op(2100, { phases: { openssl: 200, broker: 600 } }), rotation: op(2000) },
            "floor-pubsub": { cold: op(1400), rotation: op(1200) },
        },
        ratios: {
            same: {
                coldVsAnsible: 1.25,
                coldVsFloor: 5,
                noopVsAnsibleRerun: 0.47,
                refreshVsAnsibleRerun: 0.68,
                rotationVsAnsible: 1.325,
                rotationVsFloor: 5.3,
            },
            pubsub: {
                coldVsAnsible: 1.75,
                coldVsFloor: null,
                noopVsAnsibleRerun: 0.72,
                refreshVsAnsibleRerun: 1.04,
                rotationVsAnsible: 1.93,
                rotationVsFloor: 8.83,
            },
        },
        problems: [],
    };
    return JSON.parse(JSON.stringify(r)) as PeersResults;
}

describe("README figures", () => {
    it("writes durations as a reader reads them, and n/a for what was not measured", () => {
        const cases: [number | null, string][] = [
            [850, "850 ms"],
            [2100, "2.10 s"],
            [10500, "10.5 s"],
            [510_000, "8 min 30 s"],
            [null, "n/a"],
            [NaN, "n/a"],
        ];
        for (const [ms, text] of cases) assert.equal(duration(ms), text, String(ms));
    });

    it("renders the peers table, the ratios by the peers' checks and where the time goes, from the bench's JSON", () => {
        const md = renderPeersFigures(peersFixture());
        assert.match(md, /^Latest \(2026-12-02, 2 cores, 24 GiB, working tree at abc1234; 3 rounds, medians; ansible \[core 2\.14\.18\]; run mlptest\):$/m);
        assert.match(md, /^\| openssl \+ ssh by hand \(the floor\) \| the same as `up` \| 2\.10 s \| {2}\| {2}\| 2\.00 s \|$/m);
        assert.match(md, /^\| an Ansible playbook \(community\.crypto, copy, handlers\) \| the same as `up` \| 8\.40 s \| 7\.60 s \| {2}\| 8\.00 s \|$/m);
        assert.match(md, /^\| this project, `pulumi up` with `hostSource: existing` \| its own \| 10\.5 s \| 3\.60 s \| 5\.20 s \| 10\.6 s \|$/m);
        assert.match(
            md,
            /the checks `up` runs: cold 1\.25 × Ansible, 5\.00 × the floor; no-op `up` 0\.47 × Ansible's rerun, `up --refresh` 0\.68 ×; leaf rotation 1\.32 × Ansible/,
        );
        // A ratio that could not be computed is null in the JSON: said, not shown as 0 or NaN.
        assert.match(md, /round trip \(what a plain playbook's user gets\): cold 1\.75 × Ansible, n\/a × the floor/);
        assert.match(md, /^- `pulumi up`, cold: start-up 3\.00 s .*slowest steps: lab-checks-client-a 7\.10 s\.$/m);
        assert.match(md, /^- Ansible, cold \(the same checks\): start-up 800 ms; Broker 2\.00 s/m);
        assert.match(md, /^- Ansible, rerun: Broker 900 ms \(nothing changed, so no handler and no check ran\)\.$/m);
        assert.doesNotMatch(md, /NaN|undefined|null/);
    });

    it("says how many tasks a rerun changed instead of claiming it changed nothing", () => {
        const r = peersFixture();
        r.tools["ansible-same"].rerun = { medianMs: 7600, all: [7600], plays: [{ name: "Broker", ms: 900 }], changed: 3 };
        assert.match(renderPeersFigures(r), /^- Ansible, rerun: Broker 900 ms \(3 tasks changed something\)\.$/m);
    });

    it("says that a run reported problems, one line each", () => {
        const r = { ...peersFixture(), problems: ["pulumi round 1: the engine said no\nand much more"] };
        assert.match(renderPeersFigures(r), /That run reported problems: pulumi round 1: the engine said no\.$/m);
    });

    it("replaces only the body of the named blocks, and leaves the blocks it has no figures for", () => {
        const readme = [
            "# x",
            "<!-- figures:peers -->",
            "old peers",
            "<!-- /figures:peers -->",
            "between",
            "<!-- figures:engine -->",
            "old engine",
            "<!-- /figures:engine -->",
            "end",
        ].join("\n");
        const out = applyFigures(readme, { peers: "new peers\n" });
        assert.equal(out, readme.replace("old peers", "new peers"));
        assert.equal(applyFigures(out, { peers: "new peers" }), out, "applying the same figures again changes nothing");
    });

    it("refuses figures whose block the README lacks, naming it", () => {
        assert.throws(() => applyFigures("# no blocks\n", { peers: "x" }), /README\.md has no <!-- figures:peers --> \.\.\. <!-- \/figures:peers --> block/);
    });

    it("keeps each setup step's latest cold and warm time, and the latest run that built anything", () => {
        const steps1 = parseSetupSteps("toolchain 745 yes\nnpm 30 yes\nsubstrate 160 yes\n");
        const t1 = mergeSetupTimes(undefined, "2026-12-01T10:00:00Z", 935, steps1);
        const t2 = mergeSetupTimes(t1, "2026-12-02T10:00:00Z", 2, parseSetupSteps("toolchain 1 no\nnpm 0 no\nsubstrate 1 no"));
        assert.deepEqual(t2.built.toolchain, { seconds: 745, when: "2026-12-01T10:00:00Z" });
        assert.deepEqual(t2.warm.toolchain, { seconds: 1, when: "2026-12-02T10:00:00Z" });
        assert.deepEqual(t2.lastBuild, { seconds: 935, when: "2026-12-01T10:00:00Z", builtSteps: ["toolchain", "npm", "substrate"] });
        assert.deepEqual(t2.latest, { seconds: 2, when: "2026-12-02T10:00:00Z" });
        const md = renderSetupFigures(t2);
        assert.match(
            md,
            /^\| `toolchain\/toolchain\.sh` \(Pulumi CLI, language host, provider plugins\) \| 12 min 25 s \(2026-12-01\) \| < 2 s \(2026-12-02\) \|$/m,
        );
        assert.match(md, /^\| `npm ci` \| 30\.0 s \(2026-12-01\) \| < 2 s \(2026-12-02\) \|$/m, "whole seconds: 0 or 1 is under 2 s, not 0 ms");
        assert.match(md, /^\| whole setup, its latest run that built something \(toolchain, npm, substrate\) \| 15 min 35 s \(2026-12-01\) \| {2}\|$/m);
    });

    it("ignores lines of setup's output that are not step times", () => {
        assert.deepEqual(parseSetupSteps("toolchain 3 no\ngarbage\nnpm x yes\n"), { toolchain: { seconds: 3, built: false } });
    });

    it("marks a missed goal in the engine figures", () => {
        const md = renderEngineFigures({
            when: "2026-12-02T00:00:00Z",
            machine: "2 cores, 24 GiB",
            program: "commit abc",
            rounds: 5,
            rotationRounds: 3,
            noop: {
                labPreview: { medianMs: 3880 },
                floorPreview: { medianMs: 2840 },
                labUp: { medianMs: 5410 },
                floorUp: { medianMs: 4420 },
                previewRatio: 1.366,
                upRatio: 1.224,
                labUpCommandMs: 3870,
                floorUpCommandMs: 2860,
                upCommandRatio: 1.353,
            },
        });
        assert.match(md, /^\| no-op `preview` \| 3\.88 s \| 2\.84 s \| 1\.37 \| ≤ 1\.3 \(missed\) \|$/m);
        assert.match(md, /^\| no-op `up`, Automation API `stack\.up\(\)` \| 5\.41 s \| 4\.42 s \| 1\.22 \| ≤ 1\.3 \|$/m);
    });

    it("renders only the sections whose JSON exists", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "mqtt-lab-test-figures-"));
        try {
            writeFileSync(path.join(dir, "peers-latest.json"), JSON.stringify(peersFixture()));
            const s = sectionsFrom(dir, path.join(dir, "no-setup-times.json"));
            assert.deepEqual(Object.keys(s), ["peers"]);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
