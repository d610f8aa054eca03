import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { containerCapabilities } from "../config/capabilities";
import { defaults } from "../config/defaults";
import { HostRole, labNetworkName, seedNetwork } from "../config/labConfig";
import { cidrsOverlap, knownCidr, parseCidr } from "../config/net";
import { containerShell, HostShell, systemdShell } from "../remote/hostScripts";

/**
 * A host of the lab as everything downstream sees it: where to SSH, with which pinned host key,
 * and how to become root and reload mosquitto there. Whether it is a VM or a container is known
 * to this file alone.
 */
export interface LabHost {
    role: HostRole;
    address: pulumi.Output<string>;
    sshPort: number;
    user: string;
    connection: command.types.input.remote.ConnectionArgs;
    /** The pinned host key, authorized_keys format ("ssh-ed25519 AAAA..."). */
    hostKey: pulumi.Output<string>;
    shell: HostShell;
    /**
     * Changes when the host is a new machine at the same address (a replaced container): what
     * configures the host runs again then. Constant for an existing VM.
     */
    instance: pulumi.Output<string>;
}

/** Bounded dialing: an unreachable host fails in about half a minute, naming host and port. */
const dialLimits = { dialErrorLimit: 15, perDialTimeout: 2 };

export interface ExistingHostsArgs {
    /** Addresses of the broker and client VMs. */
    readonly brokerAddress: string;
    readonly clientAddress: string;
    /** SSH user with passwordless sudo on both hosts. */
    readonly user: string;
    /** @default 22 */
    readonly sshPort?: number;
    /** The SSH private key (OpenSSH or PEM), as a secret. */
    readonly privateKey: pulumi.Input<string>;
    /** Pinned host keys, authorized_keys format, as `ssh-keyscan` prints them. */
    readonly brokerHostKey: string;
    readonly clientHostKey: string;
}

/** Existing VMs, such as the seed's two Debian hosts. Creates nothing: it only describes them. */
export class ExistingHosts extends pulumi.ComponentResource {
    readonly broker: LabHost;
    readonly client: LabHost;

    constructor(name: string, args: ExistingHostsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mqttlab:hosts:ExistingHosts", name, {}, opts);
        const make = (role: HostRole, address: string, hostKey: string): LabHost => ({
            role,
            address: pulumi.output(address),
            sshPort: args.sshPort ?? defaults.sshPort,
            user: args.user,
            hostKey: pulumi.output(hostKey),
            shell: systemdShell,
            instance: pulumi.output(`${args.user}@${address}:${args.sshPort ?? defaults.sshPort}`),
            connection: {
                host: address,
                port: args.sshPort ?? defaults.sshPort,
                user: args.user,
                privateKey: pulumi.secret(args.privateKey),
                hostKey,
                ...dialLimits,
            },
        });
        this.broker = make("broker", args.brokerAddress, args.brokerHostKey);
        this.client = make("client", args.clientAddress, args.clientHostKey);
        this.registerOutputs({ brokerAddress: this.broker.address, clientAddress: this.client.address });
    }
}

export interface ContainerHostsArgs {
    /** The base image built by image/substrate.sh (Debian with sshd, mosquitto, tshark). */
    readonly image: string;
    /** The private network's subnet; never one that overlaps the seed's 192.168.56.0/24. */
    readonly subnet: string;
    readonly brokerAddress: string;
    readonly clientAddress: string;
    /** Label put on everything this creates, so a sweep can find leftovers of a killed run. */
    readonly labName: string;
    /** Extra labels (a test run adds its own id). @default {} */
    readonly labels?: Record<string, string>;
}

/**
 * Two containers standing in for the seed's VMs, on a bridge network with a fixed subnet the
 * program creates. Host keys and the SSH client key are generated here, so the host key is pinned
 * from the first connection on.
 */
export class ContainerHosts extends pulumi.ComponentResource {
    readonly broker: LabHost;
    readonly client: LabHost;
    readonly network: docker.Network;
    /** The SSH client key the program generated for both containers (secret in state). */
    readonly clientPrivateKey: pulumi.Output<string>;

