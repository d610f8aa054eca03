/**
 * Writes a client bundle (ca.crt, client.crt, client.key) from the stack's outputs to a local
 * folder, for use with any MQTT tool. Files are 0600 in a 0700 folder from the first byte.
 *
 *   npm run bundle -- <identity> <folder> [--stack lab]
 */
import { chmodSync, mkdirSync, openSync, writeSync, closeSync, renameSync } from "node:fs";
import * as path from "node:path";
import { stackOutputs, takeStackArg } from "./stack";

function usage(msg: string): never {
    console.error(`bundle: ${msg}\nusage: npm run bundle -- <identity> <folder> [--stack NAME]`);
    process.exit(2);
}

function writePrivate(file: string, content: string): void {
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = openSync(tmp, "wx", 0o600);
    try {
        writeSync(fd, content);
    } finally {
        closeSync(fd);
    }
    renameSync(tmp, file);
}

const args = process.argv.slice(2);
const stack = takeStackArg(args);
const [identity, folder] = args;
if (!identity || !folder) usage("an identity and a folder are required");

const outputs = stackOutputs(stack);
const client = outputs.clientCerts?.[identity];
if (!client) usage(`no client identity "${identity}" in stack ${stack}; known: ${Object.keys(outputs.clientCerts ?? {}).join(", ")}`);

mkdirSync(folder, { recursive: true, mode: 0o700 });
chmodSync(folder, 0o700);
writePrivate(path.join(folder, "ca.crt"), outputs.caCertPem);
writePrivate(path.join(folder, "client.crt"), client.certPem);
writePrivate(path.join(folder, "client.key"), client.privateKeyPem);
console.log(`bundle: ${identity} of stack ${stack} written to ${folder} (ca.crt, client.crt, client.key; 0600)`);
console.log(
    `  mosquitto_sub -h ${outputs.brokerAddress} -p ${outputs.tlsPort} --cafile ${folder}/ca.crt --cert ${folder}/client.crt --key ${folder}/client.key -t '#' -v`,
);
