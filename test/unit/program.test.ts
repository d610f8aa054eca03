/**
 * index.ts as a whole, under Pulumi mocks: config in, resource graph out.
 *
 * index.ts reads config and declares everything when it is first imported, so each scenario
 * needs a fresh module and a fresh Pulumi runtime. Each one runs in its own node process: this
 * same file, started with MQTTLAB_UNIT_SCENARIO set, installs the mocks, sets the config,
 * imports ../../index and prints what was registered. No module cache surgery, and one
 * scenario's pending registrations can never leak into another's.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { utils as sshUtils } from "ssh2";
import { seedNetwork } from "../../src/config/labConfig";
import { parseMosquittoConf } from "../../src/mosquitto/parse";
import { cidrsOverlap, parseCidr } from "../../src/config/net";
import { caCommonName } from "../../src/pki/renewal";
import { embeddedFiles, parseBundle } from "../../src/remote/hostScripts";
import { fake, installMocks, isSecretOutput, isSecretValue, promiseOf, Registration, reveal, T, text } from "../../testkit/mocks";
import { renderPasswordFile } from "../../src/mosquitto/conf";

const scenarioVar = "MQTTLAB_UNIT_SCENARIO";
const resultMarker = "MQTTLAB_UNIT_RESULT ";

/** One run of index.ts: config (keys without the namespace), secret keys, environment. */
interface Scenario {
    config: Record<string, unknown>;
    secret?: string[];
    env?: Record<string, string>;
    /** The image image/substrate.sh would have cached; by default the cache is empty. */
    cachedImage?: string;
    /** What the stand-in `docker` and `ip` on PATH report. @default standInMachine */
    machine?: StandInMachine;
}

/** The machine as the stand-ins tell it: `docker network inspect`'s JSON and `ip -j -4 route`'s. */
interface StandInMachine {
    dockerNetworks: { Name: string; Id: string; Driver: string; Options: Record<string, string>; IPAM: { Config: { Subnet: string }[] } }[];
    routes: { dst: string; dev: string }[];
}

/** Docker's bridge on 172.30.208.0/24, the default route and a LAN: clear of every scenario's subnet but dockerOverlap's. */
const standInMachine: StandInMachine = {
    dockerNetworks: [
        {
            Name: "bridge",
            Id: "b".repeat(64),
            Driver: "bridge",
            Options: { "com.docker.network.bridge.name": "docker0" },
            IPAM: { Config: [{ Subnet: "172.30.208.0/24" }] },
        },
    ],
    routes: [
        { dst: "default", dev: "eth0" },
        { dst: "172.30.208.0/24", dev: "docker0" },
        { dst: "198.51.100.0/24", dev: "eth0" },
    ],
};

/**
 * A directory for PATH with stand-in `docker` and `ip` that answer the machine reader's commands
 * (src/config/machineNetworks.ts) from `m` and log each call to `calls`; anything else fails.
 */
function standIns(m: StandInMachine): string {
    const dir = mkdtempSync(join(tmpdir(), "mqttlab-unit-standins-"));
    caches.push(dir);
    writeFileSync(join(dir, "docker-ls"), m.dockerNetworks.map((n) => n.Id).join("\n") + "\n");
    writeFileSync(join(dir, "docker-inspect.json"), JSON.stringify(m.dockerNetworks));
    writeFileSync(join(dir, "routes.json"), JSON.stringify(m.routes));
    const script = (name: string, cases: string) =>
        `#!/bin/sh\necho "${name} $*" >> '${dir}/calls'\ncase "$*" in\n${cases}\n*) echo "stand-in ${name}: unexpected $*" >&2; exit 1;;\nesac\n`;
    writeFileSync(
        join(dir, "docker"),
        script("docker", `"network ls --no-trunc -q") cat '${dir}/docker-ls';;\n"network inspect "*) cat '${dir}/docker-inspect.json';;`),
    );
    writeFileSync(join(dir, "ip"), script("ip", `"-j -4 route") cat '${dir}/routes.json';;`));
    chmodSync(join(dir, "docker"), 0o755);
    chmodSync(join(dir, "ip"), 0o755);
    return dir;
}

interface ProgramOutputs {
    hostSource: string;
    brokerAddress: string;
    checkPlan: { identity: string; identities: string[]; host: string; script: string }[];
    ssh: Record<"broker" | "client", { address: string; port: number; user: string; hostKey: string; fingerprint: string }>;
    /** Whether each exported key is a secret. */
    secret: { sshClientPrivateKey?: boolean; clientKeys: Record<string, boolean> };
}

/** What a scenario's process reports. */
interface Outcome {
    registrations: Registration[];
    calls: string[];
    /** What the program ran of the stand-in `docker` and `ip`. */
    machineCalls?: string[];
    error?: { name: string; message: string; problems?: string[] };
    outputs?: ProgramOutputs;
}

// ---------------------------------------------------------------------------------------------
// The scenario process.

