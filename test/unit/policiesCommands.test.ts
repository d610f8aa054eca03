import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { notTheBrokerTrigger, requireJudgedRemoteCommands } from "../../policies/brokerCommands";
import { requireIdentityAcl, requireNoIncludeDir } from "../../policies/confReach";
import { requireNoVerificationBypass } from "../../policies/noVerificationBypass";
import { requireHardenedTlsListeners } from "../../policies/tlsListeners";
import { renderBrokerConf } from "../../src/mosquitto/conf";
import { clientChecksScript } from "../../src/remote/checkScripts";
import { asRootScript, brokerRemoveScript, clientInstallScript, clientRemoveScript, containerShell, systemdShell } from "../../src/remote/hostScripts";
import { applyCommand, confCommand, connection, labAcl, labConf, types } from "./policyFixtures";
import { assertHasResourceViolation, assertNoResourceViolations, assertUnjudged, resourceArgs, runResourcePolicy, unknownValue } from "./policyUtil";

const remote = (props: Record<string, unknown>, name = "user-command") => resourceArgs(types.remoteCommand, { connection: connection(), ...props }, { name });
const open = "listener 1883\nallow_anonymous true\n";

describe("Policy remote-commands-judged", () => {
    const policy = requireJudgedRemoteCommands();

    it("passes every remote command the program declares", async () => {
        const check = { identities: [{ name: "client-a", topics: ["#"] }], brokerAddress: "203.0.113.10", tlsPort: 8883, plaintextPort: 1883 };
        await assertNoResourceViolations(policy, remote(applyCommand(labConf, labAcl), "lab-apply"));
        await assertNoResourceViolations(
            policy,
            remote(
                { create: clientInstallScript("client-a"), update: clientInstallScript("client-a"), delete: clientRemoveScript("client-a") },
                "lab-client-a-install",
            ),
        );
        await assertNoResourceViolations(policy, remote({ create: clientChecksScript(check) }, "lab-checks-broker"));
        await assertNoResourceViolations(
            policy,
            remote({ create: clientChecksScript({ ...check, refusals: { tlsVersion: "tlsv1.2" } }) }, "lab-checks-client"),
        );
        await assertNoResourceViolations(policy, remote({ create: asRootScript(systemdShell, brokerRemoveScript(systemdShell)) }, "lab-remove"));
    });

    it("passes a command that sends its conf where the listener rules judge it (environment.MQTTLAB_CONF)", async () => {
        await assertNoResourceViolations(policy, remote(confCommand(labConf)));
    });

    // Ways a user's own command could write a conf that no listener rule reads.
    const rogue: [string, Record<string, unknown>][] = [
        ["a heredoc into conf.d", { create: `cat > /etc/mosquitto/conf.d/open.conf <<'EOF'\n${open}EOF\nsystemctl restart mosquitto` }],
        ["tee", { create: `printf 'listener 1883\\nallow_anonymous true\\n' | sudo tee /etc/mosquitto/conf.d/open.conf` }],
        ["a script on stdin", { create: "sudo bash -s", stdin: `echo 'allow_anonymous true' >> /etc/mosquitto/conf.d/x.conf` }],
        ["a file copied, then moved", { create: "cp /tmp/open.conf /tmp/x && sudo mv /tmp/x /etc/mosquitto/conf.d/open.conf" }],
        ["the program's apply with a command added", { create: `${String(applyCommand().create)}; echo '${open}' > /etc/mosquitto/conf.d/z.conf` }],
        [
            "a delete that writes a conf",
            { create: clientInstallScript("a"), delete: "sed -i 's/require_certificate true/require_certificate false/' /etc/mosquitto/conf.d/mqtt-lab.conf" },
        ],
    ];
    for (const [why, props] of rogue) {
        it(`refuses ${why}, naming the resource and the fix`, async () => {
            const o = await assertHasResourceViolation(
                policy,
                remote(props),
                /^command:remote:Command "user-command" runs, in (create|delete), a script the policy pack cannot judge/,
            );
            assert.match(o.violations[0].message, /through the broker component \(or in environment\.MQTTLAB_CONF/);
            assert.match(o.violations[0].message, new RegExp(`add "${notTheBrokerTrigger} <why>" to its triggers`));
        });
    }

    it("names mosquitto's files when the script mentions them (an extra net, not the gate)", async () => {
        const o = await assertHasResourceViolation(policy, remote({ create: "echo hi > /etc/mosquitto/conf.d/note.conf" }), /mentions mosquitto's files/);
        assert.equal(o.violations.length, 1);
        await assertHasResourceViolation(policy, remote({ create: "uptime" }), /cannot judge: it is not one of/);
    });

    it("passes a command that declares, in its triggers, that its host is not the broker", async () => {
        await assertNoResourceViolations(policy, remote({ create: "apt-get install -y htop", triggers: [`${notTheBrokerTrigger} the monitoring host`] }));
    });

    it("does not pass an unknown script at preview: it reports it could not be judged", async () => {
        const o = await runResourcePolicy(policy, remote({ create: unknownValue }));
        assertUnjudged(o, /create of command:remote:Command "user-command"/);
    });

    it("judges the container shell's commands as the systemd ones", async () => {
        await assertNoResourceViolations(policy, remote({ create: asRootScript(containerShell, brokerRemoveScript(containerShell)) }));
    });
});

describe("Policy mosquitto-conf-no-include-dir", () => {
    const policy = requireNoIncludeDir();
    it("passes the lab's conf", async () => {
        await assertNoResourceViolations(policy, remote(applyCommand(labConf, labAcl)));
    });
    it("reports an include_dir, whose files no rule reads", async () => {
        await assertHasResourceViolation(
            policy,
            remote(confCommand(`${labConf}include_dir /etc/mosquitto/extra.d\n`)),
            /include_dir \/etc\/mosquitto\/extra\.d: mosquitto would also read every \.conf there/,
        );
    });
});

describe("Policy mosquitto-acl-keyed-on-identity", () => {
    const policy = requireIdentityAcl();
    it("passes the lab's conf (use_identity_as_username) and one using the whole subject", async () => {
        await assertNoResourceViolations(policy, remote(applyCommand(labConf, labAcl)));
        await assertNoResourceViolations(policy, remote(confCommand(labConf.replace("use_identity_as_username true", "use_subject_as_username true"))));
    });
    it("reports a TLS listener whose ACL cannot match a certificate client", async () => {
        const conf = labConf.replace("use_identity_as_username true\n", "");
        await assertHasResourceViolation(
            policy,
            remote(confCommand(conf)),
            /TLS listener 8883 .*has acl_file \/etc\/mosquitto\/mqtt-lab\/acl but neither use_identity_as_username nor use_subject_as_username/,
        );
    });
});

describe("Policy no-verification-bypass, on what the issue named", () => {
    const policy = requireNoVerificationBypass();
    for (const value of ["off", "accept-new", "no"]) {
        it(`refuses StrictHostKeyChecking ${value}`, async () => {
            await assertHasResourceViolation(
                policy,
                remote({ create: `ssh -o StrictHostKeyChecking=${value} broker uptime` }),
                /switches verification off in create: StrictHostKeyChecking/,
            );
        });
    }
    it("reads a script sent on stdin", async () => {
        await assertHasResourceViolation(
            policy,
            remote({ create: "bash -s", stdin: "mosquitto_pub --insecure -h broker -t x -m y\n" }),
            /switches verification off in stdin: --insecure/,
        );
    });
    it("passes the program's bundles on stdin", async () => {
        await assertNoResourceViolations(policy, remote({ create: clientInstallScript("client-a"), stdin: "ca.crt LS0tLS1CRUdJTg==\n__end__ 1\n" }));
    });
});

describe("Policy mosquitto-tls-listener-hardened, on its suites", () => {
    const policy = requireHardenedTlsListeners();
    it("passes the conf the program renders, with tlsv1.2 and with tlsv1.3", async () => {
        await assertNoResourceViolations(policy, remote(confCommand(labConf)));
        await assertNoResourceViolations(policy, remote(confCommand(renderBrokerConf({ owner: "t", tlsPort: 8883, tlsVersion: "tlsv1.3", trust: "capath" }))));
    });
    it("refuses a TLS listener whose ciphers is unset", async () => {
        await assertHasResourceViolation(
            policy,
            remote(confCommand(labConf.replace(/^ciphers .*\n/m, ""))),
            /TLS listener 8883 .*sets no ciphers, so OpenSSL's defaults offer CBC suites/,
        );
    });
    it("refuses a CBC suite, and an OpenSSL cipher string that is not a list of allowed suites", async () => {
        for (const extra of ["ECDHE-ECDSA-AES128-SHA256", "HIGH"]) {
            const conf = labConf.replace(/^ciphers (.*)$/m, `ciphers $1:${extra}`);
            await assertHasResourceViolation(policy, remote(confCommand(conf)), new RegExp(`offers ciphers outside the allowlist \\(${extra}\\)`));
        }
    });
    it("refuses a TLS 1.3 suite outside the allowlist", async () => {
        const conf = labConf.replace(/^ciphers_tls1\.3 (.*)$/m, "ciphers_tls1.3 $1:TLS_AES_128_CCM_8_SHA256");
        await assertHasResourceViolation(policy, remote(confCommand(conf)), /offers TLS 1\.3 suites outside the allowlist \(TLS_AES_128_CCM_8_SHA256\)/);
    });
});
