/**
 * The components, each on its own, under Pulumi mocks: what they register and with which inputs.
 * Mocks are installed before the components are imported (see ./mocks.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type * as Components from "../../src/components";
import type { LabHost } from "../../src/components";
import { containerCapabilities } from "../../src/config/capabilities";
import { ClientIdentity, defaults, PkiConfig, seedNetwork } from "../../src/config/labConfig";
import { brokerPaths, renderPasswordFile } from "../../src/mosquitto/conf";
import { parseMosquittoConf } from "../../src/mosquitto/parse";
import { cidrsOverlap, parseCidr } from "../../src/config/net";
import { caCommonName } from "../../src/pki/renewal";
import { headerHeredocs, headerValues, remoteFile } from "../../src/remote/compose";
import { identityDigest } from "../../src/remote/checkScripts";
import { clientDir, embeddedFiles, parseBundle } from "../../src/remote/hostScripts";
import { fake, installMocks, isSecretOutput, isSecretValue, promiseOf, Registration, reveal, T, text } from "../../testkit/mocks";

const mocks = installMocks();
let C: typeof Components;
/** policies/brokerFiles.ts's reader of `bash -c '...'`, so tests read scripts the way the policy pack does. */
let unwrapBashC: (script: string) => string;

before(async () => {
    C = await import("../../src/components");
    ({ unwrapBashC } = await import("../../policies/brokerFiles"));
});

const customOfType = (regs: Registration[], type: string) => regs.filter((r) => r.custom && r.type === type);
const only = (regs: Registration[], type: string, name: string): Registration => {
    const found = regs.filter((r) => r.type === type && r.name === name);
    assert.equal(
        found.length,
        1,
        `expected one ${type} named ${name}; got ${regs
            .filter((r) => r.type === type)
            .map((r) => r.name)
            .join(", ")}`,
    );
    return found[0];
};

/** Asserts every custom resource in `regs` was registered with a parent of `componentType`. */
function assertParented(regs: Registration[], componentType: string): void {
    const urns = mocks.urns();
    const custom = regs.filter((r) => r.custom);
    assert.ok(custom.length > 0, "expected the component to create resources");
    for (const r of custom) {
        const urn = urns.find((u) => u.endsWith(`::${r.type}::${r.name}`) || u.endsWith(`$${r.type}::${r.name}`));
        assert.ok(urn, `no URN for ${r.type} ${r.name}`);
        const typePart = urn.split("::")[2];
        assert.ok(typePart.startsWith(`${componentType}$`), `${r.name} has parent chain ${typePart}, expected ${componentType}`);
    }
}

/**
 * Asserts an SSH connection is pinned and its dialing bounded. The command SDK fills in
 * dialErrorLimit 10 and perDialTimeout 15 when they are missing (150 s before an unreachable
 * host fails), so "set" is checked as "set to fail within a minute".
 */
function assertPinnedConnection(connection: unknown, label: string): void {
    const c = reveal<Record<string, unknown>>(connection);
    assert.match(String(c.hostKey ?? ""), /^ssh-[a-z0-9-]+ [A-Za-z0-9+/=]+$/, `${label}: hostKey must be a pinned public key`);
    assert.ok(Number.isInteger(c.dialErrorLimit) && (c.dialErrorLimit as number) > 0, `${label}: dialErrorLimit must be set, got ${c.dialErrorLimit}`);
    assert.ok(typeof c.perDialTimeout === "number" && c.perDialTimeout > 0, `${label}: perDialTimeout must be set, got ${c.perDialTimeout}`);
    const worst = (c.dialErrorLimit as number) * (c.perDialTimeout as number);
    assert.ok(worst <= 60, `${label}: an unreachable host must fail within a minute, not after ${worst} s`);
}

/** The files a broker command embeds, read as the policy pack reads them. */
function brokerFilesOf(script: unknown): Record<string, string> {
    return embeddedFiles(unwrapBashC(text(script, "script")));
}

const brokerHostKey = "ssh-ed25519 QlJPS0VSLUhPU1QtS0VZ";
const clientHostKey = "ssh-ed25519 Q0xJRU5ULUhPU1QtS0VZ";

function existingHosts(name: string, over: Partial<Components.ExistingHostsArgs> = {}): Components.ExistingHosts {
    return new C.ExistingHosts(name, {
        brokerAddress: "203.0.113.101",
        clientAddress: "203.0.113.102",
        user: "olivier",
        privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nssh-client\n-----END OPENSSH PRIVATE KEY-----\n",
        brokerHostKey,
        clientHostKey,
        ...over,
    });
}

const alice: ClientIdentity = { name: "alice", topics: ["sensors/#"], host: "client" };
const bob: ClientIdentity = { name: "bob", topics: ["lab/bob/#", "lab/+/status"], host: "broker" };

