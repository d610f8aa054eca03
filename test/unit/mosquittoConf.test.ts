import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { pbkdf2Sync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { ClientIdentity } from "../../src/config/labConfig";
import { brokerApplyScript, containerShell } from "../../src/remote/hostScripts";
import {
    BrokerConfOptions,
    brokerPaths,
    BrokerFile,
    chooseReload,
    hashMosquittoPassword,
    passwordIterations,
    ReloadAction,
    TrustChange,
    renderAcl,
    renderBrokerConf,
    renderPasswordFile,
    restartFiles,
    sighupFiles,
} from "../../src/mosquitto/conf";

/** One `listener` section: its port and the directives up to the next listener. */
interface ListenerBlock {
    port: number;
    lines: string[];
}

/** Splits a conf into listener sections the way mosquitto reads them (comments and blanks dropped). */
function listeners(conf: string): { global: string[]; blocks: ListenerBlock[] } {
    const global: string[] = [];
    const blocks: ListenerBlock[] = [];
    for (const raw of conf.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) continue;
        const m = /^listener\s+(\d+)/.exec(line);
        if (m) blocks.push({ port: Number(m[1]), lines: [] });
        else if (blocks.length > 0) blocks[blocks.length - 1].lines.push(line);
        else global.push(line);
    }
    return { global, blocks };
}

/** Checks a `$7$` password line the way mosquitto 2.0 does: base64-decoded salt, PBKDF2-SHA512 over its raw bytes. */
function brokerAccepts(line: string, username: string, password: string): boolean {
    const m = /^([^:]+):\$7\$(\d+)\$([^$]+)\$([^$]+)$/.exec(line.trim());
    if (!m || m[1] !== username) return false;
    const salt = Buffer.from(m[3], "base64");
    const hash = Buffer.from(m[4], "base64");
    if (salt.length !== 12 || hash.length !== 64) return false;
    return pbkdf2Sync(password, salt, Number(m[2]), 64, "sha512").equals(hash);
}

const mosquittoPasswd = spawnSync("sh", ["-c", "command -v mosquitto_passwd"], { encoding: "utf8" }).stdout.trim();

const teaching = { port: 1883, username: "student", bindAddress: "172.30.56.10", mountPoint: "teaching/" };
const teachingAcl = { username: "student", mountPoint: "teaching/", sharedWithTls: false };

