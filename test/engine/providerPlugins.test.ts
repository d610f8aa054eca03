import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { containersOfRun, createTestStack, repoRoot, requireEnv, TestStack, requireProviderPlugins } from "../../testkit/engineHarness";

describe("Toolchain smoke test", () => {
    before(() => requireProviderPlugins());
    let t: TestStack;
    before(async () => {
        t = await createTestStack(path.join(repoRoot, "test", "fixtures", "provider-plugins"), {
            image: { value: requireEnv("MQTTLAB_IMAGE") },
        });
    });
    after(async () => {
        await t?.cleanup();
    });

    it("creates a tls key, a local command and a container with the real engine, then destroys them", async () => {
        const up = await t.stack.up({ color: "never" });
        assert.equal(up.summary.result, "succeeded");
        assert.match(String(up.outputs.publicKey.value), /^ssh-ed25519 /);
        assert.equal(up.outputs.echoed.value, `smoke-${t.id}`);
        assert.deepEqual(containersOfRun(t.id), [`mqtt-lab-smoke-${t.id}`], "the container labelled with this run exists");

        const destroy = await t.stack.destroy({ color: "never" });
        assert.equal(destroy.summary.result, "succeeded");
        assert.deepEqual(containersOfRun(t.id), [], "no container of this run is left");
    });

    it("has each provider plugin installed at the version its npm package declares", () => {
        const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
        const listed = JSON.parse(execFileSync("pulumi", ["plugin", "ls", "--json"], { encoding: "utf8" }) || "[]") as {
            name: string;
            kind: string;
            version: string;
        }[];
        for (const name of ["tls", "command", "docker"]) {
            const versions = listed.filter((p) => p.kind === "resource" && p.name === name).map((p) => p.version);
            assert.ok(
                versions.includes(pkg.dependencies[`@pulumi/${name}`]),
                `${name}: installed ${versions.join(", ") || "none"}, package.json asks for ${pkg.dependencies[`@pulumi/${name}`]}`,
            );
        }
    });
});
