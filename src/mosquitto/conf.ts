/**
 * Pure rendering of the files mosquitto reads: the conf.d file, the ACL and the password file.
 * Side effects (copying, reloading) live in the broker component; everything here is text in,
 * text out, so each option combination is a unit test.
 */
import { pbkdf2Sync } from "node:crypto";
import { ClientIdentity, TlsVersion } from "../config/labConfig";
import { tls12Ciphers, tls13Ciphers } from "./tls";

/** Where the lab's files live on the broker. One directory we own, beside Debian's defaults. */
export const brokerPaths = {
    confD: "/etc/mosquitto/conf.d",
    conf: "/etc/mosquitto/conf.d/mqtt-lab.conf",
    dir: "/etc/mosquitto/mqtt-lab",
    caFile: "/etc/mosquitto/mqtt-lab/ca.crt",
    caPath: "/etc/mosquitto/mqtt-lab/ca.d",
    certFile: "/etc/mosquitto/mqtt-lab/server.crt",
    keyFile: "/etc/mosquitto/mqtt-lab/server.key",
    crlFile: "/etc/mosquitto/mqtt-lab/crl.pem",
    aclFile: "/etc/mosquitto/mqtt-lab/acl",
    passwordFile: "/etc/mosquitto/mqtt-lab/passwd",
    log: "/var/log/mosquitto/mosquitto.log",
} as const;

export interface TeachingListener {
    port: number;
    username: string;
    /** The address the listener binds to (the broker's lab address): not every interface of the host. */
    bindAddress: string;
    /**
     * mosquitto's per-listener `mount_point`: every topic of this listener lives under it (a
     * student's `lab/x` is `teaching/lab/x` to everyone else). Ends with "/".
     */
    mountPoint: string;
}

export interface BrokerConfOptions {
    /** Stack and project, written in the header so a reader knows who owns the file. */
    owner: string;
    tlsPort: number;
    tlsVersion: TlsVersion;
    /** "cafile" trusts one PEM bundle; "capath" a hashed directory that new connections re-read (CA rotation). */
    trust: "cafile" | "capath";
    /** When set, a plaintext listener that still requires a password: the seed's leak, without anonymity. */
    teaching?: TeachingListener;
}

/**
 * Renders `conf.d/mqtt-lab.conf`. `per_listener_settings true` makes every access rule belong to
 * its listener, so nothing in Debian's main file (or a left-over conf.d file) can widen them.
 */
export function renderBrokerConf(o: BrokerConfOptions): string {
    const lines = [
        `# Managed by mqtt-lab (${o.owner}). Do not edit: \`pulumi up\` rewrites this file.`,
        "per_listener_settings true",
        "",
        "# Mutual TLS: only clients with a certificate from the lab CA get in; the CN is the MQTT user.",
        `listener ${o.tlsPort}`,
        "protocol mqtt",
        o.trust === "capath" ? `capath ${brokerPaths.caPath}` : `cafile ${brokerPaths.caFile}`,
        `certfile ${brokerPaths.certFile}`,
        `keyfile ${brokerPaths.keyFile}`,
        "# Revoked client certificates: one CRL per trusted CA (OpenSSL wants one for each), re-read on SIGHUP.",
        `crlfile ${brokerPaths.crlFile}`,
        `tls_version ${o.tlsVersion}`,
        "# Suites: ECDHE with AEAD only (no CBC); TLS 1.3's own three (src/mosquitto/tls.ts).",
        `ciphers ${tls12Ciphers.join(":")}`,
        `ciphers_tls1.3 ${tls13Ciphers.join(":")}`,
        "require_certificate true",
        "use_identity_as_username true",
        "allow_anonymous false",
        `acl_file ${brokerPaths.aclFile}`,
    ];
    if (o.teaching) {
        lines.push(
            "",
            "# Teaching listener: plaintext on purpose, to show what tshark sees. Never anonymous.",
            "# Bound to the broker's lab address only; its topics live under its own mount point.",
            `listener ${o.teaching.port} ${o.teaching.bindAddress}`,
            "protocol mqtt",
            `mount_point ${o.teaching.mountPoint}`,
            "allow_anonymous false",
            `password_file ${brokerPaths.passwordFile}`,
            `acl_file ${brokerPaths.aclFile}`,
        );
    }
    return lines.join("\n") + "\n";
}

/** Who may use the teaching listener's topics, for the ACL. */
export interface TeachingAcl {
    username: string;
    /** The listener's mount point ("teaching/"): mosquitto checks ACLs on the topic with it in front. */
    mountPoint: string;
    /** Whether the mutual-TLS identities may read the teaching topics. */
    sharedWithTls: boolean;
}

