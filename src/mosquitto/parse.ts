/**
 * Pure parsing of mosquitto 2.0 configuration and ACL text, for judging what a broker will
 * actually do with the files the program sends (the policy pack reads them from the command
 * that writes them). Text in, plain data out: no file system, no includes followed.
 *
 * What is modelled, from mosquitto 2.0's conf.c:
 * - `per_listener_settings false` (the default) makes `allow_anonymous`, `password_file`,
 *   `psk_file` and `acl_file` global, wherever they appear; `true` makes them belong to the
 *   listener above them. It must come before any of them, or mosquitto refuses to start.
 * - `allow_anonymous` defaults to false in 2.0, except in "local only" mode (no `listener`,
 *   `port` or `bind_address` at all), where mosquitto listens on loopback and lets anyone in.
 * - Listener settings written before the first `listener` line (and `port` / `bind_address`)
 *   belong to the old default listener, which then exists on `port` (1883 when unset).
 * - A listener is TLS when it has both `certfile` and `keyfile`; `require_certificate` needs a
 *   `cafile` or `capath` to verify clients against.
 */

export type SecurityScope = "global" | "listener";

/** One listener as mosquitto will open it, with the security settings that apply to it. */
export interface MosquittoListener {
    /** 1-based line that opened it (`listener`, `port`, or the first default-listener setting). */
    line: number;
    port: number;
    /** Bind address from `listener <port> <address>` or `bind_address`; undefined: all interfaces. */
    bindAddress?: string;
    /** A Unix socket (`listener 0 /path`), reachable only from the host. */
    socketPath?: string;
    /** The old default listener (settings before the first `listener` line). */
    isDefault: boolean;
    /** Only reachable from the broker host: local-only mode or a Unix socket. */
    localOnly: boolean;
    protocol: string;
    cafile?: string;
    capath?: string;
    certfile?: string;
    keyfile?: string;
    tlsVersion?: string;
    /** `ciphers` (TLS 1.2 and below) and `ciphers_tls1.3`, as written. */
    ciphers?: string;
    ciphersTls13?: string;
    requireCertificate: boolean;
    useIdentityAsUsername: boolean;
    /** The certificate's whole subject as the MQTT user name (use_subject_as_username). */
    useSubjectAsUsername: boolean;
    /** certfile and keyfile both set. */
    tls: boolean;
    /** Effective value after defaults and `per_listener_settings`. */
    allowAnonymous: boolean;
    /** Whether allow_anonymous was written (globally or on this listener) rather than defaulted. */
    allowAnonymousExplicit: boolean;
    passwordFile?: string;
    aclFile?: string;
    /** Where allow_anonymous / password_file / acl_file came from. */
    securityScope: SecurityScope;
}

export interface MosquittoConf {
    perListenerSettings: boolean;
    listeners: MosquittoListener[];
    /** No `listener`, `port` or `bind_address`: mosquitto 2.0 listens on loopback 1883, anonymous. */
    localOnlyMode: boolean;
    /** `include_dir` lines: files there are read too and are not judged here. */
    includeDirs: string[];
    /** Lines mosquitto would refuse to start with, as sentences naming the line. */
    problems: string[];
}

interface Security {
    allowAnonymous?: boolean;
    passwordFile?: string;
    pskFile?: string;
    aclFile?: string;
}

interface Draft extends Omit<
    MosquittoListener,
    "tls" | "allowAnonymous" | "allowAnonymousExplicit" | "passwordFile" | "aclFile" | "securityScope" | "localOnly"
> {
    security: Security;
    /** Any setting seen (for the default listener: whether mosquitto creates it). */
    touched: boolean;
}

/** Settings that make mosquitto 2.0 create the default listener when written before any `listener`. */
const defaultListenerTriggers = new Set([
    "bind_interface",
    "cafile",
    "capath",
    "certfile",
    "keyfile",
    "tls_engine",
    "tls_keyform",
    "tls_engine_kpass_sha1",
    "ciphers",
    "ciphers_tls1.3",
    "dhparamfile",
    "psk_hint",
    "require_certificate",
    "crlfile",
    "use_identity_as_username",
    "use_subject_as_username",
    "use_username_as_clientid",
    "bind_address",
    "port",
    "max_connections",
    "max_qos",
    "mount_point",
    "protocol",
    "socket_domain",
    "password_file",
    "psk_file",
    "auth_plugin",
    "plugin",
    "allow_zero_length_clientid",
]);

const securityKeys = new Set([
    "allow_anonymous",
    "password_file",
    "psk_file",
    "acl_file",
    "auth_plugin",
    "plugin",
    "auto_id_prefix",
    "allow_zero_length_clientid",
]);

