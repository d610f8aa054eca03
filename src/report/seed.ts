/**
 * What the seed (shared/seed/tp-securite-mqtt.md, a student's report of 31/05/2022) says, quoted
 * from its text: the values the lab report sets beside what the lab measured. Nothing here is
 * measured by the lab; where the seed does not say, the value says so.
 */

/** A certificate as the seed's `openssl x509 -text -noout` printed it. */
export interface SeedCert {
    version: string;
    subject: string;
    issuer: string;
    sans: string;
    key: string;
    signature: string;
    validity: string;
    ca: string;
}

export const seed = {
    date: "31/05/2022",
    broker: {
        version: "1 (0x0)",
        subject: "C = FR, ST = France, O = ISIS",
        issuer: "C = FR, ST = France, O = ISIS",
        sans: "—",
        key: "rsaEncryption, RSA Public-Key: (2048 bit)",
        signature: "sha256WithRSAEncryption",
        validity: "100 (Jun 1 15:17:29 2022 GMT → Sep 9 15:17:29 2022 GMT, `-days 100`)",
        ca: "—",
    } satisfies SeedCert,
    client: {
        version: "1 (0x0)",
        subject: "C = FR, ST = France, O = Internet Widgits Pty Ltd",
        issuer: "C = FR, ST = France, O = ISIS",
        sans: "—",
        key: "rsaEncryption, RSA Public-Key: (2048 bit)",
        signature: "sha256WithRSAEncryption",
        validity: "100 (Jun 1 15:20:29 2022 GMT → Sep 9 15:20:29 2022 GMT)",
        ca: "—",
    } satisfies SeedCert,
    openssl: "OpenSSL 1.1.1n 15 Mar 2022",
    /** The seed names no mosquitto version. */
    mosquitto: "",
    transfer: "scp",
    ports: "8883",
    clientError: "A TLS error occured",
    brokerError: "OpenSSL Error: error:14094418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca",
    workaround: "--insecure",
    tsharkOutput: "cheese/strudel",
    publish: 'mosquitto_pub -h 192.168.56.101 -m hello -t "cheese/strudel"',
    tsharkCommand: "tshark -Y mqtt -T fields -e mqtt.topic",
} as const;
