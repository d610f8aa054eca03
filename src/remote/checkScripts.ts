/**
 * The post-deploy checks (remote/client-checks.sh, remote/refusal-checks.sh), composed with their
 * data. They run on the client host after every change of certificates or conf, and fail `pulumi
 * up` naming the check and what was seen.
 */
import { defaults } from "../config/defaults";
import { composeScript, yesNo } from "./compose";
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

export interface CheckScriptOptions {
    identity: string;
    topics: readonly string[];
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
    /** A certificate with fewer days left than this fails the validity check. @default 7 */
    minCertDaysLeft?: number;
    /** Prefix that runs a command as root on this host ("" or "sudo -n "), for tshark. @default "" */
    asRoot?: string;
    /** Capture the TLS publish with tshark and look for its topic and payload in clear. @default true */
    capture?: boolean;
    /**
     * Run the checks that do not depend on the identity (no certificate, plaintext port, served
     * chain, capture): once per host is enough, so only its first identity runs them. @default true
     */
    hostChecks?: boolean;
}

/**
 * The checks of one identity, on its host, as the SSH user (remote/client-checks.sh):
 * 1. mutual-TLS round trip at QoS 1, the broker's address verified against the CA;
 * 2. a client without a certificate is refused;
 * 3. the plaintext port refuses anonymous clients;
 * 4. the broker's chain verifies for its address, certificates stay valid long enough;
 * 5. a publish outside the identity's ACL is refused with MQTT v5 reason 135 (when its patterns
 *    leave any topic outside), a publish inside is not (positive control);
 * 6. tshark on this host during a TLS publish: packets seen, neither topic nor payload in clear;
 * 7. with the teaching listener: tshark reads a student's publish in clear (the detector's
 *    positive control), and the student's topics stay under the mount point, out of the TLS
 *    identities' reach unless shared. The password comes on stdin and never goes on a command line.
 */
export function clientChecksScript(o: CheckScriptOptions): string {
    const host = o.hostChecks ?? true;
    const capture = host && (o.capture ?? true);
    return asUserScript(
        composeScript("client-checks", {
            IDENTITY: o.identity,
            CLIENT_DIR: clientDir(o.identity),
            BROKER: o.brokerAddress,
            TLS_PORT: o.tlsPort,
            TOPIC_TEMPLATE: checkTopic(o.topics, "NONCE"),
            ACL_OUTSIDE: topicOutside(o.topics, "NONCE") ?? "",
            PLAIN_PORT: o.teachingPort ?? o.plaintextPort,
            PLAIN_CHECK: o.teachingPort === undefined ? "plaintext-refused" : "anonymous-refused",
            TEACHING_USER: o.teachingUser ?? defaults.teaching.username,
            TEACHING_MOUNT: o.teachingMountPoint ?? defaults.teaching.mountPoint,
            TEACHING_SHARED: yesNo(o.teachingShared ?? defaults.teaching.sharedWithTls),
            MIN_DAYS: o.minCertDaysLeft ?? defaults.minCertDaysLeft,
            VERIFY_NAME: /^[0-9.]+$/.test(o.brokerAddress) ? "-verify_ip" : "-verify_hostname",
            AS_ROOT: o.asRoot ? "sudo" : "none",
            HOST_CHECKS: yesNo(host),
            CAPTURE_TLS: yesNo(capture),
            // On the teaching port, the same detector must find topic and payload: its positive control.
            CAPTURE_PLAINTEXT: yesNo(capture && o.teachingPort !== undefined),
        }),
    );
}

export interface RefusalScriptOptions {
    /** The identity whose CA file the client verifies the broker with (its files are on this host). */
    identity: string;
    brokerAddress: string;
    tlsPort: number;
    /** The broker's tls_version: the handshake alert is read over TLS 1.2 when the broker allows it. */
    tlsVersion: string;
    /** A CRL valid for fewer days fails crl-validity. @default 7 */
    minCertDaysLeft?: number;
    /** The revoked identity whose certificate (on stdin) must be refused; undefined when none is. */
    revokedName?: string;
}

/**
 * The refusal checks (remote/refusal-checks.sh), with the forgeries bundle (src/pki/forgeries.ts)
 * on stdin: an impostor CA's client, an expired certificate and a revoked one must be refused at
 * the handshake; the CRLs (also on stdin) must outlive what they cover.
 */
export function refusalChecksScript(o: RefusalScriptOptions): string {
    return asUserScript(
        composeScript("refusal-checks", {
            IDENTITY: o.identity,
            CLIENT_DIR: clientDir(o.identity),
            BROKER: o.brokerAddress,
            TLS_PORT: o.tlsPort,
            READ_ALERT: yesNo(o.tlsVersion === "tlsv1.2"),
            MIN_DAYS: o.minCertDaysLeft ?? defaults.minCertDaysLeft,
            REVOKED_NAME: o.revokedName ?? "",
        }),
    );
}
