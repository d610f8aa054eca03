/**
 * Resources shaped like the ones the program declares (src/components/pki.ts, hosts.ts, broker.ts)
 * and like the seed's insecure setup, for the policy tests. Checked against what the engine
 * handed a dumping policy pack during previews of the lab and dev stacks (CLI 3.248), first with
 * stand-in plugins, then again with the real tls, command and docker plugins of
 * toolchain/ on a deployed lab: names, property names, `bash -c '...'` scripts,
 * `connection` wholly unknown for containers before they exist, and propertyDependencies as used
 * below. The tls provider's Check fills its defaults (rsaBits 2048, ecdsaCurve P224) whatever the
 * algorithm, so the keys here carry them. At preview, outputs such as certPem are
 * `unknownValue`; `issued: true` gives real certificates.
 */
import { renderAcl, renderBrokerConf } from "../../src/mosquitto/conf";
import { asRootScript, brokerApplyScript, brokerRemoveScript, containerShell } from "../../src/remote/hostScripts";
import { StackResourceSpec, unknownValue } from "./policyUtil";

export const types = {
    privateKey: "tls:index/privateKey:PrivateKey",
    selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
    certRequest: "tls:index/certRequest:CertRequest",
    locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
    remoteCommand: "command:remote:Command",
    copyToRemote: "command:remote:CopyToRemote",
    localCommand: "command:local:Command",
} as const;

/**
 * Certificates made once with OpenSSL 3.0 (valid 2026-11-25 to 2036-11-22): the lab's CA
 * (P-256, CA:TRUE, keyCertSign) and server certificate (SANs DNS:broker.mqtt-lab.internal,
 * IP:172.30.56.10); the seed's X.509 v1 "CA" and leaf, both subject CN=broker, RSA 1024.
 */
