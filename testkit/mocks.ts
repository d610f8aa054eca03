/**
 * Pulumi mocks for unit tests of the components and of index.ts.
 *
 * Order matters: call `installMocks()` before the first `await import()` of a module that
 * declares resources, so every registration goes to the recorder here and none to an engine.
 * Every `newResource` call is recorded with its type, name and inputs (secret inputs keep the
 * engine's secret marker, see `isSecretValue`); `call` throws on every token, since the program
 * invokes no provider function and an unexpected invoke is a behaviour change worth a failure.
 */
import * as pulumi from "@pulumi/pulumi";

/** One `newResource` call as the mock monitor saw it. */
export interface Registration {
    type: string;
    name: string;
    /** Inputs as the engine would receive them: secrets wrapped in the secret marker. */
    inputs: Record<string, unknown>;
    /** false for component resources. */
    custom: boolean;
}

/** A value the engine would store as a secret: `{ [specialSigKey]: specialSecretSig, value }`. */
export function isSecretValue(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}

/** The value with every secret marker removed, at any depth. */
export function reveal<T = unknown>(v: unknown): T {
    if (isSecretValue(v)) return reveal<T>((v as { value: unknown }).value);
    if (Array.isArray(v)) return v.map((e) => reveal(e)) as T;
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, reveal(e)])) as T;
    }
    return v as T;
}

/** A string input, revealed; fails loudly when the input is not a string. */
export function text(v: unknown, what = "input"): string {
    const s = reveal(v);
    if (typeof s !== "string") throw new Error(`${what} is ${JSON.stringify(s)}, not a string`);
    return s;
}

/**
 * Fake material per resource, derived from the resource name so a test can tell which key or
 * certificate ended up where. Public keys end with a newline, as the tls provider's do.
 */
export const fake = {
    privateKeyPem: (name: string) => `-----BEGIN PRIVATE KEY-----\nkey:${name}\n-----END PRIVATE KEY-----\n`,
    privateKeyOpenssh: (name: string) => `-----BEGIN OPENSSH PRIVATE KEY-----\nkey:${name}\n-----END OPENSSH PRIVATE KEY-----\n`,
    publicKeyOpenssh: (name: string) => `ssh-ed25519 ${Buffer.from(`pub:${name}`).toString("base64")}\n`,
    certPem: (name: string) => `-----BEGIN CERTIFICATE-----\ncert:${name}\n-----END CERTIFICATE-----\n`,
    certRequestPem: (name: string) => `-----BEGIN CERTIFICATE REQUEST-----\ncsr:${name}\n-----END CERTIFICATE REQUEST-----\n`,
    stdout: (name: string) => `ran:${name}`,
    crlPem: (name: string) => `-----BEGIN X509 CRL-----\ncrl:${name}\n-----END X509 CRL-----\n`,
    token: (name: string) => `token:${name}`,
    /** A 12-byte salt (base64), as src/secrets/salt.ts makes, derived from the name. */
    salt: (name: string) => Buffer.from(`salt:${name}`.padEnd(12, ".").slice(0, 12)).toString("base64"),
};

/** A value as the engine returns a secret output. */
function secretValue(value: unknown): Record<string, unknown> {
    return { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value };
}

/**
 * The outputs a provider would add to the inputs, per resource type. Private keys come back
 * secret, as the tls provider's schema marks them (the engine, not the SDK, would also apply
 * `additionalSecretOutputs`, which mocks never see).
 */
function outputsOf(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
    switch (type) {
        case "tls:index/privateKey:PrivateKey":
            return {
                privateKeyPem: secretValue(fake.privateKeyPem(name)),
                privateKeyPemPkcs8: secretValue(fake.privateKeyPem(name)),
                privateKeyOpenssh: secretValue(fake.privateKeyOpenssh(name)),
                publicKeyOpenssh: fake.publicKeyOpenssh(name),
                publicKeyPem: `-----BEGIN PUBLIC KEY-----\npub:${name}\n-----END PUBLIC KEY-----\n`,
            };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { certPem: fake.certPem(name), readyForRenewal: false };
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: fake.certRequestPem(name) };
        case "command:remote:Command":
            return { stdout: fake.stdout(name), stderr: "" };
        case "command:local:Command": // the forgeries and the evidence writer: a bundle, as forgeries.sh prints
            return { stdout: `ran ${Buffer.from(name).toString("base64")}\n__end__ 1`, stderr: "" };
        case "pulumi-nodejs:dynamic:Resource":
            // The CRLs (src/pki/crl.ts), the password salt (src/secrets/salt.ts, it has a byte count) and the host observers (src/drift/observer.ts).
            if (/-crl-g\d+$/.test(name)) return { crlPem: fake.crlPem(name), revokedLeaves: [], nextUpdate: "2030-01-01T00:00:00.000Z" };
            if (typeof inputs.bytes === "number") return { salt: secretValue(fake.salt(name)) };
            return { drift: [], token: fake.token(name), repaired: [] };
        default:
            return {};
    }
}