/**
 * Directives by which another conf.d file would open a listener, change who may connect, or pull
 * in more files: the broker's apply refuses (or moves aside) a file that has one, and the policy
 * pack reads the same keys. One list, sent to the host as data.
 */
export const rivalDirectives: readonly string[] = [
    ...new Set(["listener", "port", "bind_address", "per_listener_settings", "include_dir", ...securityKeys]),
].sort();

/** Listener settings that take a word (a path, a version, a cipher list), by the field that keeps it. */
const listenerTexts: Record<string, "cafile" | "capath" | "certfile" | "keyfile" | "tlsVersion" | "ciphers" | "ciphersTls13" | undefined> = {
    cafile: "cafile",
    capath: "capath",
    certfile: "certfile",
    keyfile: "keyfile",
    tls_version: "tlsVersion",
    ciphers: "ciphers",
    "ciphers_tls1.3": "ciphersTls13",
};

/** Listener settings that take true or false. */
const listenerFlags: Record<string, "requireCertificate" | "useIdentityAsUsername" | "useSubjectAsUsername" | undefined> = {
    require_certificate: "requireCertificate",
    use_identity_as_username: "useIdentityAsUsername",
    use_subject_as_username: "useSubjectAsUsername",
};

function newDraft(line: number, port: number, isDefault: boolean): Draft {
    return {
        line,
        port,
        isDefault,
        protocol: "mqtt",
        requireCertificate: false,
        useIdentityAsUsername: false,
        useSubjectAsUsername: false,
        security: {},
        touched: false,
    };
}

function parseBool(key: string, value: string | undefined, line: number, problems: string[]): boolean | undefined {
    if (value === "true") return true;
    if (value === "false") return false;
    problems.push(`Line ${line}: "${key}" needs true or false, got ${JSON.stringify(value ?? "")}.`);
    return undefined;
}

/** Parses mosquitto 2.0 configuration text. Never throws: what mosquitto would refuse lands in `problems`. */
export function parseMosquittoConf(text: string): MosquittoConf {
    const problems: string[] = [];
    const includeDirs: string[] = [];
    const global: Security = {};
    const def = newDraft(0, 1883, true);
    const listeners: Draft[] = [];
    let cur: Draft = def;
    let perListener = false;
    let securitySeen = false;
    let localOnly = true;

    text.split(/\r?\n/).forEach((raw, i) => {
        const line = i + 1;
        const trimmed = raw.trim();
        if (trimmed === "" || trimmed.startsWith("#")) return;
        const [key, ...rest] = trimmed.split(/\s+/);
        const value = rest[0];
        const sec = perListener ? cur.security : global;
        if (cur === def && defaultListenerTriggers.has(key) && !def.touched) {
            def.line = line;
            def.touched = true;
        }
        if (securityKeys.has(key)) securitySeen = true;
        const text = Object.prototype.hasOwnProperty.call(listenerTexts, key) ? listenerTexts[key] : undefined;
        if (text) {
            cur[text] = value;
            return;
        }
        const flag = Object.prototype.hasOwnProperty.call(listenerFlags, key) ? listenerFlags[key] : undefined;
        if (flag) {
            cur[flag] = parseBool(key, value, line, problems) ?? cur[flag];
            return;
        }
        switch (key) {
            case "per_listener_settings": {
                const v = parseBool(key, value, line, problems);
                if (v !== undefined && v && securitySeen) {
                    problems.push(`Line ${line}: per_listener_settings must come before any other security setting; mosquitto refuses to start.`);
                }
                if (v !== undefined) perListener = v;
                return;
            }
            case "listener": {
                localOnly = false;
                const port = Number(value);
                if (!/^\d+$/.test(value ?? "") || port > 65535) {
                    problems.push(`Line ${line}: "listener" needs a port from 0 to 65535, got ${JSON.stringify(value ?? "")}.`);
                }
                cur = newDraft(line, port, false);
                cur.touched = true;
                if (port === 0 && rest[1]) cur.socketPath = rest[1];
                else if (rest[1]) cur.bindAddress = rest[1];
                listeners.push(cur);
                return;
            }
            case "port": // always the default listener's, even after a `listener` line
                localOnly = false;
                def.port = Number(value);
                if (!def.touched) def.line = line;
                def.touched = true;
                return;
            case "bind_address":
                localOnly = false;
                def.bindAddress = value;
                if (!def.touched) def.line = line;
                def.touched = true;
                return;
            case "protocol":
                cur.protocol = value ?? "";
                return;
            case "allow_anonymous":
                sec.allowAnonymous = parseBool(key, value, line, problems) ?? sec.allowAnonymous;
                return;
            case "password_file":
                sec.passwordFile = value;
                return;
            case "psk_file":
                sec.pskFile = value;
                return;
            case "acl_file":
                sec.aclFile = value;
                return;
            case "include_dir":
                if (value) includeDirs.push(value);
                return;
            default:
                return; // Other directives do not change who may connect or how.
        }
    });

    const drafts = def.touched ? [def, ...listeners] : listeners;
    const out: MosquittoListener[] = drafts.map((d) => {
        const s = perListener ? d.security : global;
        const explicit = s.allowAnonymous !== undefined;
        const { security: _s, touched: _t, ...rest } = d;
        return {
            ...rest,
            localOnly: d.socketPath !== undefined,
            tls: d.certfile !== undefined && d.keyfile !== undefined,
            allowAnonymous: s.allowAnonymous ?? false,
            allowAnonymousExplicit: explicit,
            passwordFile: s.passwordFile,
            aclFile: s.aclFile,
            securityScope: perListener ? "listener" : "global",
        };
    });
    for (const l of out) {
        if ((l.certfile === undefined) !== (l.keyfile === undefined)) {
            problems.push(`Line ${l.line}: the listener on port ${l.port} has only one of certfile and keyfile; mosquitto needs both for TLS.`);
        }
        if (l.requireCertificate && !l.cafile && !l.capath) {
            problems.push(`Line ${l.line}: the listener on port ${l.port} has require_certificate true but neither cafile nor capath to verify clients with.`);
        }
    }
    if (localOnly) {
        // mosquitto 2.0 "local only" mode: loopback listeners on 1883 that let anyone in.
        out.push({
            line: 0,
            port: 1883,
            bindAddress: "127.0.0.1",
            isDefault: true,
            localOnly: true,
            protocol: "mqtt",
            requireCertificate: false,
            useIdentityAsUsername: false,
            useSubjectAsUsername: false,
            tls: false,
            allowAnonymous: true,
            allowAnonymousExplicit: false,
            securityScope: "global",
        });
    }
    return { perListenerSettings: perListener, listeners: out, localOnlyMode: localOnly, includeDirs, problems };
}

