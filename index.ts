/**
 * mqtt-lab: read config, compose the components, export what a user needs to reach the broker.
 * Everything that can go wrong with config is found before the first resource is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { Broker, Checks, Client, ContainerHosts, Drift, ExistingHosts, LabHost, Pki, renderBrokerFiles } from "./src/components";
import { renderPasswordFile } from "./src/mosquitto/conf";
import { PasswordSalt } from "./src/secrets/salt";
import { confListenPorts } from "./src/remote/hostScripts";
import { ConfigError, ns, RawConfig, validateLabConfig } from "./src/config/labConfig";
import { objectKeys, plainKeys, unknownKeyProblems } from "./src/config/keys";
import { readMachineNetworks } from "./src/config/machineNetworks";
import { sshFingerprint } from "./src/ssh/fingerprint";
import { renewalEpoch } from "./src/pki/renewal";
import { checkSshSettings } from "./src/config/ssh";
import { DeclaredOutputs } from "./src/outputs";

const config = new pulumi.Config(ns);
// A key the program does not read is a typo: refuse it before anything else, naming the nearest.
const unknownKeys = unknownKeyProblems(Object.keys(pulumi.runtime.allConfig()));
if (unknownKeys.length > 0) throw new ConfigError(unknownKeys);
// Raw values, read once here: components get typed args (Config cannot be mocked in unit tests).
const raw: RawConfig = {};
// Pulumi.yaml declares keys without a default as "" (a declared key without a default is
// required), so "" means "not set".
for (const key of plainKeys) raw[key] = config.get(key) || undefined;
for (const key of objectKeys) raw[key] = config.getObject(key);
// The image image/substrate.sh built last, unless config names one: it is tagged by its recipe.
raw.image ??= cachedBaseImage();
// A run-specific label for tests' sweeps (scripts/sweep.sh removes what carries it); not a user setting.
const runLabel = config.get("runId") || process.env.MQTTLAB_RUN_ID;

function cachedBaseImage(): string | undefined {
    const file = path.join(process.env.MQTTLAB_CACHE ?? "/var/cache/mqtt-lab", "base-image");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : undefined;
}

// The teaching password is read raw only to be judged (its length, never printed); it stays a secret below.
// Docker's networks and the machine's routes are read only for a lab on containers (its subnet is judged against them).
const cfg = validateLabConfig(raw, { teachingPassword: pulumi.runtime.getConfig(`${ns}:teachingPassword`) }, { machineNetworks: readMachineNetworks });
const teachingPassword = cfg.teaching.enabled ? config.requireSecret("teachingPassword") : undefined;
// The password file's salt: random, made once, a secret in the state (src/secrets/salt.ts).
const teachingSalt = cfg.teaching.enabled ? new PasswordSalt("lab-teaching-salt").salt : undefined;

let hosts: { broker: LabHost; client: LabHost };
if (cfg.hostSource === "containers") {
    hosts = new ContainerHosts("lab", {
        image: cfg.image,
        subnet: cfg.subnet,
        brokerAddress: cfg.brokerAddress,
        clientAddress: cfg.clientAddress,
        labName: cfg.labName,
        labels: runLabel ? { "mqtt-lab-run": runLabel } : undefined,
    });
} else {
    // Secrets read raw here only to be parsed before anything changes; they stay secrets below.
    const ssh = checkSshSettings({
        privateKey: pulumi.runtime.getConfig(`${ns}:sshPrivateKey`),
        privateKeyPath: config.get("sshPrivateKeyPath"),
        brokerHostKey: config.get("brokerHostKey"),
        clientHostKey: config.get("clientHostKey"),
    });
    if (!ssh.value) throw new ConfigError(ssh.problems);
    hosts = new ExistingHosts("lab", {
        brokerAddress: cfg.brokerAddress,
        clientAddress: cfg.clientAddress,
        user: cfg.sshUser,
        sshPort: cfg.sshPort,
        privateKey: pulumi.secret(ssh.value.privateKey),
        brokerHostKey: ssh.value.brokerHostKey,
        clientHostKey: ssh.value.clientHostKey,
    });
}

const pki = new Pki("lab", {
    pki: cfg.pki,
    labName: cfg.labName,
    // The configured address, not the container's output: SANs stay known at preview.
    brokerAddress: cfg.brokerAddress,
    brokerDnsName: cfg.brokerDnsName,
    clients: cfg.clients,
    revokedClients: cfg.revokedClients,
    renewalEpoch: renewalEpoch(Date.now(), cfg.pki.leafValidityHours, cfg.pki.earlyRenewalHours),
});

const brokerArgs = {
    host: hosts.broker,
    trustedCas: pki.trustedCas,
    server: pki.server,
    crlPem: pki.crlPem,
    clients: cfg.clients,
    tlsPort: cfg.tlsPort,
    tlsVersion: cfg.tlsVersion,
    teaching:
        cfg.teaching.enabled && teachingPassword && teachingSalt
            ? {
                  port: cfg.teaching.port,
                  username: cfg.teaching.username,
                  password: teachingPassword,
                  salt: teachingSalt,
                  // The configured address, known at preview: the policy pack judges the listener line.
                  bindAddress: cfg.brokerAddress,
                  mountPoint: cfg.teaching.mountPoint,
                  sharedWithTls: cfg.teaching.sharedWithTls,
              }
            : undefined,
    takeOverConfFiles: cfg.takeOverConfFiles,
    owner: `${pulumi.getProject()}/${pulumi.getStack()}`,
};
const brokerFiles = renderBrokerFiles(brokerArgs);

// Pulumi's eyes on the hosts: what a refresh (or any preview) sees there feeds the installs below.
const drift = new Drift("lab", {
    hosts,
    broker: {
        ...brokerFiles,
        trustedCas: pki.trustedCas,
        server: pki.server,
        crlPem: pki.crlPem,
        passwordFile: brokerArgs.teaching
            ? pulumi.secret(
                  pulumi.all([brokerArgs.teaching.password, brokerArgs.teaching.salt]).apply(([p, salt]) => renderPasswordFile(cfg.teaching.username, p, salt)),
              )
            : undefined,
        listenPorts: confListenPorts(brokerFiles.conf),
    },
    clients: cfg.clients.map((c) => ({ name: c.name, host: c.host, caCertPem: pki.trustBundlePem, cert: pki.clients[c.name] })),
    pinWith:
        hosts instanceof ContainerHosts
            ? {
                  broker: "put the container's generated key back, or replace the container (docker rm -f it, then pulumi up --refresh): the program pins the key it generated, not {key}.",
                  client: "put the container's generated key back, or replace the container (docker rm -f it, then pulumi up --refresh): the program pins the key it generated, not {key}.",
              }
            : {
                  broker: `check it out of band, then pin it: pulumi config set ${ns}:brokerHostKey '{key}'`,
                  client: `check it out of band, then pin it: pulumi config set ${ns}:clientHostKey '{key}'`,
              },
});

const broker = new Broker("lab", { ...brokerArgs, repairToken: drift.tokens.broker });

const clients = cfg.clients.map(
    (c) =>
        new Client(
            `lab-${c.name}`,
            {
                host: c.host === "broker" ? hosts.broker : hosts.client,
                identity: c.name,
                caCertPem: pki.trustBundlePem,
                cert: pki.clients[c.name],
                repairToken: drift.tokens[c.host],
            },
            { dependsOn: [broker] },
        ),
);

const checks = new Checks(
    "lab-checks",
    {
        hostOf: (c) => (c.host === "broker" ? hosts.broker : hosts.client),
        clients: cfg.clients,
        brokerAddress: cfg.brokerAddress,
        tlsPort: cfg.tlsPort,
        teachingPort: cfg.teaching.enabled ? cfg.teaching.port : undefined,
        teachingUser: cfg.teaching.enabled ? cfg.teaching.username : undefined,
        teachingMountPoint: cfg.teaching.mountPoint,
        teachingShared: cfg.teaching.sharedWithTls,
        teachingPassword: teachingPassword,
        minCertDaysLeft: cfg.minCertDaysLeft,
        evidenceDir: path.join(process.cwd(), "evidence"),
        stack: pulumi.getStack(),
        triggers: [
            hosts.broker.instance,
            hosts.client.instance,
            // The broker's conf (listeners, TLS settings); its ACL changes with the identities, which
            // re-run only their own checks and the hosts' (brokerApplied).
            broker.conf,
            // A drift seen (and repaired) on either host runs the checks again.
            drift.tokens.broker,
            drift.tokens.client,
            pki.trustBundlePem,
            pki.server.certPem,
            pki.crlPem,
        ],
        brokerApplied: broker.applied,
        clientCertPems: Object.fromEntries(cfg.clients.map((c) => [c.name, pki.clients[c.name].certPem])),
        tlsVersion: cfg.tlsVersion,
        forgeFrom: { caCertPem: pki.caCertPem, caPrivateKeyPem: pki.caPrivateKeyPem, clientCertPem: pki.clients[cfg.clients[0].name].certPem },
        crlPem: pki.crlPem,
        revoked: cfg.revokedClients[0] && { name: cfg.revokedClients[0].name, ...pki.revokedClients[cfg.revokedClients[0].name] },
    },
    { dependsOn: clients },
);

const endpoint = (h: LabHost) =>
    pulumi.all([h.address, h.hostKey]).apply(([address, hostKey]) => ({
        address,
        port: h.sshPort,
        user: h.user,
        hostKey,
        fingerprint: sshFingerprint(hostKey),
    }));

// The stack outputs, typed by the contract the tools read (src/outputs.ts).
const outputs = {
    brokerAddress: hosts.broker.address,
    checkResults: checks.results,
    checkPlan: checks.plan,
    // The forged certificates the refusal checks read (secret): `npm run verify` reruns them.
    refusalForgeries: checks.forgeries,
    latestReport: checks.report,
    brokerDnsName: cfg.brokerDnsName,
    tlsPort: cfg.tlsPort,
    // null, not undefined: the output exists either way and says the listener is off.
    teachingPort: cfg.teaching.enabled ? cfg.teaching.port : null,
    teachingUser: cfg.teaching.enabled ? cfg.teaching.username : null,
    caCertPem: pki.trustBundlePem,
    crlPem: pki.crlPem,
    // What the CRLs list (serial, identity, why, when, until when): public, as a CRL is.
    revokedCertificates: pki.revokedLeaves,
    signingCaGeneration: cfg.pki.caGeneration,
    brokerApplied: broker.applied,
    drift: { broker: drift.drift.broker, client: drift.drift.client },
    repairedDrift: { broker: drift.repaired.broker, client: drift.repaired.client },
    clientCerts: Object.fromEntries(
        cfg.clients.map((c, i) => [
            c.name,
            {
                host: c.host,
                dir: clients[i].dir,
                certPem: pki.clients[c.name].certPem,
                privateKeyPem: pki.clients[c.name].privateKeyPem,
            },
        ]),
    ),
    ssh: { broker: endpoint(hosts.broker), client: endpoint(hosts.client) },
    hostSource: cfg.hostSource,
    sshClientPrivateKey: hosts instanceof ContainerHosts ? pulumi.secret(hosts.clientPrivateKey) : undefined,
} satisfies DeclaredOutputs;
export = outputs;
