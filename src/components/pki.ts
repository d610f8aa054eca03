import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { ClientIdentity, PkiConfig } from "../config/labConfig";
import { isIpv4 } from "../config/net";
import { caCommonName, leafGeneration } from "../pki/renewal";
import { CertificateRevocationList } from "../pki/crl";
import { RevokedLeaf } from "../pki/revocation";
import { composeScript } from "../remote/compose";

/** A certificate and its key, the key a secret. */
export interface IssuedCert {
    certPem: pulumi.Output<string>;
    privateKeyPem: pulumi.Output<string>;
}

export interface PkiArgs {
    /** Algorithm, key size, validity, renewal and rotation counters (validated config). */
    readonly pki: PkiConfig;
    /** Organisation in every subject. */
    readonly labName: string;
    /** The broker's address and DNS name: both go in the server certificate's SANs. */
    readonly brokerAddress: pulumi.Input<string>;
    readonly brokerDnsName: string;
    /** One client certificate each; the CN is the identity, which mosquitto uses as the user name. */
    readonly clients: readonly ClientIdentity[];
    /** Identities marked `revoked: true`: still issued (the refusal check presents them), listed in the CRL. */
    readonly revokedClients?: readonly ClientIdentity[];
    /** The renewal window "now" falls in (src/pki/renewal.ts renewalEpoch), computed by the caller. */
    readonly renewalEpoch: number;
}

