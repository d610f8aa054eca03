import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { editDistance, knownKeys, nearestKey, unknownKeyProblems } from "../../src/config/keys";

const repo = path.join(__dirname, "..", "..", "..");

describe("unknown config keys", () => {
    it("refuses mqtt-lab:tlsPrt in one line naming the nearest valid key and how to remove it", () => {
        assert.deepEqual(unknownKeyProblems(["mqtt-lab:tlsPrt"]), [
            "[mqtt-lab:tlsPrt] is not a setting of this program: did you mean [mqtt-lab:tlsPort]? Remove it with `pulumi config rm mqtt-lab:tlsPrt` (every key is in Pulumi.yaml).",
        ]);
    });

    const typos: [string, string][] = [
        ["subnett", "subnet"],
        ["brokeraddress", "brokerAddress"],
        ["pkki", "pki"],
        ["client", "clients"],
        ["sshPrivateKeyPth", "sshPrivateKeyPath"],
        ["teachingListner", "teachingListener"],
        ["minCertDayLeft", "minCertDaysLeft"],
    ];
    for (const [typo, near] of typos) {
        it(`suggests ${near} for ${typo}`, () => assert.equal(nearestKey(typo), near));
    }

    it("accepts every key the program reads, and leaves other namespaces alone", () => {
        assert.deepEqual(unknownKeyProblems([...knownKeys.map((k) => `mqtt-lab:${k}`), "docker:host", "pulumi:tags"]), []);
    });

    it("lists one problem per unknown key", () => {
        assert.equal(unknownKeyProblems(["mqtt-lab:a", "mqtt-lab:tlsPort", "mqtt-lab:b"]).length, 2);
    });

    it("measures edits case-insensitively", () => {
        assert.equal(editDistance("tlsPrt", "tlsPort"), 1);
        assert.equal(editDistance("TLSPORT", "tlsPort"), 0);
        assert.equal(editDistance("", "abc"), 3);
    });

    it("knows exactly the keys Pulumi.yaml declares or describes", () => {
        const text = readFileSync(path.join(repo, "Pulumi.yaml"), "utf8");
        const declared = [...text.matchAll(/^ {2}mqtt-lab:(\w+):/gm)].map((m) => m[1]);
        const described = [...text.matchAll(/^# {3}mqtt-lab:(\w+)/gm)].map((m) => m[1]);
        assert.deepEqual([...new Set([...declared, ...described])].sort(), [...knownKeys].sort());
    });
});
