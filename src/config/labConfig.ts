/**
 * The lab's configuration: its typed shape, its defaults, and one validation pass that runs
 * before any resource is declared. Pure: the caller reads Pulumi config (or a test builds an
 * object) and passes plain values in, so every rule can be unit tested without an engine.
 */
import { RunError } from "@pulumi/pulumi/errors";
import { ecdsaCurves, judgeKeySpec, KeyAlgorithm } from "../pki/keyAlgorithms";
import { defaults } from "./defaults";
import { MachineNetworks } from "./machineNetworks";
import { Cidr, cidrContains, cidrsOverlap, ipv4ToNumber, isIpv4, knownCidr, parseCidr } from "./net";

/** The config namespace, as Pulumi prints it in `pulumi config`. */
export const ns = "mqtt-lab";

/** The seed's host-only network: never handed to a local lab, never a target of tests. */
export const seedNetwork = "192.168.56.0/24";

export type HostSource = "containers" | "existing";
export type HostRole = "broker" | "client";
export const hostRoles: readonly HostRole[] = ["broker", "client"];
export const tlsVersions = ["tlsv1.2", "tlsv1.3"] as const;
export type TlsVersion = (typeof tlsVersions)[number];

/** One client identity: its certificate CN, the topics it may use, and the host it lives on. */
export interface ClientIdentity {
    name: string;
    topics: string[];
    host: HostRole;
}

export interface PkiConfig {
    algorithm: KeyAlgorithm;
    rsaBits: number;
    ecdsaCurve: string;
    caValidityHours: number;
    leafValidityHours: number;
    earlyRenewalHours: number;
    /** The CA that signs: bumped to rotate the CA; named in its subject so each generation has its own. */
    caGeneration: number;
    /** CA generations the broker and clients trust; two during a CA rotation. Default: [caGeneration]. */
    trustedCaGenerations: number[];
    /** Bumped to rotate every leaf without touching validity. */
    leafRotation: number;
}

export interface TeachingListenerConfig {
    enabled: boolean;
    port: number;
    username: string;
    /** Its own topic namespace (mosquitto's per-listener mount_point), ending with "/". */
    mountPoint: string;
    /** Whether the mutual-TLS identities may read the teaching namespace (by default they may not). */
    sharedWithTls: boolean;
}

/** The shortest teaching password accepted. */
export const minTeachingPasswordLength = 12;
/** The longest: mosquitto_pub reads its options file by lines of at most 1023 bytes. */
export const maxTeachingPasswordLength = 256;

/**
 * Judges the teaching password (a secret): a problem naming the key, never the value, or undefined.
 * It crosses the teaching wire in clear by design; the length keeps a guess from being cheap.
 */
export function judgeTeachingPassword(password: string): string | undefined {
    const key = k("teachingPassword");
    const chars = [...password].length;
    if (chars < minTeachingPasswordLength || Buffer.byteLength(password, "utf8") > maxTeachingPasswordLength)
        return `${key} has ${chars} characters; allowed: ${minTeachingPasswordLength} to ${maxTeachingPasswordLength} (pulumi config set --secret ${ns}:teachingPassword …, with a longer one).`;
    // The checks hand it to mosquitto_pub in an options file, one line: no line break, no NUL.
    if (/[\0\n\r]/.test(password)) return `${key} contains a line break or NUL; allowed: one line of text.`;
    if (password !== password.trim()) return `${key} starts or ends with white space; allowed: a password without (a client would trim it).`;
    return undefined;
}

/** Everything the program needs, validated and with defaults applied. */
export interface LabConfig {
    hostSource: HostSource;
    /** containers: the private network the program creates. */
    subnet: string;
    brokerAddress: string;
    clientAddress: string;
    brokerDnsName: string;
    sshUser: string;
    sshPort: number;
    /** containers: the base image built by image/substrate.sh. */
    image: string;
    tlsPort: number;
    tlsVersion: TlsVersion;
    pki: PkiConfig;
    /** The identities that connect (not revoked). */
    clients: ClientIdentity[];
    /**
     * Identities marked `revoked: true`: their certificate stays in state (the refusal check presents
     * it) and in the CRL; no ACL block, no files on a host.
     */
    revokedClients: ClientIdentity[];
    teaching: TeachingListenerConfig;
    takeOverConfFiles: boolean;
    minCertDaysLeft: number;
    maxLeafValidityHours: number;
    labName: string;
}

