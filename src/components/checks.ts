import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { defaults } from "../config/defaults";
import { ClientIdentity } from "../config/labConfig";
import { checkInput, clientChecksScript, identityDigest } from "../remote/checkScripts";
import { forgeriesScript } from "../pki/forgeries";
import { parseCheckRun, renderEvidenceJson, renderEvidenceMarkdown } from "../evidence/report";
import { composeScript } from "../remote/compose";
import { renderBundle, shQuote } from "../remote/hostScripts";
import { parseBundle } from "../remote/bundle";
import { CheckStep } from "../outputs";
import { LabHost } from "./hosts";

export interface ChecksArgs {
    /** The host each identity lives on. */
    readonly hostOf: (identity: ClientIdentity) => LabHost;
    readonly clients: readonly ClientIdentity[];
    readonly brokerAddress: string;
    readonly tlsPort: number;
    readonly teachingPort?: number;
    /** The teaching listener's user and password (secret), for the plaintext capture. */
    readonly teachingUser?: string;
    readonly teachingPassword?: pulumi.Input<string>;
    /** The teaching listener's mount point. @default "teaching/" */
    readonly teachingMountPoint?: string;
    /** Whether the TLS identities may read the teaching topics. @default false */
    readonly teachingShared?: boolean;
    /** Certificates with fewer days left fail the checks. @default 7 */
    readonly minCertDaysLeft?: number;
    /**
     * Anything whose change must re-run every check of every host: the hosts, the broker's conf,
     * certificate, CA and CRLs, a drift seen.
     */
    readonly triggers: pulumi.Input<unknown>[];
    /** What the broker's apply said: a new apply (an ACL changed, say) re-runs each host's own checks. */
    readonly brokerApplied: pulumi.Input<string>;
    /** Each identity's certificate: its change re-runs its own checks (and its host's). */
    readonly clientCertPems: Record<string, pulumi.Input<string>>;
    /** Where the evidence report of each run is written, on the machine running Pulumi. */
    readonly evidenceDir: string;
    /** Names the report: the stack. */
    readonly stack: string;
    /** The broker's tls_version (how the refusal checks read the handshake alert). */
    readonly tlsVersion: string;
    /**
     * What the refusal checks forge their certificates from, on the machine running Pulumi: the
     * signing CA (its key is a secret) and the certificate of the first identity, whose subject
     * the impostor copies.
     */
    readonly forgeFrom: { caCertPem: pulumi.Input<string>; caPrivateKeyPem: pulumi.Input<string>; clientCertPem: pulumi.Input<string> };
    /** The CRLs the broker reads: crl-validity judges them. */
    readonly crlPem: pulumi.Input<string>;
    /** An identity revoked in config, whose certificate the refusal checks present. @default undefined */
    readonly revoked?: { name: string; certPem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> };
}

/** Post-deploy checks: a failing check fails `pulumi up`, naming the check, host and what was seen. */
export class Checks extends pulumi.ComponentResource {
    /** What each host's check run printed, one string per host. */
    readonly results: pulumi.Output<string>[];
    /** The scripts as run, one per host: `npm run verify` runs exactly these again. */
    readonly plan: CheckStep[];
    /** What the refusal checks read on stdin (secret bundle): forged certificates, CRLs, the revoked one. */
    readonly forgeries: pulumi.Output<string>;
    /** Path of the Markdown report of the latest run. */
    readonly report: pulumi.Output<string>;

