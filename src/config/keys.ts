/**
 * Every `mqtt-lab:*` key the program reads, and the check that refuses any other one: a typo
 * (`mqtt-lab:tlsPrt`) would otherwise be accepted and silently ignored, leaving the default on.
 */
import { ns } from "./labConfig";

/** Plain keys, read with `config.get` (declared in Pulumi.yaml with their defaults). */
export const plainKeys = [
    "hostSource",
    "subnet",
    "brokerAddress",
    "clientAddress",
    "brokerDnsName",
    "sshUser",
    "sshPort",
    "image",
    "tlsPort",
    "tlsVersion",
    "takeOverConfFiles",
    "minCertDaysLeft",
    "maxLeafValidityHours",
    "labName",
] as const;

/** Structured keys, read with `config.getObject` (described in Pulumi.yaml's comment). */
export const objectKeys = ["pki", "clients", "teachingListener"] as const;

/** Keys read apart from the rest: SSH settings of existing hosts, secrets, the test label. */
export const otherKeys = ["sshPrivateKey", "sshPrivateKeyPath", "brokerHostKey", "clientHostKey", "teachingPassword", "runId"] as const;

export const knownKeys: readonly string[] = [...plainKeys, ...objectKeys, ...otherKeys];

/** Levenshtein distance, case-insensitive: `tlsprt` is one edit from `tlsport`. */
export function editDistance(a: string, b: string): number {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
    for (let i = 1; i <= x.length; i++) {
        const cur = [i];
        for (let j = 1; j <= y.length; j++) {
            cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
        }
        prev = cur;
    }
    return prev[y.length];
}

/** The known key closest to `key` (the first of equals, in declaration order). */
export function nearestKey(key: string): string {
    let best = knownKeys[0];
    for (const k of knownKeys) if (editDistance(key, k) < editDistance(key, best)) best = k;
    return best;
}

/**
 * One problem per `mqtt-lab:*` key that the program does not read, naming the nearest valid key.
 * `setKeys` are full keys as Pulumi reports them (`pulumi.runtime.allConfig()`): other
 * namespaces (`docker:host`, `pulumi:…`) belong to others and are left alone.
 */
export function unknownKeyProblems(setKeys: readonly string[]): string[] {
    const problems: string[] = [];
    for (const full of setKeys) {
        if (!full.startsWith(`${ns}:`)) continue;
        const key = full.slice(ns.length + 1);
        if (knownKeys.includes(key)) continue;
        const near = nearestKey(key);
        problems.push(
            `[${full}] is not a setting of this program: did you mean [${ns}:${near}]? Remove it with \`pulumi config rm ${full}\` (every key is in Pulumi.yaml).`,
        );
    }
    return problems;
}
