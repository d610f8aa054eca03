/**
 * A real broker with the teaching listener, for the container tests of the listener and of the
 * checks' secrets: the two hosts of labHosts.ts, an openssl PKI, the program's own broker apply
 * and client install (src/remote/hostScripts.ts), and its check script, without the engine.
 */
import { randomBytes } from "node:crypto";
import { ClientIdentity } from "../src/config/labConfig";
import { renderAcl, renderBrokerConf, renderPasswordFile } from "../src/mosquitto/conf";
import { checkInput, clientChecksScript } from "../src/remote/checkScripts";
import { asRootScript, brokerApplyScript, containerShell, renderBundle } from "../src/remote/hostScripts";
import { ExecResult } from "../src/ssh/exec";
import { installIdentity, labCrl, LabHosts, OpensslPki, Pem, startLabHosts } from "./labHosts";

export interface TeachingSettings {
    password: string;
    /** base64 of 12 bytes. @default a fresh random salt per lab (kept across applies) */
    salt?: string;
    mountPoint?: string;
    sharedWithTls?: boolean;
}

export interface TeachingBroker {
    lab: LabHosts;
    pki: OpensslPki;
    ca: Pem;
    clients: readonly ClientIdentity[];
    /** The broker's apply with the teaching listener as given (or without it). */
    apply: (t?: TeachingSettings) => Promise<ExecResult>;
    /** The check script of `identity` (default: the first), the teaching password on stdin. */
    checks: (t: TeachingSettings | undefined, identity?: string) => Promise<ExecResult>;
    /** mosquitto client options for `identity` over mutual TLS, from the client host's home. */
    tlsAs: (identity: string) => string;
    cleanup: () => void;
}

/** Starts the hosts on `subnetPrefix` (e.g. "172.30.215"), makes the PKI, installs every identity. */
export async function startTeachingBroker(subnetPrefix: string, clients: readonly ClientIdentity[]): Promise<TeachingBroker> {
    const lab = await startLabHosts(subnetPrefix);
    const pki = new OpensslPki();
    const cleanup = () => {
        lab.cleanup();
        pki.cleanup();
    };
    try {
        const ca = pki.ca("ca", "teaching test CA generation 1");
        const server = pki.leaf("server", "ca", "broker.it.internal", "server", [`IP:${lab.broker.address}`]);
        for (const c of clients) {
            const leaf = pki.leaf(c.name, "ca", c.name, "client");
            await installIdentity(lab, c.name, ca, leaf);
        }
        const labSalt = randomBytes(12).toString("base64");
        // The broker requires a CRL for each trusted CA, as the program's apply sends one.
        const crl = labCrl([ca]);
        const apply = (t?: TeachingSettings) => {
            const mountPoint = t?.mountPoint ?? "teaching/";
            const conf = renderBrokerConf({
                owner: "teaching-test",
                tlsPort: 8883,
                tlsVersion: "tlsv1.2",
                trust: "capath",
                teaching: t ? { port: 1883, username: "student", bindAddress: lab.broker.address, mountPoint } : undefined,
            });
            const script = brokerApplyScript({
                shell: containerShell,
                conf,
                acl: renderAcl(clients, t ? { username: "student", mountPoint, sharedWithTls: t.sharedWithTls ?? false } : undefined),
                tlsPort: 8883,
                takeOverConfFiles: false,
                withPasswords: t !== undefined,
            });
            const bundle = renderBundle({
                "ca-g1.crt": ca.cert,
                "server.crt": server.cert,
                "server.key": server.key,
                "crl.pem": crl,
                ...(t ? { passwd: renderPasswordFile("student", t.password, t.salt ?? labSalt) } : {}),
            });
            return lab.run("broker", asRootScript(containerShell, script), bundle);
        };
        const checks = (t: TeachingSettings | undefined, identity = clients[0].name) => {
            const c = clients.find((x) => x.name === identity)!;
            return lab.run(
                "client",
                clientChecksScript({
                    identities: [{ name: c.name, topics: c.topics }],
                    brokerAddress: lab.broker.address,
                    tlsPort: 8883,
                    teachingPort: t ? 1883 : undefined,
                    teachingMountPoint: t?.mountPoint,
                    teachingShared: t?.sharedWithTls,
                    plaintextPort: 1883,
                }),
                checkInput({ teachingPassword: t?.password }),
            );
        };
        const tlsAs = (id: string) =>
            `-h ${lab.broker.address} -p 8883 --cafile .mqtt-lab/${id}/ca.crt --cert .mqtt-lab/${id}/client.crt --key .mqtt-lab/${id}/client.key`;
        return { lab, pki, ca, clients, apply, checks, tlsAs, cleanup };
    } catch (e) {
        cleanup();
        throw e;
    }
}
