import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { findBypasses, requireNoVerificationBypass } from "../../policies/noVerificationBypass";
import { requirePinnedSshHostKeys } from "../../policies/sshHostKeys";
import { requireAllowedX509Keys } from "../../policies/x509Keys";
import { confCommand, connection, labAcl, labConf, types } from "./policyFixtures";
import { assertHasResourceViolation, assertNoResourceViolations, assertUnjudged, resourceArgs, runResourcePolicy, unknownValue } from "./policyUtil";

// Inputs as the tls provider's Check hands them over: its defaults filled in for every algorithm.
const key = (name: string, spec: Record<string, unknown>) => resourceArgs(types.privateKey, { rsaBits: 2048, ecdsaCurve: "P224", ...spec }, { name });

describe("Policy x509-key-allowed", () => {
    const policy = requireAllowedX509Keys();

    const allowed: Record<string, unknown>[] = [
        { algorithm: "ECDSA", ecdsaCurve: "P256" },
        { algorithm: "ECDSA", ecdsaCurve: "P384" },
        { algorithm: "RSA", rsaBits: 2048 },
        { algorithm: "RSA", rsaBits: 3072 },
        { algorithm: "RSA", rsaBits: 4096 },
        { algorithm: "ED25519" },
    ];
    for (const spec of allowed) {
        it(`passes ${JSON.stringify(spec)}`, async () => {
            await assertNoResourceViolations(policy, key("lab-ca-key-g1", spec));
        });
    }

    const refused: [Record<string, unknown>, RegExp][] = [
        [{ algorithm: "RSA", rsaBits: 1024 }, /RSA key of 1024 bits is not allowed.*\[mqtt-lab:pki\.rsaBits\]/],
        [{ algorithm: "ECDSA", ecdsaCurve: "P224" }, /ECDSA curve "P224" is not allowed.*\[mqtt-lab:pki\.ecdsaCurve\]/],
        [{ algorithm: "ECDSA", ecdsaCurve: "P521" }, /ECDSA curve "P521".*\[mqtt-lab:pki\.ecdsaCurve\]/],
        [{ algorithm: "DSA" }, /algorithm "DSA" is not allowed.*\[mqtt-lab:pki\.algorithm\]/],
    ];
    for (const [spec, expected] of refused) {
        it(`refuses ${JSON.stringify(spec)}, naming the key and the config key`, async () => {
            const o = await assertHasResourceViolation(policy, key("seed-ca-key", spec), expected);
            assert.match(o.violations[0].message, /^tls:index\/privateKey:PrivateKey "seed-ca-key" is not an allowed X\.509 key/);
        });
    }

    it("refuses the tls provider's default curve when an ECDSA key names none", async () => {
        await assertHasResourceViolation(policy, resourceArgs(types.privateKey, { algorithm: "ECDSA" }), /P224/);
    });

    it("leaves SSH keys (name contains ssh) to the hosts component: not applicable", async () => {
        const o = await runResourcePolicy(policy, key("hosts-broker-ssh-host-key", { algorithm: "RSA", rsaBits: 1024 }));
        assert.deepEqual(o.violations, []);
        assert.match(o.notApplicable ?? "", /SSH key/);
    });

    it("says the key could not be judged at preview when its algorithm is unknown", async () => {
        assertUnjudged(await runResourcePolicy(policy, key("k", { algorithm: unknownValue })), "algorithm of");
    });
});

