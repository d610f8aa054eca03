/**
 * Runs the lab's checks on demand, over SSH with ssh2 and host keys pinned to the stack's
 * fingerprints: the very scripts `pulumi up` ran (the stack's `checkPlan` and `refusalPlan`
 * outputs, the teaching password on stdin when that listener is on). Writes an
 * evidence report (Markdown and JSON) to evidence/, and exits non-zero when a check fails.
 *
 *   npm run verify [-- --stack lab]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { CheckOutcome, EvidenceReport, parseCheckRun, renderEvidenceJson, renderEvidenceMarkdown } from "../src/evidence/report";
import { checkInput } from "../src/remote/checkScripts";
import { sshExec } from "../src/ssh/exec";
import { runTool, sshFailure, sshPrivateKey, stackConfig, stackOutputs, takeStackArg } from "./stack";

const stack = takeStackArg(process.argv.slice(2));
const clockToleranceSeconds = 60;

async function main(): Promise<number> {
    const outputs = stackOutputs(stack);
    const key = sshPrivateKey(stack, outputs);
    // Secrets that must not reach a report even if a check prints them: the teaching password (read once).
    const secretValues: string[] = [stackConfig(stack, "mqtt-lab:teachingPassword")].filter(Boolean);
    // Each host answers, with the pinned host key, before any check runs: a failure here is one line.
    for (const [role, e] of Object.entries(outputs.ssh)) {
        await sshExec({ ...e, privateKey: key }, "true", { timeoutMs: 30000 }).catch((err: unknown) => {
            throw sshFailure(stack, role, e, err instanceof Error ? err : new Error(String(err)));
        });
    }
    const outcomes: CheckOutcome[] = [];
    for (const step of outputs.checkPlan) {
        const e = outputs.ssh[step.host];
        // On stdin, as at up: the teaching password (for the plaintext capture) and, where the refusal
        // checks run, the forged certificates `pulumi up` made (a secret output).
        const stdin = checkInput({
            teachingPassword: outputs.teachingPort !== null ? secretValues[0] : undefined,
            refusalFiles: step.refusals ? outputs.refusalForgeries : undefined,
        });
        const r = await sshExec({ ...e, privateKey: key }, step.script, { timeoutMs: 300000, stdin });
        outcomes.push(...parseCheckRun({ identity: step.identity, host: `${step.host} ${e.address}`, ...r }, secretValues));
    }
    // Host clocks against this machine's: a slow clock rejects a fresh certificate.
    for (const [role, e] of Object.entries(outputs.ssh)) {
        const before = Date.now();
        const r = await sshExec({ ...e, privateKey: key }, "date +%s", { timeoutMs: 30000 });
        const skew = Number(r.stdout.trim()) - Math.round((before + Date.now()) / 2000);
        outcomes.push({
            check: "clock-skew",
            identity: "-",
            host: `${role} ${e.address}`,
            pass: Number.isFinite(skew) && Math.abs(skew) <= clockToleranceSeconds,
            seen: `host clock ${Number.isFinite(skew) ? `${skew >= 0 ? "+" : ""}${skew} s` : `unreadable (${r.stdout.trim()})`} from this machine's (tolerance ${clockToleranceSeconds} s)`,
        });
    }
    const commands = outputs.checkPlan.map(({ identity, host, script }) => ({ identity, host, script }));
    const report: EvidenceReport = { stack, when: new Date().toISOString(), broker: `${outputs.brokerAddress}:${outputs.tlsPort}`, outcomes, commands };
    const dir = path.resolve(__dirname, "..", "..", "evidence");
    mkdirSync(dir, { recursive: true });
    const base = path.join(dir, `verify-${stack}-${report.when.replace(/[:.]/g, "-")}`);
    writeFileSync(`${base}.json`, renderEvidenceJson(report));
    writeFileSync(`${base}.md`, renderEvidenceMarkdown(report));
    for (const o of outcomes) console.log(`${o.pass ? "PASS" : "FAIL"} ${o.check} (${o.identity} on ${o.host}): ${o.seen}`);
    console.log(`report: ${base}.md`);
    return outcomes.length > 0 && outcomes.every((o) => o.pass) ? 0 : 1;
}

runTool("verify", main);
