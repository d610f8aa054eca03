import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { HostRole } from "../config/labConfig";
import { DirExpectation, FileExpectation, HostExpectation } from "../drift/compare";
import { HostObserver } from "../drift/observer";
import { brokerPaths } from "../mosquitto/conf";
import { clientDir, inspectScript } from "../remote/hostScripts";
import { LabHost } from "./hosts";
import { IssuedCert } from "./pki";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export interface DriftArgs {
    readonly hosts: { broker: LabHost; client: LabHost };
    /** What the broker's apply installs: the conf and ACL as sent, the CAs, certificate and key, the password file. */
    readonly broker: {
        conf: string;
        acl: string;
        trustedCas: readonly { generation: number; certPem: pulumi.Input<string> }[];
        server: IssuedCert;
        /** The CRLs the broker reads (src/components/pki.ts). */
        crlPem: pulumi.Input<string>;
        /** The teaching listener's password file (secret), when it is on. @default undefined */
        passwordFile?: pulumi.Input<string>;
        listenPorts: readonly number[];
    };
    /** Each identity's files, on its host. */
    readonly clients: readonly { name: string; host: HostRole; caCertPem: pulumi.Input<string>; cert: IssuedCert }[];
    /** How a user pins a new host key, per role, with `{key}` where the offered key goes. */
    readonly pinWith: Record<HostRole, string>;
}

/**
 * Drift detection: one observer per host (src/drift/observer.ts) reads at every refresh and
 * preview what the lab installed there, and how mosquitto runs. Its token feeds the stdin of the
 * host's install commands, so `pulumi up --refresh` (or a plain `pulumi up`) re-runs them.
 */
export class Drift extends pulumi.ComponentResource {
    /** Per host: changes whenever a drift was seen there. */
    readonly tokens: Record<HostRole, pulumi.Output<string>>;
    /** Per host: what the latest refresh saw (empty when healthy). */
    readonly drift: Record<HostRole, pulumi.Output<string[]>>;
    /** Per host: what the latest up handed to a repair. */
    readonly repaired: Record<HostRole, pulumi.Output<string[]>>;

    constructor(name: string, args: DriftArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mqttlab:drift:Drift", name, {}, opts);
        const make = (role: HostRole) => {
            const host = args.hosts[role];
            const identities = args.clients.filter((c) => c.host === role);
            const grp = host.user === "root" ? "root:root" : `${host.user}:`;
            const files: pulumi.Input<FileExpectation>[] = [];
            const brokerFiles: string[] = [];
            const dirs: DirExpectation[] = [];
            if (identities.length > 0) dirs.push({ path: ".mqtt-lab", home: true, what: "the client folder", mode: "700", owner: grp });
            for (const c of identities) {
                const d = clientDir(c.name);
                dirs.push({ path: d, home: true, what: `${c.name}'s folder`, mode: "700", owner: grp });
                const file = (f: string, what: string, content: pulumi.Input<string>) =>
                    pulumi
                        .output(content)
                        .apply((text) => ({ path: `${d}/${f}`, home: true, what: `${c.name}'s ${what}`, sha256: sha256(text), mode: "600", owner: grp }));
                files.push(
                    file("ca.crt", "CA bundle", c.caCertPem),
                    file("client.crt", "certificate", c.cert.certPem),
                    file("client.key", "private key", c.cert.privateKeyPem),
                );
            }
            let caDir: pulumi.Input<HostExpectation["caDir"]> = undefined;
            if (role === "broker") {
                const b = args.broker;
                const owned = { owner: "root:mosquitto" };
                dirs.push({ path: brokerPaths.dir, what: "the broker's lab folder", mode: "750", ...owned });
                dirs.push({ path: brokerPaths.caPath, what: "the trusted-CA directory", mode: "755", owner: "root:root" });
                const file = (path: string, what: string, content: pulumi.Input<string>, mode: string) => {
                    brokerFiles.push(path);
                    return pulumi.output(content).apply((text) => ({ path, what, sha256: sha256(text), mode, ...owned }));
                };
                files.push(
                    file(brokerPaths.conf, "the lab's mosquitto conf", b.conf, "644"),
                    file(brokerPaths.aclFile, "the ACL", b.acl, "640"),
                    file(brokerPaths.certFile, "the broker's certificate", b.server.certPem, "644"),
                    file(brokerPaths.keyFile, "the broker's private key", b.server.privateKeyPem, "640"),
                    file(brokerPaths.crlFile, "the certificate revocation list", b.crlPem, "644"),
                );
                if (b.passwordFile !== undefined) files.push(file(brokerPaths.passwordFile, "the password file", b.passwordFile, "640"));
                caDir = pulumi.all(b.trustedCas.map((c) => c.certPem)).apply((pems) => ({
                    path: brokerPaths.caPath,
                    files: Object.fromEntries(b.trustedCas.map((c, i) => [`ca-g${c.generation}.crt`, sha256(pems[i])])),
                }));
            }
            const expect = pulumi.all([pulumi.all(files), caDir, host.address]).apply(([fs, ca, address]) => ({
                host: `${role} ${address}`,
                files: fs,
                dirs,
                ...(ca ? { caDir: ca } : {}),
                ...(role === "broker"
                    ? { confD: { dir: brokerPaths.confD, ours: brokerPaths.conf }, mosquitto: { listenPorts: [...args.broker.listenPorts] } }
                    : {}),
            }));
            const script = inspectScript({
                files: brokerFiles,
                dirs: dirs.filter((d) => !d.home).map((d) => d.path),
                homeFiles: identities.flatMap((c) => ["ca.crt", "client.crt", "client.key"].map((f) => `${clientDir(c.name)}/${f}`)),
                homeDirs: dirs.filter((d) => d.home).map((d) => d.path),
                broker: role === "broker",
                asRoot: host.shell.asRoot,
                sshPort: host.sshPort,
            });
            // Why: Pulumi's eyes on this host; what it sees feeds the install commands' stdin (an update, not a replace).
            return new HostObserver(
                `${name}-${role}-observer`,
                {
                    host: pulumi.all([host.address, host.hostKey]).apply(([address, hostKey]) => ({
                        address,
                        port: host.sshPort,
                        user: host.user,
                        hostKey,
                        label: `${role} ${address}`,
                        pinWith: args.pinWith[role],
                    })),
                    privateKey: host.connection.privateKey ?? "",
                    script,
                    expect,
                    instance: host.instance,
                },
                { parent: this },
            );
        };
        const broker = make("broker");
        const client = make("client");
        this.tokens = { broker: broker.token, client: client.token };
        this.drift = { broker: broker.drift, client: client.drift };
        this.repaired = { broker: broker.repaired, client: client.repaired };
        this.registerOutputs({ tokens: this.tokens, drift: this.drift });
    }
}
