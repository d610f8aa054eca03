import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { requireTopicLimitingAcl } from "../../policies/aclAdvisory";
import { requireNoAnonymousPlaintextListener } from "../../policies/noAnonymousPlaintext";
import { requireTlsOnlyListeners } from "../../policies/plaintextAdvisory";
import { requireHardenedTlsListeners } from "../../policies/tlsListeners";
import { ResourceValidationArgs } from "@pulumi/policy";
import { readBrokerFiles, unwrapBashC } from "../../policies/brokerFiles";
import { PreviewGaps } from "../../policies/judge";
import { asRootScript, systemdShell } from "../../src/remote/hostScripts";
import { applyCommand, confCommand, connection, labAcl, labConf, seedConf, teachingConf, types } from "./policyFixtures";
import { assertHasResourceViolation, assertNoResourceViolations, assertUnjudged, resourceArgs, runResourcePolicy, unknownValue } from "./policyUtil";

/** The conf in the environment (the convention; the seed fixture). */
const cmd = (conf: string, acl?: string | null) => resourceArgs(types.remoteCommand, confCommand(conf, acl), { name: "broker-conf" });
/** The conf embedded in the broker component's script (what the program sends). */
const apply = (conf: string) => resourceArgs(types.remoteCommand, applyCommand(conf), { name: "broker-conf" });
const shapes: [string, (conf: string) => ResourceValidationArgs][] = [
    ["in environment.MQTTLAB_CONF", (c) => cmd(c)],
    ["embedded in the broker's script", apply],
];

describe("brokerFiles", () => {
    it("reads the conf and ACL back from the broker component's script, quotes and all", () => {
        const conf = labConf + "# it's quoted\n";
        const files = readBrokerFiles(applyCommand(conf, labAcl), "x", new PreviewGaps());
        assert.deepEqual(
            files.map((f) => [f.source, f.conf, f.acl]),
            [["the script in create", conf, labAcl]],
        );
    });

    it("unwraps bash -c '...' the way asRootScript wraps it", () => {
        const script = "echo 'a' \"b\"\nprintf '%s' it's";
        assert.equal(unwrapBashC(asRootScript(systemdShell, script)), script);
        assert.equal(unwrapBashC("plain script"), "plain script");
    });

    it("finds nothing in a command that sends no conf", () => {
        assert.deepEqual(readBrokerFiles({ create: "uptime" }, "x", new PreviewGaps()), []);
    });
});

describe("Policy mosquitto-no-anonymous-plaintext", () => {
    const policy = requireNoAnonymousPlaintextListener();

    for (const [shape, make] of shapes) {
        it(`judges the conf ${shape}: passes the rendered one, refuses the seed's`, async () => {
            await assertNoResourceViolations(policy, make(labConf));
            await assertHasResourceViolation(policy, make(seedConf), /listener 1883 \(line 1\) lets anonymous clients in/);
        });
    }

    it("passes the conf renderBrokerConf writes, with or without the teaching listener", async () => {
        await assertNoResourceViolations(policy, cmd(labConf));
        await assertNoResourceViolations(policy, cmd(teachingConf));
    });

    it("refuses the seed's anonymous plaintext listener, naming the resource, the listener and the config key", async () => {
        const o = await assertHasResourceViolation(
            policy,
            cmd(seedConf),
            /command:remote:Command "broker-conf" sends, in environment\.MQTTLAB_CONF, a mosquitto conf whose listener 1883 \(line 1\) lets anonymous clients in without TLS/,
        );
        assert.match(o.violations[0].message, /\[mqtt-lab:teachingListener\.enabled\]/);
    });

    it("refuses a global allow_anonymous written under a TLS listener, because it reaches the plaintext one", async () => {
        const text = "listener 8883\ncertfile /c\nkeyfile /k\nallow_anonymous true\nlistener 1883\n";
        await assertHasResourceViolation(policy, cmd(text), /listener 1883 \(line 5\).*global there, because per_listener_settings is false/);
    });

    it("refuses the old default listener (`port`) when it is anonymous", async () => {
        await assertHasResourceViolation(policy, cmd("port 1883\nallow_anonymous true\n"), /default listener on port 1883/);
    });

    it("refuses a conf mosquitto would not start with", async () => {
        await assertHasResourceViolation(policy, cmd("allow_anonymous false\nper_listener_settings true\nlistener 1883\n"), /refuses to start with: Line 2/);
    });

    it("says the conf could not be judged at preview when it is unknown, and reports nothing as passed", async () => {
        const o = await runResourcePolicy(policy, cmd(unknownValue));
        assert.deepEqual(o.violations, []);
        assertUnjudged(o, /environment\.MQTTLAB_CONF of command:remote:Command "broker-conf"/);
    });

    it("says the same when the whole environment is unknown", async () => {
        const o = await runResourcePolicy(policy, resourceArgs(types.remoteCommand, confCommand(labConf, labAcl, { environment: unknownValue })));
        assertUnjudged(o, /the environment of command:remote:Command "test" \(it may carry MQTTLAB_CONF\)/);
    });

    it("ignores commands that send no mosquitto conf", async () => {
        await assertNoResourceViolations(policy, resourceArgs(types.remoteCommand, { connection: connection(), create: "uptime" }));
    });

    it("does not apply to other resource types", async () => {
        const o = await runResourcePolicy(policy, resourceArgs(types.localCommand, { create: "true", environment: { MQTTLAB_CONF: seedConf } }));
        assert.deepEqual(o.violations, []);
        assert.ok(o.notApplicable);
    });
});

