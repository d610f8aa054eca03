/**
 * Drift, in words: what a host should hold (what the lab declares) against what remote/inspect.sh
 * saw there. Pure, so every kind of drift is a unit test.
 *
 * This module is also serialized into the state with the host observer's dynamic provider
 * (src/drift/observer.ts): it holds no secret and imports nothing but node built-ins.
 */
import { createHash } from "node:crypto";

/** One file the lab manages on a host. */
export interface FileExpectation {
    /** Absolute, or relative to the SSH user's home when `home` is true. */
    path: string;
    home?: boolean;
    /** What the file is, for a person: "the broker's private key". */
    what: string;
    /** sha256 of the content, hex; empty when the content is not known to the program. */
    sha256: string;
    /** Octal, as `stat -c %a` prints it: "640". */
    mode: string;
    /** "user:group", or "user:" when any group will do (a VM user's primary group). */
    owner: string;
}

export interface DirExpectation {
    path: string;
    home?: boolean;
    what: string;
    mode: string;
    owner: string;
}

/** What one host should hold and do. */
export interface HostExpectation {
    /** How the words name the host: "broker 172.30.56.10". */
    host: string;
    files: FileExpectation[];
    dirs: DirExpectation[];
    /** The broker's trusted-CA directory: exactly these files (name → sha256), each with a hash link. */
    caDir?: { path: string; files: Record<string, string> };
    /** The broker's conf.d: no other file may open a listener or change access rules. */
    confD?: { dir: string; ours: string };
    /** The broker's mosquitto: running, listening on exactly these ports. */
    mosquitto?: { listenPorts: number[] };
}

/** What remote/inspect.sh printed, parsed. */
export interface Observation {
    files: Map<string, { sha256: string; mode: string; owner: string } | undefined>;
    dirs: Map<string, { mode: string; owner: string } | undefined>;
    caFiles: Map<string, { sha256: string; mode: string; owner: string }>;
    caLinks: Map<string, string>;
    rivals: { file: string; line: number; directive: string }[];
    mosquitto?: "running" | "stopped";
    listening: number[];
}

/** Parses inspect.sh's lines; a line it does not know is an error (the script and this parser go together). */
export function parseObservation(text: string): Observation {
    const o: Observation = { files: new Map(), dirs: new Map(), caFiles: new Map(), caLinks: new Map(), rivals: [], listening: [] };
    for (const line of text.split("\n")) {
        const w = line.trim().split(/\s+/);
        if (w[0] === "") continue;
        if (w[0] === "file" && w.length >= 3) o.files.set(w[1], w[2] === "missing" ? undefined : { sha256: w[2], mode: w[3], owner: w[4] });
        else if (w[0] === "dir" && w.length >= 3) o.dirs.set(w[1], w[2] === "missing" ? undefined : { mode: w[2], owner: w[3] });
        else if (w[0] === "cafile" && w.length === 5) o.caFiles.set(w[1], { sha256: w[2], mode: w[3], owner: w[4] });
        else if (w[0] === "calink" && w.length === 3) o.caLinks.set(w[1], w[2]);
        else if (w[0] === "rival" && w.length === 4) o.rivals.push({ file: w[1], line: Number(w[2]), directive: w[3] });
        else if (w[0] === "mosquitto" && (w[1] === "running" || w[1] === "stopped")) o.mosquitto = w[1];
        else if (w[0] === "listen" && /^\d+$/.test(w[1] ?? "")) o.listening.push(Number(w[1]));
        else throw new Error(`remote/inspect.sh printed a line this program does not read: ${JSON.stringify(line)}`);
    }
    return o;
}

/** The entry of an absolute-path map that a (possibly home-relative) expectation names. */
function lookup<T>(m: Map<string, T>, e: { path: string; home?: boolean }): { found: boolean; value: T | undefined; path: string } {
    if (!e.home) return { found: m.has(e.path), value: m.get(e.path), path: e.path };
    for (const [p, v] of m) if (p.endsWith(`/${e.path}`)) return { found: true, value: v, path: p };
    return { found: false, value: undefined, path: `~/${e.path}` };
}

