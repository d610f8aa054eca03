/**
 * Records a setup run's step times: reads setup.sh's "name seconds built" lines on stdin, merges
 * them into the times recorded before (the file given, if it exists) and prints the new JSON.
 * scripts/setup.sh runs it (through ts-node, before anything is compiled) and moves the output
 * into place; tools/readmeFigures.ts renders it into the README.
 *
 *   printf '%s\n' "toolchain 12 no" ... | node -r ts-node/register/transpile-only tools/setupTimes.ts FILE TOTAL_SECONDS
 */
import { existsSync, readFileSync } from "node:fs";
import { mergeSetupTimes, parseSetupSteps, SetupTimes } from "./readmeFigures";

const [file, total] = process.argv.slice(2);
if (!file || !/^\d+$/.test(total ?? "")) {
    console.error("setupTimes: usage: setupTimes.ts FILE TOTAL_SECONDS < steps");
    process.exit(2);
}
let input = "";
process.stdin.on("data", (chunk) => (input += String(chunk)));
process.stdin.on("end", () => {
    let prev: SetupTimes | undefined;
    try {
        prev = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as SetupTimes) : undefined;
    } catch {
        prev = undefined; // a damaged file: start again from this run
    }
    console.log(JSON.stringify(mergeSetupTimes(prev, new Date().toISOString(), Number(total), parseSetupSteps(input)), null, 2));
});
