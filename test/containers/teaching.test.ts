/**
 * The teaching listener on a real mosquitto 2.0.11 (the lab image): its password file, the
 * address it binds to, and its own topic namespace (mount_point) kept from the mutual-TLS
 * identities by the ACL unless shared. Its own hosts on 172.30.204.0/24.
 */
import assert from "node:assert/strict";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { brokerPaths } from "../../src/mosquitto/conf";
import { startTeachingBroker, TeachingBroker } from "../../testkit/teachingBroker";

const teaching = { password: `teach-${randomBytes(6).toString("hex")}` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("The teaching listener on a real mosquitto", () => {
    let t: TeachingBroker;
    // teacher may use every topic ("#"); sensor only lab/#.
    const clients = [
        { name: "teacher", topics: ["#"], host: "client" as const },
        { name: "sensor", topics: ["lab/#"], host: "client" as const },
    ];
    const student = (args: string, password = teaching.password) => `mosquitto_pub -h ${t.lab.broker.address} -p 1883 -u student -P '${password}' ${args}`;
    const studentSub = (args: string) => `timeout 8 mosquitto_sub -h ${t.lab.broker.address} -p 1883 -u student -P '${teaching.password}' -v -W 5 ${args}`;
    /** Runs the subscribers, waits for them to subscribe, publishes, and returns what each saw. */
    const watch = async (subscribers: string[], publish: string[]) => {
        const seen = subscribers.map((s) => t.lab.run("client", s));
        await sleep(1200);
        for (const p of publish) {
            const r = await t.lab.run("client", p);
            assert.equal(r.code, 0, `${p}: ${r.stderr}`);
        }
        return (await Promise.all(seen)).map((r) => r.stdout);
    };

    before(async () => {
        t = await startTeachingBroker("172.30.204", clients);
    });
    after(() => t?.cleanup());

    it("loads the password file: the student logs in with the password, and not with another", async () => {
        const r = await t.apply(teaching);
        assert.equal(r.code, 0, r.stderr);
        const ok = await t.lab.run("client", student("-t lab/hello -m hi"));
        assert.equal(ok.code, 0, `the student's password works: ${ok.stderr}`);
        const wrong = await t.lab.run("client", student("-t lab/hello -m hi", `${teaching.password}x`));
        assert.notEqual(wrong.code, 0, "a wrong password is refused");
        assert.match(wrong.stderr, /not authori[sz]ed|Connection Refused/i);
        const log = await t.lab.run("broker", `cat ${brokerPaths.log}`);
        assert.doesNotMatch(log.stdout, /removing entry/, "mosquitto dropped no entry of the password file");
        const line = await t.lab.run("broker", `cat ${brokerPaths.passwordFile}`);
        assert.match(line.stdout, /^student:\$7\$20000\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==\n$/);
        assert.ok(!line.stdout.includes(teaching.password));
    });

    it("is right that mosquitto 2.0.11 takes a 12-byte salt only: the same hash with 16 bytes is dropped", async () => {
        const salt = randomBytes(16);
        const hash = pbkdf2Sync(teaching.password, salt, 101, 64, "sha512");
        const put = await t.lab.run(
            "broker",
            `printf '%s\\n' 'student:$7$101$${salt.toString("base64")}$${hash.toString("base64")}' > ${brokerPaths.passwordFile} && pkill -HUP -x mosquitto && sleep 0.5`,
        );
        assert.equal(put.code, 0, put.stderr);
        const refused = await t.lab.run("client", student("-t lab/hello -m hi"));
        assert.notEqual(refused.code, 0, "mosquitto refuses a 16-byte salt");
        const log = await t.lab.run("broker", `cat ${brokerPaths.log}`);
        assert.match(log.stdout, /Unable to decode password salt for user student, removing entry/);
        const back = await t.apply(teaching);
        assert.equal(back.code, 0, back.stderr);
        assert.match(back.stdout, /mosquitto action: sighup/, "the lab's own file is put back");
        assert.equal((await t.lab.run("client", student("-t lab/hello -m hi"))).code, 0);
    });

    it("binds the teaching listener to the broker's lab address only, and the TLS one stays on every interface", async () => {
        const ss = await t.lab.run("broker", "ss -Hltn");
        const local = ss.stdout
            .trim()
            .split("\n")
            .map((l) => l.trim().split(/\s+/)[3]);
        assert.deepEqual(
            local.filter((a) => a.endsWith(":1883")),
            [`${t.lab.broker.address}:1883`],
            ss.stdout,
        );
        assert.ok(
            local.some((a) => /^(0\.0\.0\.0|\*|\[::\]):8883$/.test(a)),
            ss.stdout,
        );
        const loopback = await t.lab.run("broker", `mosquitto_pub -h 127.0.0.1 -p 1883 -u student -P '${teaching.password}' -t lab/x -m x`);
        assert.notEqual(loopback.code, 0, "nothing answers on 127.0.0.1:1883");
        assert.match(loopback.stderr, /Connection refused/i);
    });

    it("changes nothing when applied again with the same password and salt: no reload, the port checks agree with the bound listener", async () => {
        const r = await t.apply(teaching);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /mosquitto action: none/, r.stdout);
    });

    it("keeps the student's topics under the mount point, out of every TLS identity's reach, even one with '#'", async () => {
        const nonce = Date.now().toString(36);
        const [teacherSaw, studentSaw] = await watch(
            [`timeout 8 mosquitto_sub ${t.tlsAs("teacher")} -t '#' -v -W 5`, studentSub("-t '#'")],
            [
                student(`-q 1 -t lab/from-student-${nonce} -m student-${nonce}`),
                // The teacher writing into the students' namespace is denied too.
                `mosquitto_pub ${t.tlsAs("teacher")} -q 1 -t teaching/lab/from-teacher-${nonce} -m teacher-${nonce}`,
                // Positive control: the teacher's '#' does read what a TLS identity publishes.
                `mosquitto_pub ${t.tlsAs("sensor")} -q 1 -t lab/from-sensor-${nonce} -m sensor-${nonce}`,
            ],
        );
        assert.match(teacherSaw, new RegExp(`^lab/from-sensor-${nonce} sensor-${nonce}$`, "m"), "the teacher's subscription works");
        assert.doesNotMatch(teacherSaw, new RegExp(`student-${nonce}`), "a TLS identity with '#' does not read the students' topics");
        // mosquitto 2.0.11 hands students their topics with the mount point in front (#2244, fixed in 2.0.12).
        assert.match(studentSaw, new RegExp(`^(teaching/)?lab/from-student-${nonce} student-${nonce}$`, "m"), "students see their own topics");
        assert.doesNotMatch(studentSaw, new RegExp(`teacher-${nonce}|sensor-${nonce}`), "students see nothing of the TLS identities");
    });

    it("shares the student's topics with the TLS identities when asked, under the mount point; only an identity whose own topics cover them writes there", async () => {
        const shared = { ...teaching, sharedWithTls: true };
        const r = await t.apply(shared);
        assert.equal(r.code, 0, r.stderr);
        const nonce = Date.now().toString(36);
        const [teacherSaw, sensorSaw, studentSaw] = await watch(
            [
                `timeout 8 mosquitto_sub ${t.tlsAs("teacher")} -t '#' -v -W 5`,
                `timeout 8 mosquitto_sub ${t.tlsAs("sensor")} -t 'teaching/#' -v -W 5`,
                studentSub("-t '#'"),
            ],
            [
                student(`-q 1 -t lab/shared-${nonce} -m student-${nonce}`),
                `mosquitto_pub ${t.tlsAs("teacher")} -q 1 -t teaching/lab/from-teacher-${nonce} -m teacher-${nonce}`,
                `mosquitto_pub ${t.tlsAs("sensor")} -q 1 -t teaching/lab/from-sensor-${nonce} -m sensor-${nonce}`,
            ],
        );
        assert.match(teacherSaw, new RegExp(`^teaching/lab/shared-${nonce} student-${nonce}$`, "m"), "the teacher reads it, with the mount point");
        assert.match(sensorSaw, new RegExp(`^teaching/lab/shared-${nonce} student-${nonce}$`, "m"), "so does an identity without '#'");
        // The grant is `topic read`: writing there takes the identity's own patterns ('#' covers it, lab/# does not).
        assert.match(studentSaw, new RegExp(`^(teaching/)?lab/from-teacher-${nonce} teacher-${nonce}$`, "m"), "the teacher's '#' writes there");
        assert.doesNotMatch(studentSaw, new RegExp(`sensor-${nonce}`), "the sensor only reads there");
    });

    it("fails the teaching-namespace check when TLS identities read the students' topics the lab says are private", async () => {
        // The broker shares (applied above); the check is told it must not: the breach it exists to catch.
        const c = await t.checks(teaching);
        assert.notEqual(c.code, 0);
        assert.match(c.stderr, /teaching-namespace: teacher, a mutual-TLS identity, read the student's message on teaching\/lab\/mqtt-lab-ns-/);
        assert.ok(!c.stdout.includes(teaching.password) && !c.stderr.includes(teaching.password), "the password is never printed");
    });

    it("passes the checks with the teaching listener on, shared or not, for an identity with '#' and one without", async () => {
        for (const settings of [{ ...teaching, sharedWithTls: true }, teaching]) {
            const r = await t.apply(settings);
            assert.equal(r.code, 0, r.stderr);
            for (const identity of ["teacher", "sensor"]) {
                const c = await t.checks(settings, identity);
                assert.equal(c.code, 0, `${identity}, shared ${settings === teaching ? "no" : "yes"}: ${c.stderr}`);
                for (const check of ["anonymous-refused", "capture-plaintext", "teaching-namespace", "tls-roundtrip"])
                    assert.match(c.stdout, new RegExp(`^PASS ${check}`, "m"), `${identity}: ${c.stdout}`);
                assert.match(
                    c.stdout,
                    settings === teaching ? /^PASS teaching-namespace: .*and not /m : /^PASS teaching-namespace: .*\(shared, as configured\)/m,
                );
                assert.ok(!c.stdout.includes(teaching.password), "the password is never printed");
            }
        }
    });
});