async function runScenario(s: Scenario): Promise<void> {
    const rec = installMocks();
    const ns = "mqtt-lab";
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(s.config).map(([k, v]) => [`${ns}:${k}`, typeof v === "string" ? v : JSON.stringify(v)])),
        (s.secret ?? []).map((k) => `${ns}:${k}`),
    );
    const outcome: Outcome = { registrations: rec.registrations, calls: rec.calls };
    try {
        const program = await import("../../index");
        const clientKeys: Record<string, boolean> = {};
        for (const [name, c] of Object.entries(program.clientCerts)) clientKeys[name] = await isSecretOutput(c.privateKeyPem);
        outcome.outputs = {
            hostSource: program.hostSource,
            brokerAddress: await promiseOf(program.brokerAddress),
            checkPlan: program.checkPlan,
            ssh: { broker: await promiseOf(program.ssh.broker), client: await promiseOf(program.ssh.client) },
            secret: {
                sshClientPrivateKey: program.sshClientPrivateKey === undefined ? undefined : await isSecretOutput(program.sshClientPrivateKey),
                clientKeys,
            },
        };
    } catch (e) {
        const err = e as Error & { problems?: string[] };
        outcome.error = { name: err.name, message: err.message, problems: err.problems };
    }
    await rec.settle();
    const log = join(process.env.PATH!.split(":")[0], "calls");
    outcome.machineCalls = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    process.stdout.write(`\n${resultMarker}${JSON.stringify(outcome)}\n`, () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// The test process.

const limit = Math.max(2, cpus().length);
let running = 0;
const queue: (() => void)[] = [];
async function slot<T>(job: () => Promise<T>): Promise<T> {
    if (running >= limit) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
        return await job();
    } finally {
        running--;
        queue.shift()?.();
    }
}

/** Image caches made for scenarios (removed after the tests), so none depends on what image/substrate.sh left here. */
const caches: string[] = [];
function imageCache(image?: string): string {
    const dir = mkdtempSync(join(tmpdir(), "mqttlab-unit-cache-"));
    caches.push(dir);
    if (image !== undefined) writeFileSync(join(dir, "base-image"), `${image}\n`);
    return dir;
}

