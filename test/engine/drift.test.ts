/**
 * Drift made out of band on a real lab (docker exec, as a student or a colleague would), shown by
 * `pulumi refresh` in words, repaired by `pulumi up --refresh` (and by a plain `pulumi up`), the
 * checks passing again; the README's CI gate; a changed host key refused. One lab, few rounds,
 * several drifts a round: CI has 2 cores.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { OutputMap } from "@pulumi/pulumi/automation";
import { sshExec, SshTarget } from "../../src/ssh/exec";
import { createTestStack, repoRoot, requireProviderPlugins, storedState, TestStack } from "../../testkit/engineHarness";
import { assertStreamWhole, containerLabConfig, sshTargetOf } from "../../testkit/engineHarness";
import type { HostRole } from "../../src/config/labConfig";
import type { SshEndpoint } from "../../src/outputs";

describe("Drift on a deployed lab", () => {
    before(() => requireProviderPlugins());
    let t: TestStack;
    let outputs: OutputMap;
    const labName = `mqtt-lab-drift-${Date.now().toString(36)}`;
    const broker = `${labName}-broker`;
    const client = `${labName}-client`;
    const teachingPassword = `pw-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const target = (role: HostRole): SshTarget => sshTargetOf(outputs, role);
    const dockerExec = (container: string, script: string) => execFileSync("docker", ["exec", container, "bash", "-c", script], { encoding: "utf8" });
    /** The CLI as a user (or CI) types it, in this run's backend. */
    const cli = (...args: string[]) =>
        spawnSync("pulumi", [...args, "--stack", t.stack.name, "--non-interactive", "--color", "never"], {
            cwd: repoRoot,
            encoding: "utf8",
            timeout: 300_000,
            env: { ...process.env, ...t.env },
        });
    /** The README's drift gate: exit 0 on a lab as declared, non-zero with the drift named otherwise. */
    const gate = () => cli("preview", "--refresh", "--expect-no-changes", "--policy-pack", "policies");
    const refreshSays = () => {
        const r = cli("refresh", "--preview-only", "--diff");
        assert.equal(r.status, 0, `refresh --preview-only runs: ${r.stdout}\n${r.stderr}`);
        return r.stdout;
    };
    const assertQuiet = (why: string) => {
        for (const n of [1, 2]) {
            const g = gate();
            assert.equal(g.status, 0, `${why}: the drift gate passes (run ${n}):\n${g.stdout}\n${g.stderr}`);
        }
        const said = refreshSays();
        assert.doesNotMatch(said, /drift\s*:/i, `${why}: refresh shows no drift:\n${said}`);
    };
    const checksPass = () => {
        const results = (outputs.checkResults.value as string[]).join("\n");
        for (const check of ["tls-roundtrip", "no-certificate", "anonymous-refused", "impostor-ca", "expired-cert"]) {
            assert.match(results, new RegExp(`^PASS ${check}`, "m"), `check ${check} passed after the repair: ${results}`);
        }
        assert.doesNotMatch(results, /^FAIL/m, results);
    };

    before(async () => {
        t = await createTestStack(repoRoot, {
            ...containerLabConfig("172.30.241.0/24", labName),
            // The teaching listener on: its password file is one more managed file.
            "mqtt-lab:teachingListener": { value: JSON.stringify({ enabled: true, port: 1883, username: "student" }) },
            "mqtt-lab:teachingPassword": { value: teachingPassword, secret: true },
        });
        const up = await t.stack.up({ color: "never" });
        assert.equal(up.summary.result, "succeeded");
        outputs = up.outputs;
    });
    after(async () => {
        await t?.cleanup();
    });

    it("shows nothing on a quiet lab, twice in a row", () => {
        assertQuiet("a fresh lab");
    });

    it("names each drift that needs no restart, repairs it with SIGHUP, and a QoS 1 subscriber connected before loses nothing", async () => {
        dockerExec(
            broker,
            [
                "echo '# edited by hand' >> /etc/mosquitto/mqtt-lab/acl",
                "chmod 0644 /etc/mosquitto/mqtt-lab/server.key",
                "chown nobody /etc/mosquitto/mqtt-lab/passwd",
            ].join(" && "),
        );
        dockerExec(client, "rm /root/.mqtt-lab/client-a/client.crt && chmod 0644 /root/.mqtt-lab/client-a/client.key && chmod 0755 /root/.mqtt-lab/client-a");
        const said = refreshSays();
        const brokerIp = String(outputs.brokerAddress.value);
        for (const words of [
            new RegExp(`broker ${brokerIp.replace(/\./g, "\\.")}: the ACL \\(/etc/mosquitto/mqtt-lab/acl\\) was changed`),
            /the broker's private key \(\/etc\/mosquitto\/mqtt-lab\/server\.key\) has mode 0644, the lab declares 0640/,
            /the password file \(\/etc\/mosquitto\/mqtt-lab\/passwd\) is owned by nobody:mosquitto, the lab declares root:mosquitto/,
            /client [\d.]+: client-a's certificate \(\/root\/\.mqtt-lab\/client-a\/client\.crt\) is missing/,
            /client-a's private key \(\/root\/\.mqtt-lab\/client-a\/client\.key\) has mode 0644, the lab declares 0600/,
            /client-a's folder \(\/root\/\.mqtt-lab\/client-a\) has mode 0755, the lab declares 0700/,
        ]) {
            assert.match(said, words, `refresh names it:\n${said}`);
        }
        const g = gate();
        assert.notEqual(g.status, 0, `the drift gate fails on a drifted lab:\n${g.stdout}`);

        // A QoS 1 subscriber and a steady publisher, connected before the repair and through it.
        const d = ".mqtt-lab/client-a";
        const tls = `-h ${brokerIp} -p ${String(outputs.tlsPort.value)} --cafile ${d}/ca.crt --cert ${d}/client.crt --key ${d}/client.key`;
        dockerExec(client, `cp -a /root/${d} /root/.sub-creds`); // the subscriber's own copy (client.crt was removed above)
        const subTls = tls.replace(/\.mqtt-lab\/client-a/g, "/root/.sub-creds");
        await sshExec(target("client"), `cp ${d}/ca.crt /root/.sub-creds/; openssl version >/dev/null`);
        const count = 200;
        const certPem = (outputs.clientCerts.value as Record<string, { certPem: string }>)["client-a"].certPem;
        await sshExec(target("client"), "cat > /root/.sub-creds/client.crt", { stdin: certPem });
        await sshExec(
            target("client"),
            `rm -f /tmp/drift-*; chmod 0600 /root/.sub-creds/client.key; ` +
                `(nohup timeout 120 mosquitto_sub ${subTls} -i drift-sub -c -q 1 -t 'drift/#' -C ${count} -d > /tmp/drift-sub.log 2>&1 &) ; sleep 1; ` +
                `(nohup sh -c 'i=0; while [ $i -lt ${count} ]; do echo m$i; i=$((i+1)); sleep 0.075; done | timeout 120 mosquitto_pub ${subTls} -i drift-pub -q 1 -t drift/s -l -d > /tmp/drift-pub.log 2>&1; echo $? > /tmp/drift-pub.done' >/dev/null 2>&1 &)`,
        );
        const up = await t.stack.up({ color: "never", refresh: true });
        assert.equal(up.summary.result, "succeeded");
        outputs = up.outputs;
        await assertStreamWhole(target("client"), "drift", count);
        assert.match(String(outputs.brokerApplied.value), /mosquitto action: sighup/, "repaired with SIGHUP, no restart");
        assert.match((outputs.repairedDrift.value as Record<string, string[]>).broker.join("\n"), /the ACL/, "the repair is recorded");
        checksPass();
        const files = dockerExec(
            broker,
            "stat -c '%n %a %U:%G' /etc/mosquitto/mqtt-lab/server.key /etc/mosquitto/mqtt-lab/passwd; grep -c 'edited by hand' /etc/mosquitto/mqtt-lab/acl || true",
        );
        assert.match(files, /server\.key 640 root:mosquitto/);
        assert.match(files, /passwd 640 root:mosquitto/);
        assert.match(files, /^0$/m, "the ACL is the lab's again");
        assert.match(
            dockerExec(client, "stat -c '%n %a' /root/.mqtt-lab/client-a /root/.mqtt-lab/client-a/client.crt /root/.mqtt-lab/client-a/client.key"),
            /client-a 700\n.*client\.crt 600\n.*client\.key 600/,
        );
        assertQuiet("after the repair");
    });

    it("refuses to repair a rival listener while takeOverConfFiles is false, naming file, host and setting; repairs the rest once allowed", async () => {
        dockerExec(
            broker,
            [
                "printf 'listener 1884\\nallow_anonymous true\\n' > /etc/mosquitto/conf.d/rival.conf",
                "echo '# edited by hand' >> /etc/mosquitto/conf.d/mqtt-lab.conf",
                "cp /etc/mosquitto/mqtt-lab/ca.d/ca-g1.crt /etc/mosquitto/mqtt-lab/ca.d/extra.crt",
                "pkill -x mosquitto; sleep 0.5; mosquitto -c /etc/mosquitto/mosquitto.conf -d; sleep 1",
            ].join(" && "),
        );
        const said = refreshSays();
        for (const words of [
            /\/etc\/mosquitto\/conf\.d\/rival\.conf line 1 sets listener beside the lab's conf/,
            /rival\.conf line 2 sets allow_anonymous/,
            /the lab's mosquitto conf \(\/etc\/mosquitto\/conf\.d\/mqtt-lab\.conf\) was changed/,
            /the trusted-CA directory \(\/etc\/mosquitto\/mqtt-lab\/ca\.d\) holds extra\.crt, which the lab did not put there/,
            /port 1884 is open to the network, where the lab declares no listener/,
        ]) {
            assert.match(said, words, `refresh names it:\n${said}`);
        }
        await assert.rejects(t.stack.up({ color: "never", refresh: true }), (e: Error) => {
            assert.match(e.message, /rival\.conf/, "names the file");
            assert.match(e.message, /on the broker \(broker\)|root@172\.30\.241\.10/, "names the host");
            assert.match(e.message, /mqtt-lab:takeOverConfFiles/, "names the setting");
            return true;
        });
        await t.stack.setConfig("mqtt-lab:takeOverConfFiles", { value: "true" });
        const up = await t.stack.up({ color: "never", refresh: true });
        assert.equal(up.summary.result, "succeeded");
        outputs = up.outputs;
        assert.match(String(outputs.brokerApplied.value), /mosquitto action: restart/);
        checksPass();
        assert.match(dockerExec(broker, "ls -A /etc/mosquitto/conf.d /etc/mosquitto/mqtt-lab/ca.d/"), /rival\.conf\.mqtt-lab-disabled/);
        assert.doesNotMatch(dockerExec(broker, "ls -A /etc/mosquitto/mqtt-lab/ca.d/"), /extra\.crt/);
        assert.doesNotMatch(dockerExec(broker, "ss -Hltn"), /:1884\b/, "the rival listener is gone");
        assertQuiet("after the take-over");
    });

    it("repairs a stopped mosquitto and a removed password file with a plain `pulumi up`, never a green run over a broken lab", async () => {
        dockerExec(broker, "rm /etc/mosquitto/mqtt-lab/passwd && pkill -x mosquitto && sleep 0.5");
        const said = refreshSays();
        assert.match(said, /mosquitto is not running/, said);
        assert.match(said, /the password file \(\/etc\/mosquitto\/mqtt-lab\/passwd\) is missing/, said);
        const up = await t.stack.up({ color: "never" });
        assert.equal(up.summary.result, "succeeded");
        outputs = up.outputs;
        assert.match(String(outputs.brokerApplied.value), /mosquitto action: restart/);
        checksPass();
        assertQuiet("after a plain up");
    });

    it("shows a replaced client host and rebuilds it with up --refresh", async () => {
        execFileSync("docker", ["rm", "-f", client]);
        const said = refreshSays();
        assert.match(said, /client [\d.]+: cannot be read over SSH/, said);
        const up = await t.stack.up({ color: "never", refresh: true });
        assert.equal(up.summary.result, "succeeded");
        outputs = up.outputs;
        checksPass();
        assertQuiet("after the host was rebuilt");
    });

    it("never repairs a host whose SSH host key changed: refresh fails naming both fingerprints and the key to pin", () => {
        const pinned = (outputs.ssh.value as Record<HostRole, SshEndpoint>).broker.fingerprint;
        dockerExec(
            broker,
            "cp -a /etc/ssh/ssh_host_ed25519_key /root/hk.bak && cp -a /etc/ssh/ssh_host_ed25519_key.pub /root/hk.pub.bak && " +
                "rm -f /etc/ssh/ssh_host_ed25519_key* && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && pkill -HUP -x sshd; sleep 1",
        );
        const offered = dockerExec(broker, "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub").split(" ")[1];
        const newKey = dockerExec(broker, "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub").trim();
        try {
            const r = cli("refresh", "--preview-only");
            assert.notEqual(r.status, 0, `refresh fails:\n${r.stdout}`);
            const said = r.stdout + r.stderr;
            assert.ok(said.includes(offered), `names the offered fingerprint ${offered}:\n${said}`);
            assert.ok(said.includes(pinned), `names the pinned fingerprint ${pinned}:\n${said}`);
            assert.ok(said.includes(newKey), `names the key to pin:\n${said}`);
        } finally {
            dockerExec(
                broker,
                "mv /root/hk.bak /etc/ssh/ssh_host_ed25519_key && mv /root/hk.pub.bak /etc/ssh/ssh_host_ed25519_key.pub && pkill -HUP -x sshd; sleep 1",
            );
        }
        assertQuiet("with the pinned key back");
    });

    it("keeps no secret in clear in the state, the host observers' included", () => {
        const state = storedState(t);
        assert.ok(state.includes("pulumi-nodejs:dynamic:Resource"), "the observers are in the state");
        assert.ok(!state.includes(teachingPassword), "the teaching password is not in clear");
        const key = String(outputs.sshClientPrivateKey.value);
        const body = key
            .split("\n")
            .filter((l) => l && !l.startsWith("-----"))
            .join("");
        assert.ok(body.length > 60 && !state.includes(body.slice(0, 48)), "the SSH private key is not in clear");
    });
});
