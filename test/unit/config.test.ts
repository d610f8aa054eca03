import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, judgeMountPoint, judgeTopicFilter, LabSecrets, RawConfig, validateLabConfig } from "../../src/config/labConfig";

const image = "mqtt-lab/substrate:bookworm";
/** The smallest valid containers config: only the image has no default. */
const containers: RawConfig = { image };
/** The seed's dev stack: two VMs on the host-only network, reached as olivier. */
const seedDev: RawConfig = { hostSource: "existing", brokerAddress: "192.168.56.101", clientAddress: "192.168.56.102", sshUser: "olivier" };

/** A teaching password that passes: what most cases hand in, so each case is about its own key. */
const goodSecrets: LabSecrets = { teachingPassword: "a-long-enough-pw" };

/** The problems a config is refused for; fails the test when it is accepted. */
function problemsOf(raw: RawConfig, secrets: LabSecrets = goodSecrets): string[] {
    try {
        validateLabConfig(raw, secrets);
    } catch (e) {
        assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
        return e.problems;
    }
    assert.fail(`expected ${JSON.stringify(raw)} to be refused`);
}

interface BadCase {
    why: string;
    raw: RawConfig;
    /** The config key the problem must name, as `[mqtt-lab:<key>]`. */
    key: string;
    /** A substring of that same problem: what is allowed, or the fix. */
    says: string;
    /** How many problems the config yields in all. @default 1 */
    count?: number;
    /** The secrets handed in. @default goodSecrets */
    secrets?: LabSecrets;
}

/**
 * The refused configs, one case a row, checked by one loop ("refuses bad input" below). Prettier
 * wraps a long row over four lines (why, raw, key, says), so runs of rows of the same shape stand
 * twice in this table and `duplicates` pairs them: that is data alike, not code repeated. Grouping
 * rows by key or as tuples was tried and paired more, so the table stays as it is.
 */