export const pem = {
    labCa: `-----BEGIN CERTIFICATE-----
MIIB0TCCAXegAwIBAgIUFjU1ZJP8ZSVyuVnZZau3pq3UwwwwCgYIKoZIzj0EAwIw
NjERMA8GA1UECgwIbXF0dC1sYWIxITAfBgNVBAMMGG1xdHQtbGFiIENBIGdlbmVy
YXRpb24gMTAeFw0yNjExMjUxMTUwNTZaFw0zNjExMjIxMTUwNTZaMDYxETAPBgNV
BAoMCG1xdHQtbGFiMSEwHwYDVQQDDBhtcXR0LWxhYiBDQSBnZW5lcmF0aW9uIDEw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASbvLlHLfZNeZPw1V8mM44udqUe3p5j
7K2/ZGtUALXu8KBnNlqj4pDBP2iQLY1g3av0elBZP0JF21OUmtbWPhqTo2MwYTAf
BgNVHSMEGDAWgBQxqIiRL/5/oAdJ20r5t9V/d/s9AjAPBgNVHRMBAf8EBTADAQH/
MA4GA1UdDwEB/wQEAwIBhjAdBgNVHQ4EFgQUMaiIkS/+f6AHSdtK+bfVf3f7PQIw
CgYIKoZIzj0EAwIDSAAwRQIhAJN8hAb/udw2IP8+5ni9DBQKA+JY9WOaqsJW0/ts
3bOFAiAQYg9cxojpK8lTln3ND0IdHHPuVGruXUdCVTXbVq3z9Q==
-----END CERTIFICATE-----
`,
    labServer: `-----BEGIN CERTIFICATE-----
MIICHjCCAcSgAwIBAgIUKWUz4k3jM6FQecjx1Q5UjEOI57cwCgYIKoZIzj0EAwIw
NjERMA8GA1UECgwIbXF0dC1sYWIxITAfBgNVBAMMGG1xdHQtbGFiIENBIGdlbmVy
YXRpb24gMTAeFw0yNjExMjUxMTUwNTZaFw0zNjExMjIxMTUwNTZaMEcxETAPBgNV
BAoMCG1xdHQtbGFiMQ8wDQYDVQQLDAZicm9rZXIxITAfBgNVBAMMGGJyb2tlci5t
cXR0LWxhYi5pbnRlcm5hbDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABILw1dJO
4IVkmdojKo3hQ2hvT02Sna13RXrqIxwJwq1qtkfSRl8qInvEMYDDlwlFp39+fcoz
MFj8A1gyUD+xtO2jgZ4wgZswCQYDVR0TBAIwADAOBgNVHQ8BAf8EBAMCBaAwEwYD
VR0lBAwwCgYIKwYBBQUHAwEwKQYDVR0RBCIwIIIYYnJva2VyLm1xdHQtbGFiLmlu
dGVybmFshwSsHjgKMB8GA1UdIwQYMBaAFDGoiJEv/n+gB0nbSvm31X93+z0CMB0G
A1UdDgQWBBS9jDPUrHEz42+XoCSavgPxP0W2jzAKBggqhkjOPQQDAgNIADBFAiEA
uBcBsqT0iCzM9N+/YSEW4k3lQcQV0xvSwJtQCpZciqICICsYpIk4rKK9mv3ckZtB
1/ISmXX9CwNk+LXYnuNkeJDY
-----END CERTIFICATE-----
`,
    seedCa: `-----BEGIN CERTIFICATE-----
MIIBpDCCAQ0CFBqZbe6DG3Cx4LKxuMHTSEzbbpxYMA0GCSqGSIb3DQEBCwUAMBEx
DzANBgNVBAMMBmJyb2tlcjAeFw0yNjExMjUxMTUwNTZaFw0zNjExMjIxMTUwNTZa
MBExDzANBgNVBAMMBmJyb2tlcjCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkCgYEA
28U6U5oR7BolM/hvlOQvkAZ5N+jOLhNuHYYzyjm6d5yQ8FFWUJ5bUVE1fpXEF80v
tUDoc/f5sc4CW/42gGdMjq0BtyzcvsUzE4mE0n3MBaIGzu6Mys7GYY7Qv5LNldve
unhFlwhso5XBaq/L12Z+KFkJq7T/zMQDVyp/kdEXCkECAwEAATANBgkqhkiG9w0B
AQsFAAOBgQANNsAbBpc2xycQgezCrUMpkUoU7LGwXiyfH/R6KTCRSdev0iAQ8HVR
mrRMTRqC733/dkw2v7AUraAPyU4kqeZyeoF3JjsYzn6DJ6Lq/btC2r0Z3Gyl5MBa
GdWviwi1u8rp3kerY1h1SoJ1bAMpbTO5NMvLcNskPp0MhYtnKAUFNA==
-----END CERTIFICATE-----
`,
    seedLeaf: `-----BEGIN CERTIFICATE-----
MIIBpDCCAQ0CFCiPWsNwWVNPBhWNUecp5w7f3kE+MA0GCSqGSIb3DQEBCwUAMBEx
DzANBgNVBAMMBmJyb2tlcjAeFw0yNjExMjUxMTUwNTZaFw0zNjExMjIxMTUwNTZa
MBExDzANBgNVBAMMBmJyb2tlcjCBnzANBgkqhkiG9w0BAQEFAAOBjQAwgYkCgYEA
uBubhvTLjeLqlP73BzBBYiB9wInuGC4RtjUNQ2zaufvCqNcMHIjlQC2yF18l1LBY
1sFVq7bcgfYVunDMayYusJ48uprM4HiKDKQ+azkPcamqLpXq7hXE++rNqFmsXGUJ
3L7wVNGvG20p6M3kwqrkG6Svx1T9g8nTTprxki2mqQECAwEAATANBgkqhkiG9w0B
AQsFAAOBgQA2YLM+6R28ULwbzXjEPpZ/vhEDRek/11nqRxCjkispe/L3QORxEpTh
SN1aGWUEix7HA9eAIKqBxV329uB8ef5Ap4ahjB5O6XuH74i1Ix+uHzGD9BLg1ot0
JXPVnY2RfL0Vhzyf5hHamb3VSnbLf8HVKabyhBb79PFuWH7rYsq7eA==
-----END CERTIFICATE-----
`,
};

