/**
 * Reads what the report's host scripts print (remote/report-client.sh, remote/report-broker.sh,
 * remote/unknown-ca.sh): sections, each a line `=== report NAME` then its lines; and, inside them,
 * what openssl, stat and tshark said. Pure: text in, values out.
 */
import type { CaptureLeg, CertFacts, FileMode, ServedChain } from "./model";

const sectionLine = /^=== report (\S+)$/;

/** The sections of a script's output, by name, each its text (lines joined, no trailing newline). */
export function parseSections(stdout: string): Record<string, string> {
    const out: Record<string, string[]> = {};
    let current: string[] | undefined;
    for (const line of stdout.split("\n")) {
        const m = sectionLine.exec(line);
        if (m) {
            current = out[m[1]] = [];
            continue;
        }
        current?.push(line);
    }
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.join("\n").replace(/\n+$/, "")]));
}

/** A section's non-empty lines. */
export function lines(text: string | undefined): string[] {
    return (text ?? "").split("\n").filter((l) => l.trim() !== "");
}

/** The text after `label` on the line that has it (`Issuer: CN = x` → `CN = x`). */
function field(text: string, label: RegExp): string {
    for (const l of text.split("\n")) {
        const m = label.exec(l);
        if (m) return (m[1] ?? "").trim();
    }
    return "";
}

/** Days between two dates openssl printed (`Jun  1 15:17:29 2022 GMT`), two decimals at most. */
export function daysBetween(notBefore: string, notAfter: string): number {
    const ms = Date.parse(notAfter) - Date.parse(notBefore);
    return Math.round((ms / 86_400_000) * 100) / 100;
}

/** What `openssl x509 -noout -text` says of a certificate; undefined when the text is not one. */
export function parseX509Text(text: string): CertFacts | undefined {
    const version = /Version: (\d+)/.exec(text);
    if (!version) return undefined;
    const after = text.split("\n");
    const sanAt = after.findIndex((l) => /X509v3 Subject Alternative Name/.test(l));
    const sans =
        sanAt >= 0
            ? (after[sanAt + 1] ?? "")
                  .split(",")
                  .map((s) => s.trim())
                  .filter(Boolean)
            : [];
    const bcAt = after.findIndex((l) => /X509v3 Basic Constraints/.test(l));
    const serialInline = field(text, /Serial Number: *(\S.*)$/);
    const serialAt = after.findIndex((l) => /Serial Number:\s*$/.test(l));
    const serial = serialInline || (serialAt >= 0 ? (after[serialAt + 1] ?? "").trim() : "");
    const notBefore = field(text, /Not Before\s*: *(.*)$/);
    const notAfter = field(text, /Not After\s*: *(.*)$/);
    return {
        version: Number(version[1]),
        serial: serial.replace(/ \(0x[0-9a-f]+\)$/, ""),
        subject: field(text, /^\s*Subject: *(.*)$/),
        issuer: field(text, /^\s*Issuer: *(.*)$/),
        sans,
        keyAlgorithm: field(text, /Public Key Algorithm: *(.*)$/),
        keySize: /\((\d+ bit)\)/.exec(field(text, /Public-Key: *(.*)$/))?.[1] ?? "",
        signatureAlgorithm: field(text, /Signature Algorithm: *(.*)$/),
        notBefore,
        notAfter,
        validityDays: daysBetween(notBefore, notAfter),
        isCa: bcAt >= 0 ? /CA:TRUE/.test(after[bcAt + 1] ?? "") : undefined,
    };
}

