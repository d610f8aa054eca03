/**
 * The TLS suites the broker offers: one allowlist, rendered into the conf (conf.ts) and enforced
 * by the policy pack (tlsListeners.ts). TLS 1.2: Mozilla's "intermediate" server profile without
 * DHE, i.e. ECDHE key exchange with AEAD ciphers only (no CBC, no SHA-1 MAC); TLS 1.3: the three
 * suites of Mozilla's "modern" profile. OpenSSL names, as mosquitto's `ciphers` and
 * `ciphers_tls1.3` take them.
 */
export const tls12Ciphers: readonly string[] = [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
];

export const tls13Ciphers: readonly string[] = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];

/** The suites of a `ciphers` value (colon-separated) that the allowlist lacks; [] when all are in it. */
export function outsideAllowlist(value: string, allowlist: readonly string[]): string[] {
    return value.split(":").filter((s) => s !== "" && !allowlist.includes(s));
}