export interface Recorder {
    /** Every registration so far, in order. */
    readonly registrations: Registration[];
    /** Every `call` attempted (each one also threw). */
    readonly calls: string[];
    /** Registrations of one type (custom resources and components alike). */
    ofType(type: string): Registration[];
    /** The one registration of `type` whose name is `name`; fails when there is none or several. */
    one(type: string, name: string): Registration;
    /** Waits until every pending registration has reached the mocks. */
    settle(): Promise<void>;
    /**
     * Runs `declare`, waits until its resources are registered and returns those registrations
     * only. Tests of one process run one at a time, so nothing else registers meanwhile.
     */
    capture(declare: () => unknown | Promise<unknown>): Promise<Registration[]>;
    /** URNs the mock monitor issued: their type part names the parent chain ("Parent$Child"). */
    urns(): string[];
}

/** Sets the mocks (project "mqtt-lab", stack "unit", not a preview) and returns the recorder. */
export function installMocks(opts: { project?: string; stack?: string; preview?: boolean } = {}): Recorder {
    const registrations: Registration[] = [];
    const calls: string[] = [];
    const mocks: pulumi.runtime.Mocks = {
        newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
            registrations.push({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? true });
            return {
                id: args.custom === false ? undefined : `${args.name}-id`,
                state: { ...args.inputs, ...outputsOf(args.type, args.name, args.inputs as Record<string, unknown>) },
            };
        },
        call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
            calls.push(args.token);
            throw new Error(`unmocked call ${args.token}: the program is not expected to invoke provider functions`);
        },
    };
    // Not awaited by design: setMocks only stores the monitor; its promise has nothing to wait for.
    void pulumi.runtime.setMocks(mocks, opts.project ?? "mqtt-lab", opts.stack ?? "unit", opts.preview ?? false);

    const settle = async (): Promise<void> => {
        // waitForRPCs is internal to the SDK (runtime/settings); without it, drain the event loop a little.
        const wait = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
        if (wait) await wait();
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
        if (wait) await wait();
    };
    return {
        registrations,
        calls,
        ofType: (type) => registrations.filter((r) => r.type === type),
        one(type, name) {
            const found = registrations.filter((r) => r.type === type && r.name === name);
            if (found.length !== 1) {
                const names = registrations.filter((r) => r.type === type).map((r) => r.name);
                throw new Error(`expected one ${type} named "${name}", found ${found.length}; names of that type: ${names.join(", ") || "none"}`);
            }
            return found[0];
        },
        settle,
        async capture(declare) {
            await settle();
            const from = registrations.length;
            await declare();
            await settle();
            return registrations.slice(from);
        },
        urns() {
            const monitor = pulumi.runtime.getMonitor() as unknown as { getRegisteredResources?: () => Map<string, unknown> } | undefined;
            return [...(monitor?.getRegisteredResources?.().keys() ?? [])];
        },
    };
}

/**
 * The value of an output, once known. Rejects instead of hanging when the output never
 * resolves (an unknown value outside preview never reaches `apply`).
 */
export function promiseOf<T>(output: pulumi.Output<T> | pulumi.Input<T>, timeoutMs = 10_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`output did not resolve within ${timeoutMs} ms`)), timeoutMs);
        pulumi.output(output).apply((v) => {
            clearTimeout(timer);
            resolve(v as T);
            return v;
        });
    });
}

/** Whether an output (or input) is a secret. */
export function isSecretOutput(v: pulumi.Input<unknown>): Promise<boolean> {
    return pulumi.isSecret(pulumi.output(v));
}

/** The resource types the lab registers, by their Pulumi type tokens. */
export const T = {
    network: "docker:index/network:Network",
    container: "docker:index/container:Container",
    key: "tls:index/privateKey:PrivateKey",
    caCert: "tls:index/selfSignedCert:SelfSignedCert",
    csr: "tls:index/certRequest:CertRequest",
    leafCert: "tls:index/locallySignedCert:LocallySignedCert",
    command: "command:remote:Command",
} as const;