    constructor(name: string, args: ChecksArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mqttlab:checks:Checks", name, {}, opts);
        const first = args.clients[0];

        // Why: an impostor and an expired certificate must be refused; they are forged where the CA
        // key already is (this machine), never on a host, and only when the CA or the client changes.
        const forgeries = new command.local.Command(
            `${name}-forgeries`,
            {
                create: `bash -c ${shQuote(forgeriesScript())}`,
                stdin: pulumi
                    .all([args.forgeFrom.caCertPem, args.forgeFrom.caPrivateKeyPem, args.forgeFrom.clientCertPem])
                    .apply(([ca, key, client]) => renderBundle({ "ca.crt": ca, "ca.key": key, "client.crt": client })),
                logging: "none",
            },
            { parent: this, additionalSecretOutputs: ["stdin", "stdout"] },
        );
        // What the refusal checks read: the forgeries, the CRLs, and the revoked identity's certificate and key.
        this.forgeries = pulumi.secret(
            pulumi
                .all([forgeries.stdout, args.crlPem, args.revoked?.certPem ?? "", args.revoked?.privateKeyPem ?? ""])
                .apply(([forged, crl, cert, key]) =>
                    renderBundle({ ...parseBundle(forged), "crl.pem": crl, ...(args.revoked ? { "revoked.crt": cert, "revoked.key": key } : {}) }),
                ),
        );

        // Why: one SSH session per host checks the host and every identity on it; the refusal checks
        // run in the session of the first identity's host.
        const hosts = [...new Set(args.clients.map((c) => c.host))];
        this.plan = [];
        this.results = hosts.map((role) => {
            const identities = args.clients.filter((c) => c.host === role);
            const refusals = role === first.host;
            const options = {
                identities: identities.map((c) => ({ name: c.name, topics: c.topics })),
                brokerAddress: args.brokerAddress,
                tlsPort: args.tlsPort,
                teachingPort: args.teachingPort,
                teachingUser: args.teachingUser,
                teachingMountPoint: args.teachingMountPoint,
                teachingShared: args.teachingShared,
                plaintextPort: args.teachingPort ?? defaults.plaintextPort,
                minCertDaysLeft: args.minCertDaysLeft,
                asRoot: args.hostOf(identities[0]).shell.asRoot,
                refusals: refusals ? { tlsVersion: args.tlsVersion, revokedName: args.revoked?.name } : undefined,
            };
            const script = clientChecksScript(options);
            this.plan.push({ identity: identities[0].name, identities: identities.map((c) => c.name), host: role, script, refusals });
            const digests = pulumi
                .all(identities.map((c) => args.clientCertPems[c.name]))
                .apply((certs) => Object.fromEntries(identities.map((c, i) => [c.name, identityDigest(c.name, certs[i], c.topics)])));
            const stdin = pulumi
                .all([args.teachingPort !== undefined ? args.teachingPassword : undefined, refusals ? this.forgeries : undefined, digests, args.brokerApplied])
                .apply(([teachingPassword, refusalFiles, digests, brokerApplied]) => checkInput({ teachingPassword, refusalFiles, digests, brokerApplied }));
            const check = new command.remote.Command(
                `${name}-${role}`,
                {
                    connection: args.hostOf(identities[0]).connection,
                    create: script,
                    // Why: a change of identities, of their certificates or topics, or a new broker apply is an
                    // update: the host's own checks, and those of the identities whose digest changed.
                    update: clientChecksScript({ ...options, changedOnly: true }),
                    stdin: pulumi.secret(stdin),
                    addPreviousOutputInEnv: false,
                    // Why: triggers replace the command, so every check runs again when the broker's conf,
                    // certificate, CA or CRLs change, a host is replaced or a drift was seen.
                    triggers: args.triggers,
                },
                { parent: this, additionalSecretOutputs: ["stdin"] },
            );
            return check.stdout;
        });
        const runs = this.results.map((stdout, i) => ({ identity: this.plan[i].identity, host: this.plan[i].host, stdout }));

        // Why: every run leaves evidence a student can read; it is rewritten whenever the checks re-run.
        const base = `${args.evidenceDir}/up-${args.stack}`;
        const report = pulumi.all(runs.map((r) => r.stdout)).apply((stdouts) => {
            const outcomes = stdouts.flatMap((stdout, i) => parseCheckRun({ identity: runs[i].identity, host: runs[i].host, stdout, stderr: "", code: 0 }));
            const commands = this.plan.map(({ identity, host, script }) => ({ identity, host, script }));
            const r = {
                stack: args.stack,
                when: "the latest pulumi up (see the files' time)",
                broker: `${args.brokerAddress}:${args.tlsPort}`,
                outcomes,
                commands,
            };
            return renderBundle({ "report.md": renderEvidenceMarkdown(r), "report.json": renderEvidenceJson(r) });
        });
        const writer = new command.local.Command(
            `${name}-evidence`,
            {
                create: `bash -c ${shQuote(composeScript("write-evidence", { EVIDENCE_BASE: base }))}`,
                stdin: report,
                // Re-written whenever the checks re-run (a repair may leave their output as it was).
                triggers: [report, ...args.triggers],
            },
            { parent: this },
        );
        this.report = writer.stdout.apply(() => `${base}.md`);
        this.registerOutputs({ results: this.results, report: this.report });
    }
}
