/**
 * Revocation: which leaves the CRL lists (src/pki/revocation.ts, pure), and the CRL remote/crl.sh
 * signs with real openssl, judged by `openssl verify -crl_check`.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { leafOf, signCrl } from "../../src/pki/crl";
import { crlNextUpdate, LeafSeen, nextRevocations, renderRevokedList } from "../../src/pki/revocation";
import { composeScript } from "../../src/remote/compose";

const now = new Date("2026-12-02T10:00:00Z");
const leaf = (serial: string, name: string, notAfter = "2027-01-01T00:00:00.000Z"): LeafSeen => ({ serial, name, subject: `/O=lab/CN=${name}`, notAfter });

describe("nextRevocations", () => {
    it("revokes every leaf of an identity marked revoked, and of one removed from config (even superseded ones)", () => {
        const first = nextRevocations(
            undefined,
            { activeNames: ["broker", "alice", "bob"], active: [leaf("0A", "broker"), leaf("0B", "alice"), leaf("0C", "bob")], revoked: [] },
            now,
        );
        assert.deepEqual(first.state.revoked, []);
        // bob's leaf rotated (0C superseded by 0D), then bob removed; alice marked revoked.
        const rotated = nextRevocations(
            first.state,
            { activeNames: ["broker", "alice", "bob"], active: [leaf("0A", "broker"), leaf("0B", "alice"), leaf("0D", "bob")], revoked: [] },
            now,
        );
        assert.deepEqual(rotated.state.revoked, [], "a rotation revokes nothing: the superseded leaf 0C is not listed");
        const later = nextRevocations(rotated.state, { activeNames: ["broker"], active: [leaf("0A", "broker")], revoked: [leaf("0B", "alice")] }, now);
        assert.deepEqual(
            later.state.revoked.map((r) => [r.serial, r.name, r.reason]),
            [
                ["0B", "alice", "revoked-in-config"],
                ["0C", "bob", "removed-from-config"],
                ["0D", "bob", "removed-from-config"],
            ],
        );
        assert.deepEqual(later.problems, []);
    });

    it("keeps a revocation once made, drops what expired, and refuses a revoked certificate declared active again", () => {
        const a = nextRevocations(
            undefined,
            { activeNames: ["broker"], active: [leaf("0A", "broker")], revoked: [leaf("0B", "alice"), leaf("0E", "old", "2026-12-01T00:00:00.000Z")] },
            now,
        );
        assert.deepEqual(
            a.state.revoked.map((r) => r.serial),
            ["0B"],
            "an expired leaf is refused anyway: not listed, not remembered",
        );
        assert.deepEqual(
            a.state.issued.map((r) => r.serial),
            ["0A", "0B"],
        );
        const back = nextRevocations(a.state, { activeNames: ["broker", "alice"], active: [leaf("0A", "broker"), leaf("0B", "alice")], revoked: [] }, now);
        assert.deepEqual(
            back.state.revoked.map((r) => r.serial),
            ["0B"],
        );
        assert.equal(back.problems.length, 1);
        assert.match(back.problems[0], /alice: its certificate \(serial 0B\) was revoked.*\[mqtt-lab:pki\.leafRotation\]/);
        const revokedAt = a.state.revoked[0].revokedAt;
        const again = nextRevocations(
            a.state,
            { activeNames: ["broker"], active: [leaf("0A", "broker")], revoked: [leaf("0B", "alice")] },
            new Date("2026-12-10T00:00:00Z"),
        );
        assert.equal(again.state.revoked[0].revokedAt, revokedAt, "the revocation time is the first one");
    });

    it("sets the CRL's next update at the latest of the CA's and every leaf's expiry", () => {
        assert.equal(crlNextUpdate("2036-01-01T00:00:00.000Z", [leaf("0A", "a", "2027-01-01T00:00:00.000Z")]), "2036-01-01T00:00:00.000Z");
        assert.equal(crlNextUpdate("2027-01-01T00:00:00.000Z", [leaf("0A", "a", "2028-06-01T00:00:00.000Z")]), "2028-06-01T00:00:00.000Z");
    });
});

describe("the CRL remote/crl.sh signs (real openssl)", () => {
    const sh = (dir: string, cmd: string) => {
        const r = spawnSync("bash", ["-c", cmd], { cwd: dir, encoding: "utf8" });
        return { code: r.status, out: `${r.stdout}${r.stderr}` };
    };
    it("makes alice's certificate fail verification as revoked while bob's passes, until the next update asked for", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mqtt-lab-crl-"));
        try {
            const mk = [
                "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 30 -subj /O=lab/CN=lab-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -addext subjectKeyIdentifier=hash",
                ...["alice", "bob"].map(
                    (n) =>
                        `openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ${n}.key -out ${n}.csr -subj /O=lab/CN=${n} && openssl x509 -req -in ${n}.csr -CA ca.crt -CAkey ca.key -set_serial 0x$(openssl rand -hex 16) -days 10 -out ${n}.crt`,
                ),
            ].join(" && ");
            assert.equal(sh(dir, `${mk} 2>/dev/null`).code, 0);
            const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
            const alice = leafOf({ name: "alice", certPem: read("alice.crt") });
            const { state } = nextRevocations(
                undefined,
                { activeNames: ["bob"], active: [leafOf({ name: "bob", certPem: read("bob.crt") })], revoked: [alice] },
                new Date(),
            );
            assert.match(renderRevokedList(state.revoked), new RegExp(`^${alice.serial} \\d{12}Z \\d{12}Z unspecified /O=lab/CN=alice\\n$`));
            const next = "2027-03-01T12:00:00.000Z";
            const pem = signCrl(
                { generation: 1, caCertPem: read("ca.crt"), caPrivateKeyPem: read("ca.key"), script: composeScript("crl", {}) },
                state.revoked,
                7,
                next,
                new Date(),
            );
            fs.writeFileSync(path.join(dir, "crl.pem"), pem);
            const text = sh(dir, "openssl crl -in crl.pem -noout -text").out;
            assert.match(text, /Next Update: Mar {2}1 12:00:00 2027 GMT/);
            assert.match(text, /X509v3 CRL Number: \n\s+7/);
            assert.match(text, new RegExp(`Serial Number: ${alice.serial}`));
            const verify = (n: string) => sh(dir, `openssl verify -crl_check -CAfile ca.crt -CRLfile crl.pem ${n}.crt`);
            assert.match(verify("alice").out, /certificate revoked/);
            assert.notEqual(verify("alice").code, 0);
            assert.equal(verify("bob").code, 0, verify("bob").out);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
