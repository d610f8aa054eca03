/**
 * The CRL of one CA generation: a dynamic resource whose state remembers every leaf the CA issued
 * (so that an identity removed from config can still be revoked) and what it revoked, and whose
 * create/update sign the list with remote/crl.sh on this machine (where the CA key already is).
 * It signs again only when the revoked serials or the CA change: a no-op `up` changes nothing.
 *
 * The provider is serialized into the state in clear with what its functions capture: it
 * captures no secret. The CA key reaches it as an input marked secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { renderBundle } from "../remote/bundle";
import { crlNeedsSigning, crlNextUpdate, LeafSeen, nextRevocations, opensslTime, renderRevokedList, RevokedLeaf } from "./revocation";

/** A certificate as config declares it: the identity's name and its PEM. */
export interface NamedCert {
    name: string;
    certPem: string;
}

interface CrlInputs {
    generation: number;
    caCertPem: string;
    caPrivateKeyPem: string;
    /** The composed remote/crl.sh. */
    script: string;
    /** The identities (and "broker") that connect, whichever CA signs them: not revoked. */
    activeNames: string[];
    /** Their certificates this CA signed. */
    active: NamedCert[];
    revoked: NamedCert[];
}

interface CrlOutputs extends CrlInputs {
    issued: LeafSeen[];
    revokedLeaves: RevokedLeaf[];
    crlPem: string;
    crlNumber: number;
    nextUpdate: string;
}

/** The engine's placeholder for a value unknown at preview. */
const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function leafOf(c: NamedCert): LeafSeen {
    const x = new X509Certificate(c.certPem);
    return { serial: x.serialNumber.toUpperCase(), name: c.name, subject: `/${x.subject.split("\n").join("/")}`, notAfter: new Date(x.validTo).toISOString() };
}

function plan(olds: CrlOutputs | undefined, news: CrlInputs, now: Date) {
    const { state, problems } = nextRevocations(
        olds ? { issued: olds.issued, revoked: olds.revokedLeaves } : undefined,
        { activeNames: news.activeNames, active: news.active.map(leafOf), revoked: news.revoked.map(leafOf) },
        now,
    );
    if (problems.length > 0) throw new Error(`CA generation ${news.generation}: ${problems.join(" ")}`);
    const caNotAfter = new Date(new X509Certificate(news.caCertPem).validTo).toISOString();
    return { ...state, nextUpdate: crlNextUpdate(caNotAfter, state.issued) };
}

export function signCrl(
    i: Pick<CrlInputs, "generation" | "caCertPem" | "caPrivateKeyPem" | "script">,
    revoked: RevokedLeaf[],
    number: number,
    nextUpdate: string,
    now: Date,
): string {
    // lastUpdate an hour back: a host whose clock runs a little behind still takes the list.
    const lastUpdate = opensslTime(new Date(now.getTime() - 3600_000).toISOString());
    const bundle = renderBundle({
        "ca.crt": i.caCertPem,
        "ca.key": i.caPrivateKeyPem,
        "revoked.txt": renderRevokedList(revoked),
        "dates.txt": `${number.toString(16).padStart(2, "0")} ${lastUpdate} ${opensslTime(nextUpdate)}\n`,
    });
    const run = spawnSync("bash", ["-c", i.script], { input: bundle, encoding: "utf8" });
    if (run.status !== 0) throw new Error(`signing the CRL of CA generation ${i.generation} failed: ${run.stderr.trim()}`);
    const crl = /^crl\.pem (\S+)$/m.exec(run.stdout);
    if (!crl) throw new Error(`signing the CRL of CA generation ${i.generation} printed no crl.pem`);
    return Buffer.from(crl[1], "base64").toString("utf8");
}

function signed(olds: CrlOutputs | undefined, news: CrlInputs): CrlOutputs {
    const now = new Date();
    const p = plan(olds, news, now);
    const number = (olds?.crlNumber ?? 0) + 1;
    return {
        ...news,
        issued: p.issued,
        revokedLeaves: p.revoked,
        nextUpdate: p.nextUpdate,
        crlNumber: number,
        crlPem: signCrl(news, p.revoked, number, p.nextUpdate, now),
    };
}

const crlProvider: pulumi.dynamic.ResourceProvider<CrlInputs, CrlOutputs> = {
    async create(inputs) {
        return { id: `crl-g${inputs.generation}`, outs: signed(undefined, inputs) };
    },
    // Every preview and up: what the CRL would list now, against what it lists.
    async diff(_id, olds, news) {
        // Only the inputs: `news` also holds the serialized provider, whose code names the placeholder.
        if (JSON.stringify([news.caCertPem, news.active, news.revoked, news.activeNames]).includes(unknown)) return { changes: true };
        const p = plan(olds, news, new Date());
        const resign = crlNeedsSigning(
            { caCertPem: olds.caCertPem, revoked: olds.revokedLeaves, nextUpdate: olds.nextUpdate },
            { caCertPem: news.caCertPem, revoked: p.revoked, nextUpdate: p.nextUpdate },
        );
        // A leaf it has not seen yet (a rotation, a new identity) must be remembered, so that a later
        // removal revokes it: an update that signs nothing. Judged by serial, whatever shape the state gives back.
        const known = new Set((olds.issued ?? []).map((l) => l.serial));
        const unseen = [...news.active, ...news.revoked].map(leafOf).some((l) => !known.has(l.serial));
        return { changes: resign || unseen || news.script !== olds.script, diffs: resign ? ["crlPem"] : [] };
    },
    async update(_id, olds, news) {
        const now = new Date();
        const p = plan(olds, news, now);
        if (
            !crlNeedsSigning(
                { caCertPem: olds.caCertPem, revoked: olds.revokedLeaves, nextUpdate: olds.nextUpdate },
                { caCertPem: news.caCertPem, revoked: p.revoked, nextUpdate: p.nextUpdate },
            ) &&
            news.script === olds.script
        ) {
            return {
                outs: { ...news, issued: p.issued, revokedLeaves: p.revoked, nextUpdate: olds.nextUpdate, crlNumber: olds.crlNumber, crlPem: olds.crlPem },
            };
        }
        return { outs: signed(olds, news) };
    },
};

export interface CrlArgs {
    readonly generation: number;
    readonly caCertPem: pulumi.Input<string>;
    /** Marked secret here, whatever the caller passed. */
    readonly caPrivateKeyPem: pulumi.Input<string>;
    readonly script: pulumi.Input<string>;
    readonly activeNames: string[];
    readonly active: { name: string; certPem: pulumi.Input<string> }[];
    readonly revoked: { name: string; certPem: pulumi.Input<string> }[];
}

/** The CRL of one CA generation; `crlPem` is public (what the broker reads), `revokedLeaves` says what it lists. */
export class CertificateRevocationList extends pulumi.dynamic.Resource {
    declare readonly crlPem: pulumi.Output<string>;
    declare readonly revokedLeaves: pulumi.Output<RevokedLeaf[]>;
    declare readonly nextUpdate: pulumi.Output<string>;

    constructor(name: string, args: CrlArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            crlProvider,
            name,
            {
                ...args,
                caPrivateKeyPem: pulumi.secret(args.caPrivateKeyPem),
                issued: undefined,
                revokedLeaves: undefined,
                crlPem: undefined,
                crlNumber: undefined,
                nextUpdate: undefined,
            },
            { ...opts, additionalSecretOutputs: ["caPrivateKeyPem"] },
        );
    }
}