describe("renderBrokerConf", () => {
    const combos: BrokerConfOptions[] = [];
    for (const withTeaching of [false, true])
        for (const trust of ["cafile", "capath"] as const)
            for (const tlsVersion of ["tlsv1.2", "tlsv1.3"] as const)
                for (const tlsPort of [8883, 18883])
                    combos.push({
                        owner: "mqtt-lab/dev",
                        tlsPort,
                        tlsVersion,
                        trust,
                        teaching: withTeaching ? { ...teaching, port: tlsPort === 8883 ? 1883 : 11883 } : undefined,
                    });

    for (const o of combos) {
        const label = `TLS on ${o.tlsPort}, ${o.tlsVersion}, ${o.trust}, ${o.teaching ? `teaching on ${o.teaching.port}` : "no teaching listener"}`;
        describe(label, () => {
            const conf = renderBrokerConf(o);
            const { global, blocks } = listeners(conf);

            it("sets per_listener_settings true before any listener", () => {
                assert.deepEqual(global, ["per_listener_settings true"]);
            });

            it("opens exactly the TLS listener and, when asked, the teaching listener", () => {
                assert.deepEqual(
                    blocks.map((b) => b.port),
                    o.teaching ? [o.tlsPort, o.teaching.port] : [o.tlsPort],
                );
            });

            it("never has a listener without allow_anonymous false, and never allows anonymous", () => {
                for (const b of blocks) {
                    assert.ok(b.lines.includes("allow_anonymous false"), `listener ${b.port} lacks allow_anonymous false`);
                    assert.ok(!b.lines.some((l) => /^allow_anonymous\s+true/.test(l)), `listener ${b.port} allows anonymous`);
                }
            });

            it("requires a client certificate on the TLS listener and makes its CN the user", () => {
                const tls = blocks[0].lines;
                assert.ok(tls.includes("require_certificate true"));
                assert.ok(tls.includes("use_identity_as_username true"));
                assert.ok(!tls.some((l) => l.startsWith("password_file")), "a password file is not used with certificate identities");
            });

            it(`sets tls_version ${o.tlsVersion} and the server's certificate and key`, () => {
                const tls = blocks[0].lines;
                assert.deepEqual(
                    tls.filter((l) => l.startsWith("tls_version")),
                    [`tls_version ${o.tlsVersion}`],
                );
                assert.ok(tls.includes(`certfile ${brokerPaths.certFile}`));
                assert.ok(tls.includes(`keyfile ${brokerPaths.keyFile}`));
            });

            it(`trusts the lab CA through ${o.trust} only`, () => {
                const trust = blocks[0].lines.filter((l) => /^(cafile|capath)\b/.test(l));
                assert.deepEqual(trust, [o.trust === "capath" ? `capath ${brokerPaths.caPath}` : `cafile ${brokerPaths.caFile}`]);
            });

            it("applies the ACL on every listener", () => {
                for (const b of blocks) assert.ok(b.lines.includes(`acl_file ${brokerPaths.aclFile}`), `listener ${b.port} has no ACL`);
            });

            if (o.teaching) {
                it("asks for a password on the plaintext teaching listener and offers it no TLS", () => {
                    const plain = blocks[1].lines;
                    assert.ok(plain.includes(`password_file ${brokerPaths.passwordFile}`));
                    assert.ok(!plain.some((l) => /^(cafile|capath|certfile|keyfile|tls_version|require_certificate|use_identity_as_username)\b/.test(l)));
                });
                it("binds the teaching listener to the broker's lab address and gives it its own mount point", () => {
                    assert.ok(conf.includes(`\nlistener ${o.teaching!.port} ${o.teaching!.bindAddress}\n`));
                    assert.ok(blocks[1].lines.includes(`mount_point ${o.teaching!.mountPoint}`));
                    assert.ok(!blocks[0].lines.some((l) => l.startsWith("mount_point")), "the TLS listener keeps the whole topic space");
                });
            }

            it("names its owner in a header and ends with a newline", () => {
                assert.ok(conf.startsWith(`# Managed by mqtt-lab (${o.owner}).`));
                assert.ok(conf.endsWith("\n") && !conf.endsWith("\n\n"));
            });
        });
    }

    it("renders the same text for the same options", () => {
        const o: BrokerConfOptions = { owner: "x", tlsPort: 8883, tlsVersion: "tlsv1.3", trust: "capath", teaching };
        assert.equal(renderBrokerConf(o), renderBrokerConf({ ...o, teaching: { ...teaching } }));
    });

    it("never listens on 1883 without authentication", () => {
        for (const o of combos) {
            const b = listeners(renderBrokerConf(o)).blocks.find((x) => x.port === 1883);
            if (!b) continue;
            assert.ok(b.lines.includes("allow_anonymous false"));
            assert.ok(b.lines.some((l) => l.startsWith("password_file ") || l === "require_certificate true"));
        }
    });
});

