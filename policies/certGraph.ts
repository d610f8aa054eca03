/**
 * How certificates hang together in a stack, as the stack policies see it: a LocallySignedCert
 * points at its CertRequest (`certRequestPem`) and its CA (`caCertPem`); a CertRequest or
 * SelfSignedCert at its PrivateKey (`privateKeyPem`). At preview the certificates are not issued
 * yet (`certPem` unknown), so the rules judge these inputs; once `certPem` is known (the stack
 * policies run again at the end of `up`), they judge the issued certificate as well.
 */
import { X509Certificate } from "node:crypto";
import { PolicyResource } from "@pulumi/policy";
import * as tls from "@pulumi/tls";
import { isRecord, PreviewGaps, ResourceClass, resourceLabel, stringList, UNKNOWN } from "./judge";

/** A stack resource the way messages name it. */
export function label(r: PolicyResource): string {
    return resourceLabel(r.type, r.name);
}

/** The resource of one of `classes` that property `prop` of `r` comes from; any dependency of that type when the engine sent no property dependencies. */
export function dependencyOf(r: PolicyResource, prop: string, classes: ResourceClass[]): PolicyResource | undefined {
    const matches = (d: PolicyResource) => classes.some((c) => d.isType(c));
    const byProp = r.propertyDependencies?.[prop];
    if (byProp && byProp.length > 0) return byProp.find(matches);
    return r.dependencies.find(matches);
}

/** A leaf certificate with what it was made from. */
export interface Leaf {
    cert: PolicyResource;
    csr?: PolicyResource;
    ca?: PolicyResource;
    /** The PrivateKey behind the CSR. */
    key?: PolicyResource;
}

/** Every LocallySignedCert of the stack, with its CertRequest, CA and key when they are tls resources here. */
export function leaves(resources: PolicyResource[]): Leaf[] {
    return resources
        .filter((r) => r.isType(tls.LocallySignedCert))
        .map((cert) => {
            const csr = dependencyOf(cert, "certRequestPem", [tls.CertRequest]);
            return {
                cert,
                csr,
                ca: dependencyOf(cert, "caCertPem", [tls.SelfSignedCert, tls.LocallySignedCert]),
                key: csr ? dependencyOf(csr, "privateKeyPem", [tls.PrivateKey]) : undefined,
            };
        });
}

/** A certificate used as a CA (or declared one), with the leaves it signs and its key. */
export interface Authority {
    ca: PolicyResource;
    signs: PolicyResource[];
    key?: PolicyResource;
}

/** Every certificate that signs a leaf of the stack, or is a SelfSignedCert declared a CA. */
export function authorities(resources: PolicyResource[], gaps: PreviewGaps): Authority[] {
    const byUrn = new Map<string, Authority>();
    const add = (ca: PolicyResource) => {
        let a = byUrn.get(ca.urn);
        if (!a) {
            const key = ca.isType(tls.SelfSignedCert) ? dependencyOf(ca, "privateKeyPem", [tls.PrivateKey]) : undefined;
            a = { ca, signs: [], key };
            byUrn.set(ca.urn, a);
        }
        return a;
    };
    for (const r of resources.filter((x) => x.isType(tls.SelfSignedCert))) {
        if (gaps.read(`isCaCertificate of ${label(r)}`, () => r.props.isCaCertificate) === true) add(r);
    }
    for (const leaf of leaves(resources)) if (leaf.ca) add(leaf.ca).signs.push(leaf.cert);
    return [...byUrn.values()];
}

const subjectFields = ["commonName", "organization", "organizationalUnit", "country", "province", "locality", "postalCode", "streetAddresses", "serialNumber"];

/** A subject input as one comparable string ("commonName=broker"), or UNKNOWN / undefined (none). */
export function subjectOf(r: PolicyResource, gaps: PreviewGaps): string | typeof UNKNOWN | undefined {
    const s = gaps.read(`subject of ${label(r)}`, () => r.props.subject);
    if (s === UNKNOWN) return UNKNOWN;
    if (!isRecord(s)) return undefined;
    const parts: string[] = [];
    for (const f of subjectFields) {
        const v = gaps.read(`subject.${f} of ${label(r)}`, () => s[f]);
        if (v === UNKNOWN) return UNKNOWN;
        const text = Array.isArray(v) ? stringList(v).join(",") : typeof v === "string" ? v : "";
        if (text !== "") parts.push(`${f}=${text}`);
    }
    return parts.join(", ");
}

/**
 * The issued certificate, when known. Unknown at preview is not a gap: the inputs were judged,
 * and the stack policies see the issued certificate at the end of `up`.
 */
export function issued(r: PolicyResource): X509Certificate | undefined {
    let pem: unknown;
    try {
        pem = r.props.certPem;
    } catch {
        return undefined;
    }
    if (typeof pem !== "string" || !pem.includes("BEGIN CERTIFICATE")) return undefined;
    try {
        return new X509Certificate(pem);
    } catch {
        return undefined;
    }
}

/** allowedUses of a certificate; UNKNOWN at preview when computed. */
export function allowedUses(r: PolicyResource, gaps: PreviewGaps): string[] | typeof UNKNOWN {
    return gaps.read(`allowedUses of ${label(r)}`, () => stringList(r.props.allowedUses));
}