const keySecrets = { additionalSecretOutputs: ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"] };

/**
 * The lab's certificate authority and the certificates it signs: proper X.509 v3, where the
 * seed had a v1 "CA" sharing its subject with the broker certificate (`tlsv1 alert unknown ca`).
 */
export class Pki extends pulumi.ComponentResource {
    /** The signing CA's certificate. */
    readonly caCertPem: pulumi.Output<string>;
    /** The signing CA's key (secret): the refusal checks forge an expired certificate with it, locally. */
    readonly caPrivateKeyPem: pulumi.Output<string>;
    /** Every trusted CA, by generation (two during a CA rotation). */
    readonly trustedCas: { generation: number; certPem: pulumi.Output<string> }[];
    /** The trusted CAs as one PEM bundle: what clients verify the broker against. */
    readonly trustBundlePem: pulumi.Output<string>;
    readonly server: IssuedCert;
    readonly clients: Record<string, IssuedCert>;
    /** The certificates of the identities marked `revoked: true`, by name. */
    readonly revokedClients: Record<string, IssuedCert>;
    /** One CRL per trusted CA generation, concatenated: what the broker's `crlfile` reads. */
    readonly crlPem: pulumi.Output<string>;
    /** What the CRLs list, every generation's. */
    readonly revokedLeaves: pulumi.Output<(RevokedLeaf & { generation: number })[]>;

    constructor(name: string, args: PkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mqttlab:pki:Pki", name, {}, opts);
        const p = args.pki;
        const keyArgs: tls.PrivateKeyArgs = {
            algorithm: p.algorithm,
            ...(p.algorithm === "RSA" ? { rsaBits: p.rsaBits } : {}),
            ...(p.algorithm === "ECDSA" ? { ecdsaCurve: p.ecdsaCurve } : {}),
        };
        const gen = `g${p.caGeneration}`;

        // Why: the CA's generation is in its name and subject, so a CA rotation is a new CA beside the old.
        const makeCa = (generation: number) => {
            const key = new tls.PrivateKey(`${name}-ca-key-g${generation}`, keyArgs, { parent: this, ...keySecrets });
            const cert = new tls.SelfSignedCert(
                `${name}-ca-g${generation}`,
                {
                    privateKeyPem: key.privateKeyPem,
                    isCaCertificate: true,
                    setSubjectKeyId: true,
                    allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                    subject: { commonName: caCommonName(args.labName, generation), organization: args.labName },
                    validityPeriodHours: p.caValidityHours,
                },
                { parent: this },
            );
            return { generation, key, cert };
        };
        // The signing CA is always trusted; during a CA rotation the other generation is trusted too.
        const generations = [...new Set([...p.trustedCaGenerations, p.caGeneration])].sort((a, b) => a - b);
        const cas = generations.map(makeCa);
        const signing = cas.find((c) => c.generation === p.caGeneration);
        if (!signing) throw new Error(`pki.caGeneration ${p.caGeneration} is not among the generations made (${generations.join(", ")})`);
        const ca = signing.cert;
        const caKey = signing.key;
        this.caCertPem = ca.certPem;
        this.caPrivateKeyPem = pulumi.secret(caKey.privateKeyPem);
        this.trustedCas = cas.map((c) => ({ generation: c.generation, certPem: c.cert.certPem }));
        this.trustBundlePem = pulumi.all(cas.map((c) => c.cert.certPem)).apply((pems) => pems.map((x) => x.trim()).join("\n") + "\n");

        const leafSuffix = leafGeneration(p.leafRotation, args.renewalEpoch, p.leafValidityHours);
        const issue = (leafName: string, subject: tls.types.input.CertRequestSubject, uses: string[], sans: Partial<tls.CertRequestArgs>): IssuedCert => {
            // Why: the generation suffix in the names makes a renewal a new key and certificate, created before the old go.
            const key = new tls.PrivateKey(`${name}-${leafName}-key-${gen}-${leafSuffix}`, keyArgs, { parent: this, ...keySecrets });
            const csr = new tls.CertRequest(
                `${name}-${leafName}-csr-${gen}-${leafSuffix}`,
                {
                    privateKeyPem: key.privateKeyPem,
                    subject,
                    ...sans,
                },
                { parent: this },
            );
            const cert = new tls.LocallySignedCert(
                `${name}-${leafName}-cert-${gen}-${leafSuffix}`,
                {
                    certRequestPem: csr.certRequestPem,
                    caCertPem: ca.certPem,
                    caPrivateKeyPem: caKey.privateKeyPem,
                    isCaCertificate: false,
                    setSubjectKeyId: true,
                    allowedUses: uses,
                    validityPeriodHours: p.leafValidityHours,
                    earlyRenewalHours: p.earlyRenewalHours,
                },
                { parent: this },
            );
            return { certPem: cert.certPem, privateKeyPem: pulumi.secret(key.privateKeyPem) };
        };

        const brokerAddress = pulumi.output(args.brokerAddress);
        this.server = issue(
            "broker",
            { commonName: args.brokerDnsName, organization: args.labName, organizationalUnit: "broker" },
            ["digital_signature", "key_encipherment", "server_auth"],
            {
                dnsNames: brokerAddress.apply((a) => [args.brokerDnsName, ...(isIpv4(a) ? [] : [a])]),
                ipAddresses: brokerAddress.apply((a) => (isIpv4(a) ? [a] : [])),
            },
        );
        this.clients = {};
        for (const c of args.clients) {
            this.clients[c.name] = issue(
                `client-${c.name}`,
                { commonName: c.name, organization: args.labName, organizationalUnit: "clients" },
                ["digital_signature", "key_encipherment", "client_auth"],
                {},
            );
        }
        this.revokedClients = {};
        for (const c of args.revokedClients ?? []) {
            this.revokedClients[c.name] = issue(
                `client-${c.name}`,
                { commonName: c.name, organization: args.labName, organizationalUnit: "clients" },
                ["digital_signature", "key_encipherment", "client_auth"],
                {},
            );
        }

        // Why: with a crlfile, OpenSSL wants a CRL from every CA a client certificate may chain to,
        // so each trusted generation has one (a CA kept during a rotation lists what it revoked).
        const activeNames = ["broker", ...args.clients.map((c) => c.name)];
        const crlScript = composeScript("crl", {});
        const crls = cas.map(
            (c) =>
                new CertificateRevocationList(
                    `${name}-crl-g${c.generation}`,
                    {
                        generation: c.generation,
                        caCertPem: c.cert.certPem,
                        caPrivateKeyPem: c.key.privateKeyPem,
                        script: crlScript,
                        activeNames,
                        active:
                            c.generation === p.caGeneration
                                ? [
                                      { name: "broker", certPem: this.server.certPem },
                                      ...args.clients.map((x) => ({ name: x.name, certPem: this.clients[x.name].certPem })),
                                  ]
                                : [],
                        revoked: c.generation === p.caGeneration ? Object.entries(this.revokedClients).map(([n, x]) => ({ name: n, certPem: x.certPem })) : [],
                    },
                    { parent: this },
                ),
        );
        this.crlPem = pulumi.all(crls.map((c) => c.crlPem)).apply((pems) => pems.map((x) => x.trim()).join("\n") + "\n");
        this.revokedLeaves = pulumi
            .all(crls.map((c) => c.revokedLeaves))
            .apply((lists) => lists.flatMap((l, i) => l.map((r) => ({ ...r, generation: cas[i].generation }))));
        this.registerOutputs({ caCertPem: this.caCertPem, trustBundlePem: this.trustBundlePem, serverCertPem: this.server.certPem });
    }
}
