/**
 * The teaching listener's password salt (src/secrets/salt.ts) through the real engine: made once
 * with random bytes, kept as a secret in the state, and never changed by a later preview, up or
 * refresh (a stable password file means no reload). No container, no provider plugin.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { createTestStack, repoRoot, storedState, TestStack } from "../../testkit/engineHarness";

describe("PasswordSalt through the engine", () => {
    let t: TestStack | undefined;
    after(async () => {
        await t?.cleanup();
    });

    it("makes 12 random bytes once, keeps them secret in the state, and changes them at no later run", async () => {
        t = await createTestStack(path.join(repoRoot, "test", "fixtures", "password-salt"), {});
        const up = await t.stack.up({ color: "never" });
        assert.equal(up.summary.result, "succeeded");
        assert.equal(up.outputs.salt.secret, true, "the salt output is a secret");
        const salt = String(up.outputs.salt.value);
        assert.equal(Buffer.from(salt, "base64").length, 12, "mosquitto 2.0.11 takes 12 bytes only");
        const state = storedState(t);
        assert.ok(!state.includes(salt), "the salt is not in the state in clear");
        assert.match(state, /randomBytes/, "the serialized provider is in the state (it captures no secret)");

        const preview = await t.stack.preview({ color: "never" });
        assert.deepEqual(
            Object.keys(preview.changeSummary).filter((op) => op !== "same"),
            [],
            "a preview proposes no change",
        );
        await t.stack.refresh({ color: "never" });
        const again = await t.stack.up({ color: "never" });
        assert.deepEqual(
            Object.keys(again.summary.resourceChanges ?? {}).filter((op) => op !== "same"),
            [],
            "a second up (after a refresh) changes nothing",
        );
        assert.equal(again.outputs.salt.value, salt, "the same salt, so the same password file");
    });
});