/** Secret values, judged with the rest but never printed: only what is wrong with them is. */
export interface LabSecrets {
    /** The teaching listener's password, when set. */
    teachingPassword?: string;
}

/** The name of the Docker network a lab on containers creates (src/components/hosts.ts). */
export function labNetworkName(labName: string): string {
    return `${labName}-net`;
}

/** What validation may look at beyond the config itself. */
export interface ValidationContext {
    /**
     * The machine's Docker networks and routes (readMachineNetworks), asked for only when the lab
     * creates its own network (hostSource "containers") and its subnet is otherwise valid.
     */
    machineNetworks?: () => MachineNetworks;
}

/**
 * Problems with a lab subnet that overlaps a network this machine already has: a Docker network
 * other than the lab's own (named by `labName`, so a second `up` does not refuse itself), or a
 * route other than the default one and those of Docker's bridges (their networks are judged as
 * Docker networks). Pure: `machine` is what was read.
 */
export function machineNetworkProblems(subnet: string, labName: string, machine: MachineNetworks): string[] {
    const cidr = parseCidr(subnet);
    if (!cidr) return [];
    const allowed =
        "allowed: a subnet that overlaps none of Docker's networks and none of this machine's routes but the default one (docker network ls; ip -4 route)";
    const problems = machine.unreadable.map((u) => `${k("subnet")} "${subnet}" could not be checked against this machine's networks: ${u}; ${allowed}.`);
    const own = labNetworkName(labName);
    for (const n of machine.networks) {
        if (n.kind === "docker-network" && n.name === own) continue;
        if (n.kind === "route" && (n.destination === "default" || n.dockerNetwork !== undefined)) continue;
        const other = parseCidr(n.destination.includes("/") ? n.destination : `${n.destination}/32`);
        if (!other || other.prefix === 0 || !cidrsOverlap(cidr, other)) continue;
        const what =
            n.kind === "docker-network"
                ? `Docker network "${n.name}" (${n.destination})`
                : `this machine's route to ${n.destination}${n.name ? ` on ${n.name}` : ""}`;
        problems.push(`${k("subnet")} "${subnet}" overlaps ${what}; ${allowed}.`);
    }
    return problems;
}

/** The raw values as read from Pulumi config: anything may be missing or of the wrong type. */
export type RawConfig = Record<string, unknown>;