describe("ContainerHosts", () => {
    const args = { image: "img:1", subnet: "172.30.56.0/24", brokerAddress: "172.30.56.10", clientAddress: "172.30.56.11", labName: "unitlab" };
    let hosts: Components.ContainerHosts;
    let regs: Registration[];
    before(async () => {
        regs = await mocks.capture(() => {
            hosts = new C.ContainerHosts("ch", { ...args, labels: { "mqtt-lab-run": "run-1" } });
        });
    });

    it("creates a bridge network whose ipamConfigs carry the configured subnet", () => {
        const net = only(regs, T.network, "ch-net");
        assert.equal(net.inputs.driver, "bridge");
        assert.equal(net.inputs.name, "unitlab-net");
        assert.deepEqual(reveal(net.inputs.ipamConfigs), [{ subnet: "172.30.56.0/24" }]);
    });

    for (const subnet of ["10.77.0.0/24", "172.30.56.0/28", "192.168.57.0/24"]) {
        it(`hands Docker the safe subnet ${subnet} unchanged, away from the seed's ${seedNetwork}`, async () => {
            const name = `safe-${subnet.replace(/[./]/g, "-")}`;
            const base = parseCidr(subnet)!.network;
            const nth = (n: number) => [24, 16, 8, 0].map((s) => ((base + n) >>> s) & 255).join(".");
            const r = await mocks.capture(() => new C.ContainerHosts(name, { ...args, subnet, brokerAddress: nth(10), clientAddress: nth(11) }));
            const ipam = reveal<{ subnet: string }[]>(only(r, T.network, `${name}-net`).inputs.ipamConfigs);
            assert.equal(ipam.length, 1);
            assert.equal(ipam[0].subnet, subnet);
            assert.equal(cidrsOverlap(parseCidr(ipam[0].subnet)!, parseCidr(seedNetwork)!), false);
        });
    }

    for (const subnet of [seedNetwork, "192.168.0.0/16", "192.168.56.128/25", "not-a-cidr"]) {
        it(`refuses the subnet ${JSON.stringify(subnet)} before creating anything`, async () => {
            let error: unknown;
            const r = await mocks.capture(() => {
                try {
                    new C.ContainerHosts(`bad-${subnet.replace(/[./]/g, "-")}`, { ...args, subnet });
                } catch (e) {
                    error = e;
                }
            });
            assert.ok(error instanceof Error, "expected ContainerHosts to throw");
            assert.match(error.message, /\[subnet\]/);
            assert.deepEqual(
                r.map((x) => `${x.type} ${x.name}`),
                [],
            );
        });
    }

    it("puts each container at its configured address on the lab network, named by its role", () => {
        for (const [role, address] of [
            ["broker", args.brokerAddress],
            ["client", args.clientAddress],
        ]) {
            const c = only(regs, T.container, `ch-${role}`);
            assert.equal(c.inputs.name, `unitlab-${role}`);
            assert.equal(c.inputs.image, "img:1");
            assert.deepEqual(reveal(c.inputs.networksAdvanced), [{ name: "unitlab-net", ipv4Address: address, aliases: [role] }]);
        }
    });

    it("drops Docker's default capabilities, adds back the lab's own set, and never uses privileged mode", () => {
        const containers = customOfType(regs, T.container);
        assert.equal(containers.length, 2);
        for (const c of containers) {
            assert.deepEqual(reveal(c.inputs.capabilities), { drops: ["ALL"], adds: [...containerCapabilities.adds] }, c.name);
            assert.notEqual(c.inputs.privileged, true, c.name);
        }
    });

    it("generates every SSH key as ED25519: one client key and one host key per container", () => {
        const keys = customOfType(regs, T.key);
        assert.deepEqual(keys.map((k) => k.name).sort(), ["ch-broker-ssh-host-key", "ch-client-ssh-host-key", "ch-ssh-client-key"]);
        for (const k of keys) assert.deepEqual(k.inputs, { algorithm: "ED25519" }, k.name);
    });

    for (const role of ["broker", "client"] as const) {
        it(`pins the ${role} container's connection to the host key it installs there`, async () => {
            const host: LabHost = hosts[role];
            const keyName = `ch-${role}-ssh-host-key`;
            const uploads = reveal<{ file: string; content: string }[]>(only(regs, T.container, `ch-${role}`).inputs.uploads);
            const upload = (file: string) => uploads.find((u) => u.file === file)?.content;
            assert.equal(upload("/etc/ssh/ssh_host_ed25519_key"), fake.privateKeyOpenssh(keyName));
            assert.equal(upload("/etc/ssh/ssh_host_ed25519_key.pub"), fake.publicKeyOpenssh(keyName));
            const pinned = await promiseOf(host.connection.hostKey as pulumi.Input<string>);
            assert.equal(pinned, fake.publicKeyOpenssh(keyName).trim());
            assert.equal(await promiseOf(host.hostKey), pinned);
            assertPinnedConnection(await promiseOf(pulumi.output(host.connection)), role);
        });
    }

    it("gives the two containers different host keys", async () => {
        assert.notEqual(await promiseOf(hosts.broker.hostKey), await promiseOf(hosts.client.hostKey));
    });

    it("authorizes one generated client key on both containers and connects as root with its private half", async () => {
        for (const role of ["broker", "client"] as const) {
            const uploads = reveal<{ file: string; content: string }[]>(only(regs, T.container, `ch-${role}`).inputs.uploads);
            assert.equal(uploads.find((u) => u.file === "/root/.ssh/authorized_keys")?.content, fake.publicKeyOpenssh("ch-ssh-client-key"), role);
            const conn = hosts[role].connection;
            assert.equal(await promiseOf(conn.privateKey as pulumi.Input<string>), fake.privateKeyOpenssh("ch-ssh-client-key"));
            assert.equal(await isSecretOutput(conn.privateKey as pulumi.Input<string>), true, `${role}: the SSH private key must stay secret`);
            assert.equal(conn.user, "root");
            assert.equal(conn.port, 22);
        }
    });

    it("reports each host's address as the container's network settings give it", async () => {
        assert.equal(await promiseOf(hosts.broker.address), args.brokerAddress);
        assert.equal(await promiseOf(hosts.client.address), args.clientAddress);
        assert.equal(await promiseOf(hosts.broker.connection.host), args.brokerAddress);
        assert.equal(await promiseOf(hosts.client.connection.host), args.clientAddress);
    });

    it("labels the network and both containers with the lab name and the extra labels", () => {
        for (const r of [...customOfType(regs, T.network), ...customOfType(regs, T.container)]) {
            const labels = reveal<{ label: string; value: string }[]>(r.inputs.labels);
            assert.deepEqual(
                [...labels].sort((a, b) => a.label.localeCompare(b.label)),
                [
                    { label: "mqtt-lab", value: "unitlab" },
                    { label: "mqtt-lab-run", value: "run-1" },
                ],
                r.name,
            );
        }
    });

    it("parents every resource it creates to itself", () => {
        assertParented(regs, "mqttlab:hosts:ContainerHosts");
    });
});

