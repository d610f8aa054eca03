import * as pulumi from "@pulumi/pulumi";
import { defaults } from "../config/defaults";
import { ClientIdentity, TlsVersion } from "../config/labConfig";
import { renderAcl, renderBrokerConf, renderPasswordFile } from "../mosquitto/conf";
import { asRootScript, brokerApplyScript, brokerRemoveScript, renderBundle } from "../remote/hostScripts";
import { hostFilesCommand, LabHost } from "./hosts";
import { IssuedCert } from "./pki";

/** The teaching listener, as the broker renders it. */
export interface TeachingArgs {
    port: number;
    username: string;
    password: pulumi.Input<string>;
    /** base64 of the password file's 12-byte salt (secret; src/secrets/salt.ts). */
    salt: pulumi.Input<string>;
    /** The broker's lab address: the listener binds to it only. */
    bindAddress: string;
    /** Its own topic namespace (mount_point), ending with "/". */
    mountPoint: string;
    /** Whether the mutual-TLS identities may read that namespace. */
    sharedWithTls: boolean;
}

export interface BrokerArgs {
    /** The broker host, from the hosts component. */
    readonly host: LabHost;
    /** Every CA the broker trusts for client certificates, by generation (CA rotation keeps two). */
    readonly trustedCas: readonly { generation: number; certPem: pulumi.Input<string> }[];
    readonly server: IssuedCert;
    /** The CRLs of every trusted CA generation, concatenated (src/components/pki.ts). */
    readonly crlPem: pulumi.Input<string>;
    /** Identities whose topic patterns make the ACL. */
    readonly clients: readonly ClientIdentity[];
    /** @default 8883 */
    readonly tlsPort?: number;
    /** @default "tlsv1.2" */
    readonly tlsVersion?: TlsVersion;
    /** Plaintext teaching listener (never anonymous); undefined turns it off. @default undefined */
    readonly teaching?: TeachingArgs;
    /** Move aside other conf.d files that define listeners (destroy puts them back). @default false */
    readonly takeOverConfFiles?: boolean;
    /** Written in the conf header. */
    readonly owner: string;
    /** Changes when drift was seen on the broker host (src/components/drift.ts): the apply runs again. @default "" */
    readonly repairToken?: pulumi.Input<string>;
}

/** The conf and ACL the broker's apply sends, from its args: also what drift detection expects there. */
export function renderBrokerFiles(args: Pick<BrokerArgs, "owner" | "tlsPort" | "tlsVersion" | "teaching" | "clients">): { conf: string; acl: string } {
    return {
        conf: renderBrokerConf({
            owner: args.owner,
            tlsPort: args.tlsPort ?? defaults.tlsPort,
            tlsVersion: args.tlsVersion ?? defaults.tlsVersion,
            trust: "capath",
            teaching: args.teaching
                ? { port: args.teaching.port, username: args.teaching.username, bindAddress: args.teaching.bindAddress, mountPoint: args.teaching.mountPoint }
                : undefined,
        }),
        acl: renderAcl(
            args.clients,
            args.teaching ? { username: args.teaching.username, mountPoint: args.teaching.mountPoint, sharedWithTls: args.teaching.sharedWithTls } : undefined,
        ),
    };
}

/**
 * Mosquitto on the broker host: CA, certificate and key where mosquitto reads them, our conf.d
 * file and ACL, and a reload (SIGHUP) or restart when they change. One SSH session per change.
 */
export class Broker extends pulumi.ComponentResource {
    /** The conf as sent: also what the policy pack judges. */
    readonly conf: string;
    readonly acl: string;
    /** What the host said after applying (the action taken). */
    readonly applied: pulumi.Output<string>;

    constructor(name: string, args: BrokerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mqttlab:broker:Broker", name, {}, opts);
        const tlsPort = args.tlsPort ?? defaults.tlsPort;
        ({ conf: this.conf, acl: this.acl } = renderBrokerFiles(args));
        const script = brokerApplyScript({
            shell: args.host.shell,
            conf: this.conf,
            acl: this.acl,
            tlsPort,
            takeOverConfFiles: args.takeOverConfFiles ?? false,
            sshPort: args.host.sshPort,
            withPasswords: args.teaching !== undefined,
        });
        // Certificates and keys go on stdin: secret, never in a log line or a diff.
        const bundle = pulumi.secret(
            pulumi
                .all([
                    pulumi.all(args.trustedCas.map((c) => c.certPem)),
                    args.server.certPem,
                    args.server.privateKeyPem,
                    args.crlPem,
                    args.teaching?.password ?? "",
                    args.teaching?.salt ?? "",
                    args.repairToken ?? "",
                ])
                .apply(([cas, cert, key, crl, password, salt, repair]) =>
                    renderBundle({
                        ...Object.fromEntries(args.trustedCas.map((c, i) => [`ca-g${c.generation}.crt`, cas[i]])),
                        "server.crt": cert,
                        "server.key": key,
                        "crl.pem": crl,
                        ...(args.teaching ? { passwd: renderPasswordFile(args.teaching.username, password, salt) } : {}),
                        // Not installed: its change (a drift seen) is what makes `update` run the apply again.
                        ...(repair ? { repair: `${repair}\n` } : {}),
                    }),
                ),
        );

        // Why: one command installs everything and picks SIGHUP or restart; `update` re-runs it when any input changes.
        const apply = hostFilesCommand(
            `${name}-apply`,
            args.host,
            { install: asRootScript(args.host.shell, script), remove: asRootScript(args.host.shell, brokerRemoveScript(args.host.shell)), stdin: bundle },
            this,
        );
        this.applied = apply.stdout;
        this.registerOutputs({ applied: this.applied });
    }
}
