/**
 * `npm run bundle` and `npm run verify` against a stand-in `pulumi` (a script that answers
 * `stack output` as a real stack would) and an in-process SSH server: each failure they meet is
 * one line (what, which stack or key, what to do) and a non-zero exit. No engine, no container.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, SpawnSyncReturns } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { AddressInfo } from "node:net";
import { Server, utils as sshUtils } from "ssh2";
import { sshFingerprint } from "../../src/ssh/fingerprint";

const bin = path.join(__dirname, "..", "..", "tools");
let tmp: string;
let server: Server;
let port = 0;
const served = sshUtils.generateKeyPairSync("ed25519");
const other = sshUtils.generateKeyPairSync("ed25519").public.trim();
const client = sshUtils.generateKeyPairSync("ed25519");

before(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), "mqttlab-tools-"));
    server = new Server({ hostKeys: [served.private] }, (c) => {
        c.on("authentication", (ctx) => ctx.reject());
        c.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
});
after(() => {
    server.close();
    rmSync(tmp, { recursive: true, force: true });
});

/** A stand-in pulumi that prints `outputs` (or fails with `cliError`); returns its folder. */
function standIn(stand: { outputs?: unknown; cliError?: string }): string {
    const dir = mkdtempSync(path.join(tmp, "cli-"));
    const out = path.join(dir, "outputs.json");
    writeFileSync(out, JSON.stringify(stand.outputs ?? {}));
    const body = stand.cliError ? `echo ${JSON.stringify(stand.cliError)} >&2; exit 255` : `case "$*" in "stack output"*) cat ${out} ;; *) exit 1 ;; esac`;
    writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(dir, "pulumi"), 0o755);
    return dir;
}

/** Runs a tool with a stand-in pulumi (synchronously: no in-process server involved). */
function tool(name: "bundle" | "verify", args: string[], stand: { outputs?: unknown; cliError?: string }): Ran {
    const dir = standIn(stand);
    return spawnSync(process.execPath, [path.join(bin, `${name}.js`), ...args], {
        cwd: tmp,
        encoding: "utf8",
        timeout: 60_000,
        env: { PATH: `${dir}:/usr/bin:/bin`, HOME: tmp },
    });
}