describe("Policy ssh-host-key-pinned", () => {
    const policy = requirePinnedSshHostKeys();
    const remote = (conn: unknown, type: string = types.remoteCommand) =>
        resourceArgs(
            type,
            type === types.copyToRemote ? { connection: conn, remotePath: "/etc/mosquitto/mqtt-lab/ca.crt", source: {} } : { connection: conn, create: "true" },
            { name: "broker-reload" },
        );

    it("passes remote commands and copies whose connection pins the host key", async () => {
        await assertNoResourceViolations(policy, remote(connection()));
        await assertNoResourceViolations(policy, remote(connection(), types.copyToRemote));
    });

    for (const [what, conn] of [
        ["absent", connection({ hostKey: undefined })],
        ["empty", connection({ hostKey: " " })],
    ] as const) {
        it(`refuses a connection whose hostKey is ${what}, naming resource and host`, async () => {
            await assertHasResourceViolation(
                policy,
                remote(conn),
                /command:remote:Command "broker-reload" connects to 172\.30\.56\.10 over SSH without connection\.hostKey/,
            );
            await assertHasResourceViolation(policy, remote(conn, types.copyToRemote), /command:remote:CopyToRemote "broker-reload"/);
        });
    }

    it("names the config keys that pin existing hosts' keys", async () => {
        await assertHasResourceViolation(policy, remote(connection({ hostKey: undefined })), /\[mqtt-lab:brokerHostKey\] and \[mqtt-lab:clientHostKey\]/);
    });

    it("says a connection wholly unknown at preview (container hosts) could not be judged", async () => {
        assertUnjudged(await runResourcePolicy(policy, remote(unknownValue)), /connection of command:remote:Command "broker-reload"/);
    });

    it("refuses a bastion (connection.proxy) without a pinned host key", async () => {
        await assertHasResourceViolation(policy, remote(connection({ proxy: { host: "198.51.100.1", user: "jump" } })), /without connection\.proxy\.hostKey/);
    });

    it("says a host key computed from a tls PrivateKey could not be judged at preview, without a violation", async () => {
        const o = await runResourcePolicy(policy, remote(connection({ hostKey: unknownValue })));
        assert.deepEqual(o.violations, []);
        assertUnjudged(o, /connection\.hostKey of command:remote:Command "broker-reload"/);
    });

    it("does not apply to local commands", async () => {
        const o = await runResourcePolicy(policy, resourceArgs(types.localCommand, { create: "true" }));
        assert.ok(o.notApplicable);
    });
});

describe("Policy no-verification-bypass", () => {
    const policy = requireNoVerificationBypass();

    it("passes the conf command and a client check that trusts the lab CA", async () => {
        await assertNoResourceViolations(policy, resourceArgs(types.remoteCommand, confCommand(labConf, labAcl)));
        await assertNoResourceViolations(
            policy,
            resourceArgs(types.localCommand, {
                create: "mosquitto_pub -h broker.mqtt-lab.internal -p 8883 --cafile ca.crt --cert a.crt --key a.key -t lab/a/x -m hi",
            }),
        );
    });

    const refused: [string, string, RegExp][] = [
        ["create", "mosquitto_pub --insecure -h 203.0.113.10 -p 8883 -t t -m m", /in create: --insecure/],
        ["create", "ssh -o StrictHostKeyChecking=no root@203.0.113.10 true", /StrictHostKeyChecking no/],
        ["update", "ssh -o 'StrictHostKeyChecking no' root@h true", /in update: StrictHostKeyChecking no/],
        ["delete", "scp -o UserKnownHostsFile=/dev/null a h:/b", /in delete: UserKnownHostsFile=\/dev\/null/],
        ["create", "node -e 'https.get(u, { rejectUnauthorized: false })'", /rejectUnauthorized: false/],
        ["create", "curl -fsSk https://h/", /curl -k/],
        ["create", "curl -k https://h/", /curl -k/],
        ["create", "wget --no-check-certificate https://h/", /--no-check-certificate/],
    ];
    for (const [field, text, expected] of refused) {
        it(`refuses ${JSON.stringify(text)}`, async () => {
            await assertHasResourceViolation(policy, resourceArgs(types.localCommand, { [field]: text }, { name: "check-client" }), expected);
        });
    }

    it("refuses tls_insecure in a conf sent through the environment", async () => {
        await assertHasResourceViolation(
            policy,
            resourceArgs(types.remoteCommand, confCommand(labConf + "tls_insecure true\n")),
            /in environment\.MQTTLAB_CONF: tls_insecure true/,
        );
    });

    it("does not mistake curl's other flags or long options for -k", () => {
        assert.deepEqual(findBypasses("curl -fsSL --cacert ca.crt -o /tmp/keyfile https://h/"), []);
        assert.deepEqual(findBypasses("curl --key a.key -K cfg https://h/"), []);
    });

    it("says a command unknown at preview could not be judged", async () => {
        assertUnjudged(await runResourcePolicy(policy, resourceArgs(types.localCommand, { create: unknownValue })), "create of command:local:Command");
    });
});
