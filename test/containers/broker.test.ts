/**
 * The program's remote scripts against a real broker: real containers from the lab image, real
 * SSH with pinned host keys, real TLS, real mosquitto. One pair of hosts shared by every case.
 * (The same scripts run under `pulumi up` through the command provider.)
 */
import assert from "node:assert/strict";
import { randomBytes, X509Certificate } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { captureWhilePublishing } from "../../testkit/brokerCapture";
import { checkInput, clientChecksScript } from "../../src/remote/checkScripts";
import { brokerPaths, renderAcl, renderBrokerConf, renderPasswordFile } from "../../src/mosquitto/conf";
import { asRootScript, containerShell, brokerApplyScript, brokerRemoveScript, renderBundle } from "../../src/remote/hostScripts";
import { installIdentity, labCrl, LabHosts, OpensslPki, Pem, startLabHosts } from "../../testkit/labHosts";
import { forgeriesScript } from "../../src/pki/forgeries";
import { parseBundle } from "../../src/remote/bundle";
import { parseCheckRun } from "../../src/evidence/report";
import { execFileSync } from "node:child_process";
import { auditTls, nonAeadSuites } from "../../testkit/testssl";

// client-a may use lab/# only; the observer may read everything, to see what client-a gets through.
const clients = [
    { name: "client-a", topics: ["lab/#"], host: "client" as const },
    { name: "observer", topics: ["#"], host: "client" as const },
];

