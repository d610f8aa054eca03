/**
 * What the command-line tools read from a stack: which stack (`--stack NAME`, or MQTTLAB_STACK,
 * or `lab`), its outputs with secrets, and a config value. One place, so the tools agree, and so
 * every failure they meet is one line (what, which stack or key, what to do) and a non-zero exit.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { StackOutputs } from "../src/outputs";

/** A failure a tool reports as one line, `<tool>: <message>`, then exits with `code`. */
export class ToolError extends Error {
    constructor(
        message: string,
        readonly code = 1,
    ) {
        super(message);
        this.name = "ToolError";
    }
}

/** Runs `main`, printing a ToolError (or any error's first line) as `<tool>: …` and exiting non-zero. */
export function runTool(tool: string, main: () => Promise<number> | number): void {
    Promise.resolve()
        .then(main)
        .then(
            (code) => process.exit(code),
            (e: unknown) => {
                const err = e instanceof Error ? e : new Error(String(e));
                console.error(`${tool}: ${err.message.split("\n")[0]}`);
                process.exit(err instanceof ToolError ? err.code : 1);
            },
        );
}

/** Takes `--stack NAME` out of `args` (mutating it) and returns the stack name. */
export function takeStackArg(args: string[]): string {
    const at = args.indexOf("--stack");
    return at >= 0 ? args.splice(at, 2)[1] : (process.env.MQTTLAB_STACK ?? "lab");
}

function pulumi(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("pulumi", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new ToolError("the pulumi CLI is not on PATH: run `npm run lab` once (scripts/setup.sh installs it as /usr/local/bin/pulumi).");
    }
    if (r.error) throw new ToolError(`pulumi ${args.join(" ")} could not run: ${r.error.message}`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The last meaningful line of what the CLI said, without its "error: " prefix. */
function lastWords(stderr: string): string {
    const lines = stderr
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
    return (lines.at(-1) ?? "no message").replace(/^error: /, "");
}

/** The stack's outputs, secrets shown: the tools need the keys they hand to SSH or write 0600. */
export function stackOutputs(stack: string): StackOutputs {
    const r = pulumi(["stack", "output", "--json", "--show-secrets", "--stack", stack]);
    if (r.status !== 0) {
        if (/no stack named|could not find stack|not found/i.test(r.stderr)) {
            throw new ToolError(
                `no stack "${stack}" in this backend: bring the lab up with \`npm run lab\`, or name another with --stack (\`pulumi stack ls\` lists them).`,
            );
        }
        if (/passphrase/i.test(r.stderr)) {
            throw new ToolError(`the secrets of stack "${stack}" do not decrypt with this machine's passphrase: ${lastWords(r.stderr)}`);
        }
        throw new ToolError(`cannot read the outputs of stack "${stack}": ${lastWords(r.stderr)}`);
    }
    const outputs = JSON.parse(r.stdout || "{}") as Partial<StackOutputs>;
    if (!outputs.brokerAddress || !outputs.ssh) {
        throw new ToolError(`stack "${stack}" is not deployed (it has no outputs): run \`pulumi up --stack ${stack}\` (or \`npm run lab\`) first.`);
    }
    return outputs as StackOutputs;
}

/** A config value of the stack, or "" when it is not set. */
export function stackConfig(stack: string, key: string): string {
    const r = pulumi(["config", "get", "--stack", stack, key]);
    return r.status === 0 ? r.stdout.trim() : "";
}

/** A config value of the stack read with `--path` (`mqtt-lab:pki.leafRotation`), or "" when unset. */
export function stackConfigPath(stack: string, key: string): string {
    const r = pulumi(["config", "get", "--path", "--stack", stack, key]);
    return r.status === 0 ? r.stdout.trim() : "";
}

/** The SSH key: the lab's generated one (containers), or the one config names (existing hosts). */
export function sshPrivateKey(stack: string, outputs: StackOutputs): string {
    if (outputs.sshClientPrivateKey) return outputs.sshClientPrivateKey;
    const keyPath = stackConfig(stack, "mqtt-lab:sshPrivateKeyPath");
    return keyPath ? readFileSync(keyPath, "utf8") : stackConfig(stack, "mqtt-lab:sshPrivateKey");
}

/** One line for an SSH failure: which host of which stack, what happened, what to do. */
export function sshFailure(stack: string, role: string, e: { address: string; port: number }, err: Error): ToolError {
    const where = `the ${role} host ${e.address}:${e.port} of stack "${stack}"`;
    const hostKey = /host key (SHA256:\S+), pinned (SHA256:\S+)\)/.exec(err.message);
    if (hostKey) {
        return new ToolError(
            `${where} offered host key ${hostKey[1]}, not the pinned ${hostKey[2]}: nothing was sent. If the host was rebuilt on purpose, check its key on its console, then \`pulumi up --stack ${stack}\`.`,
        );
    }
    const why = err.message.replace(/^ssh \S+: /, "").split("\n")[0];
    return new ToolError(
        `cannot reach ${where} over SSH (${why}): is it running? \`pulumi refresh --stack ${stack}\` then \`pulumi up --stack ${stack}\` brings the lab back.`,
    );
}