/** The same, without blocking this process, whose SSH server must answer meanwhile. */
function toolAsync(name: "verify", args: string[], stand: { outputs?: unknown }): Promise<Ran> {
    const dir = standIn(stand);
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(bin, `${name}.js`), ...args], { cwd: tmp, env: { PATH: `${dir}:/usr/bin:/bin`, HOME: tmp } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

type Ran = Pick<SpawnSyncReturns<string>, "status" | "stdout" | "stderr">;

const endpoint = (hostKey: string, p = port) => ({ address: "127.0.0.1", port: p, user: "root", hostKey, fingerprint: sshFingerprint(hostKey) });
const deployed = (broker: ReturnType<typeof endpoint>) => ({
    brokerAddress: "127.0.0.1",
    tlsPort: 8883,
    caCertPem: "CA",
    clientCerts: { "client-a": { host: "client", dir: "/x", certPem: "CERT", privateKeyPem: "KEY" } },
    ssh: { broker, client: broker },
    sshClientPrivateKey: client.private,
    checkPlan: [],
    refusalPlan: { identity: "client-a", host: "broker", script: "true" },
});

/** The one line a failing tool printed, after checking it exited non-zero and said nothing else. */
function oneLine(r: Ran): string {
    assert.notEqual(r.status, 0, `exit status ${r.status}; stdout ${r.stdout}`);
    assert.equal(r.stdout, "");
    const lines = r.stderr.split("\n").filter(Boolean);
    assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
    return lines[0];
}

describe("bundle and verify failures, one line each", () => {
    it("no stack: names the stack and says how to make or pick one", () => {
        for (const t of ["bundle", "verify"] as const) {
            const line = oneLine(
                tool(t, [...(t === "bundle" ? ["client-a", "out-nostack"] : []), "--stack", "nosuch"], { cliError: "error: no stack named 'nosuch' found" }),
            );
            assert.equal(
                line,
                `${t}: no stack "nosuch" in this backend: bring the lab up with \`npm run lab\`, or name another with --stack (\`pulumi stack ls\` lists them).`,
            );
        }
    });

    it("stack not deployed: says to run pulumi up on that stack", () => {
        for (const t of ["bundle", "verify"] as const) {
            const line = oneLine(tool(t, [...(t === "bundle" ? ["client-a", "out-empty"] : []), "--stack", "fresh"], { outputs: {} }));
            assert.equal(line, `${t}: stack "fresh" is not deployed (it has no outputs): run \`pulumi up --stack fresh\` (or \`npm run lab\`) first.`);
        }
    });

    it("unknown identity: names it, the stack and the known ones", () => {
        const line = oneLine(tool("bundle", ["client-z", "out-z", "--stack", "lab"], { outputs: deployed(endpoint(served.public)) }));
        assert.equal(line, 'bundle: no client identity "client-z" in stack "lab"; known: client-a (identities are set by mqtt-lab:clients).');
    });

    it("target folder not empty: refused before anything is read or written", () => {
        const folder = path.join(tmp, "full");
        mkdirSync(folder);
        writeFileSync(path.join(folder, "notes.txt"), "mine");
        const line = oneLine(tool("bundle", ["client-a", folder], { outputs: deployed(endpoint(served.public)) }));
        assert.equal(line, `bundle: ${folder} is not empty (notes.txt): name a new or empty folder, or remove it first.`);
    });

    it("no pulumi CLI on PATH: says how to install it", () => {
        const r = spawnSync(process.execPath, [path.join(bin, "bundle.js"), "client-a", "out-nocli"], {
            cwd: tmp,
            encoding: "utf8",
            env: { PATH: "/nonexistent" },
        });
        assert.equal(oneLine(r), "bundle: the pulumi CLI is not on PATH: run `npm run lab` once (scripts/setup.sh installs it as /usr/local/bin/pulumi).");
    });

    it("wrong host key: names the host, both fingerprints, and sends nothing", async () => {
        const pinned = endpoint(other);
        const line = oneLine(await toolAsync("verify", ["--stack", "lab"], { outputs: deployed(pinned) }));
        assert.equal(
            line,
            `verify: the broker host 127.0.0.1:${port} of stack "lab" offered host key ${sshFingerprint(served.public)}, not the pinned ${pinned.fingerprint}: nothing was sent. If the host was rebuilt on purpose, check its key on its console, then \`pulumi up --stack lab\`.`,
        );
    });

    it("host unreachable: names the host and says how to bring the lab back", async () => {
        // A port nothing listens on: take one, then close it.
        const probe = new Server({ hostKeys: [served.private] });
        await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
        const closed = (probe.address() as AddressInfo).port;
        await new Promise<void>((resolve) => probe.close(() => resolve()));
        const line = oneLine(await toolAsync("verify", ["--stack", "lab"], { outputs: deployed(endpoint(served.public, closed)) }));
        assert.match(
            line,
            new RegExp(
                `^verify: cannot reach the broker host 127\\.0\\.0\\.1:${closed} of stack "lab" over SSH \\(connect ECONNREFUSED [^)]+\\): is it running\\? \`pulumi refresh --stack lab\` then \`pulumi up --stack lab\` brings the lab back\\.$`,
            ),
        );
    });
});

describe("bundle writes into its own folder and touches nothing else", () => {
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    const assertBundle = (folder: string) => {
        assert.deepEqual(readdirSync(folder).sort(), ["ca.crt", "client.crt", "client.key"]);
        assert.equal(readFileSync(path.join(folder, "client.key"), "utf8"), "KEY");
        for (const f of ["ca.crt", "client.crt", "client.key"]) assert.equal(mode(path.join(folder, f)), "600", `${f} is 0600`);
    };

    it("leaves the mode of an empty folder it is given as it was (a shared folder stays shared)", () => {
        const folder = path.join(tmp, "given-empty");
        mkdirSync(folder);
        chmodSync(folder, 0o755);
        const r = tool("bundle", ["client-a", folder], { outputs: deployed(endpoint(served.public)) });
        assert.equal(r.status, 0, r.stderr);
        assertBundle(folder);
        assert.equal(mode(folder), "755", "the folder's mode is the user's");
    });

    it("makes a new folder 0700 and leaves its parent as it was", () => {
        const parent = path.join(tmp, "parent");
        mkdirSync(parent);
        chmodSync(parent, 0o755);
        const folder = path.join(parent, "lab-out");
        const r = tool("bundle", ["client-a", folder], { outputs: deployed(endpoint(served.public)) });
        assert.equal(r.status, 0, r.stderr);
        assertBundle(folder);
        assert.equal(mode(folder), "700");
        assert.equal(mode(parent), "755");
        assert.deepEqual(readdirSync(parent), ["lab-out"]);
    });
});
