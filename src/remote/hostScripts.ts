/**
 * The host-side scripts of the broker and the clients (remote/*.sh), composed with their data.
 *
 * Data travels two ways, both chosen so nothing depends on the SSH server's AcceptEnv:
 * - public, preview-known values and files (ports, file lists, the conf, the ACL) in the header of
 *   the script (compose.ts), so the policy pack can read exactly what is sent (`embeddedFiles`);
 * - certificates and keys on stdin as a bundle (bundle.ts), which the command provider keeps
 *   secret and out of logs.
 * Files are written into a private (0700) staging directory and renamed into place, so no key is
 * ever readable by others, and no half-written file is ever live.
 */
import { brokerPaths, restartFiles, sighupFiles } from "../mosquitto/conf";
import { parseMosquittoConf, rivalDirectives } from "../mosquitto/parse";
import { composeScript, headerHeredocs, remoteFile, shQuote, yesNo } from "./compose";

export { shQuote } from "./compose";
export { bundleEnd, parseBundle, renderBundle } from "./bundle";

/** How mosquitto runs as a service: under systemd (the seed's VMs), or as a plain daemon (containers). */
export type ServiceManager = "systemd" | "signals";

/** How a host differs from another: filled in by the hosts component, opaque to everyone else. */
export interface HostShell {
    /** Prefix that runs a command as root ("" when the SSH user is root, "sudo -n " otherwise). */
    readonly asRoot: string;
    readonly serviceManager: ServiceManager;
    /** A command that makes mosquitto re-read certificates, ACL and password file (SIGHUP). */
    readonly reload: string;
    /** A command that restarts mosquitto and prints its error when it refuses to start. */
    readonly restart: string;
}

/** A command that runs one function of remote/lib.sh, for people and tests at a shell. */
function libCommand(serviceManager: ServiceManager, fn: string): string {
    return `bash -c ${shQuote(`SERVICE_MANAGER=${serviceManager}\n${remoteFile("lib")}\n${fn}`)}`;
}

function hostShell(asRoot: string, serviceManager: ServiceManager): HostShell {
    return {
        asRoot,
        serviceManager,
        get reload() {
            return libCommand(serviceManager, "mosquitto_reload");
        },
        get restart() {
            return libCommand(serviceManager, "mosquitto_restart");
        },
    };
}

/** What the seed's Debian VMs need: sudo without a prompt, and systemd for mosquitto. */
export const systemdShell: HostShell = hostShell("sudo -n ", "systemd");

/** Containers run as root with no init: mosquitto is a plain daemon we signal and restart. */
export const containerShell: HostShell = hostShell("", "signals");

/** Wraps a script so it runs under bash as root on the host. stdin passes through. */
export function asRootScript(shell: HostShell, script: string): string {
    return `${shell.asRoot}bash -c ${shQuote(script)}`;
}

/** Wraps a script so it runs under bash as the SSH user, whatever the user's login shell. */
export function asUserScript(script: string): string {
    return `bash -c ${shQuote(script)}`;
}

/** Header keys of the files embedded in the broker's apply script, and the names they have on the broker. */
const embeddedFileNames: Record<string, string> = { CONF_TEXT: "mqtt-lab.conf", ACL_TEXT: "acl" };

/** Reads back the files a script embeds, by their name on the broker: what the policy pack judges. */
export function embeddedFiles(script: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, text] of Object.entries(headerHeredocs(script))) {
        const name = embeddedFileNames[key];
        if (name) out[name] = text;
    }
    return out;
}

/** The paths every broker script reads from its header. */
function brokerPathValues(shell: HostShell) {
    return { MQTTLAB_DIR: brokerPaths.dir, CONF: brokerPaths.conf, CONF_D: brokerPaths.confD, LOG: brokerPaths.log, SERVICE_MANAGER: shell.serviceManager };
}

export interface BrokerApplyOptions {
    shell: HostShell;
    conf: string;
    acl: string;
    tlsPort: number;
    /** Every port the conf listens on. @default [tlsPort] */
    listenPorts?: readonly number[];
    takeOverConfFiles: boolean;
    /** The host's SSH port: the one port besides mosquitto's that may be open. @default 22 */
    sshPort?: number;
    /** Whether the bundle carries a password file (teaching listener). */
    withPasswords: boolean;
}

