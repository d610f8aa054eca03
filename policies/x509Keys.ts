import * as tls from "@pulumi/tls";
import { judgeKeySpec } from "../src/pki/keyAlgorithms";
import { resourcePolicy } from "./define";
import { configKey, PreviewGaps, UNKNOWN } from "./judge";

/**
 * SSH keys are tls PrivateKeys too (container host keys, the SSH client key): the program names
 * them with "ssh" (src/components/hosts.ts), and they are not X.509 keys, so the X.509 allow-list
 * does not apply to them. A key that a certificate is made from is judged whatever its name:
 * the certificate rules check the key behind every CA and CSR (`keyBehindCertificate` below).
 */
export function isSshKeyName(name: string): boolean {
    return /ssh/i.test(name);
}

/** The config key that fixes a key spec, by algorithm. */
export function keyConfigKey(algorithm: string): string {
    return configKey(algorithm === "RSA" ? "pki.rsaBits" : algorithm === "ECDSA" ? "pki.ecdsaCurve" : "pki.algorithm");
}

/** The config key that fixes a key node:crypto found in an issued certificate. */
export function keyObjectConfigKey(asymmetricKeyType: string | undefined): string {
    return keyConfigKey(asymmetricKeyType === "rsa" ? "RSA" : asymmetricKeyType === "ec" ? "ECDSA" : "other");
}

/**
 * Judges a tls PrivateKey's properties with THE allow-list (src/pki/keyAlgorithms.ts, shared with
 * config validation). Returns a full sentence, or undefined when the key is allowed or unknown.
 */
export function judgePrivateKeyProps(props: Record<string, unknown>, label: string, gaps: PreviewGaps): string | undefined {
    const algorithm = gaps.read(`algorithm of ${label}`, () => props.algorithm);
    const rsaBits = gaps.read(`rsaBits of ${label}`, () => props.rsaBits);
    const ecdsaCurve = gaps.read(`ecdsaCurve of ${label}`, () => props.ecdsaCurve);
    if (algorithm === UNKNOWN || rsaBits === UNKNOWN || ecdsaCurve === UNKNOWN) return undefined;
    const spec = {
        algorithm: String(algorithm ?? ""),
        rsaBits: typeof rsaBits === "number" ? rsaBits : undefined,
        ecdsaCurve: typeof ecdsaCurve === "string" ? ecdsaCurve : undefined,
    };
    const why = judgeKeySpec(spec);
    if (!why) return undefined;
    return `${label} is not an allowed X.509 key: ${why}. Set ${keyConfigKey(spec.algorithm)}; the allow-list (src/pki/keyAlgorithms.ts) is the one config validation uses.`;
}

/** Mandatory: every X.509 key is RSA of 2048 bits or more, ECDSA P-256/P-384, or Ed25519. */
export const requireAllowedX509Keys = resourcePolicy("x509-key-allowed", tls.PrivateKey, {
    description: "X.509 keys are RSA of 2048 bits or more, ECDSA P-256 or P-384, or Ed25519.",
    defaultLevel: "mandatory",
    judge: (props, args, report, { gaps, label }) => {
        if (isSshKeyName(args.name)) {
            args.notApplicable(`"${args.name}" is an SSH key (its name contains "ssh"), not an X.509 key.`);
        }
        const why = judgePrivateKeyProps(props, label, gaps);
        if (why) report(why);
    },
});