/** All problems found in one pass, each naming its config key and what is allowed. */
// A RunError: the engine prints its message alone, without a stack trace (bad input is not a bug).
export class ConfigError extends RunError {
    constructor(readonly problems: string[]) {
        super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

export { defaults } from "./defaults";

const k = (key: string) => `[${ns}:${key}]`;
const dnsName = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const identityName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const unixUser = /^[a-z_][a-z0-9_-]{0,31}$/;
const labNamePattern = /^[a-z][a-z0-9-]{0,30}$/;

/** An MQTT topic filter as mosquitto accepts it in an ACL. Returns a reason, or undefined. */
export function judgeTopicFilter(filter: string): string | undefined {
    if (filter.length === 0) return "is empty";
    if (Buffer.byteLength(filter, "utf8") > 65535) return "is longer than 65535 bytes"; // MQTT counts UTF-8 bytes
    if (filter.includes("\0") || /[\n\r]/.test(filter)) return "contains a NUL or newline";
    const levels = filter.split("/");
    for (let i = 0; i < levels.length; i++) {
        const level = levels[i];
        if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) return `uses "#" other than as the whole last level`;
        if (level.includes("+") && level !== "+") return `uses "+" other than as a whole level`;
    }
    return undefined;
}

/** A mount point as the lab accepts it: literal topic levels ending with "/". Returns a reason, or undefined. */
export function judgeMountPoint(mountPoint: string): string | undefined {
    if (mountPoint === "") return "is empty, so the teaching listener would share every topic with the mutual-TLS identities";
    if (!mountPoint.endsWith("/")) return `does not end with "/", so "${mountPoint}lab" and "${mountPoint}/lab" would be different namespaces`;
    if (/[#+]/.test(mountPoint)) return "contains a wildcard (+ or #)";
    if (mountPoint.startsWith("$")) return `starts with "$", where mosquitto keeps its own topics ($SYS)`;
    if (mountPoint.startsWith("/") || mountPoint.includes("//")) return "has an empty topic level";
    if (/[\0\n\r\s]/.test(mountPoint)) return "contains white space, a newline or NUL";
    if (mountPoint.length > 64) return "is longer than 64 characters";
    return undefined;
}

class Reader {
    readonly problems: string[] = [];
    constructor(private readonly raw: RawConfig) {}

    has(key: string): boolean {
        return this.raw[key] !== undefined && this.raw[key] !== null && this.raw[key] !== "";
    }

    /** `need` says what to set when the key is required and missing (house style: name the fix). */
    string(key: string, fallback: string | undefined, need?: string): string {
        const v = this.raw[key];
        if (v === undefined || v === null || v === "") {
            if (fallback === undefined) this.problems.push(`${k(key)} is required${need ? `: ${need}` : ""}.`);
            return fallback ?? "";
        }
        if (typeof v !== "string") {
            this.problems.push(`${k(key)} must be a string, got ${JSON.stringify(v)}.`);
            return fallback ?? "";
        }
        return v.trim();
    }

    oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
        const v = this.string(key, fallback);
        if (!(allowed as readonly string[]).includes(v)) {
            this.problems.push(`${k(key)} is "${v}"; allowed: ${allowed.join(", ")}.`);
            return fallback;
        }
        return v as T;
    }

    int(key: string, fallback: number, min: number, max: number, what = "a whole number"): number {
        return this.intValue(key, this.raw[key], fallback, min, max, what);
    }

    intValue(key: string, v: unknown, fallback: number, min: number, max: number, what = "a whole number"): number {
        if (v === undefined || v === null || v === "") return fallback;
        const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
        if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
            this.problems.push(`${k(key)} is ${JSON.stringify(v)}; allowed: ${what} from ${min} to ${max}.`);
            return fallback;
        }
        return n;
    }

    bool(key: string, v: unknown, fallback: boolean): boolean {
        if (v === undefined || v === null || v === "") return fallback;
        if (v === true || v === "true") return true;
        if (v === false || v === "false") return false;
        this.problems.push(`${k(key)} is ${JSON.stringify(v)}; allowed: true or false.`);
        return fallback;
    }

    object(key: string): Record<string, unknown> {
        const v = this.raw[key];
        if (v === undefined || v === null) return {};
        if (typeof v !== "object" || Array.isArray(v)) {
            this.problems.push(`${k(key)} must be an object, got ${JSON.stringify(v)}.`);
            return {};
        }
        return v as Record<string, unknown>;
    }
}

/** A DNS host name; an all-numeric last label ("300.1.1.1") is a mistyped address, not a name (RFC 3696 2). */
function isDnsName(v: string): boolean {
    return dnsName.test(v) && !/(^|\.)\d+$/.test(v);
}

function hostAddress(r: Reader, key: string, fallback: string | undefined, ipv4Only: boolean): string {
    const v = r.string(key, fallback, ipv4Only ? undefined : "the host's IPv4 address or DNS name, as ssh reaches it");
    if (v && ipv4Only && !isIpv4(v)) {
        r.problems.push(`${k(key)} is "${v}"; allowed: an IPv4 address inside ${k("subnet")} (containers get a fixed address).`);
    } else if (v && !isIpv4(v) && !isDnsName(v)) {
        r.problems.push(`${k(key)} is "${v}"; allowed: an IPv4 address or a DNS name.`);
    }
    return v;
}

function readPki(r: Reader): PkiConfig {
    const o = r.object("pki");
    const d = defaults.pki;
    const known = new Set(Object.keys(d));
    for (const key of Object.keys(o)) {
        if (!known.has(key)) r.problems.push(`${k(`pki.${key}`)} is not a known setting; known: ${[...known].join(", ")}.`);
    }
    const algorithm = typeof o.algorithm === "string" ? o.algorithm.toUpperCase() : o.algorithm === undefined ? d.algorithm : String(o.algorithm);
    const rsaBits = r.intValue("pki.rsaBits", o.rsaBits, d.rsaBits, 1, 65536);
    const ecdsaCurve = o.ecdsaCurve === undefined ? d.ecdsaCurve : String(o.ecdsaCurve).toUpperCase();
    const why = judgeKeySpec({ algorithm, rsaBits, ecdsaCurve });
    if (why) {
        const key = algorithm === "RSA" ? "pki.rsaBits" : algorithm === "ECDSA" ? "pki.ecdsaCurve" : "pki.algorithm";
        r.problems.push(`${k(key)}: ${why}.`);
    }
    const caValidityHours = r.intValue("pki.caValidityHours", o.caValidityHours, d.caValidityHours, 1, 24 * 365 * 20, "hours, a whole number");
    const leafValidityHours = r.intValue("pki.leafValidityHours", o.leafValidityHours, d.leafValidityHours, 1, 24 * 365 * 20, "hours, a whole number");
    const earlyRenewalHours = r.intValue("pki.earlyRenewalHours", o.earlyRenewalHours, d.earlyRenewalHours, 0, 24 * 365 * 20, "hours, a whole number");
    // Checked for the default too: with earlyRenewal >= validity every run would renew every leaf.
    if (earlyRenewalHours >= leafValidityHours) {
        const dflt = o.earlyRenewalHours === undefined ? ", the default" : "";
        r.problems.push(
            `${k("pki.earlyRenewalHours")} (${earlyRenewalHours}${dflt}) must be less than ${k("pki.leafValidityHours")} (${leafValidityHours}); allowed: 0 to ${leafValidityHours - 1} hours.`,
        );
    }
    if (leafValidityHours > caValidityHours) {
        r.problems.push(
            `${k("pki.leafValidityHours")} (${leafValidityHours}) must not exceed ${k("pki.caValidityHours")} (${caValidityHours}): a leaf cannot outlive its CA.`,
        );
    }
    const caGeneration = r.intValue("pki.caGeneration", o.caGeneration, d.caGeneration, 1, 9999);
    let trustedCaGenerations = [caGeneration];
    if (o.trustedCaGenerations !== undefined) {
        const t = o.trustedCaGenerations;
        if (!Array.isArray(t) || t.length === 0 || t.length > 2 || t.some((g) => !Number.isInteger(g) || g < 1 || g > 9999) || new Set(t).size !== t.length) {
            r.problems.push(
                `${k("pki.trustedCaGenerations")} is ${JSON.stringify(t)}; allowed: one or two distinct CA generations (1 to 9999), such as [1, 2] while rotating from CA 1 to CA 2.`,
            );
        } else if (!t.includes(caGeneration)) {
            r.problems.push(
                `${k("pki.trustedCaGenerations")} ${JSON.stringify(t)} does not include ${k("pki.caGeneration")} ${caGeneration}: the CA that signs must be trusted.`,
            );
        } else {
            trustedCaGenerations = [...t].sort((a, b) => a - b);
        }
    }
    return {
        algorithm: (why && algorithm !== "RSA" && algorithm !== "ECDSA" ? d.algorithm : algorithm) as KeyAlgorithm,
        rsaBits,
        ecdsaCurve: (ecdsaCurves as readonly string[]).includes(ecdsaCurve) ? ecdsaCurve : d.ecdsaCurve,
        caValidityHours,
        leafValidityHours,
        earlyRenewalHours,
        caGeneration,
        trustedCaGenerations,
        leafRotation: r.intValue("pki.leafRotation", o.leafRotation, d.leafRotation, 0, 999999),
    };
}

function readClients(r: Reader, v: unknown): (ClientIdentity & { revoked: boolean })[] {
    if (v === undefined || v === null) return defaults.clients.map((c) => ({ ...c, topics: [...c.topics], revoked: false }));
    if (!Array.isArray(v) || v.length === 0) {
        r.problems.push(`${k("clients")} must be a non-empty list of {name, topics, host}.`);
        return [];
    }
    const seen = new Set<string>();
    const out: (ClientIdentity & { revoked: boolean })[] = [];
    v.forEach((c: unknown, i: number) => {
        const key = `clients[${i}]`;
        if (typeof c !== "object" || c === null || Array.isArray(c)) {
            r.problems.push(`${k(key)} must be an object {name, topics, host}.`);
            return;
        }
        const o = c as Record<string, unknown>;
        const name = typeof o.name === "string" ? o.name.trim() : "";
        if (!identityName.test(name)) {
            r.problems.push(
                `${k(`${key}.name`)} is ${JSON.stringify(o.name ?? "")}; allowed: 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
            );
        } else if (seen.has(name.toLowerCase())) {
            r.problems.push(`${k(`${key}.name`)} "${name}" is a duplicate: each client identity must be unique (names are compared without case).`);
        }
        seen.add(name.toLowerCase());
        let topics: string[] = ["#"];
        if (o.topics !== undefined) {
            if (!Array.isArray(o.topics) || o.topics.length === 0 || o.topics.some((t) => typeof t !== "string")) {
                r.problems.push(`${k(`${key}.topics`)} must be a non-empty list of MQTT topic filters such as "lab/#".`);
            } else {
                topics = o.topics as string[];
                topics.forEach((t, j) => {
                    const why = judgeTopicFilter(t);
                    if (why)
                        r.problems.push(
                            `${k(`${key}.topics[${j}]`)} ${JSON.stringify(t)} ${why}; allowed: an MQTT topic filter such as "lab/#" or "sensors/+/temp".`,
                        );
                });
            }
        }
        const host = o.host === undefined ? "client" : o.host;
        if (host !== "client" && host !== "broker") {
            r.problems.push(`${k(`${key}.host`)} is ${JSON.stringify(host)}; allowed: client, broker.`);
        }
        const revoked = r.bool(`${key}.revoked`, o.revoked, false);
        for (const extra of Object.keys(o).filter((x) => !["name", "topics", "host", "revoked"].includes(x)))
            r.problems.push(`${k(`${key}.${extra}`)} is not a known setting; known: name, topics, host, revoked.`);
        out.push({ name, topics, host: host === "broker" ? "broker" : "client", revoked });
    });
    return out;
}

/**
 * Validates raw config and applies defaults. Throws one ConfigError listing every problem, so a
 * user fixes them all in one go, and nothing has been declared yet when it throws.
 */
export function validateLabConfig(raw: RawConfig, secrets: LabSecrets = {}, context: ValidationContext = {}): LabConfig {
    const r = new Reader(raw);
    const hostSource = r.oneOf<HostSource>("hostSource", ["containers", "existing"], defaults.hostSource);

    let subnet = defaults.subnet;
    let cidr: Cidr | undefined;
    let brokerAddress: string;
    let clientAddress: string;
    if (hostSource === "containers") {
        subnet = r.string("subnet", defaults.subnet);
        cidr = parseCidr(subnet);
        const hostBits = cidr ? undefined : /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(subnet);
        if (!cidr && hostBits && isIpv4(hostBits[1]) && Number(hostBits[2]) <= 32) {
            const p = Number(hostBits[2]);
            const net = (ipv4ToNumber(hostBits[1]) & (p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0)) >>> 0;
            const fixed = [24, 16, 8, 0].map((s) => (net >>> s) & 255).join(".");
            r.problems.push(
                `${k("subnet")} "${subnet}" is not a network address (host bits are set); allowed: the network address itself, here ${fixed}/${p}.`,
            );
        } else if (!cidr) {
            r.problems.push(`${k("subnet")} is "${subnet}"; allowed: an IPv4 CIDR such as 172.30.56.0/24, prefix from /16 to /28.`);
        } else if (cidr.prefix < 16 || cidr.prefix > 28) {
            r.problems.push(`${k("subnet")} "${subnet}" has prefix /${cidr.prefix}; allowed: /16 to /28.`);
        } else if (cidrsOverlap(cidr, knownCidr(seedNetwork))) {
            r.problems.push(
                `${k("subnet")} "${subnet}" overlaps ${seedNetwork}, the seed's VM network; allowed: a private range that does not, such as 172.30.56.0/24.`,
            );
        }
        const base = cidr ? cidr.network : 0;
        const nth = (n: number) => [24, 16, 8, 0].map((s) => ((base + n) >>> s) & 255).join(".");
        brokerAddress = hostAddress(r, "brokerAddress", cidr ? nth(10) : "", true);
        clientAddress = hostAddress(r, "clientAddress", cidr ? nth(11) : "", true);
        for (const [key, addr] of [
            ["brokerAddress", brokerAddress],
            ["clientAddress", clientAddress],
        ] as const) {
            if (cidr && isIpv4(addr) && !cidrContains(cidr, addr)) {
                r.problems.push(`${k(key)} ${addr} is outside ${k("subnet")} ${subnet}; allowed: a host address inside it.`);
            } else if (cidr && isIpv4(addr) && (addr === nth(0) || addr === nth(1) || addr === nth(2 ** (32 - cidr.prefix) - 1))) {
                r.problems.push(`${k(key)} ${addr} is the network, gateway or broadcast address of ${subnet}; allowed: another host address in it.`);
            }
        }
    } else {
        if (r.has("subnet")) r.problems.push(`${k("subnet")} only applies to hostSource "containers"; remove it for "existing" hosts.`);
        brokerAddress = hostAddress(r, "brokerAddress", undefined, false);
        clientAddress = hostAddress(r, "clientAddress", undefined, false);
    }
    if (brokerAddress && brokerAddress === clientAddress) {
        r.problems.push(`${k("clientAddress")} equals ${k("brokerAddress")} (${brokerAddress}); the lab needs two distinct hosts.`);
    }

    const brokerDnsName = r.string("brokerDnsName", defaults.brokerDnsName);
    if (!isDnsName(brokerDnsName)) {
        r.problems.push(`${k("brokerDnsName")} is "${brokerDnsName}"; allowed: a DNS name such as broker.lab.internal.`);
    }
    const sshUser = r.string("sshUser", hostSource === "containers" ? "root" : undefined, "the Unix user ssh logs in as on both hosts, such as olivier");
    if (sshUser && !unixUser.test(sshUser)) r.problems.push(`${k("sshUser")} is "${sshUser}"; allowed: a Unix user name such as olivier.`);
    const sshPort = r.int("sshPort", defaults.sshPort, 1, 65535, "a TCP port");
    const tlsPort = r.int("tlsPort", defaults.tlsPort, 1, 65535, "a TCP port");
    const tlsVersion = r.oneOf<TlsVersion>("tlsVersion", tlsVersions, defaults.tlsVersion);
    const image = hostSource === "containers" ? r.string("image", undefined, 'the base image built by image/substrate.sh, for hostSource "containers"') : "";

    const pki = readPki(r);
    const identities = readClients(r, raw["clients"]);
    const clients = identities.filter((c) => !c.revoked).map(({ revoked: _, ...c }) => c);
    const revokedClients = identities.filter((c) => c.revoked).map(({ revoked: _, ...c }) => c);
    if (identities.length > 0 && clients.length === 0)
        r.problems.push(`${k("clients")} has every identity revoked; allowed: at least one identity with revoked false (the checks connect as it).`);

    const t = r.object("teachingListener");
    const teaching: TeachingListenerConfig = {
        enabled: r.bool("teachingListener.enabled", t.enabled, defaults.teaching.enabled),
        port: r.intValue("teachingListener.port", t.port, defaults.teaching.port, 1, 65535, "a TCP port"),
        username: t.username === undefined ? defaults.teaching.username : typeof t.username === "string" ? t.username : "",
        mountPoint: t.mountPoint === undefined ? defaults.teaching.mountPoint : typeof t.mountPoint === "string" ? t.mountPoint : "",
        sharedWithTls: r.bool("teachingListener.sharedWithTls", t.sharedWithTls, defaults.teaching.sharedWithTls),
    };
    const mountWhy = judgeMountPoint(teaching.mountPoint);
    if (mountWhy) {
        r.problems.push(
            `${k("teachingListener.mountPoint")} is ${JSON.stringify(t.mountPoint)}: ${mountWhy}; allowed: one or more topic levels without wildcards, ending with "/", such as "teaching/".`,
        );
    } else if (teaching.enabled && !teaching.sharedWithTls) {
        // An identity asking for topics that only exist under the mount point would be denied them: a contradiction.
        clients.forEach((c, i) =>
            c.topics.forEach((topic, j) => {
                if (topic.startsWith(teaching.mountPoint) || `${topic}/` === teaching.mountPoint)
                    r.problems.push(
                        `${k(`clients[${i}].topics[${j}]`)} "${topic}" lies in the teaching listener's namespace (${k("teachingListener.mountPoint")} "${teaching.mountPoint}"), which ${k("teachingListener.sharedWithTls")} false keeps from every mutual-TLS identity; allowed: set ${k("teachingListener.sharedWithTls")} to true, or a topic outside it.`,
                    );
            }),
        );
    }
    for (const key of Object.keys(t)) {
        if (!Object.keys(defaults.teaching).includes(key))
            r.problems.push(`${k(`teachingListener.${key}`)} is not a known setting; known: ${Object.keys(defaults.teaching).join(", ")}.`);
    }
    for (const [key, port] of [
        ["tlsPort", tlsPort],
        ["teachingListener.port", teaching.port],
    ] as const) {
        if (port === sshPort && (key === "tlsPort" || teaching.enabled))
            r.problems.push(`${k(key)} ${port} is also ${k("sshPort")}; allowed: another port, such as ${key === "tlsPort" ? 8883 : 1883}.`);
    }
    if (!identityName.test(teaching.username)) {
        r.problems.push(`${k("teachingListener.username")} is "${teaching.username}"; allowed: 1 to 64 letters, digits, ".", "_" or "-".`);
    }
    if (teaching.enabled && teaching.port === tlsPort) {
        r.problems.push(`${k("teachingListener.port")} ${teaching.port} is also ${k("tlsPort")}; allowed: another port, such as 1883.`);
    }
    if (teaching.enabled && identities.some((c) => c.name === teaching.username)) {
        r.problems.push(
            `${k("teachingListener.username")} "${teaching.username}" is also a client identity; allowed: a name no certificate carries, so the two listeners' users stay apart.`,
        );
    }

    if (teaching.enabled) {
        if (secrets.teachingPassword === undefined || secrets.teachingPassword === "") {
            r.problems.push(
                `${k("teachingPassword")} is required when ${k("teachingListener.enabled")} is true (pulumi config set --secret ${ns}:teachingPassword …).`,
            );
        } else {
            const why = judgeTeachingPassword(secrets.teachingPassword);
            if (why) r.problems.push(why);
        }
    }

    const takeOverConfFiles = r.bool("takeOverConfFiles", raw["takeOverConfFiles"], defaults.takeOverConfFiles);
    const minCertDaysLeft = r.int("minCertDaysLeft", defaults.minCertDaysLeft, 0, 3650, "days, a whole number");
    const maxLeafValidityHours = r.int("maxLeafValidityHours", defaults.maxLeafValidityHours, 1, 24 * 365 * 20, "hours, a whole number");
    if (pki.leafValidityHours > maxLeafValidityHours) {
        r.problems.push(
            `${k("pki.leafValidityHours")} (${pki.leafValidityHours}) exceeds ${k("maxLeafValidityHours")} (${maxLeafValidityHours}); allowed: at most that.`,
        );
    }
    if (minCertDaysLeft * 24 >= pki.leafValidityHours) {
        r.problems.push(
            `${k("minCertDaysLeft")} (${minCertDaysLeft} days) is not less than ${k("pki.leafValidityHours")} (${pki.leafValidityHours} h): every fresh certificate would fail the expiry check.`,
        );
    }
    const labName = r.string("labName", defaults.labName);
    if (!labNamePattern.test(labName))
        r.problems.push(`${k("labName")} is "${labName}"; allowed: lower-case letters, digits and "-", starting with a letter, at most 31 characters.`);
    // Last, with every other subnet rule passed: only then is the machine read. Existing hosts get no
    // network from the program, so what this machine routes where is not the lab's to judge there.
    if (hostSource === "containers" && cidr && !r.problems.some((p) => p.startsWith(k("subnet"))) && context.machineNetworks)
        r.problems.push(...machineNetworkProblems(subnet, labName, context.machineNetworks()));

    if (r.problems.length > 0) throw new ConfigError(r.problems);
    return {
        hostSource,
        subnet,
        brokerAddress,
        clientAddress,
        brokerDnsName,
        sshUser,
        sshPort,
        image,
        tlsPort,
        tlsVersion,
        pki,
        clients,
        revokedClients,
        teaching,
        takeOverConfFiles,
        minCertDaysLeft,
        maxLeafValidityHours,
        labName,
    };
}
