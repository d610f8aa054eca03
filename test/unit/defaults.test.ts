/**
 * One table of defaults (src/config/defaults.ts): Pulumi.yaml, which `pulumi config` shows a user,
 * and the README's configuration table must say the same.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { defaults } from "../../src/config/defaults";
import { plainKeys } from "../../src/config/keys";

const root = path.resolve(__dirname, "..", "..", "..");

/** The `config:` block of Pulumi.yaml: key -> {default, description}, read line by line (it is flat). */
function declaredConfig(): Map<string, { default: string; description: string }> {
    const out = new Map<string, { default: string; description: string }>();
    let key = "";
    for (const line of readFileSync(path.join(root, "Pulumi.yaml"), "utf8").split("\n")) {
        const k = /^ {2}mqtt-lab:(\w+):$/.exec(line);
        if (k) out.set((key = k[1]), { default: "", description: "" });
        const v = /^ {4}(default|description): (.*)$/.exec(line);
        if (v && key) out.get(key)![v[1] as "default" | "description"] = v[2].replace(/^"(.*)"$/, "$1");
    }
    return out;
}

const plain = defaults as unknown as Record<string, unknown>;

describe("defaults", () => {
    const declared = declaredConfig();

    it("Pulumi.yaml declares the table's default for every key it gives one", () => {
        assert.ok(declared.size >= 15, `read ${declared.size} keys from Pulumi.yaml`);
        for (const [key, d] of declared) {
            if (d.default === "") continue;
            assert.ok(key in plain, `Pulumi.yaml gives ${key} the default ${d.default}, the table has none`);
            assert.equal(d.default, String(plain[key]), key);
        }
    });

    it('a key Pulumi.yaml leaves empty ("" = unset) has no default in the table, or its description gives it', () => {
        for (const [key, d] of declared) {
            if (d.default !== "" || !(key in plain)) continue;
            assert.ok(d.description.includes(String(plain[key])), `${key}: the description should say the default ${String(plain[key])}`);
        }
    });

    it("the README's configuration table shows the same defaults", () => {
        const readme = readFileSync(path.join(root, "README.md"), "utf8");
        // Every plain key the table gives a default (the README shows the others in words).
        for (const key of plainKeys.filter((k) => k in plain)) {
            assert.match(readme, new RegExp(`^\\| \`mqtt-lab:${key}\` \\| \`${String(plain[key]).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\``, "m"), key);
        }
        const t = defaults.teaching;
        assert.ok(
            readme.includes(
                `\`{enabled: ${t.enabled}, port: ${t.port}, username: ${t.username}, mountPoint: ${t.mountPoint}, sharedWithTls: ${t.sharedWithTls}}\``,
            ),
            "teachingListener",
        );
    });
});
