/**
 * Benchmark: the broker's part of a leaf rotation, the program's way against a floor measured in
 * the same run on the same hosts. Prints figures and ratios; never fails on time.
 *
 * - program: the apply script as `pulumi up` sends it (stage, compare, back up, swap, SIGHUP,
 *   wait until listening) followed by the post-deploy check script;
 * - floor: the least a careful admin would do: write the new certificate and key over the same
 *   SSH connection type, SIGHUP, and run the same check script.
 * The engine's own cost (state writes, plugin RPC) is not measured here: it needs the provider
 * plugins (README, Status).
 *
 * Writes bench/results/rotation-latest.json (git-ignored), which the README's figures are rendered from.
 *
 *   npm run bench
 */
import { checkInput, clientChecksScript } from "../src/remote/checkScripts";
import { renderBrokerConf } from "../src/mosquitto/conf";
import { renderBundle } from "../src/remote/hostScripts";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../testkit/engineHarness";
import { benchBrokerApply, installIdentity, labCrl, OpensslPki, startLabHosts } from "../testkit/labHosts";

const rounds = Number(process.env.BENCH_ROUNDS ?? 8);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
    const lab = await startLabHosts("172.30.203");
    const pki = new OpensslPki();
    try {
        const ca = pki.ca("ca", "bench CA generation 1");
        const sans = [`IP:${lab.broker.address}`];
        const client = pki.leaf("client-a", "ca", "client-a", "client");
        await installIdentity(lab, "client-a", ca, client);
        const conf = renderBrokerConf({ owner: "bench", tlsPort: 8883, tlsVersion: "tlsv1.2", trust: "capath" });
        const apply = benchBrokerApply(conf);
        const check = clientChecksScript({
            identities: [{ name: "client-a", topics: ["#"] }],
            brokerAddress: lab.broker.address,
            tlsPort: 8883,
            plaintextPort: 1883,
        });
        const crl = labCrl([ca]);
        const bundle = (s: { cert: string; key: string }) => renderBundle({ "ca-g1.crt": ca.cert, "server.crt": s.cert, "server.key": s.key, "crl.pem": crl });
        const first = await lab.run("broker", apply, bundle(pki.leaf("s0", "ca", "broker", "server", sans)));
        if (first.code !== 0) throw new Error(first.stderr);
        const floorScript = `set -e; d=/etc/mosquitto/mqtt-lab; while read -r n b; do [ -n "$n" ] || continue; case $n in server.crt|server.key) printf '%s' "$b" | base64 -d > $d/$n ;; esac; done; pkill -HUP -x mosquitto; sleep 0.2`;
        const certs = Array.from({ length: rounds * 2 }, (_, i) => pki.leaf(`s${i + 1}`, "ca", "broker", "server", sans));
        const programMs: number[] = [];
        const floorMs: number[] = [];
        const applyMs: number[] = [];
        const floorCopyMs: number[] = [];
        for (let i = 0; i < rounds; i++) {
            // Alternate, so drift on this 2-core machine hits both sides alike.
            let t = process.hrtime.bigint();
            const a = await lab.run("broker", apply, bundle(certs[2 * i]));
            applyMs.push(Number(process.hrtime.bigint() - t) / 1e6);
            const c1 = await lab.run("client", check, checkInput({}));
            programMs.push(Number(process.hrtime.bigint() - t) / 1e6);
            if (a.code !== 0 || c1.code !== 0) throw new Error(`program round ${i} failed: ${a.stderr}${c1.stderr}`);
            t = process.hrtime.bigint();
            const f = await lab.run("broker", floorScript, bundle(certs[2 * i + 1]));
            floorCopyMs.push(Number(process.hrtime.bigint() - t) / 1e6);
            const c2 = await lab.run("client", check, checkInput({}));
            floorMs.push(Number(process.hrtime.bigint() - t) / 1e6);
            if (f.code !== 0 || c2.code !== 0) throw new Error(`floor round ${i} failed: ${f.stderr}${c2.stderr}`);
        }
        const p = median(programMs);
        const f = median(floorMs);
        const a = median(applyMs);
        const fc = median(floorCopyMs);
        console.log(`install + SIGHUP only: program ${a.toFixed(0)} ms, floor ${fc.toFixed(0)} ms, ratio ${(a / fc).toFixed(2)}`);
        console.log(
            `rotation, broker side (${rounds} rounds, medians): program ${p.toFixed(0)} ms, floor ${f.toFixed(0)} ms, ratio ${(p / f).toFixed(2)} (goal <= 2.00)`,
        );
        const dir = path.join(repoRoot, "bench", "results");
        mkdirSync(dir, { recursive: true });
        const json = JSON.stringify({ when: new Date().toISOString(), rounds, applyMs: a, floorCopyMs: fc, programMs: p, floorMs: f }, null, 2);
        writeFileSync(path.join(dir, "rotation-latest.json"), json);
    } finally {
        lab.cleanup();
        pki.cleanup();
    }
}

main().catch((e) => {
    console.error(`bench: ${e.message}`);
    process.exit(1);
});
