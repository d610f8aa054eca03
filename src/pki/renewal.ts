/** Pure helpers for certificate lifetimes. */

/**
 * The renewal epoch: which renewal window "now" falls in. It changes every
 * (validity - earlyRenewal) hours, and whenever the validity is bumped, so feeding it into the
 * names of the leaf resources makes the program renew keys and certificates itself: the tls
 * provider never does (pulumi-tls #39, `readyForRenewal` stays false).
 */
export function renewalEpoch(nowMs: number, validityHours: number, earlyRenewalHours: number): number {
    const window = Math.max(1, validityHours - earlyRenewalHours);
    return Math.floor(nowMs / 3_600_000 / window);
}

/** The suffix that names one generation of leaf material: rotation counter, window, validity. */
export function leafGeneration(rotation: number, epoch: number, validityHours: number): string {
    return `r${rotation}-e${epoch}-v${validityHours}`;
}

/** The CA's subject names its generation, so a new CA never shares a subject with the old one. */
export function caCommonName(labName: string, generation: number): string {
    return `${labName} CA generation ${generation}`;
}