describe("ExistingHosts", () => {
    it("creates no resources: it only describes the hosts", async () => {
        const r = await mocks.capture(() => existingHosts("eh-none"));
        assert.deepEqual(
            r.map((x) => x.type),
            ["mqttlab:hosts:ExistingHosts"],
        );
    });

    const cases = [
        { why: "the default SSH port", sshPort: undefined, port: 22 },
        { why: "a configured SSH port", sshPort: 2222, port: 2222 },
    ];
    for (const c of cases) {
        it(`connects to each host at its address with that host's own pinned key, on ${c.why}`, async () => {
            const h = existingHosts(`eh-${c.port}`, { sshPort: c.sshPort });
            for (const [role, address, hostKey] of [
                ["broker", "203.0.113.101", brokerHostKey],
                ["client", "203.0.113.102", clientHostKey],
            ] as const) {
                const host = h[role];
                assert.equal(host.role, role);
                assert.equal(host.sshPort, c.port);
                assert.equal(await promiseOf(host.address), address);
                assert.equal(await promiseOf(host.hostKey), hostKey);
                const conn = reveal<Record<string, unknown>>(await promiseOf(pulumi.output(host.connection)));
                assert.equal(conn.host, address, role);
                assert.equal(conn.port, c.port, role);
                assert.equal(conn.user, "olivier", role);
                assert.equal(conn.hostKey, hostKey, role);
                assertPinnedConnection(conn, role);
            }
        });
    }

    it("keeps the SSH private key secret in both connections", async () => {
        const h = existingHosts("eh-secret");
        for (const role of ["broker", "client"] as const) {
            assert.equal(await isSecretOutput(h[role].connection.privateKey as pulumi.Input<string>), true, role);
        }
    });

    it("becomes root through sudo without a prompt, as the seed's VMs require", () => {
        const h = existingHosts("eh-sudo");
        assert.equal(h.broker.shell.asRoot, "sudo -n ");
        assert.match(h.broker.shell.reload, /systemctl reload mosquitto/);
    });
});

