import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { renderAcl, renderBrokerConf } from "../../src/mosquitto/conf";
import { describeListener, matchesAllTopics, parseMosquittoAcl, parseMosquittoConf } from "../../src/mosquitto/parse";
import { itEach } from "../../testkit/cases";

const conf = (...lines: string[]) => lines.join("\n") + "\n";

describe("parseMosquittoConf", () => {
    it("reads the conf renderBrokerConf writes as one TLS listener that requires a certificate", () => {
        for (const trust of ["cafile", "capath"] as const) {
            const parsed = parseMosquittoConf(renderBrokerConf({ owner: "mqtt-lab/dev", tlsPort: 8883, tlsVersion: "tlsv1.2", trust }));
            assert.deepEqual(parsed.problems, []);
            assert.equal(parsed.perListenerSettings, true);
            assert.equal(parsed.listeners.length, 1);
            const [l] = parsed.listeners;
            assert.equal(l.port, 8883);
            assert.equal(l.tls, true);
            assert.equal(l.requireCertificate, true);
            assert.equal(l.tlsVersion, "tlsv1.2");
            assert.equal(l.allowAnonymous, false);
            assert.equal(l.securityScope, "listener");
            assert.ok(l.aclFile);
            assert.ok(trust === "cafile" ? l.cafile : l.capath);
        }
    });

    it("reads the teaching listener as plaintext with a password file and no anonymous access, bound to one address", () => {
        const parsed = parseMosquittoConf(
            renderBrokerConf({
                owner: "o",
                tlsPort: 8883,
                tlsVersion: "tlsv1.3",
                trust: "cafile",
                teaching: { port: 1883, username: "student", bindAddress: "172.30.56.10", mountPoint: "teaching/" },
            }),
        );
        assert.deepEqual(parsed.problems, []);
        const teaching = parsed.listeners.find((l) => l.port === 1883)!;
        assert.equal(teaching.tls, false);
        assert.equal(teaching.allowAnonymous, false);
        assert.ok(teaching.passwordFile);
        assert.ok(teaching.aclFile);
        assert.equal(teaching.bindAddress, "172.30.56.10");
    });

    it("makes allow_anonymous global without per_listener_settings, wherever it is written", () => {
        const parsed = parseMosquittoConf(conf("listener 8883", "certfile /c", "keyfile /k", "allow_anonymous true", "listener 1883"));
        const plain = parsed.listeners.find((l) => l.port === 1883)!;
        assert.equal(plain.allowAnonymous, true);
        assert.equal(plain.securityScope, "global");
    });

    it("keeps allow_anonymous on its own listener with per_listener_settings true", () => {
        const parsed = parseMosquittoConf(
            conf("per_listener_settings true", "listener 8883", "certfile /c", "keyfile /k", "allow_anonymous true", "listener 1883"),
        );
        assert.equal(parsed.listeners.find((l) => l.port === 8883)!.allowAnonymous, true);
        assert.equal(parsed.listeners.find((l) => l.port === 1883)!.allowAnonymous, false);
    });

    it("defaults allow_anonymous to false, as mosquitto 2.0 does once a listener is configured", () => {
        const [l] = parseMosquittoConf(conf("listener 1883")).listeners;
        assert.equal(l.allowAnonymous, false);
        assert.equal(l.allowAnonymousExplicit, false);
    });

    it("treats `port` as the old default listener, even after a listener line", () => {
        const parsed = parseMosquittoConf(conf("listener 8883", "certfile /c", "keyfile /k", "port 1884", "allow_anonymous true"));
        const def = parsed.listeners.find((l) => l.isDefault)!;
        assert.equal(def.port, 1884);
        assert.equal(def.tls, false);
        assert.equal(def.allowAnonymous, true);
        assert.match(describeListener(def), /default listener on port 1884 \(line 4\)/);
    });

    it("opens the default listener on 1883 when listener settings come before any listener line", () => {
        const parsed = parseMosquittoConf(conf("cafile /ca", "listener 8883", "certfile /c", "keyfile /k"));
        const def = parsed.listeners.find((l) => l.isDefault)!;
        assert.equal(def.port, 1883);
        assert.equal(def.line, 1);
        assert.equal(def.tls, false);
    });

    it("models local-only mode: no listener at all means anonymous plaintext on loopback", () => {
        const parsed = parseMosquittoConf(conf("# nothing", "log_type all"));
        assert.equal(parsed.localOnlyMode, true);
        assert.equal(parsed.listeners.length, 1);
        assert.equal(parsed.listeners[0].localOnly, true);
        assert.equal(parsed.listeners[0].allowAnonymous, true);
    });

    it("treats a Unix socket listener as reachable from the host only", () => {
        const [l] = parseMosquittoConf(conf("listener 0 /run/mosquitto.sock")).listeners;
        assert.equal(l.socketPath, "/run/mosquitto.sock");
        assert.equal(l.localOnly, true);
    });

    it("needs both certfile and keyfile for TLS", () => {
        const [l] = parseMosquittoConf(conf("listener 8883", "certfile /c")).listeners;
        assert.equal(l.tls, false);
    });

    it("reports what mosquitto refuses to start with, naming the line", () => {
        const cases: [string, RegExp][] = [
            [conf("allow_anonymous false", "per_listener_settings true"), /Line 2: per_listener_settings must come before/],
            [conf("listener 1883", "allow_anonymous yes"), /Line 2: "allow_anonymous" needs true or false/],
            [conf("listener http"), /Line 1: "listener" needs a port/],
        ];
        for (const [text, expected] of cases) {
            assert.match(parseMosquittoConf(text).problems.join("\n"), expected);
        }
    });

    it("ignores comments, blank lines and CRLF line ends", () => {
        const parsed = parseMosquittoConf("# c\r\n\r\n  # indented\r\nlistener 1883\r\nallow_anonymous true\r\n");
        assert.deepEqual(parsed.problems, []);
        assert.equal(parsed.listeners[0].allowAnonymous, true);
    });
});

