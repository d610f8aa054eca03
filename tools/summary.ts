/**
 * The lab command's last words (scripts/lab.sh): each check on its own line, the evidence
 * report, the broker's address, and the next commands exactly as they can be typed.
 *
 *   node bin/tools/summary.js [--stack lab]
 */
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { parseCheckRun } from "../src/evidence/report";
import type { StackOutputs } from "../src/outputs";
import { runTool, stackConfigPath, stackOutputs, takeStackArg } from "./stack";

/** One check as the summary shows it. */
export interface CheckLine {
    pass: boolean;
    check: string;
    identity: string;
    host: string;
    seen: string;
}

/** Every PASS/FAIL line of the stack's check runs (one per host), with the identity and host it is about. */
export function checkLines(o: Pick<StackOutputs, "checkResults" | "checkPlan" | "ssh">): CheckLine[] {
    return o.checkResults.flatMap((run, i) => {
        const plan = o.checkPlan[i] as (typeof o.checkPlan)[number] | undefined;
        const host = plan ? `${plan.host} ${o.ssh[plan.host].address}` : "?";
        return parseCheckRun({ identity: plan?.identity ?? "?", host, stdout: run, code: 0 }).map(({ pass, check, identity, seen }) => ({
            pass,
            check,
            identity,
            host,
            seen,
        }));
    });
}

/** The first of ./lab-out, ./lab-out-2, … that `npm run bundle` accepts (absent or empty). */
export function freeFolder(cwd: string): string {
    for (let n = 1; ; n++) {
        const name = n === 1 ? "lab-out" : `lab-out-${n}`;
        const p = path.join(cwd, name);
        if (!existsSync(p) || readdirSync(p).length === 0) return `./${name}`;
    }
}

/** The summary's text. Pure: the caller reads the outputs and the config. */
export function renderSummary(stack: string, o: StackOutputs, folder: string, leafRotation: number): string {
    const checks = checkLines(o);
    const width = Math.max(...checks.map((c) => c.check.length), 5);
    const identity = Object.keys(o.clientCerts)[0];
    const dir = folder.replace(/^\.\//, "");
    const s = ` --stack ${stack}`;
    return [
        `Stack ${stack}: ${checks.filter((c) => c.pass).length} of ${checks.length} checks pass.`,
        ...checks.map((c) => `  ${c.pass ? "PASS" : "FAIL"}  ${c.check.padEnd(width)}  ${c.identity} on ${c.host}: ${c.seen}`),
        `Evidence report: ${o.latestReport}`,
        `Broker: ${o.brokerAddress}:${o.tlsPort} (mutual TLS; ${o.brokerDnsName} in its certificate)`,
        "Next:",
        `  npm run bundle -- ${identity} ${folder}${s}`,
        `  mosquitto_sub -h ${o.brokerAddress} -p ${o.tlsPort} --cafile ${dir}/ca.crt --cert ${dir}/client.crt --key ${dir}/client.key -t '#' -v`,
        `  pulumi config set --path mqtt-lab:pki.leafRotation ${leafRotation + 1}${s} && pulumi preview --diff${s} && pulumi up --yes --policy-pack policies${s}   # rotate the leaves`,
        `  pulumi destroy --yes${s}   # tear the lab down`,
    ].join("\n");
}

if (require.main === module) {
    runTool("summary", () => {
        const stack = takeStackArg(process.argv.slice(2));
        const outputs = stackOutputs(stack);
        const rotation = Number(stackConfigPath(stack, "mqtt-lab:pki.leafRotation") || "0");
        console.log(renderSummary(stack, outputs, freeFolder(process.cwd()), Number.isFinite(rotation) ? rotation : 0));
        return 0;
    });
}