const bad: BadCase[] = [
    // host source and addresses
    { why: "an unknown host source", raw: { ...containers, hostSource: "vagrant" }, key: "hostSource", says: "allowed: containers, existing" },
    {
        why: "a broker address with an octet over 255 (containers)",
        raw: { ...containers, brokerAddress: "172.30.56.300" },
        key: "brokerAddress",
        says: "allowed: an IPv4 address inside [mqtt-lab:subnet]",
    },
    {
        why: "a dotted quad that is no address (containers)",
        raw: { ...containers, clientAddress: "300.1.1.1" },
        key: "clientAddress",
        says: "allowed: an IPv4 address inside",
    },
    {
        why: "a DNS name for a container, which needs a fixed address",
        raw: { ...containers, brokerAddress: "broker.example" },
        key: "brokerAddress",
        says: "allowed: an IPv4 address inside",
    },
    {
        why: "a dotted quad that is no address (existing)",
        raw: { ...seedDev, brokerAddress: "300.1.1.1" },
        key: "brokerAddress",
        says: "allowed: an IPv4 address or a DNS name",
    },
    {
        why: "a host name with characters DNS does not allow",
        raw: { ...seedDev, clientAddress: "client_vm!" },
        key: "clientAddress",
        says: "allowed: an IPv4 address or a DNS name",
    },
    {
        why: "a broker address outside the subnet",
        raw: { ...containers, brokerAddress: "10.1.2.3" },
        key: "brokerAddress",
        says: "is outside [mqtt-lab:subnet] 172.30.56.0/24; allowed: a host address inside it",
    },
    {
        why: "the subnet's gateway as a host",
        raw: { ...containers, clientAddress: "172.30.56.1" },
        key: "clientAddress",
        says: "network, gateway or broadcast address",
    },
    {
        why: "the subnet's broadcast address as a host",
        raw: { ...containers, brokerAddress: "172.30.56.255" },
        key: "brokerAddress",
        says: "network, gateway or broadcast address",
    },
    {
        why: "the broker and client on one address",
        raw: { ...containers, brokerAddress: "172.30.56.20", clientAddress: "172.30.56.20" },
        key: "clientAddress",
        says: "equals [mqtt-lab:brokerAddress] (172.30.56.20); the lab needs two distinct hosts",
    },
    {
        why: "the broker moved onto the client's default address",
        raw: { ...containers, brokerAddress: "172.30.56.11" },
        key: "clientAddress",
        says: "the lab needs two distinct hosts",
    },
    {
        why: "two existing hosts with one address",
        raw: { ...seedDev, clientAddress: "192.168.56.101" },
        key: "clientAddress",
        says: "the lab needs two distinct hosts",
    },
    {
        why: "existing hosts without a broker address",
        raw: { hostSource: "existing", clientAddress: "192.168.56.102", sshUser: "olivier" },
        key: "brokerAddress",
        says: "is required: the host's IPv4 address or DNS name",
    },
    {
        why: "existing hosts without an ssh user",
        raw: { hostSource: "existing", brokerAddress: "192.168.56.101", clientAddress: "192.168.56.102" },
        key: "sshUser",
        says: "is required: the Unix user ssh logs in as",
    },
    {
        why: "three trusted CA generations",
        raw: { ...containers, pki: { caGeneration: 2, trustedCaGenerations: [1, 2, 3] } },
        key: "pki.trustedCaGenerations",
        says: "allowed: one or two distinct CA generations",
    },
    {
        why: "a trusted CA generation list without the signing CA",
        raw: { ...containers, pki: { caGeneration: 3, trustedCaGenerations: [1, 2] } },
        key: "pki.trustedCaGenerations",
        says: "does not include [mqtt-lab:pki.caGeneration] 3: the CA that signs must be trusted",
    },
    {
        why: "a repeated trusted CA generation",
        raw: { ...containers, pki: { trustedCaGenerations: [1, 1] } },
        key: "pki.trustedCaGenerations",
        says: "allowed: one or two distinct CA generations",
    },
    { why: "a subnet given for existing hosts", raw: { ...seedDev, subnet: "172.30.56.0/24" }, key: "subnet", says: `only applies to hostSource "containers"` },
    { why: "containers without an image", raw: {}, key: "image", says: "is required: the base image built by image/substrate.sh" },
    {
        why: "an ssh user that is not a Unix user name",
        raw: { ...seedDev, sshUser: "Olivier Smith" },
        key: "sshUser",
        says: "allowed: a Unix user name such as olivier",
    },
    {
        why: "an IP address as the broker's DNS name",
        raw: { ...containers, brokerDnsName: "1.2.3.4" },
        key: "brokerDnsName",
        says: "allowed: a DNS name such as broker.lab.internal",
    },
    {
        why: "a broker DNS name with a label starting with a hyphen",
        raw: { ...containers, brokerDnsName: "-broker.lab" },
        key: "brokerDnsName",
        says: "allowed: a DNS name",
    },

    // subnet
    {
        why: "a subnet covering the seed's network",
        raw: { ...containers, subnet: "192.168.0.0/16" },
        key: "subnet",
        says: "overlaps 192.168.56.0/24, the seed's VM network; allowed: a private range that does not",
    },
    { why: "the seed's network itself", raw: { ...containers, subnet: "192.168.56.0/24" }, key: "subnet", says: "overlaps 192.168.56.0/24" },
    { why: "half of the seed's network", raw: { ...containers, subnet: "192.168.56.128/25" }, key: "subnet", says: "overlaps 192.168.56.0/24" },
    {
        why: "Docker's default pool that holds the seed's network",
        raw: { ...containers, subnet: "192.168.48.0/20" },
        key: "subnet",
        says: "overlaps 192.168.56.0/24",
    },
    {
        why: "a subnet with host bits set",
        raw: { ...containers, subnet: "172.30.56.1/24" },
        key: "subnet",
        says: "is not a network address (host bits are set); allowed: the network address itself, here 172.30.56.0/24",
    },
    { why: "a subnet that is no CIDR", raw: { ...containers, subnet: "172.30.56.0" }, key: "subnet", says: "allowed: an IPv4 CIDR such as 172.30.56.0/24" },
    { why: "a subnet too large", raw: { ...containers, subnet: "10.0.0.0/8" }, key: "subnet", says: "has prefix /8; allowed: /16 to /28" },
    // /29 is too small, and the default .10/.11 fall outside it: three problems.
    {
        why: "a subnet too small to hold the default addresses",
        raw: { ...containers, subnet: "172.30.56.0/29" },
        key: "subnet",
        says: "allowed: /16 to /28",
        count: 3,
    },

    // ports and TLS
    { why: "TLS port 0", raw: { ...containers, tlsPort: 0 }, key: "tlsPort", says: "allowed: a TCP port from 1 to 65535" },
    { why: "TLS port 65536", raw: { ...containers, tlsPort: 65536 }, key: "tlsPort", says: "allowed: a TCP port from 1 to 65535" },
    { why: "a TLS port that is not a number", raw: { ...containers, tlsPort: "eighty" }, key: "tlsPort", says: "allowed: a TCP port from 1 to 65535" },
    { why: "a fractional ssh port", raw: { ...containers, sshPort: 22.5 }, key: "sshPort", says: "allowed: a TCP port from 1 to 65535" },
    {
        why: "a teaching port out of range",
        raw: { ...containers, teachingListener: { enabled: true, port: 70000 } },
        key: "teachingListener.port",
        says: "allowed: a TCP port from 1 to 65535",
    },
    {
        why: "the teaching listener on the TLS port",
        raw: { ...containers, teachingListener: { enabled: true, port: 8883 } },
        key: "teachingListener.port",
        says: "is also [mqtt-lab:tlsPort]; allowed: another port, such as 1883",
    },
    {
        why: "the teaching listener on a moved TLS port",
        raw: { ...containers, tlsPort: 9000, teachingListener: { enabled: true, port: "9000" } },
        key: "teachingListener.port",
        says: "allowed: another port",
    },
    {
        why: "a teaching user that is also a certificate identity",
        raw: { ...containers, clients: [{ name: "student" }], teachingListener: { enabled: true } },
        key: "teachingListener.username",
        says: "is also a client identity; allowed: a name no certificate carries",
    },
    {
        why: "a teaching user name with a space",
        raw: { ...containers, teachingListener: { username: "a student" } },
        key: "teachingListener.username",
        says: "allowed: 1 to 64 letters, digits",
    },
    {
        why: "a teaching switch that is not a boolean",
        raw: { ...containers, teachingListener: { enabled: "on" } },
        key: "teachingListener.enabled",
        says: "allowed: true or false",
    },
    {
        why: "a teaching listener without a password",
        raw: { ...containers, teachingListener: { enabled: true } },
        key: "teachingPassword",
        says: "is required when [mqtt-lab:teachingListener.enabled] is true (pulumi config set --secret",
        secrets: {},
    },
    {
        why: "a teaching password of 11 characters",
        raw: { ...containers, teachingListener: { enabled: true } },
        key: "teachingPassword",
        says: "has 11 characters; allowed: 12 to 256",
        secrets: { teachingPassword: "elevenchars" },
    },
    {
        why: "a 3-character teaching password",
        raw: { ...containers, teachingListener: { enabled: true } },
        key: "teachingPassword",
        says: "has 3 characters; allowed: 12 to 256",
        secrets: { teachingPassword: "abc" },
    },
    {
        why: "a teaching password over two lines",
        raw: { ...containers, teachingListener: { enabled: true } },
        key: "teachingPassword",
        says: "contains a line break or NUL",
        secrets: { teachingPassword: "first-line-pw\nsecond" },
    },
    {
        why: "a teaching mount point without its trailing slash",
        raw: { ...containers, teachingListener: { enabled: true, mountPoint: "teaching" } },
        key: "teachingListener.mountPoint",
        says: 'does not end with "/"',
    },
    {
        why: "an empty teaching mount point",
        raw: { ...containers, teachingListener: { enabled: true, mountPoint: "" } },
        key: "teachingListener.mountPoint",
        says: "would share every topic with the mutual-TLS identities",
    },
    {
        why: "a teaching mount point with a wildcard",
        raw: { ...containers, teachingListener: { mountPoint: "teach/#/" } },
        key: "teachingListener.mountPoint",
        says: "contains a wildcard",
    },
    {
        why: "a teaching sharing switch that is not a boolean",
        raw: { ...containers, teachingListener: { enabled: true, sharedWithTls: "yes" } },
        key: "teachingListener.sharedWithTls",
        says: "allowed: true or false",
    },
    {
        why: "an identity whose topics lie in the teaching namespace while it is not shared",
        raw: { ...containers, clients: [{ name: "teacher", topics: ["sensors/#", "teaching/lab/#"] }], teachingListener: { enabled: true } },
        key: "clients[0].topics[1]",
        says: 'lies in the teaching listener\'s namespace ([mqtt-lab:teachingListener.mountPoint] "teaching/"), which [mqtt-lab:teachingListener.sharedWithTls] false keeps',
    },
    { why: "TLS 1.1", raw: { ...containers, tlsVersion: "tlsv1.1" }, key: "tlsVersion", says: "allowed: tlsv1.2, tlsv1.3" },

    // PKI
    { why: "an unknown key algorithm", raw: { ...containers, pki: { algorithm: "DSA" } }, key: "pki.algorithm", says: "use one of RSA, ECDSA, ED25519" },
    { why: "RSA 1024", raw: { ...containers, pki: { algorithm: "RSA", rsaBits: 1024 } }, key: "pki.rsaBits", says: "use a multiple of 8 from 2048 to 8192" },
    {
        why: "an RSA size that is not a multiple of 8",
        raw: { ...containers, pki: { algorithm: "RSA", rsaBits: 2049 } },
        key: "pki.rsaBits",
        says: "use a multiple of 8 from 2048 to 8192",
    },
    { why: "ECDSA P224", raw: { ...containers, pki: { algorithm: "ECDSA", ecdsaCurve: "P224" } }, key: "pki.ecdsaCurve", says: "use one of P256, P384" },
    { why: "ECDSA P521", raw: { ...containers, pki: { ecdsaCurve: "P521" } }, key: "pki.ecdsaCurve", says: "use one of P256, P384" },
    {
        why: "a CA valid for 0 hours",
        raw: { ...containers, pki: { caValidityHours: 0 } },
        key: "pki.caValidityHours",
        says: "allowed: hours, a whole number from 1 to",
    },
    {
        why: "a leaf with negative validity",
        raw: { ...containers, pki: { leafValidityHours: -24 } },
        key: "pki.leafValidityHours",
        says: "allowed: hours, a whole number from 1 to",
    },
    {
        why: "early renewal equal to the leaf validity",
        raw: { ...containers, pki: { leafValidityHours: 480, earlyRenewalHours: 480 } },
        key: "pki.earlyRenewalHours",
        says: "must be less than [mqtt-lab:pki.leafValidityHours] (480); allowed: 0 to 479 hours",
    },
    {
        why: "early renewal above the leaf validity",
        raw: { ...containers, pki: { leafValidityHours: 480, earlyRenewalHours: 1000 } },
        key: "pki.earlyRenewalHours",
        says: "allowed: 0 to 479 hours",
    },
    {
        why: "a leaf shorter than the default early renewal",
        raw: { ...containers, pki: { leafValidityHours: 300 } },
        key: "pki.earlyRenewalHours",
        says: "(336, the default) must be less than",
    },
    {
        why: "negative early renewal",
        raw: { ...containers, pki: { earlyRenewalHours: -1 } },
        key: "pki.earlyRenewalHours",
        says: "allowed: hours, a whole number from 0 to",
    },
    {
        why: "a leaf that outlives its CA",
        raw: { ...containers, pki: { caValidityHours: 1000, leafValidityHours: 2000 } },
        key: "pki.leafValidityHours",
        says: "must not exceed [mqtt-lab:pki.caValidityHours] (1000)",
    },
    {
        why: "a leaf longer than the lab's maximum",
        raw: { ...containers, pki: { leafValidityHours: 10000 } },
        key: "pki.leafValidityHours",
        says: "exceeds [mqtt-lab:maxLeafValidityHours] (9552); allowed: at most that",
    },
    {
        why: "an unknown PKI setting",
        raw: { ...containers, pki: { validityHours: 100 } },
        key: "pki.validityHours",
        says: "is not a known setting; known: algorithm, rsaBits, ecdsaCurve",
    },
    { why: "a CA generation of 0", raw: { ...containers, pki: { caGeneration: 0 } }, key: "pki.caGeneration", says: "from 1 to 9999" },
    { why: "PKI settings that are not an object", raw: { ...containers, pki: "strong" }, key: "pki", says: "must be an object" },
    {
        why: "an expiry check no fresh certificate passes",
        raw: { ...containers, minCertDaysLeft: 100 },
        key: "minCertDaysLeft",
        says: "is not less than [mqtt-lab:pki.leafValidityHours] (2400 h)",
    },

    // client identities
    {
        why: "duplicate client names differing only in case",
        raw: { ...containers, clients: [{ name: "client-A" }, { name: "Client-a" }] },
        key: "clients[1].name",
        says: `"Client-a" is a duplicate: each client identity must be unique (names are compared without case)`,
    },
    {
        why: "revoked that is not a boolean",
        raw: { ...containers, clients: [{ name: "a" }, { name: "b", revoked: "yes" }] },
        key: "clients[1].revoked",
        says: "allowed: true or false",
    },
    {
        why: "every identity revoked",
        raw: { ...containers, clients: [{ name: "a", revoked: true }] },
        key: "clients",
        says: "has every identity revoked; allowed: at least one",
    },
    {
        why: "an unknown identity setting",
        raw: { ...containers, clients: [{ name: "a", revokd: true }] },
        key: "clients[0].revokd",
        says: "known: name, topics, host, revoked",
    },
    { why: "an empty identity name", raw: { ...containers, clients: [{ name: "" }] }, key: "clients[0].name", says: "allowed: 1 to 64 letters, digits" },
    { why: "an identity name of blanks", raw: { ...containers, clients: [{ name: "   " }] }, key: "clients[0].name", says: "allowed: 1 to 64 letters, digits" },
    { why: "an identity name with a slash", raw: { ...containers, clients: [{ name: "a/b" }] }, key: "clients[0].name", says: "allowed: 1 to 64 letters" },
    {
        why: `"#" in the middle of a topic filter`,
        raw: { ...containers, clients: [{ name: "a", topics: ["a/#/b"] }] },
        key: "clients[0].topics[0]",
        says: `uses "#" other than as the whole last level; allowed: an MQTT topic filter`,
    },
    {
        why: `"#" inside a level`,
        raw: { ...containers, clients: [{ name: "a", topics: ["lab/#", "a/b#"] }] },
        key: "clients[0].topics[1]",
        says: `uses "#" other than as the whole last level`,
    },
    {
        why: `"+" inside a level`,
        raw: { ...containers, clients: [{ name: "a", topics: ["a+b"] }] },
        key: "clients[0].topics[0]",
        says: `uses "+" other than as a whole level; allowed: an MQTT topic filter`,
    },
    {
        why: "an empty topic filter",
        raw: { ...containers, clients: [{ name: "a", topics: [""] }] },
        key: "clients[0].topics[0]",
        says: `is empty; allowed: an MQTT topic filter such as "lab/#"`,
    },
    {
        why: "an empty topic list",
        raw: { ...containers, clients: [{ name: "a", topics: [] }] },
        key: "clients[0].topics",
        says: "must be a non-empty list of MQTT topic filters",
    },
    {
        why: "a topic that is not a string",
        raw: { ...containers, clients: [{ name: "a", topics: [7] }] },
        key: "clients[0].topics",
        says: "must be a non-empty list of MQTT topic filters",
    },
    {
        why: "a client on a host that is neither broker nor client",
        raw: { ...containers, clients: [{ name: "a", host: "server" }] },
        key: "clients[0].host",
        says: "allowed: client, broker",
    },
    {
        why: "a client entry that is not an object",
        raw: { ...containers, clients: ["client-a"] },
        key: "clients[0]",
        says: "must be an object {name, topics, host}",
    },
    { why: "an empty client list", raw: { ...containers, clients: [] }, key: "clients", says: "must be a non-empty list of {name, topics, host}" },

    // the rest
    {
        why: "a takeOverConfFiles that is not a boolean",
        raw: { ...containers, takeOverConfFiles: "yes" },
        key: "takeOverConfFiles",
        says: "allowed: true or false",
    },
    { why: "a takeOverConfFiles of 1", raw: { ...containers, takeOverConfFiles: 1 }, key: "takeOverConfFiles", says: "allowed: true or false" },
    {
        why: "a lab name with capitals and an underscore",
        raw: { ...containers, labName: "Mqtt_Lab" },
        key: "labName",
        says: 'allowed: lower-case letters, digits and "-"',
    },
    { why: "an image that is not a string", raw: { image: 42 }, key: "image", says: "must be a string" },
];

