/**
 * What the command-line tools read from a stack: which stack (`--stack NAME`, or MQTTLAB_STACK,
 * or `lab`), its outputs with secrets, and a config value. One place, so the tools agree.
 */
import { execFileSync } from "node:child_process";
import type { StackOutputs } from "../src/outputs";

/** Takes `--stack NAME` out of `args` (mutating it) and returns the stack name. */
export function takeStackArg(args: string[]): string {
    const at = args.indexOf("--stack");
    return at >= 0 ? args.splice(at, 2)[1] : (process.env.MQTTLAB_STACK ?? "lab");
}

/** The stack's outputs, secrets shown: the tools need the keys they hand to SSH or write 0600. */
export function stackOutputs(stack: string): StackOutputs {
    return JSON.parse(
        execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }),
    ) as StackOutputs;
}

/** A config value of the stack, or "" when it is not set. */
export function stackConfig(stack: string, key: string): string {
    try {
        return execFileSync("pulumi", ["config", "get", "--stack", stack, key], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
        return "";
    }
}
