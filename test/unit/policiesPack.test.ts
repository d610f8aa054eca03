import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { mqttLabPolicies } from "../../policies/pack";
import { confCommand, connection, labAcl, labConf, labPki, seedConf, seedPki, types } from "./policyFixtures";
import { Outcome, resourceArgs, runResourcePolicy, runStackPolicy, StackResourceSpec, stackArgs } from "./policyUtil";

/** Runs every rule of the pack over a stack, as the engine does: resource rules per resource, then stack rules. */
async function runPack(specs: StackResourceSpec[]): Promise<Map<string, Outcome[]>> {
    const results = new Map<string, Outcome[]>();
    const add = (name: string, o: Outcome) => results.set(name, [...(results.get(name) ?? []), o]);
    for (const p of mqttLabPolicies()) {
        if ("validateStack" in p) {
            add(p.name, await runStackPolicy(p as StackValidationPolicy, stackArgs(specs)));
        } else {
            for (const s of specs) add(p.name, await runResourcePolicy(p as ResourceValidationPolicy, resourceArgs(s.type, s.props, { name: s.name })));
        }
    }
    return results;
}

const violated = (results: Map<string, Outcome[]>) =>
    [...results]
        .filter(([, os]) => os.some((o) => o.violations.length > 0))
        .map(([name]) => name)
        .sort();

/** The seed fixture program's resources (test/fixtures/seed-program), at preview. */
const seedStack: StackResourceSpec[] = [
    ...seedPki(),
    {
        type: types.remoteCommand,
        name: "seed-broker-conf",
        props: {
            connection: { host: "203.0.113.10", user: "vagrant", password: "vagrant" },
            create: "cat > /etc/mosquitto/conf.d/seed.conf",
            environment: { MQTTLAB_CONF: seedConf },
        },
    },
    {
        type: types.remoteCommand,
        name: "seed-conf-copy",
        props: {
            connection: { host: "203.0.113.10", user: "vagrant", password: "vagrant" },
            create: "sudo cp /home/vagrant/confTP.conf /etc/mosquitto/conf.d/ && sudo systemctl restart mosquitto",
        },
    },
    { type: types.localCommand, name: "seed-client-publish", props: { create: "mosquitto_pub --insecure -h 203.0.113.10 -p 8883 -t test -m hello" } },
];

const labStack: StackResourceSpec[] = [
    ...labPki(),
    { type: types.privateKey, name: "hosts-broker-ssh-host-key", props: { algorithm: "ED25519", rsaBits: 2048, ecdsaCurve: "P224" } },
    { type: types.remoteCommand, name: "broker-conf", props: confCommand(labConf, labAcl) },
    { type: types.copyToRemote, name: "broker-ca", props: { connection: connection(), remotePath: "/etc/mosquitto/mqtt-lab/ca.crt", source: {} } },
];

describe("Policy pack mqtt-lab", () => {
    const policies = mqttLabPolicies();

    it("has unique rule names, each with a description and an enforcement level", () => {
        const names = policies.map((p) => p.name);
        assert.equal(new Set(names).size, names.length);
        for (const p of policies) {
            assert.ok(p.description.endsWith("."), `${p.name} has a sentence as description`);
            assert.ok(p.enforcementLevel === "mandatory" || p.enforcementLevel === "advisory");
        }
    });

    it("makes only the plaintext, ACL and expiry rules advisory", () => {
        const advisory = policies
            .filter((p) => p.enforcementLevel === "advisory")
            .map((p) => p.name)
            .sort();
        assert.deepEqual(advisory, ["certificate-not-near-expiry", "mosquitto-acl-limits-topics", "mosquitto-plaintext-listener"]);
    });

    it("fails the seed's setup on every mandatory rule it breaks", async () => {
        assert.deepEqual(violated(await runPack(seedStack)), [
            "ca-certificate-can-sign",
            "leaf-certificate-not-ca-distinct-subject",
            "mosquitto-acl-limits-topics",
            "mosquitto-no-anonymous-plaintext",
            "mosquitto-plaintext-listener",
            "mosquitto-tls-listener-hardened",
            "no-verification-bypass",
            "remote-commands-judged",
            "server-certificate-covers-broker-address",
            "ssh-host-key-pinned",
            "x509-key-allowed",
        ]);
    });

    it("passes the lab's own stack without a mandatory violation", async () => {
        const mandatory = new Set(policies.filter((p) => p.enforcementLevel === "mandatory").map((p) => p.name));
        assert.deepEqual(
            violated(await runPack(labStack)).filter((n) => mandatory.has(n)),
            [],
        );
    });
});
