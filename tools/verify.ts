/**
 * Runs the lab's checks on demand, over SSH with ssh2 and host keys pinned to the stack's
 * fingerprints: the very scripts `pulumi up` ran (the stack's `checkPlan` output). Writes an
 * evidence report (Markdown and JSON) to evidence/, and exits non-zero when a check fails.
 *
 *   npm run verify [-- --stack lab]
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { captureWhilePublishing } from "../lib/capture";
import { CheckOutcome, EvidenceReport, parseCheckRun, redact, renderEvidenceJson, renderEvidenceMarkdown } from "../lib/evidence";
import { sshExec } from "../lib/sshExec";
import { stackConfig, stackOutputs, takeStackArg } from "./stack";

interface Endpoint { address: string; port: number; user: string; fingerprint: string }

const stack = takeStackArg(process.argv.slice(2));
const outputs = stackOutputs(stack);

/** The SSH key: the lab's generated one (containers), or the one config names (existing hosts). */
function privateKey(): string {
    if (outputs.sshClientPrivateKey) return outputs.sshClientPrivateKey;
    const keyPath = stackConfig(stack, "mqtt-lab:sshPrivateKeyPath");
    return keyPath ? readFileSync(keyPath, "utf8") : stackConfig(stack, "mqtt-lab:sshPrivateKey");
}

/** Secrets that must not reach a report even if a check prints them: the teaching password. */
function secrets(): string[] {
    return [stackConfig(stack, "mqtt-lab:teachingPassword")].filter(Boolean);
}

/**
 * The teaching port, when on: tshark on the broker must read the topic and payload of a
 * password-protected publish in clear, as in the seed. It is the positive control of the detector
 * that the capture-tls check (in the check plan) runs on the TLS port.
 */
async function plaintextCapture(key: string): Promise<CheckOutcome[]> {
    if (!outputs.teachingPort) return [];
    const plan = (outputs.checkPlan as { identity: string; host: string; topics: string[] }[])[0];
    const broker = outputs.ssh.broker as Endpoint;
    const clientHost = outputs.ssh[plan.host] as Endpoint;
    const run = (e: Endpoint) => (cmd: string, stdin?: string) => sshExec({ ...e, privateKey: key }, cmd, { stdin, timeoutMs: 60000 });
    const asRoot = outputs.hostSource === "existing" ? "sudo -n " : "";
    const nonce = Date.now().toString(36);
    const payload = `mqtt-lab-capture-${nonce}`;
    const password = secrets()[0] ?? "";
    const clear = await captureWhilePublishing({
        broker: run(broker), client: run(clientHost), asRoot, port: outputs.teachingPort, needles: [`lab/${nonce}`, payload, password].filter(Boolean),
        publish: `mosquitto_pub -h ${outputs.brokerAddress} -p ${outputs.teachingPort} -u '${outputs.teachingUser}' -P '${password}' -t 'lab/${nonce}' -m '${payload}'`,
    });
    return [{ check: "capture-plaintext", identity: String(outputs.teachingUser), host: `broker ${broker.address}`, pass: clear.seen.includes(payload) && clear.seen.includes(`lab/${nonce}`),
        seen: redact(`${clear.packets} packets on port ${clear.port}; tshark read in clear: ${clear.seen.join(", ")}`, [password]) }];
}

async function main(): Promise<number> {
    const key = privateKey();
    const outcomes: CheckOutcome[] = [];
    for (const step of outputs.checkPlan as { identity: string; host: string; script: string }[]) {
        const e = outputs.ssh[step.host] as Endpoint;
        const r = await sshExec({ ...e, privateKey: key }, step.script, { timeoutMs: 120000 });
        outcomes.push(...parseCheckRun({ identity: step.identity, host: `${step.host} ${e.address}`, ...r }, secrets()));
    }
    // The refusal checks, with the forged certificates `pulumi up` made (a secret output).
    const refusal = outputs.refusalPlan as { identity: string; host: string; script: string } | undefined;
    if (refusal) {
        const e = outputs.ssh[refusal.host] as Endpoint;
        const r = await sshExec({ ...e, privateKey: key }, refusal.script, { stdin: String(outputs.refusalForgeries), timeoutMs: 120000 });
        outcomes.push(...parseCheckRun({ identity: refusal.identity, host: `${refusal.host} ${e.address}`, ...r }, secrets()));
    }
    outcomes.push(...await plaintextCapture(key));
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