describe("validateLabConfig", () => {
    describe("refuses bad input, naming the key and what is allowed", () => {
        for (const c of bad) {
            it(`refuses ${c.why}`, () => {
                const problems = problemsOf(c.raw, c.secrets);
                const tag = `[mqtt-lab:${c.key}]`;
                const named = problems.filter((p) => p.startsWith(tag));
                assert.ok(named.length > 0, `no problem is about ${tag}: ${JSON.stringify(problems)}`);
                assert.ok(
                    named.some((p) => p.includes(c.says)),
                    `no problem naming ${tag} says ${JSON.stringify(c.says)}: ${JSON.stringify(named)}`,
                );
                assert.equal(problems.length, c.count ?? 1, `problems: ${JSON.stringify(problems)}`);
            });
        }
    });

    it("never prints the teaching password it refuses, only its length", () => {
        for (const pw of ["short-pw", "x".repeat(300), "two-lines-pw\nhere", " padded-password "]) {
            const problems = problemsOf({ ...containers, teachingListener: { enabled: true } }, { teachingPassword: pw });
            assert.equal(problems.length, 1, JSON.stringify(problems.map((p) => p.slice(0, 40))));
            assert.ok(problems[0].startsWith("[mqtt-lab:teachingPassword]"));
            assert.ok(!problems[0].includes(pw.trim().slice(0, 8)), "the password is not in the message");
        }
    });

    it("accepts only literal mount points ending with a slash", () => {
        for (const ok of ["teaching/", "class/a/", "t/"]) assert.equal(judgeMountPoint(ok), undefined, ok);
        for (const bad of ["", "teaching", "a/+/", "#/", "$SYS/", "/teaching/", "a//b/", "a b/"]) assert.ok(judgeMountPoint(bad), bad);
    });

    it("reports every problem at once, one per bad key", () => {
        const problems = problemsOf({ ...containers, tlsPort: 0, tlsVersion: "tlsv1.1" });
        assert.equal(problems.length, 2);
        assert.ok(problems.some((p) => p.startsWith("[mqtt-lab:tlsPort]")));
        assert.ok(problems.some((p) => p.startsWith("[mqtt-lab:tlsVersion]")));
    });

    it("puts every problem in the error message, one per line", () => {
        let caught: unknown;
        try {
            validateLabConfig({ tlsVersion: "ssl3", pki: { algorithm: "DSA" } });
        } catch (e) {
            caught = e;
        }
        assert.ok(caught instanceof ConfigError, "expected a ConfigError");
        assert.equal(caught.name, "ConfigError");
        assert.deepEqual(
            caught.problems.map((p) => p.slice(0, p.indexOf("]") + 1)),
            ["[mqtt-lab:tlsVersion]", "[mqtt-lab:image]", "[mqtt-lab:pki.algorithm]"],
        );
        assert.ok(caught.message.startsWith("Invalid configuration:\n"));
        for (const p of caught.problems) assert.ok(caught.message.includes(`\n  - ${p}`), `message lacks ${p}`);
    });

    it("keeps an identity marked revoked apart: no ACL, no host files, but still issued and listed in the CRL", () => {
        const cfg = validateLabConfig({ ...containers, clients: [{ name: "a" }, { name: "b", revoked: true, host: "broker" }] });
        assert.deepEqual(
            cfg.clients.map((c) => c.name),
            ["a"],
        );
        assert.deepEqual(cfg.revokedClients, [{ name: "b", topics: ["#"], host: "broker" }]);
    });

    it("applies the defaults for containers: broker .10 and client .11 in the default subnet", () => {
        const c = validateLabConfig(containers);
        assert.equal(c.hostSource, "containers");
        assert.equal(c.subnet, "172.30.56.0/24");
        assert.equal(c.brokerAddress, "172.30.56.10");
        assert.equal(c.clientAddress, "172.30.56.11");
        assert.equal(c.sshUser, "root");
        assert.equal(c.sshPort, 22);
        assert.equal(c.tlsPort, 8883);
        assert.equal(c.tlsVersion, "tlsv1.2");
        assert.equal(c.image, image);
        assert.deepEqual(c.pki, {
            algorithm: "ECDSA",
            rsaBits: 3072,
            ecdsaCurve: "P256",
            caValidityHours: 17520,
            leafValidityHours: 2400,
            earlyRenewalHours: 336,
            caGeneration: 1,
            trustedCaGenerations: [1],
            leafRotation: 0,
        });
        assert.deepEqual(c.clients, [{ name: "client-a", topics: ["#"], host: "client" }]);
        assert.deepEqual(c.teaching, { enabled: false, port: 1883, username: "student", mountPoint: "teaching/", sharedWithTls: false });
        assert.equal(c.takeOverConfFiles, false);
        assert.equal(c.labName, "mqtt-lab");
    });

    it("places the default broker and client at .10 and .11 of a configured subnet", () => {
        const c = validateLabConfig({ ...containers, subnet: "10.20.0.0/16" });
        assert.equal(c.brokerAddress, "10.20.0.10");
        assert.equal(c.clientAddress, "10.20.0.11");
        const small = validateLabConfig({ ...containers, subnet: "172.31.7.16/28" });
        assert.equal(small.brokerAddress, "172.31.7.26");
        assert.equal(small.clientAddress, "172.31.7.27");
    });

    it("hands out fresh default clients, so one caller's edits do not leak into the next", () => {
        const first = validateLabConfig(containers);
        first.clients[0].topics.push("mutated/#");
        first.clients.push({ name: "extra", topics: ["#"], host: "client" });
        assert.deepEqual(validateLabConfig(containers).clients, [{ name: "client-a", topics: ["#"], host: "client" }]);
    });

    it("accepts the seed's dev stack: existing hosts 192.168.56.101 and .102 reached as olivier", () => {
        const c = validateLabConfig(seedDev);
        assert.equal(c.hostSource, "existing");
        assert.equal(c.brokerAddress, "192.168.56.101");
        assert.equal(c.clientAddress, "192.168.56.102");
        assert.equal(c.sshUser, "olivier");
        assert.equal(c.image, "");
    });

    it("reads values as `pulumi config get` gives them: numbers and booleans as strings, blanks trimmed", () => {
        const c = validateLabConfig(
            {
                ...containers,
                tlsPort: "8884",
                takeOverConfFiles: "true",
                brokerAddress: " 172.30.56.20 ",
                teachingListener: { enabled: "true", port: "1884", sharedWithTls: "true" },
            },
            goodSecrets,
        );
        assert.equal(c.tlsPort, 8884);
        assert.equal(c.takeOverConfFiles, true);
        assert.equal(c.brokerAddress, "172.30.56.20");
        assert.deepEqual(c.teaching, { enabled: true, port: 1884, username: "student", mountPoint: "teaching/", sharedWithTls: true });
    });

    const good: { why: string; raw: RawConfig; secrets?: LabSecrets; check: (c: ReturnType<typeof validateLabConfig>) => void }[] = [
        { why: "RSA 3072", raw: { ...containers, pki: { algorithm: "RSA", rsaBits: 3072 } }, check: (c) => assert.equal(c.pki.algorithm, "RSA") },
        {
            why: "ECDSA P384 written in lower case",
            raw: { ...containers, pki: { algorithm: "ecdsa", ecdsaCurve: "p384" } },
            check: (c) => assert.deepEqual([c.pki.algorithm, c.pki.ecdsaCurve], ["ECDSA", "P384"]),
        },
        { why: "ED25519", raw: { ...containers, pki: { algorithm: "ed25519" } }, check: (c) => assert.equal(c.pki.algorithm, "ED25519") },
        { why: "TLS 1.3", raw: { ...containers, tlsVersion: "tlsv1.3" }, check: (c) => assert.equal(c.tlsVersion, "tlsv1.3") },
        {
            why: "the teaching listener on 1883",
            raw: { ...containers, teachingListener: { enabled: true } },
            check: (c) => assert.deepEqual(c.teaching, { enabled: true, port: 1883, username: "student", mountPoint: "teaching/", sharedWithTls: false }),
        },
        {
            why: "an identity in the teaching namespace when it is shared with the TLS identities",
            raw: {
                ...containers,
                clients: [{ name: "teacher", topics: ["teaching/#"] }],
                teachingListener: { enabled: true, sharedWithTls: true, mountPoint: "class/a/" },
            },
            check: (c) => assert.deepEqual([c.teaching.mountPoint, c.teaching.sharedWithTls], ["class/a/", true]),
        },
        {
            why: "a teaching password of exactly 12 characters, counted as characters, not bytes",
            raw: { ...containers, teachingListener: { enabled: true } },
            secrets: { teachingPassword: "pâté-ünïcødé" },
            check: (c) => assert.equal(c.teaching.enabled, true),
        },
        {
            why: "no teaching password while the teaching listener is off",
            raw: { ...containers, teachingListener: { enabled: false } },
            secrets: {},
            check: (c) => assert.equal(c.teaching.enabled, false),
        },
        {
            why: "a disabled teaching listener on the TLS port",
            raw: { ...containers, teachingListener: { enabled: false, port: 8883 } },
            check: (c) => assert.equal(c.teaching.enabled, false),
        },
        { why: "early renewal of 0 hours", raw: { ...containers, pki: { earlyRenewalHours: 0 } }, check: (c) => assert.equal(c.pki.earlyRenewalHours, 0) },
        {
            why: "early renewal one hour below validity",
            raw: { ...containers, minCertDaysLeft: 1, pki: { leafValidityHours: 48, earlyRenewalHours: 47 } },
            check: (c) => assert.equal(c.pki.earlyRenewalHours, 47),
        },
        {
            why: "a leaf exactly as long as its CA",
            raw: { ...containers, pki: { caValidityHours: 2400, leafValidityHours: 2400 } },
            check: (c) => assert.equal(c.pki.leafValidityHours, 2400),
        },
        { why: "a subnet next to the seed's", raw: { ...containers, subnet: "192.168.57.0/24" }, check: (c) => assert.equal(c.brokerAddress, "192.168.57.10") },
        {
            why: "existing hosts by DNS name",
            raw: { ...seedDev, brokerAddress: "broker.lab.internal", clientAddress: "client-1.lab.internal" },
            check: (c) => assert.equal(c.clientAddress, "client-1.lab.internal"),
        },
        {
            why: "client identities with topic wildcards on both hosts",
            raw: {
                ...containers,
                clients: [
                    { name: "pub", topics: ["sensors/+/temp", "lab/#"], host: "broker" },
                    { name: "Sub.1", topics: ["+/+/#"] },
                ],
            },
            check: (c) =>
                assert.deepEqual(c.clients, [
                    { name: "pub", topics: ["sensors/+/temp", "lab/#"], host: "broker" },
                    { name: "Sub.1", topics: ["+/+/#"], host: "client" },
                ]),
        },
    ];
    describe("accepts good input", () => {
        for (const g of good) {
            it(`accepts ${g.why}`, () => g.check(validateLabConfig(g.raw, g.secrets ?? goodSecrets)));
        }
    });
});