    constructor(name: string, args: ContainerHostsArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked before anything is declared: a bridge on the seed's network would cut its VMs off.
        const cidr = parseCidr(args.subnet);
        if (!cidr || cidrsOverlap(cidr, knownCidr(seedNetwork))) {
            throw new Error(
                `[subnet] "${args.subnet}" must be an IPv4 network in CIDR form that does not overlap ${seedNetwork}, the seed's VM network, such as 172.30.56.0/24.`,
            );
        }
        super("mqttlab:hosts:ContainerHosts", name, {}, opts);
        const labels = Object.entries({ "mqtt-lab": args.labName, ...(args.labels ?? {}) }).map(([label, value]) => ({ label, value }));

        // Why: an explicit subnet keeps Docker's default pools (which include 192.168.48.0/20) away.
        this.network = new docker.Network(
            `${name}-net`,
            {
                name: labNetworkName(args.labName),
                driver: "bridge",
                ipamConfigs: [{ subnet: args.subnet }],
                labels,
            },
            { parent: this },
        );

        // Why: one client key for both containers; its private half never leaves state (secret).
        const sshKey = new tls.PrivateKey(
            `${name}-ssh-client-key`,
            { algorithm: "ED25519" },
            { parent: this, additionalSecretOutputs: ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"] },
        );
        this.clientPrivateKey = sshKey.privateKeyOpenssh;

        const make = (role: HostRole, address: string): LabHost => {
            // Why: we generate the host key, so we know it before sshd ever answers: nothing to trust on first use.
            const hostKey = new tls.PrivateKey(
                `${name}-${role}-ssh-host-key`,
                { algorithm: "ED25519" },
                { parent: this, additionalSecretOutputs: ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"] },
            );
            const container = new docker.Container(
                `${name}-${role}`,
                {
                    name: `${args.labName}-${role}`,
                    hostname: role,
                    image: args.image,
                    networksAdvanced: [{ name: this.network.name, ipv4Address: address, aliases: [role] }],
                    // Docker's default capabilities dropped, only what sshd, mosquitto and the capture need added back
                    // (spelled as Docker reads them back, so a refresh sees no change: src/config/capabilities.ts).
                    capabilities: { drops: [...containerCapabilities.drops], adds: [...containerCapabilities.adds] },
                    uploads: [
                        { file: "/etc/ssh/ssh_host_ed25519_key", content: hostKey.privateKeyOpenssh },
                        { file: "/etc/ssh/ssh_host_ed25519_key.pub", content: hostKey.publicKeyOpenssh },
                        { file: "/root/.ssh/authorized_keys", content: sshKey.publicKeyOpenssh },
                    ],
                    // Uploads land 0644: the image's lab-init makes the host key 0600 before sshd starts,
                    // and serves only the injected key, so the pinned key is the one offered.
                    labels,
                    mustRun: true,
                    restart: "unless-stopped",
                },
                { parent: this, deleteBeforeReplace: true },
            );
            const host = container.networksAdvanced.apply((n) => n?.[0]?.ipv4Address ?? address);
            const pinned = hostKey.publicKeyOpenssh.apply((k) => k.trim());
            return {
                role,
                address: host,
                sshPort: 22,
                user: "root",
                hostKey: pinned,
                shell: containerShell,
                instance: container.id,
                connection: {
                    host,
                    port: 22,
                    user: "root",
                    privateKey: sshKey.privateKeyOpenssh,
                    hostKey: pinned,
                    ...dialLimits,
                },
            };
        };
        this.broker = make("broker", args.brokerAddress);
        this.client = make("client", args.clientAddress);
        this.registerOutputs({ network: this.network.name, brokerAddress: this.broker.address, clientAddress: this.client.address });
    }
}

/** What a component installs on a host: the scripts that put its files there and take them away. */
export interface HostFiles {
    /** Installs (and on update re-installs) the files; reads them from stdin. */
    readonly install: string;
    readonly remove: string;
    /** The files, as a bundle (secret). */
    readonly stdin: pulumi.Input<string>;
}

/**
 * The one way files reach a host: a remote command over the host's pinned connection, its stdin
 * secret and never logged, re-run when the install script changes, and replaced with the host
 * itself: a new machine at the same address (a replaced container) has none of our files, and
 * the old install's delete runs first, so it cannot remove what the new one wrote.
 */
export function hostFilesCommand(name: string, host: LabHost, files: HostFiles, parent: pulumi.Resource): command.remote.Command {
    return new command.remote.Command(
        name,
        {
            connection: host.connection,
            create: files.install,
            update: files.install,
            delete: files.remove,
            stdin: files.stdin,
            logging: "none",
            addPreviousOutputInEnv: false, // our scripts do not read it; sshd refuses it anyway
            triggers: [host.instance],
        },
        { parent, additionalSecretOutputs: ["stdin"], deleteBeforeReplace: true },
    );
}
