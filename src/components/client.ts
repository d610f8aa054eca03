import * as pulumi from "@pulumi/pulumi";
import { clientDir, clientInstallScript, clientRemoveScript, renderBundle } from "../remote/hostScripts";
import { hostFilesCommand, LabHost } from "./hosts";
import { IssuedCert } from "./pki";

export interface ClientArgs {
    /** The host this identity lives on. */
    readonly host: LabHost;
    /** The certificate CN: the MQTT user name the broker sees. */
    readonly identity: string;
    readonly caCertPem: pulumi.Input<string>;
    readonly cert: IssuedCert;
    /** Changes when drift was seen on the host (src/components/drift.ts): the install runs again. @default "" */
    readonly repairToken?: pulumi.Input<string>;
}

/** One client identity's CA, certificate and key on its host: 0600 files in a 0700 directory. */
export class Client extends pulumi.ComponentResource {
    /** Directory of the files on the host, relative to the SSH user's home. */
    readonly dir: string;
    readonly installed: pulumi.Output<string>;

    constructor(name: string, args: ClientArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mqttlab:client:Client", name, {}, opts);
        this.dir = clientDir(args.identity);
        const bundle = pulumi.secret(
            pulumi
                .all([args.caCertPem, args.cert.certPem, args.cert.privateKeyPem, args.repairToken ?? ""])
                // `repair` is not installed: its change (a drift seen) is what makes `update` run the install again.
                .apply(([ca, cert, key, repair]) =>
                    renderBundle({ "ca.crt": ca, "client.crt": cert, "client.key": key, ...(repair ? { repair: `${repair}\n` } : {}) }),
                ),
        );
        const install = hostFilesCommand(
            `${name}-install`,
            args.host,
            { install: clientInstallScript(args.identity), remove: clientRemoveScript(args.identity), stdin: bundle },
            this,
        );
        this.installed = install.stdout;
        this.registerOutputs({ installed: this.installed });
    }
}
