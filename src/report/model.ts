/**
 * What the lab report is made of: measurements taken on the lab's own hosts (and, on demand, on a
 * throw-away broker), each with where it was measured from. The renderers (markdown.ts, html.ts,
 * questions.ts) turn this into text and never add a value of their own: a measurement that is
 * missing is rendered as missing, with why.
 */
import type { CheckOutcome } from "../evidence/report";

/** Where a value was measured from: the command, and the host it ran on. */
export interface Source {
    host: string;
    command: string;
}

/** A measured value with its source, or the reason it is missing. */
export type Measured<T> = { ok: true; value: T; source: Source } | { ok: false; why: string; source?: Source };

/** A measured value. */
export function measured<T>(value: T, source: Source): Measured<T> {
    return { ok: true, value, source };
}

/** A missing measurement, with why. */
export function missing<T>(why: string, source?: Source): Measured<T> {
    return { ok: false, why, source };
}

/** What `openssl x509 -text` says of one certificate. */
export interface CertFacts {
    /** X.509 version: 1 or 3. */
    version: number;
    serial: string;
    subject: string;
    issuer: string;
    /** Subject alternative names, as openssl prints them ("IP Address:172.30.56.10", "DNS:…"). */
    sans: string[];
    /** "id-ecPublicKey", "rsaEncryption", "ED25519"… */
    keyAlgorithm: string;
    /** "256 bit", "2048 bit", or "" when openssl prints no size. */
    keySize: string;
    signatureAlgorithm: string;
    notBefore: string;
    notAfter: string;
    /** notAfter − notBefore, in days (two decimals at most). */
    validityDays: number;
    /** basicConstraints CA:TRUE; undefined when the certificate has no basicConstraints. */
    isCa: boolean | undefined;
}

/** The chain the broker served to `openssl s_client`, from the client host. */
export interface ServedChain {
    /** The chain lines (depth, s:, i:, a:, v:), the protocol, cipher and verify result. */
    lines: string[];
    /** "0 (ok)" or openssl's words. */
    verify: string;
    /** "TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" */
    session: string;
    certs: CertFacts[];
}

/** One capture: a publish on one port, what dumpcap caught and tshark read. */
export interface CaptureLeg {
    port: number;
    topic: string;
    payload: string;
    /** The publish as mosquitto_pub -d told it (its exit code first). */
    publish: string[];
    publishCommand: string;
    packets: number;
    /** The seed's command (`tshark -Y mqtt -T fields -e mqtt.topic`, on the capture) and its output lines. */
    seedCommand: string;
    seedOutput: string[];
    /** tshark's one line per frame, and the command. */
    framesCommand: string;
    frames: string[];
    topicInClear: boolean;
    payloadInClear: boolean;
    /** The capture's end marker, sent in clear on purpose, found (the detector's positive control). */
    markerInClear: boolean;
    /** The CONNECT packet's username and what its password field held (plaintext only; never the password). */
    credentials?: { username: string; password: "the teaching password" | "another value" | "none"; command: string };
    /** Where the pcap was saved on this machine, or why it was not. */
    pcapFile: string;
}

/** One line of `stat -c '%a %U:%G %n'`. */
export interface FileMode {
    mode: string;
    owner: string;
    path: string;
}

/** A host of the lab, as the report reached it. */
export interface HostFacts {
    role: "broker" | "client";
    address: string;
    user: string;
    /** The pinned host key's fingerprint (stack output), which ssh2 compared before sending anything. */
    fingerprint: string;
    hostname: Measured<string>;
    openssl: Measured<string>;
    mosquitto: Measured<string>;
    modes: Measured<FileMode[]>;
}

/** One try of the throw-away broker: a client publishing to it, and what each side said. */
export interface BrokerTry {
    /** What the chain was: the seed's, or the lab's kind. */
    chain: string;
    /** `openssl verify` of the broker's certificate against the CA file, as the client would. */
    verify: string;
    publishCommand: string;
    publishExit: number;
    /** What mosquitto_pub printed. */
    client: string[];
    /** The throw-away broker's log lines about that connection. */
    broker: string[];
    /** The certificate the broker served. */
    cert?: CertFacts;
}

/** The seed's error reproduced on a throw-away broker on loopback, and its positive control. */
export interface UnknownCaRun {
    where: string;
    mosquitto: string;
    openssl: string;
    seed: BrokerTry;
    control: BrokerTry;
}

/** The checks of the latest `up` or `verify`, from their evidence JSON. */
export interface CheckEvidence {
    file: string;
    when: string;
    outcomes: CheckOutcome[];
}

/** Everything the report answers from. */
export interface Measurements {
    stack: string;
    when: string;
    brokerAddress: string;
    tlsPort: number;
    /** null: the teaching listener is off. */
    teachingPort: number | null;
    teachingUser: string | null;
    broker: HostFacts;
    client: HostFacts;
    /** The identity whose files the client host used. */
    identity: string;
    tls: Measured<CaptureLeg>;
    plaintext: Measured<CaptureLeg>;
    /** When the teaching listener is off: the commands that turn it on. */
    teachingOnCommands: string[];
    chain: Measured<ServedChain>;
    clientCert: Measured<CertFacts>;
    ca: Measured<CertFacts>;
    /** `ss -ltn` on the broker, its lines. */
    listening: Measured<string[]>;
    checks: Measured<CheckEvidence>;
    unknownCa: Measured<UnknownCaRun>;
}
