/**
 * Pulumi's eyes on a host: a dynamic resource whose `read` (at every refresh) and `diff` (at every
 * preview and up) run remote/inspect.sh over SSH (ssh2, host key pinned) and turn what it saw into
 * drift, in words (src/drift/compare.ts). Its `token` output feeds the stdin of the commands that
 * install the host's files, so a drift seen makes them run their `update` again (a trigger would
 * replace them and run their delete script instead).
 *
 * The provider below is serialized into the state in clear, with everything its functions capture:
 * it captures no secret. The SSH private key reaches it as an input marked secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { Client } from "ssh2";
import { fingerprintOfRawKey } from "../ssh/fingerprint";
import { stableJson } from "../state/stableJson";
import { driftOf, HostExpectation, nextToken, parseObservation } from "./compare";

/** Where and how to reach the host, and how a user pins a new key. */
export interface ObservedHost {
    address: string;
    port: number;
    user: string;
    /** The pinned host key, authorized_keys format. */
    hostKey: string;
    /** How the words name the host: "broker 172.30.56.10". */
    label: string;
    /** How to pin a new host key, with `{key}` where the offered key goes. */
    pinWith: string;
}

interface ObserverInputs {
    host: ObservedHost;
    privateKey: string;
    /** The composed inspect command (remote/inspect.sh with its data header). */
    script: string;
    expect: HostExpectation;
    /** Changes when the host is a new machine (a replaced container). */
    instance: string;
}

interface ObserverOutputs extends ObserverInputs {
    /** Drift seen by the latest refresh and not yet handed to a repair; empty on a healthy lab. */
    drift: string[];
    /** Changes at every drift seen: the commands that install the host's files re-run when it does. */
    token: string;
    /** The drift the latest `up` repaired (handed to the commands), for the evidence. */
    repaired: string[];
}

/** The engine's placeholder for a value unknown at preview. */
const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

type Seen = { reached: true; text: string } | { reached: false; why: string };

/** An authorized_keys line of a raw SSH public key blob. */
function authorizedLine(blob: Buffer): string {
    const typeLength = blob.readUInt32BE(0);
    return `${blob.subarray(4, 4 + typeLength).toString()} ${blob.toString("base64")}`;
}

/**
 * Runs the inspect script. A host key other than the pinned one is an error that names both
 * fingerprints and the key to pin (never tried again, never repaired); a host that does not answer
 * is tried `attempts` times, 5 s each: a refresh waits a little for a host that is starting, while
 * preview and up go on at once (the install commands then fail within their own dial bound, naming
 * the host, so an unreachable host never costs twice).
 */
async function inspect(i: ObserverInputs, attempts: number): Promise<Seen> {
    const pinned = fingerprintOfRawKey(Buffer.from(i.host.hostKey.trim().split(/\s+/)[1] ?? "", "base64"));
    let lastError = "";
    for (let attempt = 0; attempt < attempts; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 2000));
        let offered: Buffer | undefined;
        const result = await new Promise<{ ok: true; text: string } | { ok: false; error: string; keyMismatch: boolean }>((resolve) => {
            const conn = new Client();
            const timer = setTimeout(() => {
                conn.end();
                resolve({ ok: false, error: "no answer within 20 s", keyMismatch: false });
            }, 20000);
            conn.on("ready", () => {
                conn.exec(i.script, (err, stream) => {
                    if (err) {
                        clearTimeout(timer);
                        conn.end();
                        resolve({ ok: false, error: err.message, keyMismatch: false });
                        return;
                    }
                    let out = "";
                    let errOut = "";
                    stream.on("data", (d: Buffer) => (out += d.toString()));
                    stream.stderr.on("data", (d: Buffer) => (errOut += d.toString()));
                    stream.on("close", (code: number | null) => {
                        clearTimeout(timer);
                        conn.end();
                        if (code === 0) resolve({ ok: true, text: out });
                        else resolve({ ok: false, error: `remote/inspect.sh exited ${String(code)}: ${errOut.trim().slice(-300)}`, keyMismatch: false });
                    });
                    stream.end();
                });
            });
            conn.on("error", (e) => {
                clearTimeout(timer);
                const mismatch = offered !== undefined && fingerprintOfRawKey(offered) !== pinned;
                resolve({ ok: false, error: e.message, keyMismatch: mismatch });
            });
            conn.connect({
                host: i.host.address,
                port: i.host.port,
                username: i.host.user,
                privateKey: i.privateKey,
                readyTimeout: 5000,
                hostVerifier: (key: Buffer) => {
                    offered = key;
                    return fingerprintOfRawKey(key) === pinned;
                },
            });
        });
        if (result.ok) return { reached: true, text: result.text };
        if (result.keyMismatch && offered) {
            const key = authorizedLine(offered);
            throw new Error(
                `${i.host.label} (${i.host.user}@${i.host.address}:${i.host.port}) offered SSH host key ${fingerprintOfRawKey(offered)}, ` +
                    `but the stack pins ${pinned}. Nothing was read and nothing will be repaired on this host: another machine may be answering at its address. ` +
                    `If the host was rebuilt on purpose, ${i.host.pinWith.replace("{key}", key)}`,
            );
        }
        lastError = result.error;
        if (/exited/.test(result.error)) break; // the host answered: trying again will not help
    }
    return { reached: false, why: lastError };
}