function spawnScenario(s: Scenario): Promise<Outcome> {
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${standIns(s.machine ?? standInMachine)}:${process.env.PATH}`,
        MQTTLAB_CACHE: imageCache(s.cachedImage),
        ...s.env,
        [scenarioVar]: JSON.stringify(s),
    };
    for (const k of ["NODE_TEST_CONTEXT", "PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS"]) delete env[k];
    if (!s.env?.MQTTLAB_RUN_ID) delete env.MQTTLAB_RUN_ID;
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [__filename], { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
        child.on("error", reject);
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            const line = stdout
                .split("\n")
                .reverse()
                .find((l) => l.startsWith(resultMarker));
            if (code !== 0 || !line) {
                reject(
                    new Error(`scenario process ended with ${signal ?? code} and no result.\nstdout:\n${stdout.slice(-2000)}\nstderr:\n${stderr.slice(-4000)}`),
                );
                return;
            }
            resolve(JSON.parse(line.slice(resultMarker.length)) as Outcome);
        });
    });
}

const runs = new Map<string, Promise<Outcome>>();
function outcomeOf(name: keyof typeof scenarios): Promise<Outcome> {
    let p = runs.get(name);
    if (!p) {
        p = slot(() => spawnScenario(scenarios[name]));
        p.catch(() => undefined); // reported by the test that awaits it
        runs.set(name, p);
    }
    return p;
}

/** The outcome of a scenario that must succeed. */
async function graphOf(name: keyof typeof scenarios): Promise<Outcome & { outputs: ProgramOutputs }> {
    const o = await outcomeOf(name);
    assert.equal(o.error, undefined, `scenario ${name} failed: ${o.error?.message}`);
    assert.ok(o.outputs);
    return o as Outcome & { outputs: ProgramOutputs };
}

const sshKeyPair = sshUtils.generateKeyPairSync("ed25519");
const brokerHostKey = sshUtils.generateKeyPairSync("ed25519").public.trim();
const clientHostKey = sshUtils.generateKeyPairSync("ed25519").public.trim();
const badKeyBody = "bm90IGEga2V5IGF0IGFsbCwganVzdCBzb21lIHRleHQgdGhhdCBpcyBsb25nIGVub3VnaCB0byBsb29r";
const teachingPassword = "tshark-sees-this-1";

const containers = { hostSource: "containers", image: "img:1" };
const existing = {
    hostSource: "existing",
    brokerAddress: "203.0.113.101",
    clientAddress: "203.0.113.102",
    sshUser: "olivier",
    brokerHostKey,
    clientHostKey,
    sshPrivateKey: sshKeyPair.private,
};

const scenarios = {
    containers: { config: containers },
    wide: {
        config: {
            ...containers,
            subnet: "10.77.0.0/24",
            tlsPort: "8884",
            clients: [
                { name: "alice", topics: ["sensors/#"], host: "client" },
                { name: "bob", topics: ["lab/bob/#"], host: "broker" },
            ],
            teachingListener: { enabled: true },
            teachingPassword,
        },
        secret: ["teachingPassword"],
        env: { MQTTLAB_RUN_ID: "run-42" },
    },
    existing: { config: existing, secret: ["sshPrivateKey"] },
    cachedImage: { config: { hostSource: "containers" }, cachedImage: "cached/base:7" },
    leafRotation: { config: { ...containers, pki: { leafRotation: 1 } } },
    leafValidity: { config: { ...containers, pki: { leafValidityHours: 1200 } } },
    caGeneration: { config: { ...containers, pki: { caGeneration: 2 } } },
    rsa: { config: { ...containers, pki: { algorithm: "rsa", rsaBits: 4096 } } },
    // Refused configurations.
    seedSubnet: { config: { ...containers, subnet: seedNetwork } },
    wideSubnet: { config: { ...containers, subnet: "192.168.0.0/16" } },
    unknownSource: { config: { ...containers, hostSource: "vagrant" } },
    wordPort: { config: { ...containers, tlsPort: "eighty" } },
    dsa: { config: { ...containers, pki: { algorithm: "DSA" } } },
    badIdentity: { config: { ...containers, clients: [{ name: "has spaces" }] } },
    teachingNoPassword: { config: { ...containers, teachingListener: { enabled: true } } },
    teachingShortPassword: { config: { ...containers, teachingListener: { enabled: true }, teachingPassword: "short-pw-11" }, secret: ["teachingPassword"] },
    noImage: { config: { hostSource: "containers" } },
    noUser: { config: { ...existing, sshUser: "" }, secret: ["sshPrivateKey"] },
    badKey: {
        config: { ...existing, sshPrivateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${badKeyBody}\n-----END OPENSSH PRIVATE KEY-----\n` },
        secret: ["sshPrivateKey"],
    },
    publicAsPrivate: { config: { ...existing, sshPrivateKey: sshKeyPair.public }, secret: ["sshPrivateKey"] },
    bothKeys: { config: { ...existing, sshPrivateKeyPath: "/tmp/id_ed25519" }, secret: ["sshPrivateKey"] },
    unreadableKeyPath: { config: { ...existing, sshPrivateKey: "", sshPrivateKeyPath: "/nonexistent/mqtt-lab/id_ed25519" } },
    unpinnedHost: { config: { ...existing, brokerHostKey: "" }, secret: ["sshPrivateKey"] },
    typo: { config: { ...containers, tlsPrt: "8884" } },
    dockerOverlap: { config: { ...containers, subnet: "172.30.208.0/25" } },
    routeOverlap: {
        config: { ...containers, subnet: "172.30.209.0/24" },
        machine: { ...standInMachine, routes: [...standInMachine.routes, { dst: "172.30.209.0/24", dev: "tun7" }] },
    },
    // A second up: the lab's own network (named by its labName) and its bridge's route are there already.
    secondUp: {
        config: { ...containers, subnet: "172.30.209.0/24", labName: "hygnet" },
        machine: {
            dockerNetworks: [
                ...standInMachine.dockerNetworks,
                { Name: "hygnet-net", Id: "0123456789ab".padEnd(64, "c"), Driver: "bridge", Options: {}, IPAM: { Config: [{ Subnet: "172.30.209.0/24" }] } },
            ],
            routes: [...standInMachine.routes, { dst: "172.30.209.0/24", dev: "br-0123456789ab" }],
        },
    },
} satisfies Record<string, Scenario>;

const ofType = (o: Outcome, type: string) => o.registrations.filter((r) => r.type === type);
const named = (o: Outcome, type: string, name: string): Registration => {
    const found = o.registrations.filter((r) => r.type === type && r.name === name);
    assert.equal(
        found.length,
        1,
        `expected one ${type} named ${name}; names: ${ofType(o, type)
            .map((r) => r.name)
            .join(", ")}`,
    );
    return found[0];
};
const countTypes = (o: Outcome) => {
    const counts: Record<string, number> = {};
    for (const r of o.registrations) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return counts;
};
const connectionOf = (r: Registration) => reveal<Record<string, unknown>>(r.inputs.connection);
const isSshKey = (r: Registration) => r.name.includes("-ssh-");
/** Inputs with every secret replaced by a placeholder: what a plain-text state or log could show. */
function publicPart(v: unknown): unknown {
    if (isSecretValue(v)) return "[secret]";
    if (Array.isArray(v)) return v.map(publicPart);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, publicPart(e)]));
    return v;
}