describe("parseMosquittoAcl", () => {
    it("reads the ACL renderAcl writes without problems, one block per identity", () => {
        const acl = parseMosquittoAcl(
            renderAcl(
                [
                    { name: "b", topics: ["lab/b/#"], host: "client" },
                    { name: "a", topics: ["#"], host: "client" },
                ],
                { username: "student", mountPoint: "teaching/", sharedWithTls: false },
            ),
        );
        assert.deepEqual(acl.problems, []);
        assert.deepEqual(
            acl.rules.map((r) => [r.user, r.access, r.filter]),
            [
                ["a", "readwrite", "#"],
                ["a", "deny", "teaching/#"],
                ["b", "readwrite", "lab/b/#"],
                ["b", "deny", "teaching/#"],
                ["student", "readwrite", "teaching/#"],
            ],
        );
    });

    it("gives topic lines before any user line to anonymous clients, and pattern lines to everyone", () => {
        const acl = parseMosquittoAcl("topic read #\npattern write devices/%u/#\nuser a\ntopic x\n");
        assert.equal(acl.rules[0].user, undefined);
        assert.equal(acl.rules[1].kind, "pattern");
        assert.deepEqual([acl.rules[2].user, acl.rules[2].access, acl.rules[2].filter], ["a", "readwrite", "x"]);
    });

    it("reports lines that are not ACL keywords", () => {
        assert.match(parseMosquittoAcl("user a\nallow #\n").problems[0], /Line 2: "allow" is not an ACL keyword/);
    });
});

describe("matchesAllTopics", () => {
    itEach(
        (filter: string, expected: boolean) => `says ${filter} ${expected ? "matches" : "does not match"} every topic`,
        (filter, expected) => {
            assert.equal(matchesAllTopics(filter), expected);
        },
        [
            ["#", true],
            ["+/#", true],
            ["+/+/#", true],
            ["lab/#", false],
            ["+", false],
            ["$SYS/#", false],
            ["a/+/#", false],
        ],
    );
});