/** The drift on the host now, against what the lab installed there. */
async function driftNow(i: ObserverInputs, attempts = 1): Promise<string[]> {
    const seen = await inspect(i, attempts);
    if (!seen.reached) return [`${i.host.label}: cannot be read over SSH at ${i.host.user}@${i.host.address}:${i.host.port} (${seen.why})`];
    return driftOf(i.expect, parseObservation(seen.text));
}

const inputKeys = ["host", "privateKey", "script", "expect", "instance"] as const;

const hostObserverProvider: pulumi.dynamic.ResourceProvider<ObserverInputs, ObserverOutputs> = {
    // Created before the first install: nothing of ours is on the host yet, so nothing can have drifted.
    async create(inputs) {
        return { id: `${inputs.host.label.split(" ")[0]}-observer`, outs: { ...inputs, drift: [], token: "deployed", repaired: [] } };
    },
    // pulumi refresh: what is on the host now, in words; a new token when something drifted.
    async read(id, props) {
        if (!props) throw new Error(`the host observer ${id} cannot be imported: it only observes what this program deployed`);
        const drift = await driftNow(props, 3);
        return { id, props: { ...props, drift, token: nextToken(props.token, drift) } };
    },
    // Every preview and up: a drift on the host (against what was installed) is a change to make,
    // so a plain `pulumi up` repairs it too and never reports success over a drifted host.
    async diff(_id, olds, news) {
        // `diffs` names what changed in the preview: [diff: ~drift] when the host drifted.
        const changed: string[] = inputKeys.filter((k) => JSON.stringify(news[k] ?? null).includes(unknown) || stableJson(olds[k]) !== stableJson(news[k]));
        if (olds.drift.length > 0 || (changed.length === 0 && (await driftNow(olds)).length > 0)) changed.push("drift");
        return { changes: changed.length > 0, diffs: changed };
    },
    // Hands the drift (the refreshed one, or what the host shows now) to the commands that repair it.
    async update(_id, olds, news) {
        const seen = olds.drift.length > 0 ? olds.drift : await driftNow(olds);
        return { outs: { ...news, drift: [], token: nextToken(olds.token, seen), repaired: seen } };
    },
};

export interface HostObserverArgs {
    readonly host: pulumi.Input<ObservedHost>;
    /** The SSH private key: marked secret here, whatever the caller passed. */
    readonly privateKey: pulumi.Input<string>;
    readonly script: pulumi.Input<string>;
    readonly expect: pulumi.Input<HostExpectation>;
    readonly instance: pulumi.Input<string>;
}

/** Observes one host; `token` feeds the stdin of what installs its files, `drift` says what refresh saw. */
export class HostObserver extends pulumi.dynamic.Resource {
    declare readonly drift: pulumi.Output<string[]>;
    declare readonly token: pulumi.Output<string>;
    declare readonly repaired: pulumi.Output<string[]>;

    constructor(name: string, args: HostObserverArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            hostObserverProvider,
            name,
            { ...args, privateKey: pulumi.secret(args.privateKey), drift: undefined, token: undefined, repaired: undefined },
            // The key is secret; the expected hashes include the server key's. The script is no secret, but
            // a refresh would print all of it beside the drift: kept out of sight (`npm run verify` prints it).
            { ...opts, additionalSecretOutputs: ["privateKey", "expect", "script"] },
        );
    }
}