describe("Broker scripts on a real mosquitto", () => {
    let lab: LabHosts;
    let pki: OpensslPki;
    let server: Pem;
    let ca: Pem;

    // One CRL per set of CAs, signed once: the same files applied again must change nothing.
    const crls = new Map<string, string>();
    const defaultCrl = (cas: Pem[]) => {
        const key = cas.map((c) => c.cert).join("");
        if (!crls.has(key)) crls.set(key, labCrl(cas));
        return crls.get(key)!;
    };
    const apply = async (
        o: { server?: Pem; tlsPort?: number; takeOver?: boolean; teaching?: { password: string }; trusted?: Pem[]; generations?: number[]; crl?: string } = {},
    ) => {
        const tlsPort = o.tlsPort ?? 8883;
        const conf = renderBrokerConf({
            owner: "integration",
            tlsPort,
            tlsVersion: "tlsv1.2",
            trust: "capath",
            teaching: o.teaching ? { port: 1883, username: "student", bindAddress: lab.broker.address, mountPoint: "teaching/" } : undefined,
        });
        const script = brokerApplyScript({
            shell: containerShell,
            conf,
            acl: renderAcl(clients, o.teaching ? { username: "student", mountPoint: "teaching/", sharedWithTls: false } : undefined),
            tlsPort,
            takeOverConfFiles: o.takeOver ?? false,
            withPasswords: o.teaching !== undefined,
        });
        const s = o.server ?? server;
        const bundle = renderBundle({
            ...Object.fromEntries((o.trusted ?? [ca]).map((c, i) => [`ca-g${o.generations?.[i] ?? 1}.crt`, c.cert])),
            "server.crt": s.cert,
            "server.key": s.key,
            "crl.pem": o.crl ?? defaultCrl(o.trusted ?? [ca]),
            ...(o.teaching ? { passwd: renderPasswordFile("student", o.teaching.password, randomBytes(12).toString("base64")) } : {}),
        });
        return lab.run("broker", asRootScript(containerShell, script), bundle);
    };
    // With the teaching listener on, the script reads its password on stdin, as `pulumi up` sends it.
    const checks = (teachingPort?: number, teachingPassword?: string) =>
        lab.run(
            "client",
            clientChecksScript({
                identities: [{ name: "client-a", topics: clients[0].topics }],
                brokerAddress: lab.broker.address,
                tlsPort: 8883,
                teachingPort,
                plaintextPort: teachingPort ?? 1883,
            }),
            checkInput({ teachingPassword }),
        );

    before(async () => {
        lab = await startLabHosts("172.30.202");
        pki = new OpensslPki();
        ca = pki.ca("ca", "integration CA generation 1");
        server = pki.leaf("server", "ca", "broker.it.internal", "server", [`IP:${lab.broker.address}`, "DNS:broker.it.internal"]);
        // Two identities on the client host: client-a, and an observer that reads what others publish.
        for (const identity of ["client-a", "observer"]) {
            const leaf = pki.leaf(identity, "ca", identity, "client");
            await installIdentity(lab, identity, ca, leaf);
        }
    });
    after(() => {
        lab?.cleanup();
        pki?.cleanup();
    });

    it("installs the files with a key only mosquitto can read, and starts the TLS listener", async () => {
        const r = await apply();
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /mosquitto action: restart/, "a first install restarts: a new listener");
        const perms = await lab.run("broker", `stat -c '%n %a %U:%G' ${brokerPaths.keyFile} ${brokerPaths.dir}; ls -A ${brokerPaths.dir}`);
        assert.match(perms.stdout, new RegExp(`${brokerPaths.keyFile} 640 root:mosquitto`));
        assert.match(perms.stdout, new RegExp(`${brokerPaths.dir} 750 root:mosquitto`));
        assert.doesNotMatch(perms.stdout, /\.stage\./, "no staging directory is left");
        const c = await lab.run("client", "stat -c '%a' .mqtt-lab/client-a/client.key .mqtt-lab/client-a");
        assert.deepEqual(c.stdout.trim().split("\n"), ["600", "700"]);
    });

    it("passes the post-deploy checks: mutual-TLS round trip, no certificate refused, 1883 refused", async () => {
        const r = await checks();
        assert.equal(r.code, 0, r.stderr);
        for (const check of ["tls-roundtrip", "no-certificate", "plaintext-refused", "server-chain", "cert-validity"])
            assert.match(r.stdout, new RegExp(`^PASS ${check}`, "m"));
    });

    it("checks every identity of the host in one run, and on an update only those whose digest changed, besides the host's own and the first", async () => {
        const both = (changedOnly: boolean) =>
            clientChecksScript({
                identities: clients.map((c) => ({ name: c.name, topics: c.topics })),
                brokerAddress: lab.broker.address,
                tlsPort: 8883,
                plaintextPort: 1883,
                changedOnly,
            });
        const digests = { "client-a": "d-a-1", observer: "d-o-1" };
        const full = await lab.run("client", both(false), checkInput({ digests }));
        assert.equal(full.code, 0, full.stderr);
        const outcomes = parseCheckRun({ identity: "client-a", host: "client", stdout: full.stdout, code: full.code });
        for (const id of ["client-a", "observer"])
            for (const check of ["tls-roundtrip", "cert-validity", "clock"])
                assert.ok(
                    outcomes.some((o) => o.identity === id && o.check === check && o.pass),
                    `${check} of ${id}: ${full.stdout}`,
                );
        assert.ok(
            outcomes.some((o) => o.identity === "client-a" && o.check === "acl"),
            "client-a's topics leave something outside: its ACL is checked",
        );
        assert.ok(!outcomes.some((o) => o.identity === "observer" && o.check === "acl"), "observer may use every topic: nothing to refuse");
        assert.match(full.stdout, /^PASS capture-tls: \d+ packets on port 8883 during the TLS publishes of 2 identities/m);

        // The same digests: observer is not checked again; the host's checks and the first identity's are.
        const same = await lab.run("client", both(true), checkInput({ digests }));
        assert.equal(same.code, 0, same.stderr);
        const again = parseCheckRun({ identity: "client-a", host: "client", stdout: same.stdout, code: same.code });
        assert.deepEqual(
            again.filter((o) => o.identity === "observer").map((o) => o.check),
            ["unchanged"],
        );
        assert.match(same.stdout, /^PASS unchanged: observer not checked again: .*\(d-o-1\)$/m);
        for (const check of ["tls-roundtrip", "no-certificate", "plaintext-refused", "server-chain", "capture-tls"])
            assert.ok(
                again.some((o) => o.identity === "client-a" && o.check === check),
                `${check} runs on every update: ${same.stdout}`,
            );

        // observer's certificate or topics changed (a new digest): it is checked again, and its new digest kept.
        const changed = await lab.run("client", both(true), checkInput({ digests: { ...digests, observer: "d-o-2" } }));
        assert.equal(changed.code, 0, changed.stderr);
        assert.match(changed.stdout, /^== identity observer\nPASS tls-roundtrip: observer/m);
        assert.equal((await lab.run("client", "cat .mqtt-lab/observer/checked")).stdout, "d-o-2\n");

        // An identity that fails keeps its old digest, so the next update checks it again.
        await lab.run("client", "mv .mqtt-lab/observer/client.key .mqtt-lab/observer/client.key.away");
        try {
            const failing = await lab.run("client", both(true), checkInput({ digests: { ...digests, observer: "d-o-3" } }));
            assert.notEqual(failing.code, 0);
            assert.match(failing.stderr, /^mqtt-lab check failed on host \S+: tls-roundtrip: mosquitto_rr as observer failed/m);
            assert.equal((await lab.run("client", "cat .mqtt-lab/observer/checked")).stdout, "d-o-2\n", "no digest is kept for a failed run");
        } finally {
            await lab.run("client", "mv .mqtt-lab/observer/client.key.away .mqtt-lab/observer/client.key");
        }
    });

    it("drops what an identity publishes outside its ACL, and delivers what it publishes inside", async () => {
        const tlsAs = (id: string) =>
            `-h ${lab.broker.address} -p 8883 --cafile .mqtt-lab/${id}/ca.crt --cert .mqtt-lab/${id}/client.crt --key .mqtt-lab/${id}/client.key`;
        const watch = lab.run("client", `timeout 8 mosquitto_sub ${tlsAs("observer")} -i acl-observer -q 1 -t '#' -v -W 6`);
        await new Promise((r) => setTimeout(r, 1500));
        // A denied publish looks like a success to the client: only a subscriber can tell.
        const outside = await lab.run("client", `mosquitto_pub ${tlsAs("client-a")} -q 1 -t other/secret -m outside-acl`);
        assert.equal(outside.code, 0, "mosquitto answers a denied publish as if it went through");
        const inside = await lab.run("client", `mosquitto_pub ${tlsAs("client-a")} -q 1 -t lab/ok -m inside-acl`);
        assert.equal(inside.code, 0, inside.stderr);
        const seen = (await watch).stdout;
        assert.match(seen, /^lab\/ok inside-acl$/m, "the observer sees the allowed message (positive control)");
        assert.doesNotMatch(seen, /outside-acl/, "the publish outside the ACL was dropped");
    });

    it("does nothing when applied again with the same files", async () => {
        const r = await apply();
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /mosquitto action: none/);
    });

    it("reloads with SIGHUP for a new server certificate: a connected subscriber stays connected", async () => {
        const sub = lab.run(
            "client",
            `timeout 60 mosquitto_sub -h ${lab.broker.address} -p 8883 --cafile .mqtt-lab/client-a/ca.crt --cert .mqtt-lab/client-a/client.crt --key .mqtt-lab/client-a/client.key -i steady-sub -q 1 -t lab/steady -C 40 -d`,
        );
        const pub = (from: number, to: number) =>
            lab.run(
                "client",
                `for i in $(seq ${from} ${to}); do mosquitto_pub -h ${lab.broker.address} -p 8883 --cafile .mqtt-lab/client-a/ca.crt --cert .mqtt-lab/client-a/client.crt --key .mqtt-lab/client-a/client.key -q 1 -t lab/steady -m "m$i" || exit 1; done`,
            );
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal((await pub(1, 20)).code, 0);
        const rotated = pki.leaf("server2", "ca", "broker.it.internal", "server", [`IP:${lab.broker.address}`, "DNS:broker.it.internal"]);
        const r = await apply({ server: rotated });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /mosquitto action: sighup/);
        assert.equal((await pub(21, 40)).code, 0);
        const s = await sub;
        const got = s.stdout.split("\n").filter((l) => /^m\d+$/.test(l));
        assert.deepEqual(
            got,
            Array.from({ length: 40 }, (_, i) => `m${i + 1}`),
            "every QoS 1 message arrived, in order",
        );
        assert.equal((s.stdout.match(/Client steady-sub sending CONNECT/g) ?? []).length, 1, "the subscriber connected once: no reconnect");
        const seen = await lab.run(
            "client",
            `echo | openssl s_client -connect ${lab.broker.address}:8883 -CAfile .mqtt-lab/client-a/ca.crt -cert .mqtt-lab/client-a/client.crt -key .mqtt-lab/client-a/client.key 2>/dev/null | openssl x509 -noout -serial`,
        );
        assert.equal(
            seen.stdout
                .trim()
                .replace(/^serial=/, "")
                .toUpperCase(),
            new X509Certificate(rotated.cert).serialNumber.toUpperCase(),
            "a new connection sees the new certificate",
        );
        server = rotated;
    });

    it("the reconnect detector sees a restart (its positive control)", async () => {
        const sub = lab.run(
            "client",
            `timeout 30 mosquitto_sub -h ${lab.broker.address} -p 8883 --cafile .mqtt-lab/client-a/ca.crt --cert .mqtt-lab/client-a/client.crt --key .mqtt-lab/client-a/client.key -i restart-sub -q 1 -c -t lab/restart -C 1 -d`,
        );
        await new Promise((r) => setTimeout(r, 1500));
        await lab.run("broker", containerShell.restart);
        await new Promise((r) => setTimeout(r, 1500));
        await lab.run(
            "client",
            `mosquitto_pub -h ${lab.broker.address} -p 8883 --cafile .mqtt-lab/client-a/ca.crt --cert .mqtt-lab/client-a/client.crt --key .mqtt-lab/client-a/client.key -q 1 -t lab/restart -m after`,
        );
        const s = await sub;
        assert.ok((s.stdout.match(/Client restart-sub sending CONNECT/g) ?? []).length >= 2, `a restart forces a reconnect; the subscriber said:\n${s.stdout}`);
    });

    it("rotates the CA in phases: trust both with a SIGHUP (the new CA's CRL), switch the server, drop the old CA with one restart", async () => {
        const tlsClient = (dir: string) => `-h ${lab.broker.address} -p 8883 --cafile ${dir}/ca.crt --cert ${dir}/client.crt --key ${dir}/client.key`;
        const ca2 = pki.ca("ca2", "integration CA generation 2");
        const client2 = pki.leaf("client-a-g2", "ca2", "client-a", "client");
        // Clients trust both CAs from the start of the rotation, so either server certificate verifies.
        const both = ca.cert.trim() + "\n" + ca2.cert;
        const installG2 = await lab.run(
            "client",
            `mkdir -p -m 0700 g2 && cd g2 && umask 077 && printf '%s' "$0" > ca.crt && printf '%s' "$1" > client.crt && printf '%s' "$2" > client.key`
                .replace("$0", both)
                .replace("$1", client2.cert)
                .replace("$2", client2.key),
        );
        assert.equal(installG2.code, 0, installG2.stderr);
        const steady = lab.run("client", `timeout 40 mosquitto_sub ${tlsClient(".mqtt-lab/client-a")} -i ca-steady -q 1 -t lab/ca -C 2 -d`);
        await new Promise((r) => setTimeout(r, 1500));

        // Phase 1: trust CA 2 beside CA 1. New connections see it; nothing is reloaded.
        const phase1 = await apply({ trusted: [ca, ca2], generations: [1, 2] });
        assert.equal(phase1.code, 0, phase1.stderr);
        // A SIGHUP, not a restart: the new CA's CRL joins the crlfile (OpenSSL wants one per CA it trusts).
        assert.match(phase1.stdout, /trusted CAs: ca-g1\.crt ca-g2\.crt \(added\); mosquitto action: sighup/);
        const g2 = await lab.run("client", `mosquitto_pub ${tlsClient("g2")} -q 1 -t lab/ca -m from-g2`);
        assert.equal(g2.code, 0, `a client of CA 2 gets in without a reload: ${g2.stderr}`);

        // Phase 2: the server certificate from CA 2: a SIGHUP, connected clients stay.
        const server2 = pki.leaf("server-g2", "ca2", "broker.it.internal", "server", [`IP:${lab.broker.address}`, "DNS:broker.it.internal"]);
        const phase2 = await apply({ server: server2, trusted: [ca, ca2], generations: [1, 2] });
        assert.equal(phase2.code, 0, phase2.stderr);
        assert.match(phase2.stdout, /mosquitto action: sighup/);
        const g2again = await lab.run("client", `mosquitto_pub ${tlsClient("g2")} -q 1 -t lab/ca -m after-switch`);
        assert.equal(g2again.code, 0, g2again.stderr);
        const s = await steady;
        assert.deepEqual(
            s.stdout.split("\n").filter((l) => /^(from-g2|after-switch)$/.test(l)),
            ["from-g2", "after-switch"],
        );
        assert.equal((s.stdout.match(/sending CONNECT/g) ?? []).length, 1, "phases 1 and 2 cost no reconnect");

        // Phase 3: drop CA 1: the one planned restart; its clients are refused from then on.
        const phase3 = await apply({ server: server2, trusted: [ca2], generations: [2] });
        assert.equal(phase3.code, 0, phase3.stderr);
        assert.match(phase3.stdout, /trusted CAs: ca-g2\.crt \(removed\); mosquitto action: restart/);
        const g1 = await lab.run("client", `mosquitto_pub ${tlsClient(".mqtt-lab/client-a")} -q 1 -t lab/ca -m old-ca`);
        assert.notEqual(g1.code, 0, "a client of the dropped CA is refused");
        assert.equal((await lab.run("client", `mosquitto_pub ${tlsClient("g2")} -q 1 -t lab/ca -m new-ca`)).code, 0);

        // Back to the suite's CA for the cases that follow.
        const back = await apply({ trusted: [ca], generations: [1] });
        assert.equal(back.code, 0, back.stderr);
        await lab.run("client", "rm -rf g2");
    });

    it("refuses, at the TLS handshake, a client of another CA with the same subject, and an expired client certificate", async () => {
        pki.ca("impostor-ca", "integration CA generation 1"); // the real CA's subject, another key: the seed's trap
        const impostor = pki.leaf("impostor", "impostor-ca", "client-a", "client");
        const expired = pki.expiredClient("expired", "ca", "client-a");
        assert.ok(new Date(new X509Certificate(expired.cert).validTo) < new Date(), "the certificate really is expired");
        const cases = [
            ["another CA with the same subject", impostor, /certificate verify failed|unknown ca/i],
            ["an expired certificate", expired, /certificate has expired|certificate verify failed/i],
        ] as const;
        for (const [what, pem, reason] of cases) {
            const mark = Number((await lab.run("broker", `wc -l < ${brokerPaths.log}`)).stdout.trim());
            await lab.run(
                "client",
                "rm -rf probe && mkdir -m 0700 probe && cp .mqtt-lab/client-a/ca.crt probe/ && umask 077 && cat > probe/client.crt",
                pem.cert,
            );
            await lab.run("client", "umask 077 && cat > probe/client.key", pem.key);
            const r = await lab.run(
                "client",
                `mosquitto_pub -h ${lab.broker.address} -p 8883 --cafile probe/ca.crt --cert probe/client.crt --key probe/client.key -q 1 -t lab/x -m intruder; rc=$?; rm -rf probe; exit $rc`,
            );
            assert.notEqual(r.code, 0, `${what} is refused`);
            assert.doesNotMatch(r.stderr, /Connection Refused/, `${what} is refused during TLS, not at MQTT CONNECT: ${r.stderr}`);
            // TLS 1.3 sends the alert after the client's Finished: the client only sees the connection
            // drop, so the reason is read where it happens, in the broker's log.
            const log = (await lab.run("broker", `tail -n +${mark + 1} ${brokerPaths.log}`)).stdout;
            assert.match(log, reason, `the broker says why it refused ${what}: ${log}`);
        }
    });

    it("refuses a revoked certificate at the handshake once the CRL is reloaded (SIGHUP), keeps the others; crl-validity fails before an expired CRL locks everyone out", async () => {
        const revoked = pki.leaf("revoked-client", "ca", "revoked-client", "client");
        const clientA = (await lab.run("client", "cat .mqtt-lab/client-a/client.crt")).stdout;
        // The refusal checks as `up` runs them: forgeries made here, the CRL and the revoked certificate beside them.
        const forged = parseBundle(
            execFileSync("bash", ["-c", forgeriesScript()], {
                input: renderBundle({ "ca.crt": ca.cert, "ca.key": ca.key, "client.crt": clientA }),
                encoding: "utf8",
            }),
        );
        const refusals = (crl: string) =>
            lab.run(
                "client",
                clientChecksScript({
                    identities: [{ name: "client-a", topics: clients[0].topics }],
                    brokerAddress: lab.broker.address,
                    tlsPort: 8883,
                    plaintextPort: 1883,
                    minCertDaysLeft: 7,
                    refusals: { tlsVersion: "tlsv1.2", revokedName: "revoked-client" },
                }),
                renderBundle({ ...forged, "crl.pem": crl, "revoked.crt": revoked.cert, "revoked.key": revoked.key }),
            );

        // Before: not listed, so the "revoked" certificate connects: the check's positive control.
        let r = await refusals(labCrl([ca]));
        assert.match(r.stderr, /revoked-cert: revoked-client's certificate, revoked in config \(listed in the CRL\) was accepted by the broker/);
        assert.notEqual(r.code, 0);

        const listed = labCrl([ca], [revoked]);
        const applied = await apply({ crl: listed });
        assert.equal(applied.code, 0, applied.stderr);
        assert.match(applied.stdout, /mosquitto action: sighup/, "a new CRL is a SIGHUP, not a restart");
        r = await refusals(listed);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^PASS revoked-cert: .* refused at the TLS handshake \(TLS 1\.2 alert: alert certificate revoked/m);
        assert.match(r.stdout, /^PASS crl-validity: every CRL outlives the certificates it covers and 7 days: \[.*1 revoked\]/m);
        assert.match((await checks()).stdout, /^PASS tls-roundtrip/m, "the others connect");

        // A CRL valid two more days fails crl-validity now, while it still lets clients in.
        const short = labCrl([ca], [revoked], new Date(Date.now() + 2 * 86400_000));
        assert.equal((await apply({ crl: short })).code, 0);
        r = await refusals(short);
        assert.match(r.stderr, /crl-validity: the CRL of .* is valid only until .*, less than 7 days/);
        assert.match((await checks()).stdout, /^PASS tls-roundtrip/m, "still serving: the check fails first");

        // What it warns of: an expired CRL makes the broker refuse every client of its CA.
        const expired = labCrl([ca], [revoked], new Date(Date.now() - 1800_000));
        const mark = Number((await lab.run("broker", `wc -l < ${brokerPaths.log}`)).stdout.trim());
        await apply({ crl: expired });
        const lockedOut = await lab.run(
            "client",
            `mosquitto_pub -h ${lab.broker.address} -p 8883 --cafile .mqtt-lab/client-a/ca.crt --cert .mqtt-lab/client-a/client.crt --key .mqtt-lab/client-a/client.key -q 1 -t lab/x -m locked`,
        );
        assert.notEqual(lockedOut.code, 0, "a valid client is locked out by an expired CRL");
        assert.match((await lab.run("broker", `tail -n +${mark + 1} ${brokerPaths.log}`)).stdout, /certificate verify failed/);
        const back = await apply();
        assert.equal(back.code, 0, back.stderr);
        assert.match((await checks()).stdout, /^PASS tls-roundtrip/m);
    });

    it("fails the chain check when the broker serves a certificate for another address, and the validity check when one is about to expire", async () => {
        const elsewhere = pki.leaf("server-elsewhere", "ca", "broker.it.internal", "server", [`IP:${lab.broker.address.replace(/\.\d+$/, ".99")}`]);
        assert.equal((await apply({ server: elsewhere })).code, 0);
        const wrong = await checks();
        assert.notEqual(wrong.code, 0);
        assert.match(
            wrong.stderr,
            new RegExp(`server-chain: the broker's certificate does not verify against the lab CA for ${lab.broker.address.replace(/\./g, "\\.")}`),
        );
        const shortLived = pki.leaf("server-short", "ca", "broker.it.internal", "server", [`IP:${lab.broker.address}`], 3);
        assert.equal((await apply({ server: shortLived })).code, 0);
        const soon = await lab.run(
            "client",
            clientChecksScript({
                identities: [{ name: "client-a", topics: clients[0].topics }],
                brokerAddress: lab.broker.address,
                tlsPort: 8883,
                plaintextPort: 1883,
                minCertDaysLeft: 7,
            }),
            checkInput({}),
        );
        assert.match(soon.stderr, /cert-validity: the broker's certificate expires within 7 days/);
        assert.equal((await apply({ server })).code, 0);
        assert.equal((await checks()).code, 0, "the good certificate passes again");
    });

    it("changes nothing when the copy is cut short, and converges on the next run", async () => {
        const liveFiles = `find /etc/mosquitto -type f -not -path '*/.stage.*' -exec sha256sum {} + | sort`;
        const before = (await lab.run("broker", liveFiles)).stdout;
        const rotated = pki.leaf("server-cut", "ca", "broker.it.internal", "server", [`IP:${lab.broker.address}`, "DNS:broker.it.internal"]);
        const conf = renderBrokerConf({ owner: "integration", tlsPort: 8883, tlsVersion: "tlsv1.2", trust: "capath" });
        const script = asRootScript(
            containerShell,
            brokerApplyScript({ shell: containerShell, conf, acl: renderAcl(clients), tlsPort: 8883, takeOverConfFiles: true, withPasswords: false }),
        );
        const whole = renderBundle({ "ca-g1.crt": ca.cert, "server.crt": rotated.cert, "server.key": rotated.key, "crl.pem": labCrl([ca]) });
        for (const cut of [whole.length - 12, Math.floor(whole.length / 2), whole.indexOf("\n") + 1]) {
            const r = await lab.run("broker", script, whole.slice(0, cut));
            assert.equal(r.code, 2, `a bundle cut at ${cut} of ${whole.length} bytes is refused`);
            assert.match(r.stderr, /cut short|missing from the bundle/);
            assert.equal((await lab.run("broker", liveFiles)).stdout, before, "no live file changed");
        }
        // A run killed outright leaves its private staging directory behind: the next run clears it.
        await lab.run("broker", "mkdir -m 0700 /etc/mosquitto/mqtt-lab/.stage.killed && echo half > /etc/mosquitto/mqtt-lab/.stage.killed/server.key");
        const again = await lab.run("broker", script, whole);
        assert.equal(again.code, 0, again.stderr);
        assert.equal((await lab.run("broker", "ls -A /etc/mosquitto/mqtt-lab | grep -c '^.stage' || true")).stdout.trim(), "0");
        assert.equal((await checks()).code, 0, "the rerun converged");
        server = rotated;
    });

    it("refuses to run beside a conf.d file that opens a listener, unless told to take it over", async () => {
        await lab.run("broker", "printf 'listener 1883\\nallow_anonymous true\\n' > /etc/mosquitto/conf.d/confTP.conf");
        const refused = await apply();
        assert.equal(refused.code, 3);
        assert.match(refused.stderr, /confTP\.conf.*mqtt-lab:takeOverConfFiles/s);
        const taken = await apply({ takeOver: true });
        assert.equal(taken.code, 0, taken.stderr);
        const ls = await lab.run("broker", "ls /etc/mosquitto/conf.d");
        assert.match(ls.stdout, /confTP\.conf\.mqtt-lab-disabled/);
        assert.equal((await checks()).code, 0, "1883 is closed again");
    });

    it("restores the previous files when mosquitto refuses the new ones, and says what mosquitto said", async () => {
        const wrongKey = pki.leaf("mismatch", "ca", "broker.it.internal", "server", [`IP:${lab.broker.address}`]);
        const bad = await apply({ server: { cert: server.cert, key: wrongKey.key }, tlsPort: 8884 });
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /mosquitto refused the new configuration \(restart\); the previous one was restored/);
        assert.match(bad.stderr, /mosquitto said: .*Error/s, `mosquitto's own words are passed on: ${bad.stderr}`);
        const conf = await lab.run("broker", `grep -c 'listener 8883' ${brokerPaths.conf}`);
        assert.equal(conf.stdout.trim(), "1", "the previous conf is live again");
        assert.equal((await checks()).code, 0, "the broker still serves");
    });

    it("fails the right check when a protection is broken out of band", async () => {
        await lab.run("broker", `sed -i 's/^require_certificate true/require_certificate false/' ${brokerPaths.conf} && ${containerShell.restart}`);
        await new Promise((r) => setTimeout(r, 1000));
        const r = await checks();
        assert.notEqual(r.code, 0);
        assert.match(
            r.stderr,
            /check failed on host client: no-certificate: refused only at the MQTT CONNECT step, not at the TLS handshake, so require_certificate is off/,
        );
        const fixed = await apply({ takeOver: true });
        assert.equal(fixed.code, 0, fixed.stderr);
        assert.match(fixed.stdout, /mosquitto action: restart/, "our conf is put back");
        assert.equal((await checks()).code, 0);
    });

    it("opens a teaching listener that refuses anonymous clients but lets the student in", async () => {
        const r = await apply({ takeOver: true, teaching: { password: "s3cret-teach" } });
        assert.equal(r.code, 0, r.stderr);
        const c = await checks(1883, "s3cret-teach");
        assert.equal(c.code, 0, c.stderr);
        assert.match(c.stdout, /^PASS anonymous-refused/m);
        assert.match(c.stdout, /^PASS teaching-namespace: .* not client-a over TLS/m);
        assert.match(c.stdout, /^PASS capture-plaintext: .* in clear on port 1883, as in the seed; the password crossed in clear too \(\[redacted\]\)$/m);
        assert.ok(!c.stdout.includes("s3cret-teach"), "the password is never printed");
        const student = await lab.run("client", `mosquitto_pub -h ${lab.broker.address} -p 1883 -u student -P s3cret-teach -t lab/hello -m hi`);
        assert.equal(student.code, 0, `the student's password works: ${student.stderr}`);
    });

    it("lets tshark read topic, payload and password on 1883, and neither topic nor payload on 8883", async () => {
        const nonce = Date.now().toString(36);
        const topic = `lab/secret-${nonce}`;
        const payload = `payload-${nonce}`;
        const capture = (port: number, publish: string, needles: string[]) =>
            captureWhilePublishing({
                broker: (cmd, stdin) => lab.run("broker", cmd, stdin),
                client: (cmd, stdin) => lab.run("client", cmd, stdin),
                asRoot: "",
                port,
                publish,
                needles,
            });
        const clear = await capture(1883, `mosquitto_pub -h ${lab.broker.address} -p 1883 -u student -P s3cret-teach -t ${topic} -m ${payload}`, [
            topic,
            payload,
            "s3cret-teach",
        ]);
        assert.ok(clear.packets > 0, "the 1883 capture holds packets");
        assert.deepEqual(clear.seen, [topic, payload, "s3cret-teach"], "plaintext MQTT leaks topic, payload and password");
        const sealed = await capture(
            8883,
            `mosquitto_pub -h ${lab.broker.address} -p 8883 --cafile .mqtt-lab/client-a/ca.crt --cert .mqtt-lab/client-a/client.crt --key .mqtt-lab/client-a/client.key -q 1 -t ${topic} -m ${payload}`,
            [topic, payload],
        );
        assert.ok(sealed.packets > 5, "the 8883 capture saw the TLS connection");
        assert.deepEqual(sealed.seen, [], "TLS hides topic and payload");
    });

    it("the external TLS audit (testssl.sh) reports a CBC suite given to the broker (its positive control), and none once the conf is ours again", async () => {
        await apply();
        const r = await lab.run(
            "broker",
            `sed -i 's/^ciphers \\(.*\\)$/ciphers \\1:ECDHE-ECDSA-AES128-SHA256/' ${brokerPaths.conf} && ${containerShell.restart} && sleep 1`,
        );
        assert.equal(r.code, 0, r.stderr);
        const weak = auditTls(lab.broker.address, 8883, ca.cert);
        assert.deepEqual(
            nonAeadSuites(weak).map((s) => s.name),
            ["ECDHE-ECDSA-AES128-SHA256"],
            `testssl saw: ${JSON.stringify(weak.suites)}`,
        );
        const restored = await apply();
        assert.equal(restored.code, 0, restored.stderr);
        assert.deepEqual(nonAeadSuites(auditTls(lab.broker.address, 8883, ca.cert)), []);
    });

    it("leaves the broker as it found it on destroy", async () => {
        const r = await lab.run("broker", asRootScript(containerShell, brokerRemoveScript(containerShell)));
        assert.equal(r.code, 0, r.stderr);
        const ls = await lab.run("broker", `ls /etc/mosquitto/conf.d; test -e ${brokerPaths.dir} && echo still-there || true`);
        assert.match(ls.stdout, /^confTP\.conf$/m, "the rival file is back under its own name");
        assert.doesNotMatch(ls.stdout, /mqtt-lab/);
    });
});
