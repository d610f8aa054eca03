/**
 * What the program sends to the hosts, as review sees it: for each host-side script, the data
 * header it is composed with, kept as a snapshot in test/unit/snapshots/ (a change to what is sent
 * shows up as a diff there; UPDATE_SNAPSHOTS=1 rewrites them). The rest of each command is
 * remote/lib.sh and the script file, verbatim.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { clientChecksScript } from "../../src/remote/checkScripts";
import { composedScriptOf, composeScript, headerIsData, remoteFile, renderHeader, scriptLibraries, unwrapBashC } from "../../src/remote/compose";
import {
    asRootScript,
    brokerApplyScript,
    brokerRemoveScript,
    clientInstallScript,
    clientRemoveScript,
    containerShell,
    inspectScript,
    systemdShell,
} from "../../src/remote/hostScripts";
import { forgeriesScript } from "../../src/pki/forgeries";
import { renderAcl, renderBrokerConf } from "../../src/mosquitto/conf";

const snapshots = path.resolve(__dirname, "..", "..", "..", "test", "unit", "snapshots");
const conf = renderBrokerConf({
    owner: "mqtt-lab/snapshot",
    tlsPort: 8883,
    tlsVersion: "tlsv1.2",
    trust: "capath",
    teaching: { port: 1883, username: "student", bindAddress: "172.30.56.10", mountPoint: "teaching/" },
});
const acl = renderAcl([{ name: "client-a", topics: ["lab/#"], host: "client" }], { username: "student", mountPoint: "teaching/", sharedWithTls: false });

/** Each script as the components compose it, with fixed inputs. */
const commands: { name: string; script: string; wrapped: string }[] = [
    {
        name: "broker-apply",
        script: "broker-apply",
        wrapped: asRootScript(
            systemdShell,
            brokerApplyScript({ shell: systemdShell, conf, acl, tlsPort: 8883, takeOverConfFiles: false, withPasswords: true }),
        ),
    },
    {
        // The teaching listener off: its password file is retired (removed once the new conf is live).
        name: "broker-apply-teaching-off",
        script: "broker-apply",
        wrapped: asRootScript(
            containerShell,
            brokerApplyScript({
                shell: containerShell,
                conf: renderBrokerConf({ owner: "mqtt-lab/snapshot", tlsPort: 8883, tlsVersion: "tlsv1.2", trust: "capath" }),
                acl: renderAcl([{ name: "client-a", topics: ["lab/#"], host: "client" }]),
                tlsPort: 8883,
                takeOverConfFiles: true,
                withPasswords: false,
            }),
        ),
    },
    { name: "broker-remove", script: "broker-remove", wrapped: asRootScript(containerShell, brokerRemoveScript(containerShell)) },
    { name: "client-install", script: "client-install", wrapped: clientInstallScript("client-a") },
    { name: "client-remove", script: "client-remove", wrapped: clientRemoveScript("client-a") },
    {
        name: "client-checks",
        script: "client-checks",
        wrapped: clientChecksScript({
            identities: [
                { name: "client-a", topics: ["lab/#"] },
                { name: "client-b", topics: ["#"] },
            ],
            brokerAddress: "203.0.113.10",
            tlsPort: 8883,
            teachingPort: 1883,
            teachingUser: "student",
            plaintextPort: 1883,
            asRoot: "sudo -n ",
            refusals: { tlsVersion: "tlsv1.2" },
        }),
    },
    {
        name: "inspect",
        script: "inspect",
        wrapped: inspectScript({
            files: ["/etc/mosquitto/conf.d/mqtt-lab.conf", "/etc/mosquitto/mqtt-lab/acl"],
            dirs: ["/etc/mosquitto/mqtt-lab"],
            homeFiles: [".mqtt-lab/client-a/client.key"],
            homeDirs: [".mqtt-lab", ".mqtt-lab/client-a"],
            broker: true,
            asRoot: "sudo -n ",
        }),
    },
    { name: "forgeries", script: "forgeries", wrapped: `bash -c '${forgeriesScript().replace(/'/g, "'\\''")}'` },
    {
        name: "write-evidence",
        script: "write-evidence",
        wrapped: `bash -c '${composeScript("write-evidence", { EVIDENCE_BASE: "/srv/lab/evidence/up-lab" }).replace(/'/g, "'\\''")}'`,
    },
];

describe("host-side scripts as sent", () => {
    for (const c of commands) {
        const libraries = scriptLibraries(c.script);
        it(`${c.name}: a data header, then ${libraries.map((x) => `remote/${x}.sh, `).join("")}and remote/${c.script}.sh verbatim`, () => {
            const text = unwrapBashC(c.wrapped.replace(/^sudo -n /, ""));
            const tail = ["", ...libraries.map(remoteFile), remoteFile(c.script)].join("\n");
            assert.ok(text.endsWith(tail), "the scripts are sent as they are in the repository");
            const header = text.slice(0, text.length - tail.length);
            assert.ok(header.startsWith(renderHeader(c.script, {}).trimEnd()), "the header names its script");
            assert.ok(headerIsData(header), "the header holds data, not code");
            assert.equal(composedScriptOf(c.wrapped), c.script, "the policy pack recognizes it as the program's own");
            const file = path.join(snapshots, `${c.name}.header.txt`);
            if (process.env.UPDATE_SNAPSHOTS === "1" || !existsSync(file)) {
                assert.notEqual(process.env.CI, "true", `snapshot ${file} is missing: run the unit tests with UPDATE_SNAPSHOTS=1 and commit it`);
                writeFileSync(file, header);
            }
            assert.equal(header, readFileSync(file, "utf8"), `what is sent changed: review it, then UPDATE_SNAPSHOTS=1 (${file})`);
        });
    }
});

describe("composedScriptOf", () => {
    const install = clientInstallScript("client-a");
    const inner = unwrapBashC(install);
    const quote = (s: string) => `bash -c '${s.replace(/'/g, "'\\''")}'`;
    it("recognizes the program's own commands, and nothing else", () => {
        assert.equal(composedScriptOf(install), "client-install");
        const cases: [string, string][] = [
            ["a command after it", `${install}; cp /tmp/x.conf /etc/mosquitto/conf.d/`],
            ["a command before it", `rm -f /etc/mosquitto/conf.d/mqtt-lab.conf; ${install}`],
            ["code in the header", quote(inner.replace("IDENTITY='client-a'", "IDENTITY=$(tee /etc/mosquitto/conf.d/x.conf </dev/null)"))],
            ["a changed script body", quote(inner.replace('mv -f "$S/$f" "$T/$f"', 'mv -f "$S/$f" /etc/mosquitto/conf.d/'))],
            ["a script the repository does not have", quote(inner.replace("remote/client-install.sh", "remote/rogue.sh"))],
            ["plain shell", "cat > /etc/mosquitto/conf.d/open.conf <<'EOF'\nlistener 1883\nallow_anonymous true\nEOF"],
        ];
        for (const [why, command] of cases) assert.equal(composedScriptOf(command), undefined, why);
    });
});