/**
 * Renders the ACL: each identity may read and write its own topic patterns and nothing else.
 * With the teaching listener, its user gets its whole mount point (mosquitto 2.0.11 checks the
 * ACL against the topic with the mount point in front: handle_publish.c prefixes the topic
 * before mosquitto_acl_check), and every identity gets an explicit line for that namespace:
 * `topic read` when shared, `topic deny` when not. mosquitto checks deny lines first
 * (security_default.c puts them at the front of the list), so even an identity with "#" neither
 * reads nor writes there.
 */
export function renderAcl(clients: readonly ClientIdentity[], teaching?: TeachingAcl): string {
    const blocks = ["# Managed by mqtt-lab. One block per identity: `user` is the certificate CN."];
    // Code-unit order, not localeCompare: the file must be the same on every machine, whatever its locale.
    const sorted = [...clients].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const namespace = teaching ? `${teaching.mountPoint}#` : undefined;
    for (const c of sorted) {
        blocks.push("", `user ${c.name}`, ...c.topics.map((t) => `topic readwrite ${t}`));
        if (teaching && namespace) blocks.push(teaching.sharedWithTls ? `topic read ${namespace}` : `topic deny ${namespace}`);
    }
    if (teaching && namespace)
        blocks.push(
            "",
            "# The teaching listener's user: its mount point, whatever topic it names there.",
            `user ${teaching.username}`,
            `topic readwrite ${namespace}`,
        );
    return blocks.join("\n") + "\n";
}

/**
 * PBKDF2-SHA512 iterations of the password file. mosquitto_passwd 2.0.11 writes 101
 * (PW_DEFAULT_ITERATIONS, src/password_mosq.h). We use 20000: about 16 ms per login on this
 * project's machine. Not more: mosquitto checks a password on its single thread, so each login
 * stalls every client (TLS ones too) that long, and the user name crosses the teaching wire in
 * clear, so anyone there could send logins to stall the broker. The hash protects the file at
 * rest; the password itself crosses that wire in clear by design.
 */
export const passwordIterations = 20000;

/** mosquitto 2.0.11 refuses a $7$ entry whose salt is not exactly 12 bytes (unpwd__decode_passwords). */
export const passwordSaltBytes = 12;

/**
 * Hashes a password the way `mosquitto_passwd` does in 2.0 ($7$: PBKDF2-SHA512), with a random
 * salt the program keeps as a secret in the state (src/secrets/salt.ts): the same salt gives the
 * same file at every run (no diff, no reload).
 */
export function hashMosquittoPassword(username: string, password: string, saltBase64: string, iterations = passwordIterations): string {
    const salt = Buffer.from(saltBase64, "base64");
    if (salt.length !== passwordSaltBytes)
        throw new Error(`the password salt must be ${passwordSaltBytes} bytes (mosquitto 2.0.11 refuses others), got ${salt.length}`);
    // The broker base64-decodes the salt and hashes with the 12 raw bytes (mosquitto 2.0.11,
    // security_default.c unpwd__decode_passwords / pw__digest), not with its base64 text.
    const hash = pbkdf2Sync(password, salt, iterations, 64, "sha512");
    return `${username}:$7$${iterations}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

/** Renders the password file of the teaching listener. */
export function renderPasswordFile(username: string, password: string, saltBase64: string): string {
    return hashMosquittoPassword(username, password, saltBase64) + "\n";
}

/**
 * What mosquitto must re-read to apply a change, by file. One table, used by `chooseReload` and
 * rendered into the broker's apply script, so what is tested is what runs.
 * - the conf (listeners, require_certificate, tls_version…: mosquitto 2.0.11 skips listener
 *   options on reload) is read only at start: a restart, which drops clients;
 * - the trusted CAs are a capath directory: a CA added is seen by new connections with no
 *   reload; a CA removed or changed needs a restart (mosquitto keeps what it loaded);
 * - certificate, key, CRL, ACL and password file are re-read on SIGHUP: connected clients stay
 *   (measured on 2.0.11: a changed crlfile is not seen until a SIGHUP; after one, the revoked
 *   certificate is refused at the handshake; a client already connected with it is not dropped).
 * Comparing whole files (not a summary of them) also catches a conf edited by hand on the host.
 */
export type ReloadAction = "none" | "sighup" | "restart";

export const restartFiles = ["mqtt-lab.conf"] as const;
export const sighupFiles = ["server.crt", "server.key", "crl.pem", "acl", "passwd"] as const;
export type BrokerFile = (typeof restartFiles)[number] | (typeof sighupFiles)[number];

/** How the set of trusted CAs changed. */
export type TrustChange = "none" | "added" | "removed";

export function chooseReload(changed: readonly BrokerFile[], trust: TrustChange = "none"): ReloadAction {
    if (trust === "removed" || changed.some((f) => (restartFiles as readonly string[]).includes(f))) return "restart";
    if (changed.some((f) => (sighupFiles as readonly string[]).includes(f))) return "sighup";
    return "none";
}