/** Describes a listener for messages: "listener 1883 (line 3)". */
export function describeListener(l: MosquittoListener): string {
    if (l.localOnly && l.line === 0) return "the implicit local-only listener on 127.0.0.1:1883 (no listener is configured)";
    const where = l.socketPath
        ? `unix socket ${l.socketPath}`
        : `${l.isDefault ? "default listener on port" : "listener"} ${l.port}${l.bindAddress ? ` on ${l.bindAddress}` : ""}`;
    return `${where} (line ${l.line})`;
}

/** TLS versions mosquitto accepts for `tls_version`, oldest first. */
export const mosquittoTlsVersions = ["tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3"] as const;

/**
 * One ACL rule. For `topic`, `user` is undefined before any `user` line: those rules apply to
 * anonymous clients. `pattern` rules apply to every client, so their `user` is always undefined.
 */
export interface AclRule {
    line: number;
    kind: "topic" | "pattern";
    user?: string;
    access: "read" | "write" | "readwrite" | "deny" | "subscribe";
    filter: string;
}

/** Parses a mosquitto ACL file. Unknown lines land in `problems`, as mosquitto refuses them. */
export function parseMosquittoAcl(text: string): { rules: AclRule[]; problems: string[] } {
    const rules: AclRule[] = [];
    const problems: string[] = [];
    let user: string | undefined;
    text.split(/\r?\n/).forEach((raw, i) => {
        const line = i + 1;
        const trimmed = raw.trim();
        if (trimmed === "" || trimmed.startsWith("#")) return;
        const m = /^(\S+)\s+(.*)$/.exec(trimmed);
        const key = m ? m[1] : trimmed;
        const rest = m ? m[2].trim() : "";
        if (key === "user") {
            user = rest;
            return;
        }
        if (key === "topic" || key === "pattern") {
            const a = /^(read|write|readwrite|deny|subscribe)\s+(.+)$/.exec(rest);
            rules.push({
                line,
                kind: key,
                user: key === "pattern" ? undefined : user,
                access: a ? (a[1] as AclRule["access"]) : "readwrite",
                filter: a ? a[2] : rest,
            });
            return;
        }
        problems.push(`Line ${line}: ${JSON.stringify(key)} is not an ACL keyword (user, topic, pattern).`);
    });
    return { rules, problems };
}

/** True when a topic filter matches every topic: `#`, or only `+` levels before a final `#`. */
export function matchesAllTopics(filter: string): boolean {
    const levels = filter.split("/");
    return levels[levels.length - 1] === "#" && levels.slice(0, -1).every((l) => l === "+");
}
