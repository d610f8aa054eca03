/**
 * The policy gate through the real engine: remote commands that write a mosquitto conf around the
 * program (tee, a heredoc, a script on stdin, a file copied then moved) are refused by
 * `pulumi preview --policy-pack policies` and by `pulumi up --policy-pack policies`, each naming
 * the resource, and `up` creates none of them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { createTestStack, repoRoot, requireProviderPlugins, TestStack } from "../../testkit/engineHarness";

const fixture = path.join(repoRoot, "test", "fixtures", "rogue-commands");
const policies = path.join(repoRoot, "policies");
const ways = ["tee", "heredoc", "stdin", "copy-then-move"];

function cli(t: TestStack, args: string[]): { code: number | null; out: string } {
    const r = spawnSync("pulumi", [...args, "--stack", t.stack.name, "--policy-pack", policies, "--non-interactive", "--color", "never"], {
        cwd: fixture,
        encoding: "utf8",
        timeout: 300_000,
        env: { ...process.env, ...t.env },
    });
    if (r.error) throw r.error;
    return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe("Policy gate through the engine", () => {
    before(() => requireProviderPlugins());
    const stacks: TestStack[] = [];
    after(async () => {
        for (const t of stacks) await t.cleanup();
    });

    it("refuses at preview every command that writes a conf around the program, naming each", async () => {
        const t = await createTestStack(fixture, { ways: { value: ways.join(",") } });
        stacks.push(t);
        const r = cli(t, ["preview"]);
        assert.notEqual(r.code, 0, `the preview must fail:\n${r.out}`);
        for (const way of ways) {
            assert.match(
                r.out,
                new RegExp(
                    `\\[mandatory\\]\\s+remote-commands-judged[\\s\\S]*?command:remote:Command "rogue-${way}" runs, in create, a script the policy pack cannot judge`,
                ),
                `${way}:\n${r.out}`,
            );
        }
    });

    for (const way of ways) {
        it(`refuses at up the command that writes a conf by ${way}, and creates nothing`, async () => {
            const t = await createTestStack(fixture, { ways: { value: way } });
            stacks.push(t);
            const r = cli(t, ["up", "--yes", "--skip-preview"]);
            assert.notEqual(r.code, 0, `the up must fail:\n${r.out}`);
            assert.match(r.out, new RegExp(`remote-commands-judged[\\s\\S]*?"rogue-${way}"`), r.out);
            assert.doesNotMatch(r.out, /dial|connection refused|127\.0\.0\.1:9/i, "the command never ran");
            const state = await t.stack.exportStack();
            const created = (state.deployment.resources ?? []).filter((x: { type: string }) => x.type === "command:remote:Command");
            assert.deepEqual(created, [], "no remote command was created");
        });
    }
});
