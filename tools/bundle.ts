/**
 * Writes a client bundle (ca.crt, client.crt, client.key) from the stack's outputs to a local
 * folder, for use with any MQTT tool. Files are 0600 from the first byte. The folder is made here
 * (0700), or is an empty one the user made: then its mode is the user's, left as it is. Nothing
 * else is touched: no other folder's mode, no file that is already there.
 *
 *   npm run bundle -- <identity> <folder> [--stack lab]
 *
 * Every failure is one line naming what, which stack or identity, and what to do; exit non-zero.
 */
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from "node:fs";
import * as path from "node:path";
import { runTool, stackOutputs, takeStackArg, ToolError } from "./stack";

const usage = "usage: npm run bundle -- <identity> <folder> [--stack NAME]";

/** Writes `file` whole (a temporary file, then a link), 0600, and never over a file already there. */
function writePrivate(file: string, content: string): void {
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = openSync(tmp, "wx", 0o600);
    try {
        writeSync(fd, content);
    } finally {
        closeSync(fd);
    }
    try {
        linkSync(tmp, file);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new ToolError(`${file} appeared meanwhile: left as it is; name a new or empty folder.`, 2);
        throw e;
    } finally {
        unlinkSync(tmp);
    }
}

/** The first few entries of a folder, for a message. */
const someOf = (inside: string[]) => `${inside.slice(0, 3).join(", ")}${inside.length > 3 ? ", …" : ""}`;

runTool("bundle", () => {
    const args = process.argv.slice(2);
    const stack = takeStackArg(args);
    const [identity, folder] = args;
    if (!identity || !folder) throw new ToolError(`an identity and a folder are required (${usage}).`, 2);
    // Refused before anything is read or written: a bundle never mixes with other files.
    if (existsSync(folder)) {
        if (!statSync(folder).isDirectory()) throw new ToolError(`${folder} exists and is not a folder: name a new or empty folder.`, 2);
        const inside = readdirSync(folder);
        if (inside.length > 0) throw new ToolError(`${folder} is not empty (${someOf(inside)}): name a new or empty folder, or remove it first.`, 2);
    }
    const outputs = stackOutputs(stack);
    const client = outputs.clientCerts[identity] as (typeof outputs.clientCerts)[string] | undefined;
    if (!client) {
        throw new ToolError(
            `no client identity "${identity}" in stack "${stack}"; known: ${Object.keys(outputs.clientCerts).join(", ")} (identities are set by mqtt-lab:clients).`,
            2,
        );
    }
    // A folder made here is 0700 (its missing parents too); one that exists keeps its mode: it is
    // the user's (chmod once made a home or the shared temp folder 0700). Still empty?
    if (mkdirSync(folder, { recursive: true, mode: 0o700 }) === undefined) {
        const inside = readdirSync(folder);
        if (inside.length > 0) throw new ToolError(`${folder} is not empty (${someOf(inside)}): name a new or empty folder, or remove it first.`, 2);
    }
    writePrivate(path.join(folder, "ca.crt"), outputs.caCertPem);
    writePrivate(path.join(folder, "client.crt"), client.certPem);
    writePrivate(path.join(folder, "client.key"), client.privateKeyPem);
    console.log(`bundle: ${identity} of stack ${stack} written to ${folder} (ca.crt, client.crt, client.key; 0600)`);
    console.log(
        `  mosquitto_sub -h ${outputs.brokerAddress} -p ${outputs.tlsPort} --cafile ${folder}/ca.crt --cert ${folder}/client.crt --key ${folder}/client.key -t '#' -v`,
    );
    return 0;
});