export const brokerAddress = "172.30.56.10";
export const brokerDnsName = "broker.mqtt-lab.internal";
export const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ3mCk5sRZJbVjG0DzLJwq8mUwq7CqUq1d8Qb1yYlV7b";

/** The conf and ACL the program renders for the dev stack (defaults, no teaching listener). */
export const labConf = renderBrokerConf({ owner: "mqtt-lab/dev", tlsPort: 8883, tlsVersion: "tlsv1.2", trust: "cafile" });
export const labAcl = renderAcl([{ name: "client-a", topics: ["lab/client-a/#"], host: "client" }]);
/** With the teaching listener: plaintext, password only. */
export const teachingConf = renderBrokerConf({
    owner: "mqtt-lab/dev",
    tlsPort: 8883,
    tlsVersion: "tlsv1.3",
    trust: "capath",
    teaching: { port: 1883, username: "student", bindAddress: brokerAddress, mountPoint: "teaching/" },
});

/** The shared SSH connection of src/components/hosts.ts, pinned host key included. */
export function connection(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        host: brokerAddress,
        port: 22,
        user: "root",
        privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\n(test key)\n-----END OPENSSH PRIVATE KEY-----\n",
        hostKey,
        dialErrorLimit: 15,
        perDialTimeout: 2,
        ...overrides,
    };
}

/**
 * The broker component's apply command (src/components/broker.ts): conf and ACL embedded as heredocs
 * in `bash -c '...'` (create and update), certificates on stdin (unknown at preview).
 */
export function applyCommand(conf: string = labConf, acl: string = labAcl, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const script = asRootScript(
        containerShell,
        brokerApplyScript({
            shell: containerShell,
            conf,
            acl,
            tlsPort: 8883,
            takeOverConfFiles: false,
            withPasswords: false,
        }),
    );
    return {
        connection: connection(),
        create: script,
        update: script,
        delete: asRootScript(containerShell, brokerRemoveScript(containerShell)),
        stdin: unknownValue,
        logging: "none",
        addPreviousOutputInEnv: true,
        ...overrides,
    };
}

/** The other convention: a command with the conf (and ACL) in its environment (`acl` null: none sent). */
export function confCommand(conf: string, acl: string | null = labAcl, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        connection: connection(),
        create: 'set -eu; umask 027; printf "%s" "$MQTTLAB_CONF" > /etc/mosquitto/conf.d/mqtt-lab.conf; printf "%s" "$MQTTLAB_ACL" > /etc/mosquitto/mqtt-lab/acl; pkill -HUP -x mosquitto',
        environment: acl === null ? { MQTTLAB_CONF: conf } : { MQTTLAB_CONF: conf, MQTTLAB_ACL: acl },
        logging: "none",
        addPreviousOutputInEnv: true,
        triggers: ["sha256:conf", "sha256:acl"],
        ...overrides,
    };
}

function key(name: string, algorithm: string, extra: Record<string, unknown> = {}): StackResourceSpec {
    return {
        type: types.privateKey,
        name,
        props: {
            algorithm,
            rsaBits: 2048,
            ecdsaCurve: "P224",
            ...extra,
            privateKeyPem: unknownValue,
            publicKeyPem: unknownValue,
            publicKeyOpenssh: unknownValue,
        },
    };
}

export interface PkiOptions {
    issued?: boolean;
    caProps?: Record<string, unknown>;
    serverCsrProps?: Record<string, unknown>;
    serverCertProps?: Record<string, unknown>;
}