/**
 * The broker's apply (remote/broker-apply.sh): stage, check conf.d for rival listeners, back up,
 * swap in, reload or restart, wait until mosquitto listens, and roll back with mosquitto's own
 * message if it won't. stdin: bundle with one ca-g<N>.crt per trusted CA generation, server.crt,
 * server.key, crl.pem (and passwd).
 *
 * Trusted CAs live in a hashed directory (mosquitto's capath), which new connections re-read:
 * adding a CA needs no reload at all; removing or changing one needs a restart, since mosquitto
 * keeps what it loaded. `ca.d` is a symlink to a versioned directory, swapped atomically.
 */
export function brokerApplyScript(o: BrokerApplyOptions): string {
    const sighup = sighupFiles.filter((f) => f !== "passwd" || o.withPasswords);
    return composeScript(
        "broker-apply",
        {
            ...brokerPathValues(o.shell),
            TLS_PORT: o.tlsPort,
            LISTEN_PORTS: [...new Set(o.listenPorts ?? listenersOf(o.conf))].join(" "),
            SSH_PORT: o.sshPort ?? 22,
            TAKE_OVER_CONF_FILES: yesNo(o.takeOverConfFiles),
            RIVAL_DIRECTIVES: rivalDirectives.join(" "),
            BROKER_FILES: [...restartFiles, ...sighup].join(" "),
            REQUIRED_FILES: ["server.crt", "server.key", "crl.pem", ...(o.withPasswords ? ["passwd"] : [])].join(" "),
            SIGHUP_FILES: sighup.join(" "),
            RESTART_FILES: restartFiles.join(" "),
            // Ours, no longer read once the new conf is live: removed then (no password left behind).
            RETIRED_FILES: sighupFiles.filter((f) => !sighup.includes(f)).join(" "),
        },
        { CONF_TEXT: o.conf, ACL_TEXT: o.acl },
    );
}

/** The ports a conf listens on, as the conf model (the policy pack's) reads it. */
export function confListenPorts(conf: string): number[] {
    return [...new Set(listenersOf(conf))];
}

function listenersOf(conf: string): number[] {
    return parseMosquittoConf(conf).listeners.map((l) => l.port);
}

/** The broker's destroy (remote/broker-remove.sh): remove our files, put rivals back, leave mosquitto running. */
export function brokerRemoveScript(shell: HostShell): string {
    return composeScript("broker-remove", brokerPathValues(shell));
}

/** Where a client identity's files live on its host, relative to the SSH user's home. */
export function clientDir(identity: string): string {
    return `.mqtt-lab/${identity}`;
}

/**
 * The client's install (remote/client-install.sh): runs as the SSH user (no root needed), files
 * 0600 in a 0700 directory. stdin: bundle with ca.crt, client.crt, client.key.
 */
export function clientInstallScript(identity: string): string {
    return asUserScript(composeScript("client-install", { IDENTITY: identity, CLIENT_DIR: clientDir(identity) }));
}

export function clientRemoveScript(identity: string): string {
    return asUserScript(composeScript("client-remove", { CLIENT_DIR: clientDir(identity) }));
}

export interface InspectOptions {
    /** Absolute paths of files and directories to describe (read as root where needed). */
    files: readonly string[];
    dirs: readonly string[];
    /** Paths relative to the SSH user's home (a client identity's files). */
    homeFiles: readonly string[];
    homeDirs: readonly string[];
    /** The broker only: its trusted-CA directory, conf.d, our conf, and mosquitto's listeners. */
    broker: boolean;
    /** "sudo -n " when the SSH user is not root. */
    asRoot: string;
    /** The host's SSH port, the one open port that is not mosquitto's. @default 22 */
    sshPort?: number;
}

/**
 * What `pulumi refresh` runs on a host (remote/inspect.sh): it only reads, as the SSH user (root
 * through sudo for the broker's files), and prints one line per thing seen (src/drift/compare.ts).
 */
export function inspectScript(o: InspectOptions): string {
    return asUserScript(
        composeScript("inspect", {
            FILES: o.files.join(" "),
            DIRS: o.dirs.join(" "),
            HOME_FILES: o.homeFiles.join(" "),
            HOME_DIRS: o.homeDirs.join(" "),
            CA_DIR: o.broker ? brokerPaths.caPath : "",
            CONF_D: o.broker ? brokerPaths.confD : "",
            CONF: o.broker ? brokerPaths.conf : "",
            RIVAL_DIRECTIVES: rivalDirectives.join(" "),
            CHECK_MOSQUITTO: yesNo(o.broker),
            SSH_PORT: o.sshPort ?? 22,
            AS_ROOT: o.asRoot ? "sudo" : "",
        }),
    );
}
