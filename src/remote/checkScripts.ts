/**
 * The post-deploy checks (remote/client-checks.sh, remote/refusal-checks.sh), composed with their
 * data. They run on the client host after every change of certificates or conf, and fail `pulumi
 * up` naming the check and what was seen.
 */
import { defaults } from "../config/defaults";
import { composeScript, yesNo } from "./compose";
import { createHash } from "node:crypto";
import * as path from "node:path";
import { parseBundle, renderBundle } from "./bundle";
import { asUserScript, clientDir } from "./hostScripts";

/** A topic this identity may use: its first pattern with wildcards filled in. */
export function checkTopic(patterns: readonly string[], nonce: string): string {
    const p = patterns[0] ?? "#";
    const filled = p.split("/").map((level) => (level === "+" ? "x" : level === "#" ? `mqtt-lab-check/${nonce}` : level));
    return filled.join("/");
}

/** MQTT topic matching: does `pattern` (with + and #) match `topic`? */
export function topicMatches(pattern: string, topic: string): boolean {
    const p = pattern.split("/");
    const t = topic.split("/");
    for (let i = 0; i < p.length; i++) {
        if (p[i] === "#") return true;
        if (i >= t.length) return false;
        if (p[i] !== "+" && p[i] !== t[i]) return false;
    }
    return p.length === t.length;
}

/**
 * A topic none of `patterns` allows, for the ACL check; undefined when the patterns allow every
 * topic (e.g. "#", flagged by the advisory policy): then there is nothing to refuse.
 */
export function topicOutside(patterns: readonly string[], nonce: string): string | undefined {
    const candidates = [`mqtt-lab-acl-outside/${nonce}`, `mqtt-lab-acl-outside/${nonce}/x/y/z`, `mqtt-lab-acl-outside-${nonce}`];
    return candidates.find((t) => !patterns.some((p) => topicMatches(p, t)));
}

/** One identity whose checks run on a host: its name (its files' folder) and its ACL's patterns. */
export interface CheckedIdentity {
    name: string;
    topics: readonly string[];
}

/** The refusal checks (remote/refusal-checks.sh), run in the same session by one host. */
export interface RefusalOptions {
    /** The broker's tls_version: the handshake alert is read over TLS 1.2 when the broker allows it. */
    tlsVersion: string;
    /** The revoked identity whose certificate (on stdin) must be refused; undefined when none is. */
    revokedName?: string;
}

export interface CheckScriptOptions {
    /** The identities on this host, in config order; the first one's files serve the host's own checks. */
    identities: readonly CheckedIdentity[];
    brokerAddress: string;
    tlsPort: number;
    /** When undefined the plaintext port must refuse connections outright. */
    teachingPort?: number;
    /** The teaching listener's user; its password comes on the script's stdin. @default "student" */
    teachingUser?: string;
    /** The teaching listener's mount point: its topics, as the TLS identities see them. @default "teaching/" */
    teachingMountPoint?: string;
    /** Whether the TLS identities may read the teaching topics. @default false */
    teachingShared?: boolean;
    plaintextPort: number;
    /** A certificate (or CRL) with fewer days left than this fails its validity check. @default 7 */
    minCertDaysLeft?: number;
    /** Prefix that runs a command as root on this host ("" or "sudo -n "), for dumpcap. @default "" */
    asRoot?: string;
    /** Capture the TLS port during the run and look for the topics and payloads in clear. @default true */
    capture?: boolean;
    /** The refusal checks, on this host (the first identity's). @default undefined: not here */
    refusals?: RefusalOptions;
    /** How many identities are checked at once. @default 4 */
    parallel?: number;
    /**
     * Check again only the identities whose digest (on stdin) differs from their last fully passing
     * run's, besides the host's own checks and the first identity: `pulumi up`'s update. @default false
     */
    changedOnly?: boolean;
}