if (process.env[scenarioVar]) {
    runScenario(JSON.parse(process.env[scenarioVar]!) as Scenario).catch((e) => {
        process.stderr.write(`${(e as Error).stack ?? e}\n`);
        process.exit(1);
    });
} else {
    let unwrapBashC: (script: string) => string;
    const brokerConf = (o: Outcome) => embeddedFiles(unwrapBashC(text(named(o, T.command, "lab-apply").inputs.create)))["mqtt-lab.conf"];

    before(async () => {
        ({ unwrapBashC } = await import("../../policies/brokerFiles"));
        for (const name of Object.keys(scenarios)) void outcomeOf(name as keyof typeof scenarios);
    });
    after(async () => {
        await Promise.allSettled(runs.values());
        for (const dir of caches) rmSync(dir, { recursive: true, force: true });
    });

    describe("Program (index.ts) with container hosts", () => {
        const graphs = [
            { scenario: "containers" as const, clients: 1, teaching: false },
            { scenario: "wide" as const, clients: 2, teaching: true },
        ];
        for (const g of graphs) {
            it(`declares the hosts, the PKI, the broker, ${g.clients} client(s) and their checks, and nothing else (${g.scenario})`, async () => {
                const o = await graphOf(g.scenario);
                const n = g.clients;
                assert.deepEqual(countTypes(o), {
                    "mqttlab:hosts:ContainerHosts": 1,
                    "mqttlab:pki:Pki": 1,
                    "mqttlab:broker:Broker": 1,
                    "mqttlab:client:Client": n,
                    "mqttlab:checks:Checks": 1,
                    "mqttlab:drift:Drift": 1,
                    "pulumi-nodejs:dynamic:Resource": 3 + (g.teaching ? 1 : 0), // one host observer per host, one CRL per trusted CA, the password salt
                    [T.network]: 1,
                    [T.container]: 2,
                    [T.key]: 3 + 1 + 1 + n, // SSH client and host keys, CA, broker, clients
                    [T.caCert]: 1,
                    [T.csr]: 1 + n,
                    [T.leafCert]: 1 + n,
                    [T.command]: 1 + n + new Set(o.outputs.checkPlan.map((p) => p.host)).size, // broker apply, one install per client, one check run per host with clients
                    "command:local:Command": 2, // the forged certificates of the refusal checks, the evidence report
                });
                assert.deepEqual(o.calls, [], "the program invokes no provider function");
            });
        }

        const subnets = [
            { scenario: "containers" as const, subnet: "172.30.56.0/24", broker: "172.30.56.10", client: "172.30.56.11" },
            { scenario: "wide" as const, subnet: "10.77.0.0/24", broker: "10.77.0.10", client: "10.77.0.11" },
        ];
        for (const c of subnets) {
            it(`gives the Docker network the explicit subnet ${c.subnet}, clear of ${seedNetwork}, and places the hosts in it`, async () => {
                const o = await graphOf(c.scenario);
                const ipam = reveal<{ subnet: string }[]>(named(o, T.network, "lab-net").inputs.ipamConfigs);
                assert.deepEqual(ipam, [{ subnet: c.subnet }]);
                assert.equal(cidrsOverlap(parseCidr(ipam[0].subnet)!, parseCidr(seedNetwork)!), false);
                for (const [role, address] of [
                    ["broker", c.broker],
                    ["client", c.client],
                ]) {
                    const nets = reveal<{ ipv4Address: string }[]>(named(o, T.container, `lab-${role}`).inputs.networksAdvanced);
                    assert.equal(nets[0].ipv4Address, address, role);
                }
                assert.equal(o.outputs.brokerAddress, c.broker);
            });
        }

        it("never runs the containers privileged and runs the configured image", async () => {
            const o = await graphOf("containers");
            for (const c of ofType(o, T.container)) {
                assert.notEqual(c.inputs.privileged, true, c.name);
                assert.equal(c.inputs.image, "img:1", c.name);
            }
        });

        it("reads Docker's networks and the machine's routes, and declares the lab again beside its own network (second up)", async () => {
            const o = await graphOf("containers");
            assert.deepEqual(o.machineCalls, ["docker network ls --no-trunc -q", `docker network inspect ${"b".repeat(64)}`, "ip -j -4 route"]);
            const again = await graphOf("secondUp");
            assert.deepEqual(reveal(named(again, T.network, "lab-net").inputs.name), "hygnet-net");
            assert.deepEqual(reveal(named(again, T.network, "lab-net").inputs.ipamConfigs), [{ subnet: "172.30.209.0/24" }]);
        });

        it("drops every default capability and adds back only what sshd, mosquitto and the capture need, spelled as Docker reads them back", async () => {
            const o = await graphOf("containers");
            for (const c of ofType(o, T.container)) {
                const caps = reveal<{ drops: string[]; adds: string[] }>(c.inputs.capabilities);
                assert.deepEqual(caps.drops, ["ALL"], c.name);
                assert.deepEqual(
                    caps.adds,
                    ["CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SYS_CHROOT"],
                    c.name,
                );
                assert.deepEqual(caps.adds, [...caps.adds].sort(), `${c.name}: sorted, as Docker stores them`);
            }
        });

        it("uses the image image/substrate.sh cached when config names none", async () => {
            const o = await graphOf("cachedImage");
            for (const c of ofType(o, T.container)) assert.equal(c.inputs.image, "cached/base:7", c.name);
        });

        it("labels the network and containers with the run id when a test run sets one", async () => {
            for (const [scenario, run] of [
                ["wide", "run-42"],
                ["containers", undefined],
            ] as const) {
                const o = await graphOf(scenario);
                for (const r of [...ofType(o, T.network), ...ofType(o, T.container)]) {
                    const labels = reveal<{ label: string; value: string }[]>(r.inputs.labels);
                    assert.deepEqual(labels.find((l) => l.label === "mqtt-lab-run")?.value, run, `${scenario} ${r.name}`);
                    assert.equal(labels.find((l) => l.label === "mqtt-lab")?.value, "mqtt-lab", `${scenario} ${r.name}`);
                }
            }
        });

        const placements = [
            { scenario: "containers" as const, identity: "client-a", host: "client", address: "172.30.56.11" },
            { scenario: "wide" as const, identity: "alice", host: "client", address: "10.77.0.11" },
            { scenario: "wide" as const, identity: "bob", host: "broker", address: "10.77.0.10" },
        ];
        for (const p of placements) {
            it(`installs ${p.identity}'s files on the ${p.host} host and runs its checks there (${p.scenario})`, async () => {
                const o = await graphOf(p.scenario);
                const install = named(o, T.command, `lab-${p.identity}-install`);
                const check = named(o, T.command, `lab-checks-${p.host}`);
                const hostKey = o.outputs.ssh[p.host as "broker" | "client"].hostKey;
                for (const r of [install, check]) {
                    assert.equal(connectionOf(r).host, p.address, r.name);
                    assert.equal(connectionOf(r).hostKey, hostKey, r.name);
                }
                assert.ok(o.outputs.checkPlan.find((x) => x.host === p.host)?.identities.includes(p.identity), `${p.identity} checked on ${p.host}`);
            });
        }

        it("sends the broker's files to the broker host", async () => {
            for (const [scenario, address] of [
                ["containers", "172.30.56.10"],
                ["wide", "10.77.0.10"],
            ] as const) {
                const o = await graphOf(scenario);
                const conn = connectionOf(named(o, T.command, "lab-apply"));
                assert.equal(conn.host, address, scenario);
                assert.equal(conn.hostKey, o.outputs.ssh.broker.hostKey, scenario);
            }
        });

        it("pins each host's generated key and exports the same key and its fingerprint", async () => {
            const o = await graphOf("containers");
            for (const role of ["broker", "client"] as const) {
                const keyName = `lab-${role}-ssh-host-key`;
                assert.equal(o.outputs.ssh[role].hostKey, fake.publicKeyOpenssh(keyName).trim());
                assert.match(o.outputs.ssh[role].fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
                assert.equal(o.outputs.ssh[role].user, "root");
            }
            assert.notEqual(o.outputs.ssh.broker.fingerprint, o.outputs.ssh.client.fingerprint);
            assert.equal(o.outputs.secret.sshClientPrivateKey, true, "the exported SSH client key is a secret");
        });

        it("embeds a broker conf with require_certificate true on the configured TLS port, sent with secret stdin and no logging", async () => {
            for (const [scenario, port] of [
                ["containers", 8883],
                ["wide", 8884],
            ] as const) {
                const o = await graphOf(scenario);
                const apply = named(o, T.command, "lab-apply");
                const conf = brokerConf(o);
                assert.match(conf, /^require_certificate true$/m, scenario);
                const tls = parseMosquittoConf(conf).listeners.filter((l) => l.tls);
                assert.deepEqual(
                    tls.map((l) => [l.port, l.requireCertificate, l.allowAnonymous]),
                    [[port, true, false]],
                    scenario,
                );
                assert.ok(isSecretValue(apply.inputs.stdin), `${scenario}: stdin must be a secret`);
                assert.equal(apply.inputs.logging, "none", scenario);
                const serverKey = ofType(o, T.key).filter((r) => r.name.startsWith("lab-broker-key-"));
                assert.equal(serverKey.length, 1);
                assert.equal(
                    parseBundle(text(apply.inputs.stdin))["server.key"],
                    fake.privateKeyPem(serverKey[0].name),
                    `${scenario}: the broker gets its own key`,
                );
            }
        });

        it("adds the teaching listener on 1883 with a password file, never anonymous", async () => {
            const o = await graphOf("wide");
            const conf = brokerConf(o);
            assert.doesNotMatch(conf, /^\s*allow_anonymous\s+true/m);
            const listeners = parseMosquittoConf(conf).listeners;
            const plain = listeners.filter((l) => !l.tls);
            assert.deepEqual(
                plain.map((l) => l.port),
                [1883],
            );
            assert.ok(plain[0].passwordFile);
            for (const l of listeners) assert.equal(l.allowAnonymous, false, `listener ${l.port}`);
            assert.equal(plain[0].bindAddress, "10.77.0.10", "bound to the broker's lab address, not every interface");
            assert.match(conf, /^mount_point teaching\/$/m);
            const files = parseBundle(text(named(o, T.command, "lab-apply").inputs.stdin));
            // The salt is the random one the salt resource keeps in the state (mocked here), not derived from the password.
            assert.equal(files.passwd, renderPasswordFile("student", teachingPassword, fake.salt("lab-teaching-salt")));
            const salt = named(o, "pulumi-nodejs:dynamic:Resource", "lab-teaching-salt");
            assert.equal(salt.inputs.bytes, 12);
            assert.match(String(salt.inputs.__provider), /randomBytes/, "the provider is serialized with its create");
            assert.ok(!JSON.stringify(salt.inputs).includes(teachingPassword), "the salt's serialized provider captures no secret");
            for (const p of o.outputs.checkPlan) assert.match(p.script, /anonymous-refused/, p.identity);
        });

        it("opens no plaintext listener when the teaching listener is off, and checks that 1883 refuses", async () => {
            const o = await graphOf("containers");
            assert.deepEqual(
                parseMosquittoConf(brokerConf(o)).listeners.filter((l) => !l.tls),
                [],
            );
            for (const p of o.outputs.checkPlan) assert.match(p.script, /plaintext-refused/, p.identity);
        });

        it("re-runs the checks when the broker's files or any certificate change", async () => {
            for (const scenario of ["containers", "wide"] as const) {
                const o = await graphOf(scenario);
                const expected = [
                    "lab-broker-id",
                    "lab-client-id", // a replaced container re-runs them
                    brokerConf(o), // a new conf: listeners, TLS settings
                    fake.token("lab-broker-observer"), // a drift seen on either host re-runs them
                    fake.token("lab-client-observer"),
                    fake.certPem("lab-ca-g1"),
                    fake.crlPem("lab-crl-g1").trim() + "\n", // a revocation re-runs them
                    ...ofType(o, T.leafCert)
                        .filter((r) => r.name.startsWith("lab-broker-cert-"))
                        .map((r) => fake.certPem(r.name)), // the broker's certificate
                ].sort();
                const checks = ofType(o, T.command).filter((r) => r.name.startsWith("lab-checks-"));
                assert.equal(checks.length, scenario === "wide" ? 2 : 1, "one check run per host with identities");
                for (const c of checks) {
                    assert.deepEqual(reveal<string[]>(c.inputs.triggers).slice().sort(), expected, c.name);
                    // An identity's new certificate is an update of its host's run: its digest is on stdin,
                    // with what the broker's apply said (an ACL change re-runs the host's own checks).
                    const plan = o.outputs.checkPlan.find((p) => `lab-checks-${p.host}` === c.name)!;
                    const stdin = parseBundle(reveal<string>(c.inputs.stdin));
                    assert.deepEqual(
                        stdin.digests
                            .trim()
                            .split("\n")
                            .map((l) => l.split(" ")[0]),
                        plan.identities,
                        c.name,
                    );
                    assert.equal(stdin["broker-applied"], fake.stdout("lab-apply"), c.name);
                }
            }
        });
    });

    describe("Program (index.ts) with existing hosts", () => {
        it("declares no container, network or SSH key for existing hosts", async () => {
            const o = await graphOf("existing");
            const counts = countTypes(o);
            assert.equal(counts["mqttlab:hosts:ExistingHosts"], 1);
            for (const t of [T.network, T.container, "mqttlab:hosts:ContainerHosts"]) assert.equal(counts[t], undefined, t);
            assert.deepEqual(ofType(o, T.key).filter(isSshKey), []);
            assert.equal(ofType(o, T.command).length, 3, "the broker's apply, client-a's install, the client host's checks");
            assert.equal(o.outputs.secret.sshClientPrivateKey, undefined);
            assert.deepEqual(o.machineCalls, [], "nothing of this machine's networks is read for existing hosts");
        });

        it("connects to each VM as the configured user with its configured key and host key", async () => {
            const o = await graphOf("existing");
            const want: Record<string, { host: string; hostKey: string }> = {
                "lab-apply": { host: "203.0.113.101", hostKey: brokerHostKey },
                "lab-client-a-install": { host: "203.0.113.102", hostKey: clientHostKey },
                "lab-checks-client": { host: "203.0.113.102", hostKey: clientHostKey },
            };
            for (const [name, w] of Object.entries(want)) {
                const r = named(o, T.command, name);
                const conn = connectionOf(r);
                assert.equal(conn.host, w.host, name);
                assert.equal(conn.hostKey, w.hostKey, name);
                assert.equal(conn.user, "olivier", name);
                assert.equal(conn.privateKey, sshKeyPair.private, name);
            }
            assert.match(text(named(o, T.command, "lab-apply").inputs.create), /^sudo -n bash -c '/);
        });
    });

    describe("Program (index.ts) for every host source", () => {
        const good = ["containers", "wide", "existing", "cachedImage", "rsa"] as const;

        it("gives every remote command a connection with a pinned hostKey and a dialErrorLimit and perDialTimeout that give up within a minute", async () => {
            for (const scenario of good) {
                const o = await graphOf(scenario);
                for (const r of ofType(o, T.command)) {
                    const c = connectionOf(r);
                    assert.match(String(c.hostKey ?? ""), /^ssh-ed25519 [A-Za-z0-9+/=]+$/, `${scenario} ${r.name}: hostKey`);
                    assert.ok(Number.isInteger(c.dialErrorLimit) && (c.dialErrorLimit as number) > 0, `${scenario} ${r.name}: dialErrorLimit`);
                    assert.ok(typeof c.perDialTimeout === "number" && c.perDialTimeout > 0, `${scenario} ${r.name}: perDialTimeout`);
                    // The command SDK's own defaults (10 x 15 s) would take 150 s to give up on a dead host.
                    const worst = (c.dialErrorLimit as number) * (c.perDialTimeout as number);
                    assert.ok(worst <= 60, `${scenario} ${r.name}: an unreachable host must fail within a minute, not after ${worst} s`);
                }
            }
        });

        it("never puts a private key or the teaching password in an input that is not secret", async () => {
            for (const scenario of good) {
                const o = await graphOf(scenario);
                for (const r of o.registrations) {
                    const shown = JSON.stringify(publicPart(r.inputs));
                    assert.doesNotMatch(shown, /PRIVATE KEY/, `${scenario} ${r.type} ${r.name}`);
                    assert.ok(!shown.includes(teachingPassword), `${scenario} ${r.type} ${r.name} shows the teaching password`);
                }
                for (const [name, secret] of Object.entries(o.outputs.secret.clientKeys)) assert.equal(secret, true, `${scenario}: ${name}'s exported key`);
            }
        });

        it("makes the CA a CA for signing with a subject distinct from every leaf, and each client CSR's CN its identity", async () => {
            for (const scenario of ["containers", "wide"] as const) {
                const o = await graphOf(scenario);
                const ca = named(o, T.caCert, "lab-ca-g1");
                assert.equal(ca.inputs.isCaCertificate, true);
                assert.ok((ca.inputs.allowedUses as string[]).includes("cert_signing"));
                const caSubject = reveal<Record<string, string>>(ca.inputs.subject);
                for (const csr of ofType(o, T.csr)) {
                    const subject = reveal<Record<string, string>>(csr.inputs.subject);
                    assert.notEqual(subject.commonName, caSubject.commonName, csr.name);
                    const m = /^lab-client-(.+)-csr-/.exec(csr.name);
                    if (m) assert.equal(subject.commonName, m[1], csr.name);
                    else {
                        assert.deepEqual(reveal(csr.inputs.dnsNames), ["broker.mqtt-lab.internal"], csr.name);
                        assert.deepEqual(reveal(csr.inputs.ipAddresses), [o.outputs.brokerAddress], csr.name);
                    }
                }
                for (const cert of ofType(o, T.leafCert)) {
                    assert.equal(cert.inputs.isCaCertificate, false, cert.name);
                    const uses = cert.inputs.allowedUses as string[];
                    assert.ok(uses.includes(cert.name.startsWith("lab-broker-") ? "server_auth" : "client_auth"), cert.name);
                }
            }
        });

        const algorithms = [
            { scenario: "containers" as const, why: "the default ECDSA P256", expected: { algorithm: "ECDSA", ecdsaCurve: "P256" } },
            { scenario: "rsa" as const, why: "RSA 4096 (written in lower case)", expected: { algorithm: "RSA", rsaBits: 4096 } },
        ];
        for (const a of algorithms) {
            it(`gives every certificate key ${a.why} and keeps the SSH keys ED25519`, async () => {
                const o = await graphOf(a.scenario);
                const keys = ofType(o, T.key);
                assert.equal(keys.filter((k) => !isSshKey(k)).length, 3);
                for (const k of keys) assert.deepEqual(k.inputs, isSshKey(k) ? { algorithm: "ED25519" } : a.expected, k.name);
            });
        }

        const leafChanges = [
            { scenario: "leafRotation" as const, why: "pki.leafRotation is bumped", marker: "-r1-" },
            { scenario: "leafValidity" as const, why: "pki.leafValidityHours changes", marker: "-v1200" },
        ];
        for (const c of leafChanges) {
            it(`renames every leaf (so keys are replaced) and keeps the CA when ${c.why}`, async () => {
                const base = await graphOf("containers");
                const o = await graphOf(c.scenario);
                const pkiNames = (x: Outcome, leaf: boolean) =>
                    [...ofType(x, T.key).filter((k) => !isSshKey(k)), ...ofType(x, T.caCert), ...ofType(x, T.csr), ...ofType(x, T.leafCert)]
                        .map((r) => r.name)
                        .filter((n) => /^lab-ca-/.test(n) !== leaf)
                        .sort();
                assert.deepEqual(pkiNames(o, false), pkiNames(base, false), "the CA keeps its names");
                const before = pkiNames(base, true);
                const after = pkiNames(o, true);
                assert.equal(after.length, before.length);
                assert.deepEqual(
                    after.filter((n) => before.includes(n)),
                    [],
                    "no leaf keeps its name",
                );
                for (const n of after) assert.ok(n.includes(c.marker), n);
            });
        }

        it("rotates the CA to a new name and subject CN when pki.caGeneration is bumped", async () => {
            const o = await graphOf("caGeneration");
            const ca = named(o, T.caCert, "lab-ca-g2");
            named(o, T.key, "lab-ca-key-g2");
            assert.deepEqual(
                ofType(o, T.caCert).map((r) => r.name),
                ["lab-ca-g2"],
            );
            assert.equal(reveal<Record<string, string>>(ca.inputs.subject).commonName, caCommonName("mqtt-lab", 2));
            for (const cert of ofType(o, T.leafCert)) assert.equal(text(cert.inputs.caCertPem), fake.certPem("lab-ca-g2"), cert.name);
        });
    });

    describe("Program (index.ts) with bad config", () => {
        const refused: { scenario: keyof typeof scenarios; why: string; key: string; says?: RegExp }[] = [
            { scenario: "seedSubnet", why: "the seed's own network as subnet", key: "subnet", says: /overlaps 192\.168\.56\.0\/24/ },
            { scenario: "wideSubnet", why: "a subnet that contains the seed's network", key: "subnet", says: /overlaps 192\.168\.56\.0\/24/ },
            { scenario: "unknownSource", why: "an unknown host source", key: "hostSource", says: /allowed: containers, existing/ },
            { scenario: "wordPort", why: "a TLS port that is not a number", key: "tlsPort", says: /a TCP port/ },
            { scenario: "dsa", why: "a key algorithm outside the allow-list", key: "pki.algorithm", says: /RSA, ECDSA, ED25519/ },
            { scenario: "badIdentity", why: "a client identity with spaces", key: "clients[0].name" },
            { scenario: "teachingNoPassword", why: "a teaching listener without a password", key: "teachingPassword", says: /--secret/ },
            {
                scenario: "teachingShortPassword",
                why: "a teaching password of 11 characters",
                key: "teachingPassword",
                says: /has 11 characters; allowed: 12 to 256/,
            },
            { scenario: "noImage", why: "containers without an image and none cached", key: "image", says: /substrate\.sh/ },
            { scenario: "noUser", why: "existing hosts without an SSH user", key: "sshUser" },
            { scenario: "badKey", why: "existing hosts with an SSH key that does not parse", key: "sshPrivateKey", says: /not a usable SSH private key/ },
            { scenario: "publicAsPrivate", why: "existing hosts with a public key as the private key", key: "sshPrivateKey", says: /holds a public key/ },
            { scenario: "bothKeys", why: "existing hosts with both a key and a key path", key: "sshPrivateKey", says: /Exactly one of/ },
            { scenario: "unreadableKeyPath", why: "existing hosts with an unreadable key path", key: "sshPrivateKeyPath", says: /cannot be read/ },
            { scenario: "unpinnedHost", why: "existing hosts with no broker host key", key: "brokerHostKey", says: /ssh-keyscan/ },
            { scenario: "typo", why: "a key the program does not read (a typo)", key: "tlsPrt", says: /did you mean \[mqtt-lab:tlsPort\]\?/ },
            {
                scenario: "dockerOverlap",
                why: "a subnet inside a Docker network of the machine",
                key: "subnet",
                says: /overlaps Docker network "bridge" \(172\.30\.208\.0\/24\)/,
            },
            {
                scenario: "routeOverlap",
                why: "a subnet a route of the machine leads to",
                key: "subnet",
                says: /overlaps this machine's route to 172\.30\.209\.0\/24 on tun7/,
            },
        ];
        for (const c of refused) {
            it(`refuses ${c.why} with a ConfigError naming [mqtt-lab:${c.key}], before any resource is registered`, async () => {
                const o = await outcomeOf(c.scenario);
                assert.ok(o.error, "expected the program to throw");
                assert.equal(o.error.name, "ConfigError", o.error.message);
                const problems = (o.error.problems ?? []).filter((p) => p.includes(`[mqtt-lab:${c.key}]`));
                assert.ok(problems.length > 0, `no problem names [mqtt-lab:${c.key}]: ${o.error.message}`);
                if (c.says)
                    assert.ok(
                        problems.some((p) => c.says!.test(p)),
                        `expected ${c.says} in: ${problems.join(" | ")}`,
                    );
                assert.ok(o.error.message.includes(`[mqtt-lab:${c.key}]`));
                assert.deepEqual(
                    o.registrations.map((r) => `${r.type} ${r.name}`),
                    [],
                );
            });
        }

        it("never echoes a refused teaching password in its error", async () => {
            const o = await outcomeOf("teachingShortPassword");
            assert.ok(o.error);
            assert.ok(!o.error.message.includes("short-pw-11"), o.error.message);
        });

        it("never echoes a bad SSH private key in its error", async () => {
            const o = await outcomeOf("badKey");
            assert.ok(o.error);
            assert.ok(!o.error.message.includes(badKeyBody.slice(0, 40)), o.error.message);
        });
    });
}
