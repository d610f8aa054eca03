/**
 * The engine itself, as built by toolchain/toolchain.sh: the CLI through the Automation API, the
 * Node.js language host, a file backend and passphrase secrets, on a program that needs no
 * provider plugin. The suites that need the tls/command/docker plugins are in test/engine/.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { createTestStack, repoRoot, storedState, TestStack } from "../../testkit/engineHarness";

describe("Pulumi engine built from the Go module proxy", () => {
    let t: TestStack | undefined;
    const dir = mkdtempSync(path.join(tmpdir(), "mqtt-lab-test-engine-"));
    after(async () => {
        await t?.cleanup();
        rmSync(dir, { recursive: true, force: true });
    });

    it("runs up and destroy of a TypeScript program, keeping secrets encrypted in state", async () => {
        const marker = path.join(dir, "marker");
        const secretValue = `engine-secret-${Date.now()}`;
        t = await createTestStack(path.join(repoRoot, "test", "fixtures", "bare-engine"), {
            markerFile: { value: marker },
            secretValue: { value: secretValue, secret: true },
        });
        const up = await t.stack.up({ color: "never" });
        assert.equal(up.summary.result, "succeeded");
        assert.ok(existsSync(marker), "the resource was created");
        assert.equal(up.outputs.secretEcho.secret, true);
        assert.equal(up.outputs.secretEcho.value, secretValue);
        const state = storedState(t);
        assert.match(state, /"secretEcho"|ciphertext/, "the state file was read");
        assert.ok(!state.includes(secretValue), "the secret is not in the state in plaintext");
        assert.ok(!up.stdout.includes(secretValue), "the secret is not in the CLI output");

        const again = await t.stack.up({ color: "never" });
        assert.deepEqual(
            Object.keys(again.summary.resourceChanges ?? {}).filter((op) => op !== "same"),
            [],
            "a second up changes nothing",
        );

        const destroy = await t.stack.destroy({ color: "never" });
        assert.equal(destroy.summary.result, "succeeded");
        assert.ok(!existsSync(marker), "destroy removed it");
    });
});