/**
 * The checks of one host, in one SSH session, as the SSH user (remote/client-checks.sh):
 * for the host, with its first identity's files,
 * - a client without a certificate is refused;
 * - the plaintext port refuses anonymous clients;
 * - the broker's chain verifies for its address and stays valid long enough;
 * - a capture of the TLS port during the whole run: packets seen, no topic or payload in clear;
 * - with the teaching listener: the capture of its port reads a student's publish in clear (the
 *   detector's positive control), and the student's topics stay under the mount point, out of
 *   the TLS identities' reach unless shared. The password comes on stdin, never on a command line;
 * for every identity on the host,
 * - a mutual-TLS round trip at QoS 1, the broker's address verified against the CA;
 * - its certificate and CA valid long enough, the host's clock within its validity;
 * - a publish outside its ACL refused with MQTT v5 reason 135 (when its patterns leave any topic
 *   outside), the round trip's publish acknowledged (positive control);
 * and, with `refusals`, an impostor CA's client, an expired and a revoked certificate refused at
 * the handshake, and CRLs that outlive what they cover (remote/refusal-checks.sh).
 */
export function clientChecksScript(o: CheckScriptOptions): string {
    if (o.identities.length === 0) throw new Error("clientChecksScript: a host's checks need at least one identity");
    const capture = o.capture ?? true;
    // One line per identity (config refuses newlines in names and topics), as quoted heredocs.
    const lines = (f: (c: CheckedIdentity) => string) => o.identities.map(f).join("\n") + "\n";
    const lists = {
        IDENTITIES: lines((c) => c.name),
        TOPIC_TEMPLATES: lines((c) => checkTopic(c.topics, "NONCE")),
        ACL_OUTSIDE: lines((c) => topicOutside(c.topics, "NONCE") ?? ""),
    };
    return asUserScript(
        composeScript(
            "client-checks",
            {
                CLIENTS_DIR: path.dirname(clientDir("x")),
                BROKER: o.brokerAddress,
                TLS_PORT: o.tlsPort,
                PLAIN_PORT: o.teachingPort ?? o.plaintextPort,
                PLAIN_CHECK: o.teachingPort === undefined ? "plaintext-refused" : "anonymous-refused",
                TEACHING_USER: o.teachingUser ?? defaults.teaching.username,
                TEACHING_MOUNT: o.teachingMountPoint ?? defaults.teaching.mountPoint,
                TEACHING_SHARED: yesNo(o.teachingShared ?? defaults.teaching.sharedWithTls),
                MIN_DAYS: o.minCertDaysLeft ?? defaults.minCertDaysLeft,
                VERIFY_NAME: /^[0-9.]+$/.test(o.brokerAddress) ? "-verify_ip" : "-verify_hostname",
                AS_ROOT: o.asRoot ? "sudo" : "none",
                PARALLEL: o.parallel ?? 4,
                CAPTURE_TLS: yesNo(capture),
                // On the teaching port, the same detector must find topic and payload: its positive control.
                CAPTURE_PLAINTEXT: yesNo(capture && o.teachingPort !== undefined),
                REFUSALS: yesNo(o.refusals !== undefined),
                READ_ALERT: yesNo(o.refusals?.tlsVersion === "tlsv1.2"),
                REVOKED_NAME: o.refusals?.revokedName ?? "",
                CHANGED_ONLY: yesNo(o.changedOnly ?? false),
            },
            lists,
        ),
    );
}

/**
 * What a host's check run reads on stdin, as a bundle: the teaching password (when its listener is
 * on); on the host of the refusal checks, the forged certificates, the CRLs and the revoked
 * identity's files (a bundle already, from the forgeries); each identity's digest; and what the
 * broker's apply said, which only makes a new apply run the checks again (an update). A secret:
 * it holds keys.
 */
export function checkInput(o: { teachingPassword?: string; refusalFiles?: string; digests?: Record<string, string>; brokerApplied?: string }): string {
    return renderBundle({
        ...(o.teachingPassword !== undefined ? { "teaching-password": o.teachingPassword } : {}),
        ...(o.refusalFiles !== undefined ? parseBundle(o.refusalFiles) : {}),
        ...(o.digests !== undefined
            ? {
                  digests: Object.entries(o.digests)
                      .map(([name, d]) => `${name} ${d}\n`)
                      .join(""),
              }
            : {}),
        ...(o.brokerApplied !== undefined ? { "broker-applied": o.brokerApplied } : {}),
    });
}

/** What an identity's checks depend on besides the broker: its certificate and its topics. */
export function identityDigest(name: string, certPem: string, topics: readonly string[]): string {
    return createHash("sha256")
        .update(JSON.stringify([name, certPem, topics]))
        .digest("hex");
}
