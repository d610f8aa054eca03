/**
 * Runs the lab's checks on demand, over SSH with ssh2 and host keys pinned to the stack's
 * fingerprints: the very scripts `pulumi up` ran (the stack's `checkPlan` output). Writes an
 * evidence report (Markdown and JSON) to evidence/, and exits non-zero when a check fails.
 *
 *   npm run verify [-- --stack lab]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { sshExec, SshTarget } from "../lib/sshExec";

interface Endpoint { address: string; port: number; user: string; fingerprint: string }
interface CheckOutcome { check: string; host: string; identity: string; pass: boolean; seen: string }

const args = process.argv.slice(2);
const stackAt = args.indexOf("--stack");
const stack = stackAt >= 0 ? args[stackAt + 1] : process.env.MQTTLAB_STACK ?? "lab";
const outputs = JSON.parse(execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }));

/** The SSH key: the lab's generated one (containers), or the one config names (existing hosts). */
function privateKey(): string {
    if (outputs.sshClientPrivateKey) return outputs.sshClientPrivateKey;
    const fromConfig = (key: string) => {
        try { return execFileSync("pulumi", ["config", "get", "--stack", stack, key], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim(); } catch { return ""; }
    };
    const keyPath = fromConfig("mqtt-lab:sshPrivateKeyPath");
    return keyPath ? readFileSync(keyPath, "utf8") : fromConfig("mqtt-lab:sshPrivateKey");
}

async function main(): Promise<number> {
    const key = privateKey();
    const outcomes: CheckOutcome[] = [];
    for (const step of outputs.checkPlan as { identity: string; host: string; script: string }[]) {
        const e = outputs.ssh[step.host] as Endpoint;
        const target: SshTarget = { ...e, privateKey: key };
        const r = await sshExec(target, step.script, { timeoutMs: 120000 });
        for (const line of r.stdout.split("\n").filter((l) => l.startsWith("PASS "))) {
            const [, check, ...rest] = line.split(" ");
            outcomes.push({ check: check.replace(/:$/, ""), host: `${step.host} ${e.address}`, identity: step.identity, pass: true, seen: rest.join(" ") });
        }
        if (r.code !== 0) {
            const m = /check failed on host \S+: ([\w-]+): (.*)/s.exec(r.stderr);
            outcomes.push({ check: m?.[1] ?? "script", host: `${step.host} ${e.address}`, identity: step.identity, pass: false, seen: (m?.[2] ?? r.stderr).trim() });
        }
    }
    const when = new Date().toISOString();
    const dir = path.resolve(__dirname, "..", "..", "evidence");
    mkdirSync(dir, { recursive: true });
    const report = { stack, when, broker: `${outputs.brokerAddress}:${outputs.tlsPort}`, outcomes };
    const base = path.join(dir, `verify-${stack}-${when.replace(/[:.]/g, "-")}`);
    writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + "\n");
    const md = [`# mqtt-lab checks: stack ${stack}, ${when}`, "", `Broker ${report.broker}`, "", "| check | identity | host | result | seen |", "|---|---|---|---|---|",
        ...outcomes.map((o) => `| ${o.check} | ${o.identity} | ${o.host} | ${o.pass ? "pass" : "**FAIL**"} | ${o.seen.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`)];
    writeFileSync(`${base}.md`, md.join("\n") + "\n");
    for (const o of outcomes) console.log(`${o.pass ? "PASS" : "FAIL"} ${o.check} (${o.identity} on ${o.host}): ${o.seen}`);
    console.log(`report: ${base}.md`);
    return outcomes.length > 0 && outcomes.every((o) => o.pass) ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => { console.error(`verify: ${e.message}`); process.exit(1); });
