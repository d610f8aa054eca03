/**
 * The lab report: the TP's questions (shared/seed/tp-securite-mqtt.md) answered from what the lab
 * measures on its own hosts, in French and in English, each answer citing the command and host it
 * was measured from. Over SSH with ssh2, host keys pinned to the stack's fingerprints (as `verify`),
 * it runs remote/report-broker.sh and remote/report-client.sh (the captures of the seed's publish,
 * which come back as pcap bytes); it reads the latest checks' evidence; with
 * `--reproduce-unknown-ca`, it reproduces the seed's `unknown ca` on a throw-away broker in a
 * container with no network (remote/unknown-ca.sh). Writes to evidence/:
 *   report-<stack>.md, report-<stack>.html (self-contained), report-<stack>-questions.md and .html
 *   (the questions only, for the teacher), capture-<stack>-tls.pcap and, with the teaching
 *   listener on, capture-<stack>-plaintext.pcap (0600: it holds the teaching password).
 *
 *   npm run report [-- --stack lab] [-- --reproduce-unknown-ca]
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { defaults } from "../src/config/defaults";
import type { CheckOutcome } from "../src/evidence/report";
import type { StackOutputs } from "../src/outputs";
import { parseBundleBytes, renderBundle } from "../src/remote/bundle";
import { reportBrokerScript, reportClientScript, seedTopic, tlsLegTopic, unknownCaScript } from "../src/remote/reportScripts";
import { assembleMeasurements, HostRun } from "../src/report/assemble";
import { parseSections } from "../src/report/hostOutput";
import type { CheckEvidence } from "../src/report/model";
import { renderHtml } from "../src/report/html";
import { renderMarkdown } from "../src/report/markdown";
import { renderQuestionsHtml, renderQuestionsMarkdown } from "../src/report/questions";
import { sshExec } from "../src/ssh/exec";
import { runTool, sshFailure, sshPrivateKey, stackConfig, ToolError, stackOutputs, takeStackArg } from "./stack";

const args = process.argv.slice(2);
const stack = takeStackArg(args);
const reproduce = args.includes("--reproduce-unknown-ca");
const evidenceDir = path.resolve(__dirname, "..", "..", "evidence");

/** The identity's topic patterns, from config (the default identity's when unset). */
function topicsOf(identity: string): string[] {
    const raw = stackConfig(stack, "mqtt-lab:clients");
    const list = raw ? (JSON.parse(raw) as { name: string; topics?: string[] }[]) : defaults.clients;
    return [...(list.find((c) => c.name === identity)?.topics ?? ["#"])];
}

/** The latest check evidence of this stack: evidence/up-<stack>.json or verify-<stack>-*.json, the newest file. */
function latestChecks(): CheckEvidence | string {
    if (!existsSync(evidenceDir)) return `no evidence folder (${evidenceDir}): run \`pulumi up --stack ${stack}\` or \`npm run verify -- --stack ${stack}\``;
    const files = readdirSync(evidenceDir)
        .filter((f) => f === `up-${stack}.json` || (f.startsWith(`verify-${stack}-`) && f.endsWith(".json")))
        .map((f) => ({ f, at: statSync(path.join(evidenceDir, f)).mtimeMs }))
        .sort((a, b) => b.at - a.at);
    if (files.length === 0)
        return `no evidence of a check run of stack ${stack} in ${evidenceDir}: run \`pulumi up --stack ${stack}\` or \`npm run verify -- --stack ${stack}\``;
    const file = path.join(evidenceDir, files[0].f);
    const r = JSON.parse(readFileSync(file, "utf8")) as { outcomes: CheckOutcome[] };
    return { file: path.relative(path.resolve(evidenceDir, ".."), file), when: new Date(files[0].at).toISOString(), outcomes: r.outcomes };
}

/** The image of the throw-away broker: the lab's base image (mosquitto, openssl), as setup or config names it. */
function throwAwayImage(): string {
    const named = process.env.MQTTLAB_IMAGE || stackConfig(stack, "mqtt-lab:image");
    if (named) return named;
    const r = spawnSync("docker", ["image", "ls", "mqttlab/base", "--format", "{{.Repository}}:{{.Tag}}"], { encoding: "utf8" });
    const image = r.status === 0 ? r.stdout.split("\n")[0].trim() : "";
    if (!image) throw new ToolError("--reproduce-unknown-ca needs the lab's base image (mosquitto and openssl): run `bash scripts/setup.sh` to build it.");
    return image;
}

/** The seed's `unknown ca` on a throw-away broker: a container with no network (its own namespace, loopback only), removed when done. */
function reproduceUnknownCa(): { sections: Record<string, string>; command: string } | string {
    if (!reproduce) return "not reproduced in this run: `npm run report -- --reproduce-unknown-ca` reproduces it on a throw-away broker on loopback";
    const image = throwAwayImage();
    const name = `mqtt-lab-unknown-ca-${randomBytes(4).toString("hex")}`;
    const dockerArgs = ["run", "--rm", "-i", "--network", "none", "--name", name, image, "bash", "-s"];
    const r = spawnSync("docker", dockerArgs, { input: unknownCaScript(), encoding: "utf8", timeout: 120_000 });
    if (r.error) return `docker could not run: ${r.error.message}`;
    const sections = parseSections(r.stdout);
    if (r.status !== 0 && sections["where"] === undefined) return `docker run ${image} failed (exit ${r.status}): ${r.stderr.trim().split("\n").at(-1) ?? ""}`;
    return { sections, command: `docker ${dockerArgs.join(" ")} < remote/unknown-ca.sh` };
}

