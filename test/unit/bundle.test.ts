/**
 * One bundle codec, two languages: the TypeScript writer and reader (src/remote/bundle.ts) and
 * remote/bundle.sh's read_bundle and write_bundle, run for real with bash, held against each other.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { bundleEnd, parseBundle, renderBundle } from "../../src/remote/bundle";
import { remoteFile } from "../../src/remote/compose";

const work = mkdtempSync(path.join(tmpdir(), "mqtt-lab-bundle-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs `body` in bash after remote/bundle.sh, in a fresh directory. */
function bash(body: string, input = "") {
    const dir = mkdtempSync(path.join(work, "run-"));
    const r = spawnSync("bash", ["-c", `set -eu\n${remoteFile("bundle")}\n${body}`], { cwd: dir, input, encoding: "utf8" });
    return { ...r, dir };
}

const files = { "ca.crt": "-----BEGIN CERTIFICATE-----\nMII…\n-----END CERTIFICATE-----\n", "client.key": "key with 'quotes' and \\ and é\n", empty: "" };

describe("bundle codec", () => {
    it("what TypeScript writes, the shell reads back byte for byte", () => {
        const r = bash(`mkdir out; read_bundle out`, renderBundle(files));
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(readdirSync(path.join(r.dir, "out")).sort(), Object.keys(files).sort());
        for (const [name, content] of Object.entries(files)) assert.equal(readFileSync(path.join(r.dir, "out", name), "utf8"), content, name);
    });

    it("what the shell writes, TypeScript reads back byte for byte", () => {
        const dir = mkdtempSync(path.join(work, "src-"));
        for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
        const r = bash(`write_bundle ${JSON.stringify(dir)} ${Object.keys(files).sort().join(" ")}`);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, renderBundle(files), "the same text as the TypeScript writer");
        assert.deepEqual(parseBundle(r.stdout), files);
    });

    it("the shell accepts the end line without its newline (the command provider trims stdout)", () => {
        const r = bash(`mkdir out; read_bundle out`, renderBundle(files).replace(/\n$/, ""));
        assert.equal(r.status, 0, r.stderr);
    });

    it("the shell refuses a bundle cut short, and changes nothing", () => {
        const whole = renderBundle(files);
        const cut = whole.slice(0, whole.indexOf(`${bundleEnd} `));
        const r = bash(`mkdir out; read_bundle out; touch out/not-reached`, cut);
        assert.equal(r.status, 2);
        assert.match(r.stderr, /the bundle on stdin was cut short/);
        const wrongCount = whole.replace(`${bundleEnd} 3`, `${bundleEnd} 4`);
        assert.equal(bash(`mkdir out; read_bundle out`, wrongCount).status, 2, "a count that does not match is cut short too");
    });

    it("the shell refuses names with a path or a leading dot; TypeScript refuses to write them", () => {
        for (const name of ["../x", "a/b", ".hidden"]) {
            const r = bash(`mkdir out; read_bundle out`, `${name} ${Buffer.from("x").toString("base64")}\n${bundleEnd} 1\n`);
            assert.equal(r.status, 2, name);
            assert.match(r.stderr, /refusing bundle file name/, name);
            assert.throws(() => renderBundle({ [name]: "x" }), /is not allowed/, name);
        }
    });
});
