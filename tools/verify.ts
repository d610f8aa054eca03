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
import { CheckOutcome, EvidenceReport, parseCheckRun, renderEvidenceJson, renderEvidenceMarkdown } from "../lib/evidence";
import { sshExec } from "../lib/sshExec";

interface Endpoint { address: string; port: number; user: string; fingerprint: string }

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

/** Secrets that must not reach a report even if a check prints them: the teaching password. */
function secrets(): string[] {
    try { return [execFileSync("pulumi", ["config", "get", "--stack", stack, "mqtt-lab:teachingPassword"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()]; } catch { return []; }
}

async function main(): Promise<number> {
    const key = privateKey();
    const outcomes: CheckOutcome[] = [];
    for (const step of outputs.checkPlan as { identity: string; host: string; script: string }[]) {
        const e = outputs.ssh[step.host] as Endpoint;
        const r = await sshExec({ ...e, privateKey: key }, step.script, { timeoutMs: 120000 });
        outcomes.push(...parseCheckRun({ identity: step.identity, host: `${step.host} ${e.address}`, ...r }, secrets()));
    }
    const report: EvidenceReport = { stack, when: new Date().toISOString(), broker: `${outputs.brokerAddress}:${outputs.tlsPort}`, outcomes };
    const dir = path.resolve(__dirname, "..", "..", "evidence");
    mkdirSync(dir, { recursive: true });
    const base = path.join(dir, `verify-${stack}-${report.when.replace(/[:.]/g, "-")}`);
    writeFileSync(`${base}.json`, renderEvidenceJson(report));
    writeFileSync(`${base}.md`, renderEvidenceMarkdown(report));
    for (const o of outcomes) console.log(`${o.pass ? "PASS" : "FAIL"} ${o.check} (${o.identity} on ${o.host}): ${o.seen}`);
    console.log(`report: ${base}.md`);
    return outcomes.length > 0 && outcomes.every((o) => o.pass) ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => { console.error(`verify: ${e.message}`); process.exit(1); });
