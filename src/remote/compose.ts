/**
 * How a host-side script reaches a host: the program sends data, not code. What runs is one text,
 * `bash -c`'d over SSH:
 *
 *   1. a header: one shell-quoted `KEY='value'` line per input, and the files the policy pack must
 *      read (conf, ACL) as quoted heredocs read into variables;
 *   2. the function files it uses: remote/bundle.sh (the bundle codec), remote/lib.sh (the helpers
 *      the scripts share), and for some a part of their own (scriptLibraries);
 *   3. the script itself, remote/<name>.sh, as a student reads it in the repository.
 *
 * Secrets never go in the header: they travel on stdin (see bundle.ts).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

/** Quotes a string for a POSIX shell. */
export function shQuote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** remote/ at the project's root, found from this module whether it runs compiled (bin/) or not. */
function remoteDir(): string {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        if (existsSync(path.join(dir, "remote", "lib.sh"))) return path.join(dir, "remote");
        if (path.dirname(dir) === dir) throw new Error(`remote/lib.sh not found above ${__dirname}: the host-side scripts must ship with the program`);
    }
}

const texts = new Map<string, string>();
/** The text of remote/<name>.sh (read once). */
export function remoteFile(name: string): string {
    let text = texts.get(name);
    if (text === undefined) {
        text = readFileSync(path.join(remoteDir(), `${name}.sh`), "utf8");
        texts.set(name, text);
    }
    return text;
}

/** The values a script reads from its header. Numbers and booleans are written as the script tests them. */
export type HeaderValues = Record<string, string | number>;

const headerKey = /^[A-Z][A-Z0-9_]*$/;
const heredocLine = /^IFS= read -r -d '' ([A-Z][A-Z0-9_]*) <<'(MQTTLAB_[0-9a-f]{12})' \|\| true$/;

/** yes/no, the way the scripts test a switch. */
export const yesNo = (b: boolean): string => (b ? "yes" : "no");

/** The header: values, then texts as quoted heredocs (a marker that cannot collide with the text). */
export function renderHeader(script: string, values: HeaderValues, heredocs: Record<string, string> = {}): string {
    const lines = [`# mqtt-lab: the data of remote/${script}.sh, written by the program (src/remote/compose.ts).`];
    for (const [key, value] of Object.entries(values)) {
        if (!headerKey.test(key)) throw new Error(`header key "${key}" is not allowed`);
        lines.push(`${key}=${shQuote(String(value))}`);
    }
    for (const [key, content] of Object.entries(heredocs)) {
        if (!headerKey.test(key)) throw new Error(`header key "${key}" is not allowed`);
        const marker = `MQTTLAB_${createHash("sha256").update(content).digest("hex").slice(0, 12)}`;
        const body = content.endsWith("\n") ? content : content + "\n";
        lines.push(`IFS= read -r -d '' ${key} <<'${marker}' || true`, `${body}${marker}`);
    }
    return lines.join("\n") + "\n";
}

/**
 * The function files of remote/ sent ahead of each host script (after its header), in order: by
 * default the bundle codec and lib.sh. A client's install and remove are sent once per identity
 * and kept in the state three times (create, update, delete): they get only what they use, which
 * keeps a lab of hundreds of identities' state, rewritten after every step, small. One list, read
 * by composeScript and by the policy pack.
 */
const libraries: Readonly<Record<string, readonly string[]>> = {
    "client-install": ["bundle"],
    "client-remove": [],
    "client-checks": ["bundle", "lib", "refusal-checks"],
};
export const scriptLibraries = (script: string): readonly string[] => libraries[script] ?? ["bundle", "lib"];

/** What follows the header: the script's function files, then remote/<script>.sh. */
function body(script: string): string {
    return ["", ...scriptLibraries(script).map(remoteFile), remoteFile(script)].join("\n");
}

/** The whole text for `bash -c`: header, the function files it uses (remote/bundle.sh, remote/lib.sh, …), remote/<script>.sh. */
export function composeScript(script: string, values: HeaderValues, heredocs: Record<string, string> = {}): string {
    return `${renderHeader(script, values, heredocs)}${body(script)}`;
}

/**
 * The script inside `bash -c '...'` (as `asRootScript` and `asUserScript` wrap it, quotes escaped as '\''), or
 * the text itself when it is not wrapped.
 */
export function unwrapBashC(text: string): string {
    const at = text.indexOf("bash -c '");
    if (at < 0) return text;
    let i = at + "bash -c ".length;
    let out = "";
    while (i < text.length) {
        if (text[i] === "'") {
            const close = text.indexOf("'", i + 1);
            if (close < 0) return text;
            out += text.slice(i + 1, close);
            i = close + 1;
        } else if (text.startsWith("\\'", i)) {
            out += "'";
            i += 2;
        } else break;
    }
    return out;
}

/** Reads back the values of a composed script's header (quoted as renderHeader quotes them). */
export function headerValues(script: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of script.split("\n")) {
        const m = /^([A-Z][A-Z0-9_]*)='(.*)'$/.exec(line);
        if (m) out[m[1]] = m[2].replace(/'\\''/g, "'");
        if (line.startsWith("# shellcheck shell=bash")) break; // the first remote file begins: the header is over
    }
    return out;
}

/** Reads back the heredoc texts of a composed script, by header key: what the policy pack judges. */
export function headerHeredocs(script: string): Record<string, string> {
    const out: Record<string, string> = {};
    const lines = script.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const m = heredocLine.exec(lines[i]);
        if (!m) continue;
        const body: string[] = [];
        for (i++; i < lines.length && lines[i] !== m[2]; i++) body.push(lines[i]);
        out[m[1]] = body.join("\n") + "\n";
    }
    return out;
}

/** Every header line is a comment, a KEY='value' line, or a quoted heredoc read into a variable. */
export function headerIsData(header: string): boolean {
    const lines = header.replace(/\n+$/, "").split("\n");
    for (let i = 0; i < lines.length; i++) {
        const heredoc = heredocLine.exec(lines[i]);
        if (heredoc) {
            const end = lines.indexOf(heredoc[2], i + 1);
            if (end < 0) return false;
            i = end;
            continue;
        }
        if (!/^(#.*|[A-Z][A-Z0-9_]*='([^']|'\\'')*')$/.test(lines[i])) return false;
    }
    return true;
}

const headerTitle = /^# mqtt-lab: the data of remote\/([a-z][a-z-]*)\.sh, written by the program \(src\/remote\/compose\.ts\)\.$/;

/**
 * The name of the program's own host script that `command` runs, when it is exactly what
 * composeScript and asRootScript/asUserScript make (a data header, then the script's function
 * files and the script verbatim, nothing before or after); undefined for any other command. The policy pack
 * recognizes the program's commands this way, not by matching their text.
 */
export function composedScriptOf(command: string): string | undefined {
    const wrap = /^(sudo -n )?bash -c '/.exec(command);
    if (!wrap) return undefined;
    const inner = unwrapBashC(command);
    if (command !== `${wrap[1] ?? ""}bash -c ${shQuote(inner)}`) return undefined;
    const name = headerTitle.exec(inner.split("\n", 1)[0])?.[1];
    if (!name || !existsSync(path.join(remoteDir(), `${name}.sh`))) return undefined;
    const tail = body(name);
    if (!inner.endsWith(tail)) return undefined;
    return headerIsData(inner.slice(0, inner.length - tail.length)) ? name : undefined;
}