/** The lab's PKI as src/components/pki.ts declares it (ECDSA P-256, CA generation 1). */
export function labPki(o: PkiOptions = {}): StackResourceSpec[] {
    const issued = (p: string) => (o.issued ? p : unknownValue);
    const leaf = "r0-e241-v2400";
    return [
        key("lab-ca-key-g1", "ECDSA", { ecdsaCurve: "P256" }),
        {
            type: types.selfSignedCert,
            name: "lab-ca-g1",
            props: {
                privateKeyPem: unknownValue,
                isCaCertificate: true,
                setSubjectKeyId: true,
                setAuthorityKeyId: false,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                subject: { commonName: "mqtt-lab CA generation 1", organization: "mqtt-lab" },
                validityPeriodHours: 17520,
                earlyRenewalHours: 0,
                certPem: issued(pem.labCa),
                ...o.caProps,
            },
            propertyDependencies: { privateKeyPem: ["lab-ca-key-g1"] },
        },
        key(`lab-broker-key-g1-${leaf}`, "ECDSA", { ecdsaCurve: "P256" }),
        {
            type: types.certRequest,
            name: `lab-broker-csr-g1-${leaf}`,
            props: {
                privateKeyPem: unknownValue,
                subject: { commonName: brokerDnsName, organization: "mqtt-lab", organizationalUnit: "broker" },
                dnsNames: [brokerDnsName],
                ipAddresses: [brokerAddress],
                certRequestPem: unknownValue,
                ...o.serverCsrProps,
            },
            propertyDependencies: { privateKeyPem: [`lab-broker-key-g1-${leaf}`] },
        },
        {
            type: types.locallySignedCert,
            name: `lab-broker-cert-g1-${leaf}`,
            props: {
                certRequestPem: unknownValue,
                caCertPem: unknownValue,
                caPrivateKeyPem: unknownValue,
                isCaCertificate: false,
                setSubjectKeyId: true,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                validityPeriodHours: 2400,
                earlyRenewalHours: 336,
                certPem: issued(pem.labServer),
                ...o.serverCertProps,
            },
            propertyDependencies: { certRequestPem: [`lab-broker-csr-g1-${leaf}`], caCertPem: ["lab-ca-g1"], caPrivateKeyPem: ["lab-ca-key-g1"] },
        },
    ];
}

/** The seed's PKI as resources: a v1-style "CA" (not a CA) and a leaf with its subject, RSA 1024. */
export function seedPki(o: { issued?: boolean } = {}): StackResourceSpec[] {
    const issued = (p: string) => (o.issued ? p : unknownValue);
    return [
        key("seed-ca-key", "RSA", { rsaBits: 1024 }),
        {
            type: types.selfSignedCert,
            name: "seed-ca",
            props: {
                privateKeyPem: unknownValue,
                isCaCertificate: false,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                subject: { commonName: "broker" },
                validityPeriodHours: 87600,
                certPem: issued(pem.seedCa),
            },
            propertyDependencies: { privateKeyPem: ["seed-ca-key"] },
        },
        key("seed-broker-key", "RSA", { rsaBits: 1024 }),
        {
            type: types.certRequest,
            name: "seed-broker-csr",
            props: { privateKeyPem: unknownValue, subject: { commonName: "broker" }, certRequestPem: unknownValue },
            propertyDependencies: { privateKeyPem: ["seed-broker-key"] },
        },
        {
            type: types.locallySignedCert,
            name: "seed-broker-cert",
            props: {
                certRequestPem: unknownValue,
                caCertPem: unknownValue,
                caPrivateKeyPem: unknownValue,
                isCaCertificate: false,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                validityPeriodHours: 2400,
                certPem: issued(pem.seedLeaf),
            },
            propertyDependencies: { certRequestPem: ["seed-broker-csr"], caCertPem: ["seed-ca"], caPrivateKeyPem: ["seed-ca-key"] },
        },
    ];
}

/** The seed's anonymous plaintext listener plus a TLS listener without require_certificate. */
export const seedConf =
    "listener 1883\nallow_anonymous true\n\nlistener 8883\ncafile /etc/mosquitto/ca.crt\ncertfile /etc/mosquitto/broker.crt\nkeyfile /etc/mosquitto/broker.key\n";
