/**
 * One source for every version: package.json. The wrapper modules that build the engine and our
 * command plugin must require the Pulumi SDK the program loads, and the docker wrapper must label
 * its plugin with the version @pulumi/docker asks for (toolchain.sh reads the others from
 * package.json itself; the engine suite checks what it installed).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

const root = path.resolve(__dirname, "..", "..", "..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
const read = (rel: string) => readFileSync(path.join(root, rel), "utf8");

/** The version `go.mod` requires of `module` (direct or indirect), or undefined. */
function required(goMod: string, module: string): string | undefined {
    const m = new RegExp(`^\\s*(?:require\\s+)?${module.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\s+(v\\S+)`, "m").exec(goMod);
    return m?.[1];
}

describe("versions", () => {
    const sdk = `v${pkg.dependencies["@pulumi/pulumi"]}`;

    it("builds the CLI from pkg/v3 and sdk/v3 at the @pulumi/pulumi version", () => {
        const goMod = read("toolchain/pulumi/go.mod");
        assert.equal(required(goMod, "github.com/pulumi/pulumi/pkg/v3"), sdk);
        assert.equal(required(goMod, "github.com/pulumi/pulumi/sdk/v3"), sdk);
    });

    it("builds our command plugin against sdk/v3 at the @pulumi/pulumi version", () => {
        assert.equal(required(read("toolchain/providers/command/go.mod"), "github.com/pulumi/pulumi/sdk/v3"), sdk);
    });

    it("labels the docker plugin with the @pulumi/docker version", () => {
        const m = /^PLUGIN_VERSION=(\S+)$/m.exec(read("toolchain/providers/docker/build.sh"));
        assert.equal(m?.[1], pkg.dependencies["@pulumi/docker"]);
    });

    it("takes every plugin version the toolchain installs from package.json", () => {
        // The code, not the comments that explain it.
        const script = read("toolchain/toolchain.sh")
            .split("\n")
            .filter((l) => !/^\s*#/.test(l))
            .join("\n");
        for (const name of ["tls", "command", "docker"]) {
            const v = pkg.dependencies[`@pulumi/${name}`];
            assert.ok(!script.includes(v), `toolchain.sh names ${name}'s version ${v} itself instead of reading package.json`);
        }
        assert.ok(!script.includes(pkg.dependencies["@pulumi/pulumi"]), "toolchain.sh names the Pulumi version itself");
        assert.match(script, /npm_version "@pulumi\/\$name"/);
    });
});