describe("renderAcl", () => {
    const clients: ClientIdentity[] = [
        { name: "zeta", topics: ["z/#"], host: "client" },
        { name: "alpha", topics: ["sensors/+/temp", "lab/alpha/#"], host: "broker" },
        { name: "Mid", topics: ["m"], host: "client" },
        { name: "aa-sensor", topics: ["#"], host: "client" },
    ];
    const users = (acl: string) =>
        acl
            .split("\n")
            .filter((l) => l.startsWith("user "))
            .map((l) => l.slice(5));

    it("writes one block per identity, its topics under its user line", () => {
        const acl = renderAcl(clients);
        const blocks = acl.trimEnd().split("\n\n").slice(1);
        assert.equal(blocks.length, clients.length);
        for (const c of clients) {
            assert.ok(blocks.includes([`user ${c.name}`, ...c.topics.map((t) => `topic readwrite ${t}`)].join("\n")), `no block for ${c.name}`);
        }
    });

    it("sorts the blocks by name in code-unit order, whatever the input order", () => {
        assert.deepEqual(users(renderAcl(clients)), ["Mid", "aa-sensor", "alpha", "zeta"]);
        const reversed = renderAcl([...clients].reverse());
        const rotated = renderAcl([...clients.slice(2), ...clients.slice(0, 2)]);
        assert.equal(reversed, renderAcl(clients));
        assert.equal(rotated, renderAcl(clients));
    });

    it("renders the same file under any locale (a Danish laptop sorts 'aa' after 'z')", () => {
        const script = `process.stdout.write(require(${JSON.stringify(path.resolve(__dirname, "../../src/mosquitto/conf.js"))}).renderAcl(${JSON.stringify(clients)}, ${JSON.stringify(teachingAcl)}))`;
        const here = renderAcl(clients, teachingAcl);
        for (const locale of ["C", "da_DK.UTF-8", "tr_TR.UTF-8", "sv_SE.UTF-8"]) {
            const out = execFileSync(process.execPath, ["-e", script], { env: { ...process.env, LANG: locale, LC_ALL: locale }, encoding: "utf8" });
            assert.equal(out, here, `ACL differs under ${locale}`);
        }
    });

    it("keeps each identity's topics in the order given", () => {
        const acl = renderAcl([{ name: "a", topics: ["b/#", "a/#", "c"], host: "client" }]);
        assert.ok(acl.includes("user a\ntopic readwrite b/#\ntopic readwrite a/#\ntopic readwrite c\n"));
    });

    it("gives the teaching user its whole mount point, after the identities", () => {
        const acl = renderAcl(clients, teachingAcl);
        assert.deepEqual(users(acl), ["Mid", "aa-sensor", "alpha", "zeta", "student"]);
        assert.ok(acl.endsWith("\nuser student\ntopic readwrite teaching/#\n"));
    });

    it("denies every identity the teaching namespace unless it is shared, even one with '#'", () => {
        const acl = renderAcl(clients, teachingAcl);
        for (const c of clients)
            assert.ok(acl.includes(`user ${c.name}\n${c.topics.map((t) => `topic readwrite ${t}\n`).join("")}topic deny teaching/#\n`), c.name);
        const shared = renderAcl(clients, { ...teachingAcl, sharedWithTls: true });
        assert.ok(!shared.includes("topic deny"));
        for (const c of clients) assert.ok(shared.includes(`${c.topics.map((t) => `topic readwrite ${t}\n`).join("")}topic read teaching/#\n`), c.name);
    });

    it("has no teaching block and no teaching grant without a teaching listener", () => {
        const acl = renderAcl([{ name: "a", topics: ["x"], host: "client" }]);
        assert.deepEqual(users(acl), ["a"]);
        assert.ok(!acl.includes("teaching/"));
        assert.ok(!/^topic\s/m.test(acl.split("\n\n")[0]), "no topic line before the first user line (that would apply to anonymous clients)");
    });

    it("does not reorder the caller's list", () => {
        const input = [...clients];
        renderAcl(input);
        assert.deepEqual(
            input.map((c) => c.name),
            clients.map((c) => c.name),
        );
    });
});

