/**
 * Which certificates the lab CA's CRL lists, from what was issued before (kept in state) and what
 * config declares now. Pure: the CRL resource (src/pki/crl.ts) runs it at every diff and update.
 *
 * - an identity marked `revoked: true`: every certificate it was issued;
 * - an identity removed from config: the same (its key may still be somewhere);
 * - a leaf superseded by a rotation (same identity, new certificate): NOT revoked. A rotation is
 *   renewal, not a response to a compromise: `up` replaces the files on the hosts, and revoking the
 *   old leaf would lock out a client host not updated yet (unreachable during the `up`). A key
 *   thought stolen is what `revoked: true` (and a new identity name) is for.
 * Once revoked, a serial stays listed until it expires (a CRL entry is not taken back).
 */

/** A leaf certificate as the CRL resource remembers it. */
export interface LeafSeen {
    /** Hex, upper case, as openssl prints it. */
    serial: string;
    /** The identity (the CN), or "broker" for the server certificate. */
    name: string;
    subject: string;
    /** ISO 8601. */
    notAfter: string;
}

export type RevocationReason = "revoked-in-config" | "removed-from-config";

export interface RevokedLeaf extends LeafSeen {
    reason: RevocationReason;
    /** ISO 8601: when the lab first listed it. */
    revokedAt: string;
}

export interface RevocationState {
    /** Every leaf this CA issued that has not expired, so that a removed identity can be revoked. */
    issued: LeafSeen[];
    revoked: RevokedLeaf[];
}

export interface DeclaredLeaves {
    /** The identities (and "broker") that connect, whichever CA signs them now. */
    activeNames: string[];
    /** Their leaves this CA signs (none for a CA kept only during a rotation). */
    active: LeafSeen[];
    /** Leaves of the identities marked `revoked: true`. */
    revoked: LeafSeen[];
}

/** openssl's reason names, as `openssl ca` writes them in its index. */
export const opensslReason: Record<RevocationReason, string> = {
    "revoked-in-config": "unspecified",
    "removed-from-config": "cessationOfOperation",
};

const unexpired = (now: Date) => (l: LeafSeen) => Date.parse(l.notAfter) > now.getTime();

/** The next state, or the problems that stop it (a revoked certificate declared active again). */
export function nextRevocations(old: RevocationState | undefined, declared: DeclaredLeaves, now: Date): { state: RevocationState; problems: string[] } {
    const bySerial = new Map<string, LeafSeen>();
    for (const l of [...(old?.issued ?? []), ...declared.active, ...declared.revoked]) bySerial.set(l.serial, l);
    const issued = [...bySerial.values()].filter(unexpired(now)).sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
    const activeNames = new Set(declared.activeNames);
    const revokedNames = new Set(declared.revoked.map((l) => l.name));
    const revoked = new Map<string, RevokedLeaf>();
    for (const r of old?.revoked ?? []) if (unexpired(now)(r)) revoked.set(r.serial, r);
    for (const l of issued) {
        if (revoked.has(l.serial)) continue;
        const reason: RevocationReason | undefined = revokedNames.has(l.name)
            ? "revoked-in-config"
            : activeNames.has(l.name)
              ? undefined
              : "removed-from-config";
        if (reason) revoked.set(l.serial, { ...l, reason, revokedAt: now.toISOString() });
    }
    const problems = declared.active
        .filter((l) => revoked.has(l.serial))
        .map(
            (l) =>
                `${l.name}: its certificate (serial ${l.serial}) was revoked, and a revoked certificate cannot come back; bump [mqtt-lab:pki.leafRotation] to issue it a new one, or keep it revoked.`,
        );
    return { state: { issued, revoked: [...revoked.values()].sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0)) }, problems };
}

/** The CRL's nextUpdate: no earlier than the latest expiry of the CA and of every leaf it issued. */
export function crlNextUpdate(caNotAfter: string, issued: readonly LeafSeen[]): string {
    const latest = Math.max(Date.parse(caNotAfter), ...issued.map((l) => Date.parse(l.notAfter)));
    return new Date(latest).toISOString();
}

/** ISO 8601 to the GeneralizedTime `openssl ca` takes (YYYYMMDDHHMMSSZ). */
export function opensslTime(iso: string): string {
    return new Date(iso)
        .toISOString()
        .replace(/[-:T]/g, "")
        .replace(/\.\d+Z$/, "Z");
}

/** ISO 8601 to UTCTime (YYMMDDHHMMSSZ), what `openssl ca` reads in its index (until 2049; GeneralizedTime after). */
export function indexTime(iso: string): string {
    const t = opensslTime(iso);
    return t.startsWith("20") && Number(t.slice(0, 4)) < 2050 ? t.slice(2) : t;
}

/** revoked.txt for remote/crl.sh: serial, notAfter, revocation time, reason, subject. */
export function renderRevokedList(revoked: readonly RevokedLeaf[]): string {
    return revoked.map((r) => `${r.serial} ${indexTime(r.notAfter)} ${indexTime(r.revokedAt)} ${opensslReason[r.reason]} ${r.subject}\n`).join("");
}

/** Whether the CRL must be signed again: what it lists, or its CA, changed. */
export function crlNeedsSigning(
    old: { caCertPem: string; revoked: readonly RevokedLeaf[]; nextUpdate: string },
    next: { caCertPem: string; revoked: readonly RevokedLeaf[]; nextUpdate: string },
): boolean {
    const serials = (r: readonly RevokedLeaf[]) => r.map((x) => x.serial).join(",");
    return old.caCertPem !== next.caCertPem || serials(old.revoked) !== serials(next.revoked) || Date.parse(next.nextUpdate) > Date.parse(old.nextUpdate);
}