describe("Policy mosquitto-tls-listener-hardened", () => {
    const policy = requireHardenedTlsListeners();

    for (const [shape, make] of shapes) {
        it(`judges the conf ${shape}: passes the rendered one, refuses the seed's`, async () => {
            await assertNoResourceViolations(policy, make(labConf));
            await assertHasResourceViolation(policy, make(seedConf), /does not set require_certificate true/);
        });
    }

    it("passes the conf renderBrokerConf writes", async () => {
        await assertNoResourceViolations(policy, cmd(labConf));
        await assertNoResourceViolations(policy, cmd(teachingConf));
    });

    it("refuses a TLS listener without require_certificate true", async () => {
        await assertHasResourceViolation(policy, cmd(seedConf), /TLS listener 8883 \(line 4\) does not set require_certificate true/);
    });

    it("refuses a TLS listener without tls_version, naming [mqtt-lab:tlsVersion]", async () => {
        const text = labConf.replace(/^tls_version .*\n/m, "");
        await assertHasResourceViolation(policy, cmd(text), /sets no tls_version.*\[mqtt-lab:tlsVersion\]/);
    });

    for (const old of ["tlsv1", "tlsv1.1"]) {
        it(`refuses tls_version ${old}`, async () => {
            await assertHasResourceViolation(
                policy,
                cmd(labConf.replace(/^tls_version .*$/m, `tls_version ${old}`)),
                `sets tls_version ${old}; allowed: tlsv1.2 or tlsv1.3`,
            );
        });
    }

    it("refuses require_certificate without a CA to check against", async () => {
        const text = labConf.replace(/^cafile .*\n/m, "");
        await assertHasResourceViolation(policy, cmd(text), /neither cafile nor capath/);
    });

    it("refuses a listener with a certfile but no keyfile", async () => {
        await assertHasResourceViolation(policy, cmd(labConf.replace(/^keyfile .*\n/m, "")), /certfile without keyfile/);
    });

    it("says the conf could not be judged at preview when it is unknown", async () => {
        assertUnjudged(await runResourcePolicy(policy, cmd(unknownValue)), "MQTTLAB_CONF");
    });
});

describe("Policy mosquitto-plaintext-listener (advisory)", () => {
    const policy = requireTlsOnlyListeners();

    it("is advisory", () => assert.equal(policy.enforcementLevel, "advisory"));

    it("passes a conf with TLS listeners only", async () => {
        await assertNoResourceViolations(policy, cmd(labConf));
    });

    it("warns about the teaching listener even though it requires a password", async () => {
        await assertHasResourceViolation(policy, cmd(teachingConf), /plaintext listener 1883 .*\[mqtt-lab:teachingListener\.enabled\] to false/);
    });

    it("warns about local-only mode when the conf opens no listener", async () => {
        await assertHasResourceViolation(policy, cmd("log_type all\n"), /implicit local-only listener.*loopback only/);
    });
});

describe("Policy mosquitto-acl-limits-topics (advisory)", () => {
    const policy = requireTopicLimitingAcl();

    it("passes the rendered conf with an ACL that gives each identity its own topics", async () => {
        await assertNoResourceViolations(policy, cmd(labConf, labAcl));
        await assertNoResourceViolations(policy, apply(labConf));
    });

    it("reads the ACL embedded in the broker's script", async () => {
        await assertHasResourceViolation(
            policy,
            resourceArgs(types.remoteCommand, applyCommand(labConf, "user a\ntopic #\n")),
            /in the script in create, an ACL whose line 2 grants user "a"/,
        );
    });

    it("warns when no listener has an acl_file, once when the setting is global", async () => {
        const o = await assertHasResourceViolation(
            policy,
            cmd(seedConf, null),
            /without acl_file \(global, as per_listener_settings is false\).*\[mqtt-lab:clients\]/,
        );
        assert.equal(o.violations.length, 1);
    });

    it("warns per listener when per_listener_settings is true", async () => {
        await assertHasResourceViolation(
            policy,
            cmd("per_listener_settings true\nlistener 8883\ncertfile /c\nkeyfile /k\n", labAcl),
            /listener 8883 \(line 2\) has no acl_file/,
        );
    });

    it("warns when the ACL grants # to a user, naming the line and [mqtt-lab:clients]", async () => {
        await assertHasResourceViolation(
            policy,
            cmd(labConf, "user client-a\ntopic readwrite #\n"),
            /line 2 grants user "client-a" readwrite access to "#".*\[mqtt-lab:clients\]/,
        );
    });

    it("warns when anonymous clients or every client (pattern) get all topics", async () => {
        await assertHasResourceViolation(
            policy,
            cmd(labConf, "topic read +/#\n"),
            /grants anonymous clients \(a topic line before any user line\) read access/,
        );
        await assertHasResourceViolation(policy, cmd(labConf, "pattern write #\n"), /grants every client \(a pattern line\) write access/);
    });

    it("does not count a deny line as a grant", async () => {
        await assertNoResourceViolations(policy, cmd(labConf, "user a\ntopic deny #\ntopic readwrite lab/a/#\n"));
    });

    it("warns when the conf names an acl_file but the ACL text is not sent", async () => {
        await assertHasResourceViolation(policy, cmd(labConf, null), /with an acl_file but not the ACL itself/);
    });

    it("says the ACL could not be judged at preview when it is unknown", async () => {
        assertUnjudged(await runResourcePolicy(policy, cmd(labConf, unknownValue)), "environment.MQTTLAB_ACL");
    });
});