describe("judgeTopicFilter", () => {
    const valid = ["#", "+", "lab/#", "sensors/+/temp", "+/+/#", "/", "a//b", "/leading", "trailing/", "a b/c", "x".repeat(65535), "€".repeat(21845)];
    for (const f of valid) {
        it(`accepts ${f.length > 40 ? `a filter of ${Buffer.byteLength(f)} UTF-8 bytes` : JSON.stringify(f)}`, () =>
            assert.equal(judgeTopicFilter(f), undefined));
    }
    const invalid: [string, string, string?][] = [
        ["", "is empty"],
        ["a/#/b", `uses "#" other than as the whole last level`],
        ["#/a", `uses "#" other than as the whole last level`],
        ["a/b#", `uses "#" other than as the whole last level`],
        ["a+b", `uses "+" other than as a whole level`],
        ["a/+b/c", `uses "+" other than as a whole level`],
        ["a\u0000b", "contains a NUL or newline"],
        ["a\nuser admin", "contains a NUL or newline"],
        ["x".repeat(65536), "is longer than 65535 bytes", "a filter of 65536 characters"],
        ["€".repeat(21846), "is longer than 65535 bytes", "a filter of 21846 euro signs (65538 UTF-8 bytes)"],
    ];
    for (const [f, why, label] of invalid) {
        it(`refuses ${label ?? JSON.stringify(f)}: it ${why}`, () => assert.equal(judgeTopicFilter(f), why));
    }
});

describe("the lab stack's settings", () => {
    it("are Pulumi.yaml's defaults, so Pulumi.lab.yaml is the user's own file, git-ignored (its salt and their settings never tracked)", () => {
        const root = path.join(__dirname, "..", "..", "..");
        const yaml = readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
        assert.match(yaml, /mqtt-lab:hostSource:\n\s+type: string\n\s+default: containers\n/);
        assert.equal(validateLabConfig(containers).subnet, "172.30.56.0/24");
        assert.match(readFileSync(path.join(root, ".gitignore"), "utf8"), /^\/Pulumi\.lab\.yaml$/m);
    });
});
