/**
 * Secrets hygiene on real hosts (the lab image, real mosquitto, real SSH), without the engine:
 * nothing left behind (no key or password on a host but in the live files, after an apply, after
 * the teaching listener is turned off, after a check run killed outright and the next run), and
 * nothing lost (a set-aside conf.d file never overwritten, dot-files found, destroy warning about
 * what it puts back). Its own hosts on 172.30.206.0/24. Each listing searches the host's whole
 * root file system for the secrets themselves.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { brokerPaths, renderAcl, renderBrokerConf, renderPasswordFile } from "../../src/mosquitto/conf";
import { checkInput, clientChecksScript } from "../../src/remote/checkScripts";
import { asRootScript, brokerApplyScript, brokerRemoveScript, containerShell, renderBundle } from "../../src/remote/hostScripts";
import { installIdentity, labCrl, LabHosts, OpensslPki, Pem, startLabHosts } from "../../testkit/labHosts";

const clients = [{ name: "client-a", topics: ["lab/#"], host: "client" as const }];

/**
 * A string only this secret holds: the first line of a PEM body (for an EC key in PKCS#8, 48 fixed
 * characters, then the private scalar's first 16; a shorter head would be the same for every key),
 * or the text itself.
 */
const needleOf = (secret: string) => (secret.includes("-----BEGIN") ? (secret.split("\n").find((l) => l && !l.startsWith("-----")) ?? secret) : secret.trim());

