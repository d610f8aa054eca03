/**
 * The stack's outputs: the contract between what `index.ts` exports and what the tools (`bundle`,
 * `verify`), the tests and the bench read back with `pulumi stack output --json --show-secrets`.
 * `index.ts` declares its outputs as `DeclaredOutputs`, so renaming or dropping one is a compile
 * error there and in every reader.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HostRole, HostSource } from "./config/labConfig";

/** One host's check run as `pulumi up` ran it, for `verify` to run again. */
export interface CheckStep {
    /** The host's first identity: its files serve the host's own checks. */
    identity: string;
    /** Every identity checked there, in order. */
    identities: string[];
    host: HostRole;
    script: string;
    /** Whether the refusal checks run there too (their stdin is `refusalForgeries`). */
    refusals: boolean;
}

/** How to reach a host over SSH, its host key pinned. */
export interface SshEndpoint {
    address: string;
    port: number;
    user: string;
    hostKey: string;
    /** SHA256:… of `hostKey`, as `ssh-keygen -lf` prints it. */
    fingerprint: string;
}

/** One client identity's certificate and key (secret), and where they live on its host. */
export interface ClientCertOutput {
    host: HostRole;
    dir: string;
    certPem: string;
    privateKeyPem: string;
}

/** The outputs with their values, as the tools read them. */
export interface StackOutputs {
    brokerAddress: string;
    /** What each host's check run printed: `PASS name: …` lines, each identity's under `== identity NAME`. */
    checkResults: string[];
    /** One step per host with identities. */
    checkPlan: CheckStep[];
    /** The forged certificates of the refusal checks, the CRLs and the revoked identity's files, as a bundle (secret). */
    refusalForgeries: string;
    /** Path of the evidence report of the latest checks (Markdown; a JSON twin beside it). */
    latestReport: string;
    brokerDnsName: string;
    tlsPort: number;
    /** null when the teaching listener is off. */
    teachingPort: number | null;
    teachingUser: string | null;
    /** The trusted CAs (one, or two during a CA rotation). */
    caCertPem: string;
    /** The CRL of every trusted CA generation, concatenated (what the broker's crlfile reads). */
    crlPem: string;
    /** What the CRLs list, by CA generation: serial, identity, why and since when. */
    revokedCertificates: { generation: number; serial: string; name: string; subject: string; notAfter: string; reason: string; revokedAt: string }[];
    signingCaGeneration: number;
    /** The broker apply's report: what changed and how mosquitto was reloaded. */
    brokerApplied: string;
    /** Per host: drift the latest refresh saw and no up has repaired yet, one sentence each (empty when healthy). */
    drift: Record<HostRole, string[]>;
    /** Per host: the drift the latest up repaired. */
    repairedDrift: Record<HostRole, string[]>;
    clientCerts: Record<string, ClientCertOutput>;
    ssh: Record<HostRole, SshEndpoint>;
    hostSource: HostSource;
    /** containers only: the SSH client key the program generated (secret). */
    sshClientPrivateKey?: string;
}

/** A value as a program may declare it: plain, or an Output at any depth. */
export type Declared<T> = T extends string | number | boolean | null | undefined ? pulumi.Input<T> : pulumi.Input<T> | { [K in keyof T]: Declared<T[K]> };

/** What `index.ts` exports. */
export type DeclaredOutputs = { [K in keyof StackOutputs]: Declared<StackOutputs[K]> };