/** Writes a file only its owner may read, whatever was there before. */
function writePrivate(file: string, data: Buffer): void {
    writeFileSync(file, data, { mode: 0o600 });
    chmodSync(file, 0o600);
}

async function main(): Promise<number> {
    const outputs: StackOutputs = stackOutputs(stack);
    const key = sshPrivateKey(stack, outputs);
    const teachingPort = outputs.teachingPort;
    const password = teachingPort !== null ? stackConfig(stack, "mqtt-lab:teachingPassword") : "";
    if (teachingPort !== null && !password) throw new ToolError(`the teaching listener of stack "${stack}" is on but mqtt-lab:teachingPassword cannot be read`);
    const secrets = [password].filter(Boolean);
    // The identity whose host captures: the first of the first host's check run (its files are there).
    const step = outputs.checkPlan[0];
    if (!step) throw new ToolError(`stack "${stack}" has no check plan: run \`pulumi up --stack ${stack}\` first`);
    const topics = topicsOf(step.identity);
    const payload = `hello from mqtt-lab ${randomBytes(4).toString("hex")}`;
    const target = (role: "broker" | "client") => ({ ...outputs.ssh[role], privateKey: key });
    const asRoot = (role: "broker" | "client") => outputs.ssh[role].user !== "root";
    const clientRole = step.host;

    const run = async (role: "broker" | "client", script: string, stdin?: string): Promise<HostRun> => {
        const e = outputs.ssh[role];
        const base = { role, address: e.address, user: e.user, fingerprint: e.fingerprint };
        try {
            const r = await sshExec(target(role), script, { timeoutMs: 180_000, stdin });
            return { ...base, sections: parseSections(r.stdout), ...(r.code === 0 ? {} : { unreachable: `exit ${r.code}` }) };
        } catch (err) {
            // A host key that is not the pinned one: nothing was sent, and the report says so in one line.
            const failure = sshFailure(stack, role, e, err instanceof Error ? err : new Error(String(err)));
            if (/offered host key/.test(failure.message)) throw failure;
            return { ...base, unreachable: failure.message };
        }
    };
    const broker = await run("broker", reportBrokerScript({ asRoot: asRoot("broker") }));
    const clientScript = reportClientScript({
        brokerAddress: outputs.brokerAddress,
        tlsPort: outputs.tlsPort,
        teachingPort: teachingPort ?? undefined,
        teachingUser: outputs.teachingUser ?? defaults.teaching.username,
        identity: step.identity,
        topics,
        payload,
        asRoot: asRoot(clientRole),
    });
    const client = await run(clientRole, clientScript, renderBundle(password ? { "teaching-password": password } : {}));
    if (client.role !== "client") client.role = clientRole;

    mkdirSync(evidenceDir, { recursive: true });
    const pcaps = client.sections?.["captures"] ? parseBundleBytes(client.sections["captures"]) : {};
    const pcapFiles = { tls: "", plaintext: "" };
    for (const leg of ["tls", "plaintext"] as const) {
        const file = path.join(evidenceDir, `capture-${stack}-${leg}.pcap`);
        const bytes = pcaps[`${leg}.pcap`];
        if (bytes) {
            writePrivate(file, bytes);
            pcapFiles[leg] = path.relative(path.dirname(evidenceDir), file);
        } else {
            // An older capture would answer for a lab that no longer is (and may hold a password): it goes.
            rmSync(file, { force: true });
            pcapFiles[leg] = "";
        }
    }
    const s = ` --stack ${stack}`;
    const m = assembleMeasurements({
        stack,
        when: new Date().toISOString(),
        brokerAddress: outputs.brokerAddress,
        tlsPort: outputs.tlsPort,
        teachingPort,
        teachingUser: outputs.teachingUser,
        identity: step.identity,
        tlsTopic: tlsLegTopic(topics),
        plainTopic: seedTopic,
        payload,
        broker,
        client,
        scripts: { broker: "remote/report-broker.sh", client: "remote/report-client.sh" },
        pcapFiles,
        teachingOnCommands: [
            `pulumi config set --path mqtt-lab:teachingListener.enabled true${s}`,
            `pulumi config set --secret mqtt-lab:teachingPassword${s}   # asks for it: 12 characters at least`,
            `pulumi up --yes --policy-pack policies${s}`,
            `npm run report --${s}`,
        ],
        checks: latestChecks(),
        unknownCa: reproduceUnknownCa(),
    });
    const base = path.join(evidenceDir, `report-${stack}`);
    writeFileSync(`${base}.md`, renderMarkdown(m, secrets));
    writeFileSync(`${base}.html`, renderHtml(m, secrets));
    writeFileSync(`${base}-questions.md`, renderQuestionsMarkdown());
    writeFileSync(`${base}-questions.html`, renderQuestionsHtml());
    for (const [what, v] of [
        ["broker", broker.unreachable],
        ["client", client.unreachable],
    ] as const) {
        if (v) console.error(`report: the ${what} host's measurements are incomplete: ${v}`);
    }
    console.log(`report: ${base}.md`);
    console.log(`report: ${base}.html`);
    console.log(`questions only: ${base}-questions.md, ${base}-questions.html`);
    for (const leg of ["tls", "plaintext"] as const) if (pcapFiles[leg]) console.log(`capture (${leg}, 0600): ${pcapFiles[leg]}`);
    return 0;
}

runTool("report", main);