const octal = (mode: string) => mode.replace(/^0+(?=.)/, "").padStart(4, "0");
const ownerMatches = (want: string, seen: string) => (want.endsWith(":") ? seen.startsWith(want) : seen === want);

/** Every difference between what the host should hold and what was seen, one sentence each, the host named. */
export function driftOf(e: HostExpectation, o: Observation): string[] {
    const out: string[] = [];
    const say = (s: string) => out.push(`${e.host}: ${s}`);
    let missing = 0;
    // One pass for directories and files: missing, content (files), mode, owner.
    const entries = [
        ...e.dirs.map((d) => ({ want: d, seen: lookup(o.dirs, d), sha256: undefined })),
        ...e.files.map((f) => ({ want: f, seen: lookup(o.files, f), sha256: f.sha256 })),
    ];
    for (const { want, seen, sha256 } of entries) {
        const { value, path } = seen;
        if (!value) {
            missing++;
            say(`${want.what} (${path}) is missing`);
            continue;
        }
        if (sha256 && "sha256" in value && value.sha256 !== sha256) say(`${want.what} (${path}) was changed: its content is not what the lab installed`);
        if (octal(value.mode) !== octal(want.mode)) say(`${want.what} (${path}) has mode ${octal(value.mode)}, the lab declares ${octal(want.mode)}`);
        if (!ownerMatches(want.owner, value.owner)) say(`${want.what} (${path}) is owned by ${value.owner}, the lab declares ${want.owner}`);
    }
    if (missing > 0 && missing === e.files.length + e.dirs.length) {
        out.unshift(`${e.host}: none of the lab's files are there: the host was replaced or wiped`);
    }
    if (e.caDir && o.dirs.get(e.caDir.path) !== undefined) {
        const dir = e.caDir.path;
        for (const [name, sha] of Object.entries(e.caDir.files)) {
            const seen = o.caFiles.get(name);
            if (!seen) say(`the trusted-CA directory (${dir}) lacks ${name}: clients of that CA are refused`);
            else if (seen.sha256 !== sha) say(`the trusted CA ${dir}/${name} was changed: its content is not what the lab installed`);
            else if (![...o.caLinks.values()].includes(name)) say(`no hash link in ${dir} points at ${name}: mosquitto cannot find that CA`);
        }
        for (const name of o.caFiles.keys()) {
            if (!(name in e.caDir.files)) say(`the trusted-CA directory (${dir}) holds ${name}, which the lab did not put there: mosquitto trusts it`);
        }
        for (const [link, target] of o.caLinks) {
            if (!(target in e.caDir.files)) say(`the trusted-CA directory (${dir}) has a hash link ${link} to ${target}, which the lab did not put there`);
        }
    }
    if (e.confD) {
        for (const r of o.rivals) {
            say(`${r.file} line ${r.line} sets ${r.directive} beside the lab's conf (${e.confD.ours}): it opens a listener or changes access rules`);
        }
    }
    if (e.mosquitto) {
        if (o.mosquitto !== "running") say("mosquitto is not running");
        else {
            for (const p of e.mosquitto.listenPorts)
                if (!o.listening.includes(p)) say(`mosquitto does not listen on port ${p}, where the lab declares a listener`);
            for (const p of o.listening)
                if (!e.mosquitto.listenPorts.includes(p))
                    say(`port ${p} is open to the network, where the lab declares no listener (mosquitto with a conf the lab did not write?)`);
        }
    }
    return out;
}

/**
 * The repair token: what the host observer hands the commands that put the host back. It stays the
 * same while nothing drifts (so a quiet lab shows nothing), and changes at each drift seen, even the
 * same drift twice (so the commands re-run each time).
 */
export function nextToken(previous: string, drift: readonly string[]): string {
    if (drift.length === 0) return previous;
    return createHash("sha256").update(previous).update("\n").update(drift.join("\n")).digest("hex").slice(0, 16);
}