describe("Nothing left behind, nothing lost, on real hosts", () => {
    let lab: LabHosts;
    let pki: OpensslPki;
    let ca: Pem;
    let server: Pem;
    let clientKey: string;
    const password = `pw-${randomBytes(9).toString("base64url")}`;
    const salt = randomBytes(12).toString("base64");
    const passwdFile = renderPasswordFile("student", password, salt);

    const apply = (o: { server?: Pem; teaching?: boolean; takeOver?: boolean } = {}) => {
        const conf = renderBrokerConf({
            owner: "leftovers-test",
            tlsPort: 8883,
            tlsVersion: "tlsv1.2",
            trust: "capath",
            teaching: o.teaching ? { port: 1883, username: "student", bindAddress: lab.broker.address, mountPoint: "teaching/" } : undefined,
        });
        const script = brokerApplyScript({
            shell: containerShell,
            conf,
            acl: renderAcl(clients, o.teaching ? { username: "student", mountPoint: "teaching/", sharedWithTls: false } : undefined),
            tlsPort: 8883,
            takeOverConfFiles: o.takeOver ?? false,
            withPasswords: o.teaching === true,
        });
        const s = o.server ?? server;
        const bundle = renderBundle({
            "ca-g1.crt": ca.cert,
            "server.crt": s.cert,
            "server.key": s.key,
            "crl.pem": labCrl([ca]),
            ...(o.teaching ? { passwd: passwdFile } : {}),
        });
        return lab.run("broker", asRootScript(containerShell, script), bundle);
    };
    const checksScript = (teaching: boolean) =>
        clientChecksScript({
            identities: [{ name: "client-a", topics: clients[0].topics }],
            brokerAddress: lab.broker.address,
            tlsPort: 8883,
            teachingPort: teaching ? 1883 : undefined,
            plaintextPort: 1883,
        });

    /**
     * Every file of `host`'s root file system (changed in the last two hours: what the lab made)
     * that holds one of `secrets`, sorted, and what the run directories, captures and backups left.
     * The needles travel on stdin into /dev/shm, another file system, so the search never finds them.
     */
    const leftovers = async (host: "broker" | "client", secrets: string[]) => {
        const r = await lab.run(
            host,
            "umask 077; cat > /dev/shm/needles; " +
                "find / -xdev -type f -cmin -120 -size -4M -print0 2>/dev/null | xargs -0 -r grep -lF -f /dev/shm/needles 2>/dev/null | sort; " +
                "rm -f /dev/shm/needles; " +
                "find / -xdev \\( -name 'mqtt-lab-run.*' -o -name '*.pcap' -o -name .previous -o -name '.stage.*' \\) -printf 'left %p\\n' 2>/dev/null | sort; " +
                "pgrep -a dumpcap | sed 's/^/running /' || true",
            secrets.map(needleOf).join("\n") + "\n",
        );
        return r.stdout.trim().split("\n").filter(Boolean);
    };

    before(async () => {
        lab = await startLabHosts("172.30.206");
        pki = new OpensslPki();
        ca = pki.ca("ca", "leftovers test CA generation 1");
        server = pki.leaf("server", "ca", "broker.it.internal", "server", [`IP:${lab.broker.address}`]);
        const leaf = pki.leaf("client-a", "ca", "client-a", "client");
        clientKey = leaf.key;
        await installIdentity(lab, "client-a", ca, leaf);
    });
    after(() => {
        lab?.cleanup();
        pki?.cleanup();
    });

    it("keeps the key and the password file only where mosquitto reads them, after an apply and after a rotation (no backup left)", async () => {
        const first = await apply({ teaching: true });
        assert.equal(first.code, 0, first.stderr);
        assert.deepEqual(await leftovers("broker", [server.key, passwdFile]), [brokerPaths.passwordFile, brokerPaths.keyFile]);
        // A new key (SIGHUP): the previous one is nowhere on the broker.
        const rotated = pki.leaf("server-2", "ca", "broker.it.internal", "server", [`IP:${lab.broker.address}`]);
        assert.notEqual(needleOf(rotated.key), needleOf(server.key), "each key has a needle of its own");
        const again = await apply({ server: rotated, teaching: true });
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stdout, /mosquitto action: sighup/);
        assert.deepEqual(await leftovers("broker", [server.key, rotated.key, passwdFile]), [brokerPaths.passwordFile, brokerPaths.keyFile]);
        assert.deepEqual(await leftovers("broker", [server.key]), [], "the previous key is gone");
        server = rotated;
    });

    it("clears the backup and staging a run killed outright left (their keys too) at the next run", async () => {
        const old = pki.leaf("server-killed", "ca", "broker.it.internal", "server", [`IP:${lab.broker.address}`]);
        // What a run killed between its backup and its end leaves: the previous key in .previous, a half staging.
        await lab.run(
            "broker",
            `mkdir -p -m 0700 ${brokerPaths.dir}/.previous ${brokerPaths.dir}/.stage.killed && cat > ${brokerPaths.dir}/.previous/server.key && cp ${brokerPaths.dir}/.previous/server.key ${brokerPaths.dir}/.stage.killed/`,
            old.key,
        );
        assert.deepEqual(
            await leftovers("broker", [old.key]),
            [
                `${brokerPaths.dir}/.previous/server.key`,
                `${brokerPaths.dir}/.stage.killed/server.key`,
                `left ${brokerPaths.dir}/.previous`,
                `left ${brokerPaths.dir}/.stage.killed`,
            ],
            "the positive control: the search finds both copies",
        );
        const r = await apply({ teaching: true });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(await leftovers("broker", [old.key, server.key]), [brokerPaths.keyFile]);
    });

    it("leaves no password on the client after the checks, nor after a check run killed outright once the next run is done", async () => {
        const ok = await lab.run("client", checksScript(true), checkInput({ teachingPassword: password }));
        assert.equal(ok.code, 0, ok.stdout + ok.stderr);
        assert.match(ok.stdout, /^PASS capture-plaintext/m);
        assert.deepEqual(await leftovers("client", [password, clientKey]), ["/root/.mqtt-lab/client-a/client.key"]);

        // A run killed outright (SIGKILL: no trap) while dumpcap captures the student's login.
        const killed = lab.run("client", checksScript(true), checkInput({ teachingPassword: password }));
        const seen = await lab.run(
            "client",
            "i=0; until ls /tmp/mqtt-lab-run.*/plain.pcap >/dev/null 2>&1 || [ $i -ge 600 ]; do sleep 0.1; i=$((i+1)); done; " +
                "pkill -KILL -f '[r]emote/client-checks.sh'; ls /tmp/mqtt-lab-run.*/",
        );
        assert.match(seen.stdout, /plain\.pcap/, `the capture had started: ${seen.stdout}${seen.stderr}`);
        await killed;
        const left = await leftovers("client", [password]);
        assert.ok(
            left.some((l) => /^\/tmp\/mqtt-lab-run\.\d+\.\w+\/mosquitto_pub$/.test(l)),
            `the positive control: the killed run left its password file: ${left.join("\n")}`,
        );
        assert.ok(
            left.some((l) => l.startsWith("running ")),
            `the positive control: dumpcap still captures: ${left.join("\n")}`,
        );

        const next = await lab.run("client", checksScript(true), checkInput({ teachingPassword: password }));
        assert.equal(next.code, 0, next.stdout + next.stderr);
        assert.deepEqual(await leftovers("client", [password, clientKey]), ["/root/.mqtt-lab/client-a/client.key"]);
    });

    it("removes the password file once the teaching listener is off", async () => {
        const r = await apply({ teaching: false });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /mosquitto action: restart/);
        assert.deepEqual(await leftovers("broker", [passwdFile, server.key]), [brokerPaths.keyFile]);
        const checks = await lab.run("client", checksScript(false), checkInput({}));
        assert.equal(checks.code, 0, checks.stdout + checks.stderr);
    });

    it("finds a dot-file rival, never overwrites an earlier aside, and destroy puts the original back, warning about what it opens", async () => {
        const confD = brokerPaths.confD;
        // mosquitto's include_dir reads dot-files: a rival there is refused like any other.
        await lab.run("broker", `printf 'listener 1884\\nallow_anonymous true\\n' > ${confD}/.rival.conf`);
        const refused = await apply();
        assert.equal(refused.code, 3, refused.stderr);
        assert.match(refused.stderr, /\/etc\/mosquitto\/conf\.d\/\.rival\.conf/);
        // Taken over, then the same name comes back (a package upgrade, a colleague): taken over again.
        const original = "# the original\nlistener 1884\nallow_anonymous true\n";
        await lab.run("broker", `cat > ${confD}/.rival.conf`, original);
        assert.equal((await apply({ takeOver: true })).code, 0);
        await lab.run("broker", `printf '# came back\\nlistener 1885\\n' > ${confD}/.rival.conf`);
        const second = await apply({ takeOver: true });
        assert.equal(second.code, 0, second.stderr);
        assert.match(
            second.stderr,
            /::warning::mqtt-lab: moved \/etc\/mosquitto\/conf\.d\/\.rival\.conf aside as \/etc\/mosquitto\/conf\.d\/\.rival\.conf\.mqtt-lab-disabled\.2/,
        );
        const asides = await lab.run("broker", `ls -A ${confD}; cat ${confD}/.rival.conf.mqtt-lab-disabled`);
        assert.match(asides.stdout, /^\.rival\.conf\.mqtt-lab-disabled\.2$/m);
        assert.ok(asides.stdout.endsWith(original), `the first aside is still the original: ${asides.stdout}`);

        const removed = await lab.run("broker", asRootScript(containerShell, brokerRemoveScript(containerShell)));
        assert.equal(removed.code, 0, removed.stderr);
        assert.match(
            removed.stderr,
            /^::warning::mqtt-lab: destroy put back \/etc\/mosquitto\/conf\.d\/\.rival\.conf, which opens a plaintext listener on port 1884 and anonymous access \(allow_anonymous true\)/m,
        );
        assert.match(removed.stderr, /^::warning::mqtt-lab: destroy left \/etc\/mosquitto\/conf\.d\/\.rival\.conf\.mqtt-lab-disabled\.2 as it is/m);
        const back = await lab.run("broker", `cat ${confD}/.rival.conf; ls -A ${confD}`);
        assert.ok(back.stdout.startsWith(original), `the original is back: ${back.stdout}`);
        // The dot-file is read: mosquitto, restarted on what remains, listens where it says.
        const listening = await lab.run(
            "broker",
            "i=0; until ss -Hltn 'sport = :1884' | grep -q . || [ $i -ge 50 ]; do sleep 0.1; i=$((i+1)); done; ss -Hltn 'sport = :1884'",
        );
        assert.match(listening.stdout, /:1884\b/, "mosquitto reads a dot-file of conf.d");
        assert.deepEqual(await leftovers("broker", [server.key, passwdFile]), [], "destroy leaves no key or password file");
    });
});