/** The served chain: s_client's summary lines and each served certificate's text (sections cert-served-N). */
export function parseServedChain(sections: Record<string, string>): ServedChain | undefined {
    const summary = lines(sections["s-client"]);
    const certs = Object.keys(sections)
        .filter((k) => /^cert-served-\d+$/.test(k))
        .sort((a, b) => Number(a.split("-")[2]) - Number(b.split("-")[2]))
        .map((k) => parseX509Text(sections[k]))
        .filter((c): c is CertFacts => c !== undefined);
    if (certs.length === 0) return undefined;
    const session = summary.find((l) => l.startsWith("New, "))?.replace(/^New, /, "") ?? "";
    const verify = summary.find((l) => l.startsWith("Verify return code:"))?.replace(/^Verify return code: /, "") ?? "";
    return { lines: summary.filter((l) => !l.startsWith("New, ") && !l.startsWith("Verify return code:")), verify, session, certs };
}

/** `stat -c '%a %U:%G %n'` lines (and `missing PATH` lines, kept as mode "missing"). */
export function parseStat(text: string | undefined): FileMode[] {
    return lines(text).map((l) => {
        const miss = /^missing (.*)$/.exec(l);
        if (miss) return { mode: "missing", owner: "", path: miss[1] };
        const [mode, owner, ...rest] = l.split(" ");
        return { mode, owner, path: rest.join(" ") };
    });
}

/** The frames of a plaintext capture that make the TCP handshake and the teardown. */
export function handshakeFrames(frames: readonly string[]): { handshake: string[]; teardown: string[] } {
    const syn = frames.findIndex((f) => /\[SYN\]/.test(f));
    const synAck = frames.findIndex((f, i) => i > syn && /\[SYN, ACK\]/.test(f));
    const ack = frames.findIndex((f, i) => i > synAck && /\[ACK\]/.test(f));
    const handshake = syn >= 0 && synAck > syn && ack > synAck ? [frames[syn], frames[synAck], frames[ack]] : [];
    return { handshake, teardown: frames.filter((f) => /\[FIN/.test(f)) };
}

/** The TLS records a capture holds, by the words tshark gives them in its frame lines. */
export function tlsRecordKinds(frames: readonly string[]): string[] {
    const kinds = new Set<string>();
    for (const f of frames) {
        for (const k of [
            "Client Hello",
            "Server Hello",
            "Change Cipher Spec",
            "Certificate",
            "Application Data",
            "Encrypted Alert",
            "Alert",
            "Encrypted Handshake Message",
            "Finished",
        ]) {
            if (f.includes(k)) kinds.add(k);
        }
    }
    return [...kinds];
}

/** One capture leg from the client script's sections (`tls-…` or `plaintext-…`); a string says why it is missing. */
export function parseLeg(
    sections: Record<string, string>,
    name: "tls" | "plaintext",
    known: { port: number; topic: string; payload: string; pcapFile: string },
): CaptureLeg | string {
    if (sections[`${name}-missing`] !== undefined) return lines(sections[`${name}-missing`]).join(" ");
    if (sections[`${name}-frames`] === undefined) return `the ${name} capture printed nothing`;
    const clear = lines(sections[`${name}-in-clear`]);
    const has = (what: string) => clear.some((l) => l.startsWith(`${what} `) && l !== `${what} none`);
    const connect = lines(sections[`${name}-connect`]);
    const username = connect.find((l) => l.startsWith("username "))?.slice("username ".length) ?? "";
    const pw = connect.find((l) => l.startsWith("password "))?.slice("password ".length);
    return {
        ...known,
        publish: lines(sections[`${name}-publish`]),
        publishCommand: lines(sections[`${name}-publish-command`]).join(" "),
        packets: Number(lines(sections[`${name}-packets`])[0] ?? NaN),
        seedCommand: lines(sections[`${name}-seed-command`]).join(" "),
        seedOutput: (sections[`${name}-seed-output`] ?? "").split("\n"),
        framesCommand: lines(sections[`${name}-frames-command`]).join(" "),
        frames: lines(sections[`${name}-frames`]),
        topicInClear: has("topic"),
        payloadInClear: has("payload"),
        markerInClear: has("marker"),
        credentials:
            pw === "the teaching password" || pw === "another value" || pw === "none"
                ? { username, password: pw, command: lines(sections[`${name}-connect-command`]).join(" ") }
                : undefined,
    };
}
