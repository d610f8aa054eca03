/**
 * Integration fixture: two real containers from the lab's base image on a private network made
 * for this run, reached over SSH with ssh2 and a pinned host key, and a PKI made with the openssl
 * CLI. It runs the program's own remote scripts (src/remote/hostScripts.ts, src/remote/checkScripts.ts)
 * exactly as the command provider would, without the Pulumi engine.
 */
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { utils } from "ssh2";
import { capabilityFlags } from "../src/config/capabilities";
import { sshFingerprint } from "../src/ssh/fingerprint";
import { sshExec, SshTarget, ExecResult } from "../src/ssh/exec";
import { renderAcl } from "../src/mosquitto/conf";
import { asRootScript, brokerApplyScript, clientInstallScript, containerShell, renderBundle } from "../src/remote/hostScripts";
import { composeScript } from "../src/remote/compose";
import { leafOf, signCrl } from "../src/pki/crl";
import { crlNextUpdate, nextRevocations } from "../src/pki/revocation";

export function requireImage(): string {
    const image = process.env.MQTTLAB_IMAGE;
    if (!image) throw new Error("MQTTLAB_IMAGE is not set: run the tests through `npm test` (scripts/setup.sh builds the image).");
    return image;
}

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).trim();
const openssl = (cwd: string, ...args: string[]) => execFileSync("openssl", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

export interface LabHosts {
    id: string;
    broker: SshTarget;
    client: SshTarget;
    brokerContainer: string;
    clientContainer: string;
    run: (host: "broker" | "client", cmd: string, stdin?: string) => Promise<ExecResult>;
    cleanup: () => void;
}

/** Starts the two hosts; `cleanup` removes containers and network even after a failure. */
export async function startLabHosts(subnetPrefix: string): Promise<LabHosts> {
    const image = requireImage();
    const id = `it${Date.now().toString(36)}`;
    const label = `mqtt-lab-run=${id}`;
    const dir = mkdtempSync(path.join(tmpdir(), "mqtt-lab-test-"));
    const names: string[] = [];
    const cleanup = () => {
        for (const n of names) {
            try {
                docker("rm", "-f", n);
            } catch {
                /* already gone */
            }
        }
        try {
            docker("network", "rm", `mqtt-lab-${id}`);
        } catch {
            /* already gone */
        }
        rmSync(dir, { recursive: true, force: true });
    };
    try {
        docker("network", "create", "--subnet", `${subnetPrefix}.0/24`, "--label", label, `mqtt-lab-${id}`);
        const client = utils.generateKeyPairSync("ed25519");
        const make = (role: string, ip: string): SshTarget => {
            const hostKey = utils.generateKeyPairSync("ed25519");
            const root = path.join(dir, role);
            mkdirSync(path.join(root, "etc", "ssh"), { recursive: true });
            mkdirSync(path.join(root, "root", ".ssh"), { recursive: true, mode: 0o700 });
            writeFileSync(path.join(root, "etc", "ssh", "ssh_host_ed25519_key"), hostKey.private, { mode: 0o600 });
            writeFileSync(path.join(root, "etc", "ssh", "ssh_host_ed25519_key.pub"), hostKey.public);
            writeFileSync(path.join(root, "root", ".ssh", "authorized_keys"), client.public, { mode: 0o600 });
            chmodSync(path.join(root, "root", ".ssh"), 0o700);
            const name = `mqtt-lab-${id}-${role}`;
            names.push(name);
            docker("create", "--name", name, "--hostname", role, "--network", `mqtt-lab-${id}`, "--ip", ip, ...capabilityFlags(), "--label", label, image);
            docker("cp", `${root}/.`, `${name}:/`);
            docker("start", name);
            return { address: ip, port: 22, user: "root", fingerprint: sshFingerprint(hostKey.public), privateKey: client.private };
        };
        const broker = make("broker", `${subnetPrefix}.10`);
        const clientHost = make("client", `${subnetPrefix}.11`);
        const run = (host: "broker" | "client", cmd: string, stdin?: string) =>
            sshExec(host === "broker" ? broker : clientHost, cmd, { stdin, timeoutMs: 120000 });
        // sshd comes up a moment after the container, more than 10 s on a loaded machine's first
        // start: retry for at most a minute.
        const deadline = Date.now() + 60_000;
        for (;;) {
            try {
                await run("broker", "true");
                await run("client", "true");
                break;
            } catch (e) {
                if (Date.now() > deadline) throw e;
                await new Promise((r) => setTimeout(r, 250));
            }
        }
        return { id, broker, client: clientHost, brokerContainer: names[0], clientContainer: names[1], run, cleanup };
    } catch (e) {
        cleanup();
        throw e;
    }
}

/**
 * Installs `identity` on the client host as the program's client install does (its CA, certificate
 * and key in ~/.mqtt-lab/<identity>); throws with the host's stderr when it fails.
 */
export async function installIdentity(lab: LabHosts, identity: string, ca: Pem, leaf: Pem): Promise<void> {
    const r = await lab.run("client", clientInstallScript(identity), renderBundle({ "ca.crt": ca.cert, "client.crt": leaf.cert, "client.key": leaf.key }));
    if (r.code !== 0) throw new Error(`installing ${identity} on the client host failed: ${r.stderr}`);
}

export interface Pem {
    cert: string;
    key: string;
}

/**
 * The broker's crl.pem for these CAs, signed by the program's own remote/crl.sh: one CRL per CA,
 * listing the `revoked` leaves each signed; next update the CA's expiry unless `nextUpdate` says.
 */
export function labCrl(cas: readonly Pem[], revoked: readonly Pem[] = [], nextUpdate?: Date): string {
    const script = composeScript("crl", {});
    return (
        cas
            .map((ca, i) => {
                const caCert = new X509Certificate(ca.cert);
                const mine = revoked
                    .filter((r) => new X509Certificate(r.cert).checkIssued(caCert))
                    .map((r, j) => leafOf({ name: `revoked-${j}`, certPem: r.cert }));
                const { state } = nextRevocations(undefined, { activeNames: [], active: [], revoked: mine }, new Date());
                const next = nextUpdate?.toISOString() ?? crlNextUpdate(new Date(caCert.validTo).toISOString(), state.issued);
                return signCrl({ generation: i + 1, caCertPem: ca.cert, caPrivateKeyPem: ca.key, script }, state.revoked, 1, next, new Date()).trim();
            })
            .join("\n") + "\n"
    );
}

/** openssl req's arguments for a new, unencrypted EC P-256 key. */
const newEcKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** A small PKI made with the openssl CLI: what a careful admin would do by hand. */
export class OpensslPki {
    readonly dir = mkdtempSync(path.join(tmpdir(), "mqtt-lab-test-pki-"));
    private serial = 1;

    /** An EC P-256 key `name.key` and a certificate request `name.csr` for `subject`. */
    private keyAndRequest(name: string, subject: string): void {
        openssl(this.dir, "req", ...newEcKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    }

    /** A v3 CA (CA:TRUE, keyCertSign) with its own subject. */
    ca(name: string, cn: string): Pem {
        openssl(
            this.dir,
            "req",
            "-x509",
            ...newEcKey,
            "-keyout",
            `${name}.key`,
            "-out",
            `${name}.crt`,
            "-days",
            "30",
            "-subj",
            `/O=mqtt-lab-test/CN=${cn}`,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        );
        return this.read(name);
    }

    /** A leaf signed by `ca`: server (SAN ip/dns) or client (CN = identity). */
    leaf(name: string, ca: string, cn: string, kind: "server" | "client", sans: string[] = [], days = 30): Pem {
        const ext = path.join(this.dir, `${name}.ext`);
        writeFileSync(
            ext,
            [
                "basicConstraints=critical,CA:FALSE",
                "keyUsage=critical,digitalSignature,keyEncipherment",
                `extendedKeyUsage=${kind === "server" ? "serverAuth" : "clientAuth"}`,
                ...(sans.length ? [`subjectAltName=${sans.join(",")}`] : []),
            ].join("\n") + "\n",
        );
        this.keyAndRequest(name, `/O=mqtt-lab-test/OU=${kind}/CN=${cn}`);
        const signedBy = ["-CA", `${ca}.crt`, "-CAkey", `${ca}.key`];
        openssl(
            this.dir,
            "x509",
            "-req",
            "-in",
            `${name}.csr`,
            ...signedBy,
            "-set_serial",
            String(this.serial++ + Date.now()),
            "-days",
            String(days),
            "-extfile",
            ext,
            "-out",
            `${name}.crt`,
        );
        return this.read(name);
    }

    /** A client certificate that expired long ago, made with `openssl ca` (x509 cannot backdate). */
    expiredClient(name: string, ca: string, cn: string): Pem {
        const db = path.join(this.dir, `${name}-db`);
        mkdirSync(db, { recursive: true });
        writeFileSync(path.join(db, "index.txt"), "");
        writeFileSync(path.join(db, "serial"), "1000\n");
        writeFileSync(
            path.join(this.dir, `${name}.cnf`),
            [
                "[ca]",
                "default_ca = lab",
                "[lab]",
                `dir = ${db}`,
                "database = $dir/index.txt",
                "new_certs_dir = $dir",
                "serial = $dir/serial",
                "default_md = sha256",
                "policy = any",
                "copy_extensions = none",
                "x509_extensions = leaf",
                "unique_subject = no",
                "[any]",
                "commonName = supplied",
                "organizationName = optional",
                "organizationalUnitName = optional",
                "[leaf]",
                "basicConstraints = critical,CA:FALSE",
                "keyUsage = critical,digitalSignature,keyEncipherment",
                "extendedKeyUsage = clientAuth",
            ].join("\n") + "\n",
        );
        this.keyAndRequest(name, `/O=mqtt-lab-test/OU=client/CN=${cn}`);
        const past = ["-startdate", "20200101000000Z", "-enddate", "20200201000000Z"];
        openssl(
            this.dir,
            "ca",
            "-batch",
            "-config",
            `${name}.cnf`,
            "-cert",
            `${ca}.crt`,
            "-keyfile",
            `${ca}.key`,
            "-in",
            `${name}.csr`,
            "-out",
            `${name}.crt`,
            ...past,
            "-notext",
        );
        return this.read(name);
    }

    private read(name: string): Pem {
        return { cert: readFileSync(path.join(this.dir, `${name}.crt`), "utf8"), key: readFileSync(path.join(this.dir, `${name}.key`), "utf8") };
    }

    cleanup(): void {
        rmSync(this.dir, { recursive: true, force: true });
    }
}

/** The broker's apply for the benches' floors: one identity (client-a) on every topic, TLS on 8883, on a container. */
export function benchBrokerApply(conf: string): string {
    return asRootScript(
        containerShell,
        brokerApplyScript({
            shell: containerShell,
            conf,
            acl: renderAcl([{ name: "client-a", topics: ["#"], host: "client" }]),
            tlsPort: 8883,
            takeOverConfFiles: false,
            withPasswords: false,
        }),
    );
}