describe("Pki", () => {
    const pkiConfig = (over: Partial<PkiConfig> = {}): PkiConfig => ({ ...defaults.pki, ...over });
    const baseArgs = (over: Partial<Components.PkiArgs> = {}): Components.PkiArgs => ({
        pki: pkiConfig(),
        labName: "unitlab",
        brokerAddress: "172.30.56.10",
        brokerDnsName: "broker.unitlab.internal",
        clients: [alice, bob],
        renewalEpoch: 7,
        ...over,
    });
    const declare = async (name: string, over: Partial<Components.PkiArgs> = {}): Promise<{ pki: Components.Pki; regs: Registration[] }> => {
        let pki!: Components.Pki;
        const regs = await mocks.capture(() => {
            pki = new C.Pki(name, baseArgs(over));
        });
        return { pki, regs };
    };
    /** Names without the component's own name, so two instances can be compared. */
    const suffixes = (regs: Registration[], name: string, types: string[]) =>
        regs
            .filter((r) => r.custom && types.includes(r.type))
            .map((r) => r.name.slice(name.length + 1))
            .sort();
    const caTypes = [T.caCert];
    const isCaName = (suffix: string) => /^ca-(key-)?g\d+$/.test(suffix);

    let base: { pki: Components.Pki; regs: Registration[] };
    before(async () => {
        base = await declare("pk");
    });

    it("makes the CA a CA certificate, allowed to sign certificates, named after its generation", () => {
        const ca = only(base.regs, T.caCert, "pk-ca-g1");
        assert.equal(ca.inputs.isCaCertificate, true);
        assert.ok((ca.inputs.allowedUses as string[]).includes("cert_signing"));
        assert.deepEqual(reveal(ca.inputs.subject), { commonName: caCommonName("unitlab", 1), organization: "unitlab" });
        assert.equal(ca.inputs.validityPeriodHours, defaults.pki.caValidityHours);
        assert.equal(text(ca.inputs.privateKeyPem), fake.privateKeyPem("pk-ca-key-g1"));
    });

    it("gives the CA a subject that no leaf shares", () => {
        const caSubject = reveal<Record<string, string>>(only(base.regs, T.caCert, "pk-ca-g1").inputs.subject);
        const csrs = customOfType(base.regs, T.csr);
        assert.equal(csrs.length, 3);
        for (const csr of csrs) {
            const subject = reveal<Record<string, string>>(csr.inputs.subject);
            assert.notDeepEqual(subject, caSubject, csr.name);
            assert.notEqual(subject.commonName, caSubject.commonName, csr.name);
        }
    });

    const sanCases = [
        { why: "an IPv4 address goes in ipAddresses", address: "172.30.56.10", ipAddresses: ["172.30.56.10"], dnsNames: ["broker.unitlab.internal"] },
        {
            why: "a host name goes in dnsNames beside brokerDnsName",
            address: "broker-vm.example",
            ipAddresses: [],
            dnsNames: ["broker.unitlab.internal", "broker-vm.example"],
        },
    ];
    for (const [i, c] of sanCases.entries()) {
        it(`puts the broker's address and brokerDnsName in the server CSR's SANs: ${c.why}`, async () => {
            const name = `pk-san${i}`;
            const { regs } = await declare(name, { brokerAddress: pulumi.output(c.address), clients: [alice] });
            const csr = customOfType(regs, T.csr).filter((r) => r.name.startsWith(`${name}-broker-csr-`));
            assert.equal(csr.length, 1);
            assert.deepEqual(reveal(csr[0].inputs.ipAddresses), c.ipAddresses);
            assert.deepEqual(reveal(csr[0].inputs.dnsNames), c.dnsNames);
            assert.equal(reveal<Record<string, string>>(csr[0].inputs.subject).commonName, "broker.unitlab.internal");
        });
    }

    it("makes each client CSR's common name its identity, with no SANs", () => {
        for (const id of [alice, bob]) {
            const csr = customOfType(base.regs, T.csr).filter((r) => r.name.startsWith(`pk-client-${id.name}-csr-`));
            assert.equal(csr.length, 1, id.name);
            assert.equal(reveal<Record<string, string>>(csr[0].inputs.subject).commonName, id.name);
            assert.equal(csr[0].inputs.dnsNames, undefined);
            assert.equal(csr[0].inputs.ipAddresses, undefined);
        }
    });

    const leafUses = [
        { leaf: "broker", has: "server_auth", lacks: "client_auth" },
        { leaf: "client-alice", has: "client_auth", lacks: "server_auth" },
        { leaf: "client-bob", has: "client_auth", lacks: "server_auth" },
    ];
    for (const c of leafUses) {
        it(`issues the ${c.leaf} certificate as a non-CA leaf for ${c.has} only, signed by the CA over its own CSR`, () => {
            const certs = customOfType(base.regs, T.leafCert).filter((r) => r.name.startsWith(`pk-${c.leaf}-cert-`));
            assert.equal(certs.length, 1);
            const cert = certs[0];
            const uses = cert.inputs.allowedUses as string[];
            assert.equal(cert.inputs.isCaCertificate, false);
            assert.ok(uses.includes(c.has), `${c.leaf} lacks ${c.has}`);
            assert.ok(!uses.includes(c.lacks), `${c.leaf} must not have ${c.lacks}`);
            assert.ok(!uses.includes("cert_signing"), `${c.leaf} must not sign certificates`);
            assert.equal(text(cert.inputs.caCertPem), fake.certPem("pk-ca-g1"));
            assert.equal(text(cert.inputs.caPrivateKeyPem), fake.privateKeyPem("pk-ca-key-g1"));
            const csrName = cert.name.replace("-cert-", "-csr-");
            assert.equal(text(cert.inputs.certRequestPem), fake.certRequestPem(csrName));
            const csr = only(base.regs, T.csr, csrName);
            assert.equal(text(csr.inputs.privateKeyPem), fake.privateKeyPem(cert.name.replace("-cert-", "-key-")));
            assert.equal(cert.inputs.validityPeriodHours, defaults.pki.leafValidityHours);
            assert.equal(cert.inputs.earlyRenewalHours, defaults.pki.earlyRenewalHours);
        });
    }

    it("gives every certificate its own key", () => {
        const keys = [...customOfType(base.regs, T.csr), ...customOfType(base.regs, T.caCert)].map((r) => text(r.inputs.privateKeyPem));
        assert.equal(new Set(keys).size, 4);
    });

    const keyCases = [
        { algorithm: "RSA" as const, over: { rsaBits: 4096 }, expected: { algorithm: "RSA", rsaBits: 4096 } },
        { algorithm: "ECDSA" as const, over: { ecdsaCurve: "P384" }, expected: { algorithm: "ECDSA", ecdsaCurve: "P384" } },
        { algorithm: "ED25519" as const, over: {}, expected: { algorithm: "ED25519" } },
    ];
    for (const c of keyCases) {
        it(`passes ${c.algorithm} key settings to every key, and no setting of another algorithm`, async () => {
            const name = `pk-alg-${c.algorithm.toLowerCase()}`;
            const { regs } = await declare(name, { pki: pkiConfig({ algorithm: c.algorithm, ...c.over }) });
            const keys = customOfType(regs, T.key);
            assert.equal(keys.length, 4); // CA, broker, alice, bob
            for (const k of keys) assert.deepEqual(k.inputs, c.expected, k.name);
        });
    }

    const renewals: { why: string; over: Partial<Components.PkiArgs> }[] = [
        { why: "pki.leafRotation is bumped", over: { pki: pkiConfig({ leafRotation: 1 }) } },
        { why: "pki.leafValidityHours changes", over: { pki: pkiConfig({ leafValidityHours: 24 * 50 }) } },
        { why: "the renewal window moves on", over: { renewalEpoch: 8 } },
    ];
    for (const [i, c] of renewals.entries()) {
        it(`renames every leaf key, CSR and certificate (so they are replaced) but not the CA when ${c.why}`, async () => {
            const name = `pk-renew${i}`;
            const { regs } = await declare(name, c.over);
            const leafTypes = [T.key, T.csr, T.leafCert];
            const before = suffixes(base.regs, "pk", leafTypes).filter((s) => !isCaName(s));
            const after = suffixes(regs, name, leafTypes).filter((s) => !isCaName(s));
            assert.equal(after.length, 9);
            assert.deepEqual(
                after.filter((s) => before.includes(s)),
                [],
                "no leaf may keep its name",
            );
            assert.deepEqual(suffixes(regs, name, [T.key, ...caTypes]).filter(isCaName), ["ca-g1", "ca-key-g1"]);
            assert.deepEqual(reveal(only(regs, T.caCert, `${name}-ca-g1`).inputs.subject), reveal(only(base.regs, T.caCert, "pk-ca-g1").inputs.subject));
        });
    }

    it("keeps every leaf's name when nothing that renews it changes", async () => {
        const { regs } = await declare("pk-same", { pki: pkiConfig({ caValidityHours: defaults.pki.caValidityHours + 1 }) });
        assert.deepEqual(suffixes(regs, "pk-same", [T.key, T.csr, T.leafCert, T.caCert]), suffixes(base.regs, "pk", [T.key, T.csr, T.leafCert, T.caCert]));
    });

    it("rotates the CA to a new name and subject CN when pki.caGeneration is bumped", async () => {
        const { regs } = await declare("pk-gen2", { pki: pkiConfig({ caGeneration: 2 }) });
        const ca = only(regs, T.caCert, "pk-gen2-ca-g2");
        only(regs, T.key, "pk-gen2-ca-key-g2");
        const cn = reveal<Record<string, string>>(ca.inputs.subject).commonName;
        assert.equal(cn, caCommonName("unitlab", 2));
        assert.notEqual(cn, reveal<Record<string, string>>(only(base.regs, T.caCert, "pk-ca-g1").inputs.subject).commonName);
        for (const cert of customOfType(regs, T.leafCert)) assert.equal(text(cert.inputs.caCertPem), fake.certPem("pk-gen2-ca-g2"), cert.name);
    });

    it("keeps both CAs during a CA rotation, signs with the new one, and trusts both", async () => {
        const { regs, pki } = await declare("pk-rot", { pki: pkiConfig({ caGeneration: 2, trustedCaGenerations: [1, 2] }) });
        only(regs, T.caCert, "pk-rot-ca-g1");
        only(regs, T.caCert, "pk-rot-ca-g2");
        for (const cert of customOfType(regs, T.leafCert)) assert.equal(text(cert.inputs.caCertPem), fake.certPem("pk-rot-ca-g2"), cert.name);
        assert.deepEqual(
            pki.trustedCas.map((c) => c.generation),
            [1, 2],
        );
        const bundle = await promiseOf(pki.trustBundlePem);
        assert.ok(bundle.includes(fake.certPem("pk-rot-ca-g1").trim()) && bundle.includes(fake.certPem("pk-rot-ca-g2").trim()), "clients trust both CAs");
    });

    it("keeps every leaf private key a secret and hands out the CA's certificate", async () => {
        assert.equal(await isSecretOutput(base.pki.server.privateKeyPem), true);
        for (const id of ["alice", "bob"]) assert.equal(await isSecretOutput(base.pki.clients[id].privateKeyPem), true, id);
        assert.equal(await promiseOf(base.pki.caCertPem), fake.certPem("pk-ca-g1"));
        assert.deepEqual(Object.keys(base.pki.clients).sort(), ["alice", "bob"]);
    });

    it("parents every resource it creates to itself", () => {
        assertParented(base.regs, "mqttlab:pki:Pki");
    });
});