describe("hashMosquittoPassword", () => {
    const salt = Buffer.from("0123456789ab").toString("base64");
    const other = Buffer.from("ba9876543210").toString("base64");
    const format = new RegExp(`^student:\\$7\\$${passwordIterations}\\$([A-Za-z0-9+/]{16})\\$([A-Za-z0-9+/]{86}==)$`);

    it("writes user:$7$<iterations>$<12-byte salt>$<64-byte hash> in base64, with the salt it is given", () => {
        const m = format.exec(hashMosquittoPassword("student", "s3cret-teaching", salt));
        assert.ok(m, "not in mosquitto's $7$ format");
        assert.equal(m[1], salt);
        assert.equal(Buffer.from(m[2], "base64").length, 64);
    });

    it("hashes at least as hard as mosquitto_passwd 2.0.11 (101 iterations)", () => {
        assert.ok(passwordIterations >= 101 * 100, `${passwordIterations} iterations`);
    });

    it("refuses a salt mosquitto 2.0.11 would reject (not 12 bytes)", () => {
        assert.throws(() => hashMosquittoPassword("student", "pw", Buffer.alloc(16).toString("base64")), /must be 12 bytes/);
        assert.throws(() => hashMosquittoPassword("student", "pw", ""), /must be 12 bytes/);
    });

    it("is deterministic for one salt, so an unchanged password changes no file", () => {
        assert.equal(hashMosquittoPassword("student", "s3cret", salt), hashMosquittoPassword("student", "s3cret", salt));
    });

    it("depends on the salt only, not on the user or the password (the salt is random)", () => {
        const saltOf = (line: string) => line.split("$")[3];
        assert.equal(saltOf(hashMosquittoPassword("alice", "one", salt)), saltOf(hashMosquittoPassword("bob", "two", salt)));
        assert.notEqual(hashMosquittoPassword("alice", "same", salt), hashMosquittoPassword("alice", "same", other));
    });

    it("is accepted by mosquitto's check: PBKDF2-SHA512 over the decoded salt bytes", () => {
        for (const [user, pw] of [
            ["student", "s3cret"],
            ["student", ""],
            ["teacher", "pâté 🔑 with spaces"],
        ]) {
            assert.ok(brokerAccepts(hashMosquittoPassword(user, pw, salt), user, pw), `${user}/${JSON.stringify(pw)} would be refused`);
        }
    });

    it("does not verify a wrong password", () => {
        assert.ok(!brokerAccepts(hashMosquittoPassword("student", "s3cret", salt), "student", "s3cret "));
        assert.ok(!brokerAccepts(hashMosquittoPassword("student", "s3cret", salt), "student", "S3cret"));
    });

    it("writes and uses the iteration count it is given", () => {
        const line = hashMosquittoPassword("student", "s3cret", salt, 1000);
        assert.match(line, /^student:\$7\$1000\$/);
        assert.ok(brokerAccepts(line, "student", "s3cret"));
        assert.notEqual(line.split("$")[4], hashMosquittoPassword("student", "s3cret", salt).split("$")[4]);
    });

    it("renders the password file as that one line and a newline", () => {
        assert.equal(renderPasswordFile("student", "s3cret", salt), `${hashMosquittoPassword("student", "s3cret", salt)}\n`);
    });

    it("checks passwords as mosquitto_passwd writes them (validates the checker above)", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "mqtt-lab-passwd-"));
        try {
            const file = path.join(dir, "passwd");
            if (mosquittoPasswd !== "") {
                execFileSync(mosquittoPasswd, ["-c", "-b", file, "student", "s3cret"]);
            } else {
                // The real mosquitto_passwd of the lab's image: never skip, fail loudly when neither exists.
                const image = process.env.MQTTLAB_IMAGE;
                assert.ok(image, "neither mosquitto_passwd nor MQTTLAB_IMAGE (set by npm test) is available");
                execFileSync("docker", [
                    "run",
                    "--rm",
                    "--network",
                    "none",
                    "-v",
                    `${dir}:/w`,
                    image,
                    "mosquitto_passwd",
                    "-c",
                    "-b",
                    "/w/passwd",
                    "student",
                    "s3cret",
                ]);
            }
            const line = readFileSync(file, "utf8").trim();
            assert.ok(brokerAccepts(line, "student", "s3cret"));
            assert.ok(!brokerAccepts(line, "student", "wrong"));
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("chooseReload", () => {
    const table: [BrokerFile[], ReloadAction][] = [
        [[], "none"],
        [["mqtt-lab.conf"], "restart"],
        [["server.crt"], "sighup"],
        [["server.key"], "sighup"],
        [["acl"], "sighup"],
        [["passwd"], "sighup"],
        [["server.crt", "server.key", "acl", "passwd"], "sighup"],
        [["mqtt-lab.conf", "server.crt"], "restart"],
    ];
    for (const [changed, action] of table) {
        it(`answers ${action} when ${changed.join(" + ") || "nothing"} changed`, () => assert.equal(chooseReload(changed), action));
    }

    const trustTable: [TrustChange, BrokerFile[], ReloadAction][] = [
        ["added", [], "none"],
        ["added", ["server.crt"], "sighup"],
        ["removed", [], "restart"],
        ["removed", ["acl"], "restart"],
        ["none", ["server.key"], "sighup"],
    ];
    for (const [trust, changed, action] of trustTable) {
        it(`answers ${action} when a trusted CA was ${trust === "none" ? "left alone" : trust} and ${changed.join(" + ") || "nothing else"} changed`, () =>
            assert.equal(chooseReload(changed, trust), action));
    }

    it("restarts whenever the conf changed, whatever else changed (every combination)", () => {
        const files: BrokerFile[] = [...restartFiles, ...sighupFiles];
        for (let bits = 0; bits < 1 << files.length; bits++) {
            const changed = files.filter((_, i) => (bits & (1 << i)) !== 0);
            const expected: ReloadAction = changed.some((f) => f === "mqtt-lab.conf") ? "restart" : bits === 0 ? "none" : "sighup";
            assert.equal(chooseReload(changed), expected, changed.join(","));
        }
    });

    it("is the table the broker's apply script runs", () => {
        const script = brokerApplyScript({
            shell: containerShell,
            conf: "c\n",
            acl: "a\n",
            tlsPort: 8883,
            takeOverConfFiles: false,
            withPasswords: true,
        });
        // The table is sent as data; remote/broker-apply.sh compares exactly those files.
        assert.match(script, new RegExp(`^SIGHUP_FILES='${sighupFiles.join(" ")}'$`, "m"));
        assert.match(script, new RegExp(`^RESTART_FILES='${restartFiles.join(" ")}'$`, "m"));
        assert.match(script, /for f in \$SIGHUP_FILES; do cmp -s "\$S\/\$f" "\$\(live "\$f"\)" \|\| action=sighup; done/);
        assert.match(script, /for f in \$RESTART_FILES; do cmp -s "\$S\/\$f" "\$\(live "\$f"\)" \|\| action=restart; done/);
    });
});
