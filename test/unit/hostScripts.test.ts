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
import { clientChecksScript, refusalChecksScript } from "../../src/remote/checkScripts";
import { composeScript, remoteFile, renderHeader, unwrapBashC } from "../../src/remote/compose";
import { brokerApplyScript, brokerRemoveScript, clientInstallScript, clientRemoveScript, containerShell, systemdShell } from "../../src/remote/hostScripts";
import { forgeriesScript } from "../../src/pki/forgeries";
import { renderAcl, renderBrokerConf } from "../../src/mosquitto/conf";

const snapshots = path.resolve(__dirname, "..", "..", "..", "test", "unit", "snapshots");
const conf = renderBrokerConf({
    owner: "mqtt-lab/snapshot",
    tlsPort: 8883,
    tlsVersion: "tlsv1.2",
    trust: "capath",
    teaching: { port: 1883, username: "student" },
});
const acl = renderAcl([{ name: "client-a", topics: ["lab/#"], host: "client" }], "student");

/** Each script as the components compose it, with fixed inputs. */
const commands: { name: string; script: string; wrapped: string }[] = [
    {
        name: "broker-apply",
        script: "broker-apply",
        wrapped: brokerApplyScript({ shell: systemdShell, conf, acl, tlsPort: 8883, takeOverConfFiles: false, withPasswords: true }),
    },
    { name: "broker-remove", script: "broker-remove", wrapped: brokerRemoveScript(containerShell) },
    { name: "client-install", script: "client-install", wrapped: clientInstallScript("client-a") },
    { name: "client-remove", script: "client-remove", wrapped: clientRemoveScript("client-a") },
    {
        name: "client-checks",
        script: "client-checks",
        wrapped: clientChecksScript({
            identity: "client-a",
            topics: ["lab/#"],
            brokerAddress: "203.0.113.10",
            tlsPort: 8883,
            teachingPort: 1883,
            teachingUser: "student",
            plaintextPort: 1883,
            asRoot: "sudo -n ",
        }),
    },
    {
        name: "refusal-checks",
        script: "refusal-checks",
        wrapped: refusalChecksScript({ identity: "client-a", brokerAddress: "203.0.113.10", tlsPort: 8883, tlsVersion: "tlsv1.2" }),
    },
    { name: "forgeries", script: "forgeries", wrapped: `bash -c '${forgeriesScript().replace(/'/g, "'\\''")}'` },
    {
        name: "write-evidence",
        script: "write-evidence",
        wrapped: `bash -c '${composeScript("write-evidence", { EVIDENCE_BASE: "/srv/lab/evidence/up-lab" }).replace(/'/g, "'\\''")}'`,
    },
];

/** Every header line is a comment, a KEY='value' line, or a quoted heredoc read into a variable. */
function assertOnlyData(header: string): void {
    const lines = header.trimEnd().split("\n");
    for (let i = 0; i < lines.length; i++) {
        const heredoc = /^IFS= read -r -d '' [A-Z_]+ <<'(MQTTLAB_[0-9a-f]{12})' \|\| true$/.exec(lines[i]);
        if (heredoc) {
            const end = lines.indexOf(heredoc[1], i + 1);
            assert.ok(end > i, `heredoc ${heredoc[1]} is closed`);
            i = end;
            continue;
        }
        assert.match(lines[i], /^(#.*|[A-Z][A-Z0-9_]*='([^']|'\\'')*')$/, `the header holds data, not code: ${lines[i]}`);
    }
}

describe("host-side scripts as sent", () => {
    for (const c of commands) {
        it(`${c.name}: a data header, then remote/lib.sh and remote/${c.script}.sh verbatim`, () => {
            const text = unwrapBashC(c.wrapped.replace(/^sudo -n /, ""));
            const tail = `\n${remoteFile("lib")}\n${remoteFile(c.script)}`;
            assert.ok(text.endsWith(tail), "the scripts are sent as they are in the repository");
            const header = text.slice(0, text.length - tail.length);
            assert.ok(header.startsWith(renderHeader(c.script, {}).trimEnd()), "the header names its script");
            assertOnlyData(header);
            const file = path.join(snapshots, `${c.name}.header.txt`);
            if (process.env.UPDATE_SNAPSHOTS === "1" || !existsSync(file)) {
                assert.notEqual(process.env.CI, "true", `snapshot ${file} is missing: run the unit tests with UPDATE_SNAPSHOTS=1 and commit it`);
                writeFileSync(file, header);
            }
            assert.equal(header, readFileSync(file, "utf8"), `what is sent changed: review it, then UPDATE_SNAPSHOTS=1 (${file})`);
        });
    }
});
