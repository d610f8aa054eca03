import * as command from "@pulumi/command";
import { resourcePolicy } from "./define";
import { isRecord, UNKNOWN } from "./judge";

/** Switches that turn TLS or SSH verification off, with what each does. */
export const verificationBypasses: readonly { pattern: RegExp; what: string }[] = [
    { pattern: /(^|[\s"'=])--insecure\b/, what: "--insecure (mosquitto_pub/sub then skip the check of the server's host name; curl accepts any certificate)" },
    { pattern: /StrictHostKeyChecking\s*[=\s]\s*["']?(no|off)\b/i, what: "StrictHostKeyChecking no (ssh then accepts any host key)" },
    {
        pattern: /StrictHostKeyChecking\s*[=\s]\s*["']?accept-new\b/i,
        what: "StrictHostKeyChecking accept-new (ssh then trusts whatever key a new host shows first)",
    },
    { pattern: /UserKnownHostsFile\s*[=\s]\s*["']?\/dev\/null/i, what: "UserKnownHostsFile=/dev/null (ssh then forgets every host key it sees)" },
    { pattern: /rejectUnauthorized["']?\s*:\s*false/, what: "rejectUnauthorized: false (Node.js then accepts any certificate)" },
    { pattern: /NODE_TLS_REJECT_UNAUTHORIZED\s*=\s*["']?0/, what: "NODE_TLS_REJECT_UNAUTHORIZED=0 (Node.js then accepts any certificate)" },
    { pattern: /\bcurl\b[^\n;&|]*?\s-(?!-)[A-Za-z]*k[A-Za-z]*(?=\s|$)/, what: "curl -k (curl then accepts any server certificate)" },
    { pattern: /--no-check-certificate\b/, what: "--no-check-certificate (wget then accepts any server certificate)" },
    { pattern: /\btls_insecure\s+true\b/, what: "tls_insecure true (mosquitto then skips the host name check)" },
];

/** The bypasses found in a text, by description. */
export function findBypasses(text: string): string[] {
    return verificationBypasses.filter((b) => b.pattern.test(text)).map((b) => b.what);
}

/**
 * Mandatory: no command switches TLS or SSH verification off. Looks at what pulumi-command runs
 * (create, update, delete), at the environment it passes, and at its stdin, where a script may
 * travel too (`bash -s`); the program's own stdin is a bundle of certificates, unknown at
 * preview and read as data.
 */
export const requireNoVerificationBypass = resourcePolicy("no-verification-bypass", [command.remote.Command, command.local.Command], {
    description: "No command disables TLS or SSH verification (--insecure, StrictHostKeyChecking=no, curl -k, ...).",
    defaultLevel: "mandatory",
    judge: (props, _args, report, { gaps, label }) => {
        const texts: { field: string; text: string }[] = [];
        for (const field of ["create", "update", "delete", "stdin"]) {
            const v = gaps.read(`${field} of ${label}`, () => props[field]);
            if (v !== UNKNOWN && typeof v === "string") texts.push({ field, text: v });
        }
        const env = gaps.read(`the environment of ${label}`, () => props.environment);
        if (env !== UNKNOWN && isRecord(env)) {
            for (const key of Object.keys(env)) {
                const v = gaps.read(`environment.${key} of ${label}`, () => env[key]);
                if (v !== UNKNOWN && typeof v === "string") texts.push({ field: `environment.${key}`, text: v });
            }
        }
        for (const { field, text } of texts) {
            for (const what of findBypasses(text)) {
                report(
                    `${label} switches verification off in ${field}: ${what}. No config key enables this; trust the lab's own material instead (mosquitto_pub --cafile with the lab CA, the pinned SSH host key, curl --cacert).`,
                );
            }
        }
    },
});
