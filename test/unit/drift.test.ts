/**
 * Drift in words: what remote/inspect.sh prints against what the lab declares (src/drift/compare.ts).
 * The engine suite (test/engine/drift.test.ts) makes each drift for real on a deployed lab.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { driftOf, HostExpectation, nextToken, Observation, parseObservation } from "../../src/drift/compare";
import { itEach } from "../../testkit/cases";

const sha = (c: string) => c.repeat(64);
const broker: HostExpectation = {
    host: "broker 203.0.113.10",
    dirs: [{ path: "/etc/mosquitto/mqtt-lab", what: "the broker's lab folder", mode: "750", owner: "root:mosquitto" }],
    files: [
        { path: "/etc/mosquitto/mqtt-lab/acl", what: "the ACL", sha256: sha("a"), mode: "640", owner: "root:mosquitto" },
        { path: "/etc/mosquitto/mqtt-lab/server.key", what: "the broker's private key", sha256: sha("b"), mode: "640", owner: "root:mosquitto" },
    ],
    caDir: { path: "/etc/mosquitto/mqtt-lab/ca.d", files: { "ca-g1.crt": sha("c") } },
    confD: { dir: "/etc/mosquitto/conf.d", ours: "/etc/mosquitto/conf.d/mqtt-lab.conf" },
    mosquitto: { listenPorts: [8883] },
};
const healthy = [
    "dir /etc/mosquitto/mqtt-lab 750 root:mosquitto",
    `file /etc/mosquitto/mqtt-lab/acl ${sha("a")} 640 root:mosquitto`,
    `file /etc/mosquitto/mqtt-lab/server.key ${sha("b")} 640 root:mosquitto`,
    "dir /etc/mosquitto/mqtt-lab/ca.d 755 root:root",
    `cafile ca-g1.crt ${sha("c")} 644 root:root`,
    "calink 1a2b3c4d.0 ca-g1.crt",
    "mosquitto running",
    "listen 8883",
];
const seen = (replace: Record<number, string | null>, extra: string[] = []) =>
    parseObservation([...healthy.flatMap((l, i) => (i in replace ? (replace[i] === null ? [] : [replace[i] as string]) : [l])), ...extra].join("\n"));

describe("Drift", () => {
    it("finds nothing on a host as the lab declares it", () => {
        assert.deepEqual(driftOf(broker, parseObservation(healthy.join("\n"))), []);
    });

    itEach(
        (why: string, _o: Observation, _w: RegExp) => `names ${why}, the host first`,
        (_why: string, observation: Observation, words: RegExp) => {
            const drift = driftOf(broker, observation);
            assert.equal(drift.length, 1, JSON.stringify(drift));
            assert.match(drift[0], /^broker 203\.0\.113\.10: /);
            assert.match(drift[0], words);
        },
        [
            [
                "a changed file",
                seen({ 1: `file /etc/mosquitto/mqtt-lab/acl ${sha("f")} 640 root:mosquitto` }),
                /the ACL \(\/etc\/mosquitto\/mqtt-lab\/acl\) was changed/,
            ],
            ["a missing file", seen({ 2: "file /etc/mosquitto/mqtt-lab/server.key missing" }), /the broker's private key .* is missing/],
            ["another mode", seen({ 2: `file /etc/mosquitto/mqtt-lab/server.key ${sha("b")} 644 root:mosquitto` }), /has mode 0644, the lab declares 0640/],
            [
                "another owner",
                seen({ 1: `file /etc/mosquitto/mqtt-lab/acl ${sha("a")} 640 nobody:mosquitto` }),
                /is owned by nobody:mosquitto, the lab declares root:mosquitto/,
            ],
            ["a directory's mode", seen({ 0: "dir /etc/mosquitto/mqtt-lab 755 root:mosquitto" }), /lab folder .* has mode 0755/],
            ["a CA trusted by hand", seen({}, [`cafile impostor.crt ${sha("d")} 644 root:root`]), /holds impostor\.crt, which the lab did not put there/],
            ["a CA changed", seen({ 4: `cafile ca-g1.crt ${sha("e")} 644 root:root` }), /the trusted CA .*ca-g1\.crt was changed/],
            ["a CA without its hash link", seen({ 5: null }), /no hash link .* points at ca-g1\.crt/],
            [
                "a rival listener (a dot-file too)",
                seen({}, ["rival /etc/mosquitto/conf.d/.x.conf 3 listener"]),
                /\/etc\/mosquitto\/conf\.d\/\.x\.conf line 3 sets listener/,
            ],
            ["mosquitto stopped", seen({ 6: "mosquitto stopped", 7: null }), /mosquitto is not running/],
            ["a declared port not listened on", seen({ 7: null }), /does not listen on port 8883, where the lab declares a listener/],
            [
                "a port listened on that the lab does not declare",
                seen({}, ["listen 1884"]),
                /port 1884 is open to the network, where the lab declares no listener/,
            ],
        ] as [string, Observation, RegExp][],
    );

    it("names several drifts at once, each", () => {
        const drift = driftOf(
            broker,
            seen({ 1: "file /etc/mosquitto/mqtt-lab/acl missing", 6: "mosquitto stopped", 7: null }, ["rival /etc/mosquitto/conf.d/r.conf 1 allow_anonymous"]),
        );
        assert.equal(drift.length, 3, JSON.stringify(drift));
    });

    it("says a host holding none of the lab's files was replaced or wiped", () => {
        const drift = driftOf(
            broker,
            seen({
                0: "dir /etc/mosquitto/mqtt-lab missing",
                1: "file /etc/mosquitto/mqtt-lab/acl missing",
                2: "file /etc/mosquitto/mqtt-lab/server.key missing",
            }),
        );
        assert.match(drift[0], /none of the lab's files are there: the host was replaced or wiped/);
    });

    it("matches a client's files under any home, any group for a non-root user", () => {
        const client: HostExpectation = {
            host: "client 203.0.113.11",
            dirs: [],
            files: [{ path: ".mqtt-lab/a/client.key", home: true, what: "a's private key", sha256: sha("1"), mode: "600", owner: "olivier:" }],
        };
        assert.deepEqual(driftOf(client, parseObservation(`file /home/olivier/.mqtt-lab/a/client.key ${sha("1")} 600 olivier:users`)), []);
        assert.match(driftOf(client, parseObservation(`file /home/olivier/.mqtt-lab/a/client.key ${sha("1")} 600 root:root`))[0], /owned by root:root/);
    });

    it("refuses a line it does not know (the script and the parser go together)", () => {
        assert.throws(() => parseObservation("something else"), /remote\/inspect\.sh printed a line this program does not read/);
    });

    it("keeps the repair token while nothing drifts, and changes it at every drift seen, the same one twice included", () => {
        assert.equal(nextToken("t0", []), "t0");
        const t1 = nextToken("t0", ["x"]);
        assert.notEqual(t1, "t0");
        assert.notEqual(nextToken(t1, ["x"]), t1);
    });
});
