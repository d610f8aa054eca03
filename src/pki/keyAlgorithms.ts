/**
 * The one allow-list of X.509 key types, shared by config validation and the policy pack,
 * so that what the program accepts and what CI enforces can never drift apart.
 * (SSH keys are a different matter: they are judged by the hosts component.)
 */

/** Key algorithms as the tls provider names them. */
export const keyAlgorithms = ["RSA", "ECDSA", "ED25519"] as const;
export type KeyAlgorithm = (typeof keyAlgorithms)[number];

/** Smallest RSA modulus we accept: below 2048 bits is breakable by well-funded adversaries. */
export const minRsaBits = 2048;
/** Largest RSA modulus we accept: beyond it handshakes get slow for no practical gain. */
export const maxRsaBits = 8192;

/** ECDSA curves we accept, as the tls provider names them. P224 is too weak; P521 is not in every client. */
export const ecdsaCurves = ["P256", "P384"] as const;
export type EcdsaCurve = (typeof ecdsaCurves)[number];

/** A key as described by config or by a tls provider resource's inputs. */
export interface KeySpec {
    algorithm: string;
    rsaBits?: number;
    ecdsaCurve?: string;
}

/**
 * Returns why a key spec is not allowed, or undefined when it is. The text says what is allowed,
 * so callers can prefix it with the config key or resource that carries the spec.
 */
export function judgeKeySpec(spec: KeySpec): string | undefined {
    const algorithm = spec.algorithm;
    if (!(keyAlgorithms as readonly string[]).includes(algorithm)) {
        return `algorithm "${algorithm}" is not allowed; use one of ${keyAlgorithms.join(", ")}`;
    }
    if (algorithm === "RSA") {
        const bits = spec.rsaBits ?? 2048; // the tls provider's default
        if (!Number.isInteger(bits) || bits < minRsaBits || bits > maxRsaBits || bits % 8 !== 0) {
            return `RSA key of ${bits} bits is not allowed; use a multiple of 8 from ${minRsaBits} to ${maxRsaBits} (2048, 3072 or 4096)`;
        }
    }
    if (algorithm === "ECDSA") {
        const curve = spec.ecdsaCurve ?? "P224"; // the tls provider's default, which we refuse
        if (!(ecdsaCurves as readonly string[]).includes(curve)) {
            return `ECDSA curve "${curve}" is not allowed; use one of ${ecdsaCurves.join(", ")}`;
        }
    }
    return undefined;
}

/**
 * Judges a key as node:crypto sees it in a certificate (`X509Certificate.publicKey`), for checks
 * on the certificates that were really issued.
 */
export function judgeKeyObject(key: {
    asymmetricKeyType?: string;
    asymmetricKeyDetails?: { modulusLength?: number; namedCurve?: string };
}): string | undefined {
    switch (key.asymmetricKeyType) {
        case "rsa":
            return judgeKeySpec({ algorithm: "RSA", rsaBits: key.asymmetricKeyDetails?.modulusLength ?? 0 }); // unknown size: refuse
        case "ec": {
            const named = key.asymmetricKeyDetails?.namedCurve;
            const curve = named === "prime256v1" ? "P256" : named === "secp384r1" ? "P384" : (named ?? "unknown");
            return judgeKeySpec({ algorithm: "ECDSA", ecdsaCurve: curve });
        }
        case "ed25519":
            return undefined;
        default:
            return `key type "${key.asymmetricKeyType}" is not allowed; use one of ${keyAlgorithms.join(", ")}`;
    }
}
