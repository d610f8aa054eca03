/**
 * Every default of the lab's configuration, in one table: config validation fills unset keys from
 * it, the components fall back to it, and test/unit/defaults.test.ts holds Pulumi.yaml (and the
 * README's configuration table) to it.
 */
import type { HostRole, HostSource, TlsVersion } from "./labConfig";
import type { KeyAlgorithm } from "../pki/keyAlgorithms";

export const defaults = {
    /** The port a plaintext listener (the teaching one, or mosquitto's default) uses. */
    plaintextPort: 1883,
    hostSource: "containers" as HostSource,
    subnet: "172.30.56.0/24",
    brokerDnsName: "broker.mqtt-lab.internal",
    sshPort: 22,
    tlsPort: 8883,
    tlsVersion: "tlsv1.2" as TlsVersion,
    pki: {
        algorithm: "ECDSA" as KeyAlgorithm,
        rsaBits: 3072,
        ecdsaCurve: "P256",
        caValidityHours: 24 * 365 * 2,
        leafValidityHours: 24 * 100, // the seed's 100 days
        earlyRenewalHours: 24 * 14,
        caGeneration: 1,
        trustedCaGenerations: [] as number[],
        leafRotation: 0,
    },
    clients: [{ name: "client-a", topics: ["#"], host: "client" as HostRole }],
    teaching: { enabled: false, port: 1883 as number, username: "student", mountPoint: "teaching/", sharedWithTls: false },
    takeOverConfFiles: false,
    minCertDaysLeft: 7,
    maxLeafValidityHours: 24 * 398, // what browsers accept; a lab needs no more
    labName: "mqtt-lab",
};
