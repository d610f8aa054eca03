/**
 * The lab report's host scripts (remote/report-client.sh, remote/report-broker.sh,
 * remote/unknown-ca.sh), composed with their data: what `npm run report` runs over SSH on the
 * lab's hosts, and in a throw-away container for the seed's `unknown ca`.
 */
import { brokerPaths } from "../mosquitto/conf";
import { checkTopic, topicMatches } from "./checkScripts";
import { composeScript } from "./compose";
import { asUserScript, clientDir } from "./hostScripts";
import * as path from "node:path";

/** The seed's publish: `mosquitto_pub -h 192.168.56.101 -m hello -t "cheese/strudel"`. */
export const seedTopic = "cheese/strudel";

/**
 * The topic of the TLS leg: the seed's, when the identity's ACL allows it; else the identity's
 * own check topic (its first pattern, wildcards filled in), which the broker does accept.
 */
export function tlsLegTopic(patterns: readonly string[]): string {
    return patterns.some((p) => topicMatches(p, seedTopic)) ? seedTopic : checkTopic(patterns, "report");
}

export interface ReportClientOptions {
    brokerAddress: string;
    tlsPort: number;
    /** undefined: the teaching listener is off, no plaintext leg. */
    teachingPort?: number;
    teachingUser: string;
    identity: string;
    /** The identity's topic patterns (its ACL). */
    topics: readonly string[];
    payload: string;
    /** "sudo" when the SSH user is not root. */
    asRoot: boolean;
}

/** The client host's measurements and captures (remote/report-client.sh), as the SSH user. */
export function reportClientScript(o: ReportClientOptions): string {
    return asUserScript(
        composeScript("report-client", {
            BROKER: o.brokerAddress,
            TLS_PORT: o.tlsPort,
            PLAIN_PORT: o.teachingPort ?? "",
            TEACHING_USER: o.teachingUser,
            CLIENTS_DIR: path.dirname(clientDir("x")),
            IDENTITY: o.identity,
            TLS_TOPIC: tlsLegTopic(o.topics),
            PLAIN_TOPIC: seedTopic,
            PAYLOAD: o.payload,
            VERIFY_NAME: /^[0-9.]+$/.test(o.brokerAddress) ? "-verify_ip" : "-verify_hostname",
            AS_ROOT: o.asRoot ? "sudo" : "none",
        }),
    );
}

/** The lab's files on the broker whose modes the report shows (its CAs are in the hashed directory, caPath). */
export const reportedBrokerFiles: readonly string[] = [
    brokerPaths.dir,
    brokerPaths.conf,
    brokerPaths.caPath,
    brokerPaths.certFile,
    brokerPaths.keyFile,
    brokerPaths.crlFile,
    brokerPaths.aclFile,
    brokerPaths.passwordFile,
];

/** The broker host's versions, listening ports and file modes (remote/report-broker.sh); it only reads. */
export function reportBrokerScript(o: { asRoot: boolean }): string {
    return asUserScript(composeScript("report-broker", { AS_ROOT: o.asRoot ? "sudo" : "none" }, { FILES: reportedBrokerFiles.join("\n") + "\n" }));
}

/** The seed's `unknown ca` on a throw-away broker (remote/unknown-ca.sh), for `bash -s` in a container with no network. */
export function unknownCaScript(firstPort = 8883): string {
    return composeScript("unknown-ca", { FIRST_PORT: firstPort });
}