describe("Broker", () => {
    const caPem = "-----BEGIN CERTIFICATE-----\nunit-ca\n-----END CERTIFICATE-----\n";
    const serverPem = "-----BEGIN CERTIFICATE-----\nunit-server\n-----END CERTIFICATE-----\n";
    const serverKey = "-----BEGIN PRIVATE KEY-----\nunit-server-key\n-----END PRIVATE KEY-----\n";
    const teachingPassword = "correct horse battery staple";
    const teachingSalt = Buffer.from("unit-salt-12").toString("base64");
    const teaching = (o: Partial<Components.TeachingArgs> = {}): Components.TeachingArgs => ({
        port: 1883,
        username: "student",
        password: pulumi.secret(teachingPassword),
        salt: pulumi.secret(teachingSalt),
        bindAddress: "172.30.56.10",
        mountPoint: "teaching/",
        sharedWithTls: false,
        ...o,
    });
    const declare = async (name: string, over: Partial<Components.BrokerArgs> = {}, host?: LabHost) => {
        const hosts = existingHosts(`${name}-hosts`);
        let broker!: Components.Broker;
        const regs = await mocks.capture(() => {
            broker = new C.Broker(name, {
                host: host ?? hosts.broker,
                trustedCas: [{ generation: 1, certPem: pulumi.output(caPem) }],
                server: { certPem: pulumi.output(serverPem), privateKeyPem: pulumi.secret(serverKey) },
                crlPem: pulumi.output("-----BEGIN X509 CRL-----\nunit-crl\n-----END X509 CRL-----\n"),
                clients: [alice, bob],
                owner: "mqtt-lab/unit",
                ...over,
            });
        });
        return { broker, regs, apply: only(regs, T.command, `${name}-apply`) };
    };

    const tlsCases = [
        { why: "by default", over: {}, port: 8883, version: "tlsv1.2" },
        { why: "on a configured port and TLS version", over: { tlsPort: 8884, tlsVersion: "tlsv1.3" as const }, port: 8884, version: "tlsv1.3" },
    ];
    for (const [i, c] of tlsCases.entries()) {
        it(`embeds a conf whose only listener is mutual TLS with require_certificate true, ${c.why}`, async () => {
            const { apply, broker } = await declare(`br-tls${i}`, c.over);
            const conf = brokerFilesOf(apply.inputs.create)["mqtt-lab.conf"];
            assert.equal(conf, broker.conf, "the embedded conf is the one the component rendered");
            assert.match(conf, /^require_certificate true$/m);
            const parsed = parseMosquittoConf(conf);
            assert.deepEqual(parsed.problems, []);
            assert.equal(parsed.listeners.length, 1);
            const l = parsed.listeners[0];
            assert.equal(l.port, c.port);
            assert.equal(l.tls, true);
            assert.equal(l.requireCertificate, true);
            assert.equal(l.useIdentityAsUsername, true);
            assert.equal(l.allowAnonymous, false);
            assert.equal(l.tlsVersion, c.version);
            assert.equal(l.capath, brokerPaths.caPath, "clients are verified against the trusted CAs directory");
        });
    }

    it("adds a 1883 listener with a password file for the teaching listener, bound to the broker's address, and never allows anonymous clients", async () => {
        const { apply } = await declare("br-teach", { teaching: teaching() });
        const conf = brokerFilesOf(apply.inputs.create)["mqtt-lab.conf"];
        assert.doesNotMatch(conf, /^\s*allow_anonymous\s+true/m);
        const parsed = parseMosquittoConf(conf);
        assert.deepEqual(parsed.problems, []);
        assert.deepEqual(parsed.listeners.map((l) => l.port).sort(), [1883, 8883]);
        const plain = parsed.listeners.find((l) => l.port === 1883)!;
        assert.equal(plain.tls, false);
        assert.ok(plain.passwordFile, "the teaching listener needs a password file");
        assert.equal(plain.bindAddress, "172.30.56.10", "not every interface of the host");
        assert.match(conf, /^mount_point teaching\/$/m);
        for (const l of parsed.listeners) assert.equal(l.allowAnonymous, false, `listener ${l.port}`);
    });

    it("keeps the teaching namespace from the TLS identities in the ACL, unless it is shared", async () => {
        const denied = brokerFilesOf((await declare("br-teach-acl0", { teaching: teaching() })).apply.inputs.create)["acl"];
        assert.match(denied, /^user alice\ntopic readwrite sensors\/#\ntopic deny teaching\/#\n/m);
        assert.match(denied, /^user student\ntopic readwrite teaching\/#\n/m);
        const shared = brokerFilesOf((await declare("br-teach-acl1", { teaching: teaching({ sharedWithTls: true }) })).apply.inputs.create)["acl"];
        assert.match(shared, /^user alice\ntopic readwrite sensors\/#\ntopic read teaching\/#\n/m);
        assert.doesNotMatch(shared, /deny/);
    });

    it("opens no plaintext listener when the teaching listener is off", async () => {
        const { apply } = await declare("br-noteach");
        const parsed = parseMosquittoConf(brokerFilesOf(apply.inputs.create)["mqtt-lab.conf"]);
        assert.deepEqual(
            parsed.listeners.filter((l) => !l.tls),
            [],
        );
        assert.ok(!parsed.listeners.some((l) => l.port === 1883));
    });

    it("embeds an ACL that gives each identity its own topics and nothing else", async () => {
        const { apply } = await declare("br-acl");
        const acl = brokerFilesOf(apply.inputs.create)["acl"];
        assert.match(acl, /^user alice\ntopic readwrite sensors\/#\n/m);
        assert.match(acl, /^user bob\ntopic readwrite lab\/bob\/#\ntopic readwrite lab\/\+\/status\n/m);
        assert.equal((acl.match(/^topic /gm) ?? []).length, 3);
    });

    const bundleCases = [
        { why: "without the teaching listener", teaching: false, files: ["ca-g1.crt", "crl.pem", "server.crt", "server.key"] },
        {
            why: "with the teaching listener, plus a hashed password file",
            teaching: true,
            files: ["ca-g1.crt", "crl.pem", "passwd", "server.crt", "server.key"],
        },
    ];
    for (const [i, c] of bundleCases.entries()) {
        it(`sends the certificates and key on a secret stdin, never in a script, ${c.why}`, async () => {
            const { apply } = await declare(`br-stdin${i}`, c.teaching ? { teaching: teaching() } : {});
            assert.ok(isSecretValue(apply.inputs.stdin), "stdin must be a secret");
            const files = parseBundle(text(apply.inputs.stdin));
            assert.deepEqual(Object.keys(files).sort(), c.files);
            assert.equal(files["ca-g1.crt"], caPem);
            assert.equal(files["server.crt"], serverPem);
            assert.equal(files["server.key"], serverKey);
            if (c.teaching) {
                assert.equal(files.passwd, renderPasswordFile("student", teachingPassword, teachingSalt), "hashed with the salt it was given");
                assert.ok(!files.passwd.includes(teachingPassword), "the password file holds a hash, not the password");
            }
            for (const field of ["create", "update", "delete"]) {
                const script = text(apply.inputs[field], field);
                assert.ok(!script.includes("unit-server-key"), `${field} must not carry the key`);
                assert.ok(!script.includes(teachingPassword), `${field} must not carry the password`);
            }
        });
    }

    it("keeps stdin secret itself, even when handed a key that is not marked secret", async () => {
        const { apply } = await declare("br-plainkey", { server: { certPem: pulumi.output(serverPem), privateKeyPem: pulumi.output(serverKey) } });
        assert.ok(isSecretValue(apply.inputs.stdin), "stdin carries the server key, so it must be a secret");
        assert.equal(parseBundle(text(apply.inputs.stdin))["server.key"], serverKey);
    });

    it("logs nothing of what the apply command runs or prints", async () => {
        const { apply } = await declare("br-log");
        assert.equal(apply.inputs.logging, "none");
    });

    it("runs its apply script as root on the broker host, over that host's pinned connection", async () => {
        const { apply } = await declare("br-conn");
        const conn = reveal<Record<string, unknown>>(apply.inputs.connection);
        assert.equal(conn.host, "203.0.113.101");
        assert.equal(conn.hostKey, brokerHostKey);
        assertPinnedConnection(apply.inputs.connection, "broker apply");
        assert.match(text(apply.inputs.create), /^sudo -n bash -c '/);
        assert.equal(apply.inputs.update, apply.inputs.create, "an update re-runs the whole apply");
    });

    it("parents every resource it creates to itself", async () => {
        const { regs } = await declare("br-parent");
        assertParented(regs, "mqttlab:broker:Broker");
    });
});

describe("Client", () => {
    const caPem = "-----BEGIN CERTIFICATE-----\nclient-test-ca\n-----END CERTIFICATE-----\n";
    const certPem = "-----BEGIN CERTIFICATE-----\nalice-cert\n-----END CERTIFICATE-----\n";
    const keyPem = "-----BEGIN PRIVATE KEY-----\nalice-key\n-----END PRIVATE KEY-----\n";
    let client: Components.Client;
    let install: Registration;
    let regs: Registration[];
    before(async () => {
        const hosts = existingHosts("cl-hosts");
        regs = await mocks.capture(() => {
            client = new C.Client("cl-alice", {
                host: hosts.client,
                identity: "alice",
                caCertPem: caPem,
                cert: { certPem: pulumi.output(certPem), privateKeyPem: pulumi.secret(keyPem) },
            });
        });
        install = only(regs, T.command, "cl-alice-install");
    });

    it("installs on the host it is given, over that host's pinned connection", () => {
        const conn = reveal<Record<string, unknown>>(install.inputs.connection);
        assert.equal(conn.host, "203.0.113.102");
        assert.equal(conn.hostKey, clientHostKey);
        assertPinnedConnection(install.inputs.connection, "client install");
    });

    it("sends the CA, its certificate and its key on a secret stdin, never in the script", () => {
        assert.ok(isSecretValue(install.inputs.stdin));
        assert.deepEqual(parseBundle(text(install.inputs.stdin)), { "ca.crt": caPem, "client.crt": certPem, "client.key": keyPem });
        assert.ok(!text(install.inputs.create).includes("alice-key"));
        assert.equal(install.inputs.logging, "none");
    });

    it("keeps stdin secret itself, even when handed a key that is not marked secret", async () => {
        const hosts = existingHosts("cl-plain-hosts");
        const r = await mocks.capture(
            () =>
                new C.Client("cl-plain", {
                    host: hosts.client,
                    identity: "alice",
                    caCertPem: caPem,
                    cert: { certPem: pulumi.output(certPem), privateKeyPem: pulumi.output(keyPem) },
                }),
        );
        const cmd = only(r, T.command, "cl-plain-install");
        assert.ok(isSecretValue(cmd.inputs.stdin));
        assert.equal(parseBundle(text(cmd.inputs.stdin))["client.key"], keyPem);
    });

    it("writes into a directory named after the identity and removes it on delete", () => {
        assert.equal(client.dir, clientDir("alice"));
        // remote/client-install.sh and client-remove.sh work in "$HOME/$CLIENT_DIR".
        assert.equal(headerValues(unwrapBashC(text(install.inputs.create))).CLIENT_DIR, clientDir("alice"));
        assert.equal(headerValues(unwrapBashC(text(install.inputs.delete))).CLIENT_DIR, clientDir("alice"));
        assert.match(remoteFile("client-remove"), /rm -rf "\$\{HOME:\?\}\/\$CLIENT_DIR"/);
    });

    it("parents every resource it creates to itself", () => {
        assertParented(regs, "mqttlab:client:Client");
    });
});

describe("Checks", () => {
    const triggers = ["applied-1", "ca-pem", "server-pem"];
    const declare = async (name: string, teachingPort?: number) => {
        const hosts = existingHosts(`${name}-hosts`);
        let checks!: Components.Checks;
        const regs = await mocks.capture(() => {
            checks = new C.Checks(name, {
                hostOf: (c) => (c.host === "broker" ? hosts.broker : hosts.client),
                clients: [alice, bob],
                brokerAddress: "203.0.113.101",
                tlsPort: 8883,
                teachingPort,
                triggers: triggers.map((t) => pulumi.output(t)),
                brokerApplied: "applied-1",
                clientCertPems: { alice: "alice-pem", bob: "bob-pem" },
                evidenceDir: "/srv/lab/evidence",
                stack: "unit",
                tlsVersion: "tlsv1.2",
                forgeFrom: { caCertPem: "ca-pem", caPrivateKeyPem: pulumi.secret("ca-key"), clientCertPem: "alice-pem" },
                crlPem: "crl-pem",
            });
        });
        return { checks, regs };
    };

    const placement = [
        { identity: alice, address: "203.0.113.102", hostKey: clientHostKey },
        { identity: bob, address: "203.0.113.101", hostKey: brokerHostKey },
    ];
    for (const p of placement) {
        it(`runs ${p.identity.name}'s checks in the one check run of the ${p.identity.host} host, where its files are`, async () => {
            const { regs, checks } = await declare(`ck-${p.identity.name}`);
            const check = only(regs, T.command, `ck-${p.identity.name}-${p.identity.host}`);
            const conn = reveal<Record<string, unknown>>(check.inputs.connection);
            assert.equal(conn.host, p.address);
            assert.equal(conn.hostKey, p.hostKey);
            assertPinnedConnection(check.inputs.connection, "check");
            const plan = checks.plan.find((x) => x.host === p.identity.host)!;
            assert.deepEqual(plan.identities, [p.identity.name]);
            assert.equal(plan.script, check.inputs.create, "the plan is exactly what runs");
            assert.equal(headerHeredocs(unwrapBashC(plan.script)).IDENTITIES, `${p.identity.name}\n`);
            assert.equal(headerValues(unwrapBashC(plan.script)).CLIENTS_DIR, path.dirname(clientDir(p.identity.name)));
        });
    }

    it("checks all the identities of a host in one command, one command per host, the refusals with the first identity's", async () => {
        const hosts = existingHosts("ck-many-hosts");
        const carol: ClientIdentity = { name: "carol", topics: ["#"], host: "client" };
        let checks!: Components.Checks;
        const regs = await mocks.capture(() => {
            checks = new C.Checks("ck-many", {
                hostOf: (c) => (c.host === "broker" ? hosts.broker : hosts.client),
                clients: [alice, bob, carol],
                brokerAddress: "203.0.113.101",
                tlsPort: 8883,
                triggers: [pulumi.output("t")],
                brokerApplied: "applied-1",
                clientCertPems: { alice: "alice-pem", bob: "bob-pem", carol: "carol-pem" },
                evidenceDir: "/srv/lab/evidence",
                stack: "unit",
                tlsVersion: "tlsv1.2",
                forgeFrom: { caCertPem: "ca-pem", caPrivateKeyPem: pulumi.secret("ca-key"), clientCertPem: "alice-pem" },
                crlPem: "crl-pem",
            });
        });
        assert.deepEqual(
            customOfType(regs, T.command)
                .map((c) => c.name)
                .sort(),
            ["ck-many-broker", "ck-many-client"],
        );
        assert.deepEqual(
            checks.plan.map((p) => [p.host, p.identity, p.identities, p.refusals]),
            [
                ["client", "alice", ["alice", "carol"], true],
                ["broker", "bob", ["bob"], false],
            ],
        );
        // A new certificate of an identity is an update of its host's run (its digest on stdin), not a replace.
        for (const name of ["ck-many-client", "ck-many-broker"]) assert.deepEqual(reveal(only(regs, T.command, name).inputs.triggers), ["t"], name);
        const digests = parseBundle(reveal<string>(only(regs, T.command, "ck-many-client").inputs.stdin)).digests;
        assert.equal(digests, `alice ${identityDigest("alice", "alice-pem", alice.topics)}\ncarol ${identityDigest("carol", "carol-pem", carol.topics)}\n`);
        assert.notEqual(identityDigest("alice", "alice-pem", ["a/#"]), identityDigest("alice", "alice-pem", alice.topics), "topics are in it");
        assert.notEqual(identityDigest("alice", "alice-pem-2", alice.topics), identityDigest("alice", "alice-pem", alice.topics), "so is the certificate");
        assert.deepEqual(headerValues(unwrapBashC(checks.plan[0].script)).REFUSALS, "yes");
        const stdinOf = (n: string) => parseBundle(reveal<string>(only(regs, T.command, n).inputs.stdin));
        assert.equal(stdinOf("ck-many-client")["crl.pem"], "crl-pem", "the refusal checks' files go to the host that runs them");
        assert.equal(stdinOf("ck-many-broker")["crl.pem"], undefined, "and to no other");
    });

    it("writes an evidence report of every run, named after the stack, where it was told", async () => {
        const { regs, checks } = await declare("ck-evidence");
        const writer = only(regs, "command:local:Command", "ck-evidence-evidence");
        // remote/write-evidence.sh writes $EVIDENCE_BASE.md and .json, making the folder first.
        assert.equal(headerValues(unwrapBashC(String(writer.inputs.create))).EVIDENCE_BASE, "/srv/lab/evidence/up-unit");
        assert.match(remoteFile("write-evidence"), /^mkdir -p "\$\(dirname "\$EVIDENCE_BASE"\)"$/m);
        const writerTriggers = writer.inputs.triggers as unknown[];
        assert.ok(Array.isArray(writerTriggers) && writerTriggers.length === 1 + triggers.length, "rewritten whenever the report changes");
        assert.deepEqual(writerTriggers.slice(1), triggers, "and whenever the checks re-run (a repair may leave their output as it was)");
        assert.equal(await promiseOf(checks.report), "/srv/lab/evidence/up-unit.md");
    });

    it("writes the report's files with the very script and stdin it gives the local command", async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), "mqttlab-evidence-"));
        try {
            const hosts = existingHosts("ck-write-hosts");
            const regs = await mocks.capture(() => {
                new C.Checks("ck-write", {
                    hostOf: (c) => (c.host === "broker" ? hosts.broker : hosts.client),
                    clients: [alice],
                    brokerAddress: "203.0.113.101",
                    tlsPort: 8883,
                    triggers: [pulumi.output("t")],
                    brokerApplied: "applied-1",
                    clientCertPems: { alice: "alice-pem" },
                    evidenceDir: dir,
                    stack: "unit",
                    tlsVersion: "tlsv1.2",
                    forgeFrom: { caCertPem: "ca-pem", caPrivateKeyPem: pulumi.secret("ca-key"), clientCertPem: "alice-pem" },
                    crlPem: "crl-pem",
                });
            });
            const writer = only(regs, "command:local:Command", "ck-write-evidence");
            const stdin = text(writer.inputs.stdin, "evidence stdin");
            const r = spawnSync("/bin/sh", ["-c", text(writer.inputs.create)], { input: stdin, encoding: "utf8" });
            assert.equal(r.status, 0, `the writer failed: ${r.stderr}`);
            const sent = parseBundle(stdin);
            assert.deepEqual(readdirSync(dir).sort(), ["up-unit.json", "up-unit.md"]);
            assert.equal(readFileSync(path.join(dir, "up-unit.md"), "utf8"), sent["report.md"]);
            assert.equal(readFileSync(path.join(dir, "up-unit.json"), "utf8"), sent["report.json"]);
            assert.match(sent["report.md"], /^# mqtt-lab checks: stack unit/, "the report of this stack");
            const json = JSON.parse(sent["report.json"]) as { commands: { identity: string; script: string }[] };
            assert.deepEqual(
                json.commands.map((c) => c.identity),
                ["alice"],
                "the JSON names the command behind the outcomes: the client host's check run, under its first identity",
            );
            assert.match(json.commands[0].script, /check_tls_roundtrip/);
            assert.match(json.commands[0].script, /refused impostor-ca/, "the refusal checks are part of it");
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("re-runs every check of a host when the shared triggers change, and on an update only what changed besides the host's own", async () => {
        const { regs } = await declare("ck-trig");
        assert.deepEqual(
            customOfType(regs, T.command)
                .map((c) => c.name)
                .sort(),
            ["ck-trig-broker", "ck-trig-client"],
            "one check run per host",
        );
        for (const name of ["ck-trig-broker", "ck-trig-client"]) {
            const c = only(regs, T.command, name);
            assert.deepEqual(reveal(c.inputs.triggers), triggers, name);
            const create = headerValues(unwrapBashC(text(c.inputs.create)));
            const update = headerValues(unwrapBashC(text(c.inputs.update)));
            assert.deepEqual([create.CHANGED_ONLY, update.CHANGED_ONLY], ["no", "yes"], name);
            // The same script otherwise: what an update leaves out, it leaves out by its switch alone.
            assert.equal(unwrapBashC(text(c.inputs.update)), unwrapBashC(text(c.inputs.create)).replace("CHANGED_ONLY='no'", "CHANGED_ONLY='yes'"), name);
            assert.equal(parseBundle(reveal<string>(c.inputs.stdin))["broker-applied"], "applied-1", `${name}: a new broker apply is an update`);
        }
    });

    const plaintext = [
        { why: "refuses anonymous clients on the teaching port when it is on", teachingPort: 1884, says: /anonymous-refused: .*1884/, port: 1884 },
        {
            why: "finds 1883 closed to anonymous clients when the teaching listener is off",
            teachingPort: undefined,
            says: /plaintext-refused: .*1883/,
            port: 1883,
        },
    ];
    for (const [i, c] of plaintext.entries()) {
        it(`checks that the broker ${c.why}`, async () => {
            const { checks } = await declare(`ck-plain${i}`, c.teachingPort);
            for (const p of checks.plan) {
                const h = headerValues(unwrapBashC(p.script));
                assert.match(`${h.PLAIN_CHECK}: ${h.PLAIN_PORT}`, c.says, p.identity);
                assert.equal(h.PLAIN_PORT, String(c.port), p.identity);
            }
        });
    }

    it("hands the teaching password to the plaintext capture as a secret stdin, and nothing when the listener is off", async () => {
        const hosts = existingHosts("ck-pw-hosts");
        const regs = await mocks.capture(() => {
            new C.Checks("ck-pw", {
                hostOf: (c) => (c.host === "broker" ? hosts.broker : hosts.client),
                clients: [alice, bob],
                brokerAddress: "203.0.113.101",
                tlsPort: 8883,
                teachingPort: 1884,
                teachingUser: "student",
                teachingPassword: pulumi.secret("pw-1884"),
                triggers: [pulumi.output("t")],
                brokerApplied: "applied-1",
                clientCertPems: { alice: "alice-pem", bob: "bob-pem" },
                evidenceDir: "/srv/lab/evidence",
                stack: "unit",
                tlsVersion: "tlsv1.2",
                forgeFrom: { caCertPem: "ca-pem", caPrivateKeyPem: pulumi.secret("ca-key"), clientCertPem: "alice-pem" },
                crlPem: "crl-pem",
            });
        });
        for (const role of ["client", "broker"]) {
            const check = only(regs, T.command, `ck-pw-${role}`);
            assert.ok(isSecretValue(check.inputs.stdin), `${role}: the password travels as a secret`);
            assert.equal(parseBundle(reveal<string>(check.inputs.stdin))["teaching-password"], "pw-1884");
            assert.match(text(check.inputs.create), /check_capture_plaintext/);
        }
        const { regs: off } = await declare("ck-pw-off");
        for (const c of customOfType(off, T.command)) assert.equal(parseBundle(reveal<string>(c.inputs.stdin))["teaching-password"], undefined, c.name);
    });

    it("parents every resource it creates to itself", async () => {
        const { regs } = await declare("ck-parent");
        assertParented(regs, "mqttlab:checks:Checks");
    });
});

describe("mocks", () => {
    it("throw on any provider function call the program did not expect", async () => {
        // The SDK keeps only the gRPC `details` of a failed invoke, so the token is checked on the recorder.
        await assert.rejects(pulumi.runtime.invoke("tls:index/getPublicKey:getPublicKey", { privateKeyPem: "x" }));
        assert.deepEqual(mocks.calls, ["tls:index/getPublicKey:getPublicKey"], "no component may invoke a provider function");
    });
});
