/**
 * The policy gate through the real engine: remote commands that write a mosquitto conf around the
 * program (tee, a heredoc, a script on stdin, a file copied then moved) are refused by
 * `pulumi preview --policy-pack policies` and by `pulumi up --policy-pack policies`, each naming
 * the resource, and `up` creates none of them.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { repoRoot, runForStack, suiteStacks, TestStack } from "../../testkit/engineHarness";

const fixture = path.join(repoRoot, "test", "fixtures", "rogue-commands");
const policies = path.join(repoRoot, "policies");
const ways = ["tee", "heredoc", "stdin", "copy-then-move"];

function cli(t: TestStack, args: string[]): { code: number | null; out: string } {
    return runForStack(t, fixture, "pulumi", [...args, "--stack", t.stack.name, "--policy-pack", policies, "--non-interactive", "--color", "never"], 300_000);
}

describe("Policy gate through the engine", () => {
    const stackOf = suiteStacks();

    it("refuses at preview every command that writes a conf around the program, naming each", async () => {
        const t = await stackOf(fixture, { ways: { value: ways.join(",") } });
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
            const t = await stackOf(fixture, { ways: { value: way } });
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
