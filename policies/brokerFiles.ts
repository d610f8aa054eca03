/**
 * Where the policies find the broker's files, in what a `command:remote:Command` sends:
 * - the program's broker component embeds them in its script as quoted heredocs
 *   (the header of remote/broker-apply.sh, src/remote/compose.ts), inside `bash -c '...'`, in `create` and `update`; an
 *   environment would depend on the SSH server's AcceptEnv, which drops unknown variables;
 * - the convention for other programs (and the seed fixture): `environment.MQTTLAB_CONF`
 *   holds the conf text and `environment.MQTTLAB_ACL` the ACL.
 * Both are rendered from config, so they are known at preview.
 */
import { basename } from "node:path";
import * as command from "@pulumi/command";
import { PolicyResource, ReportViolation, ResourceValidation, validateResourceOfType } from "@pulumi/policy";
import { brokerPaths } from "../src/mosquitto/conf";
import { unwrapBashC } from "../src/remote/compose";
import { embeddedFiles } from "../src/remote/hostScripts";
import { MosquittoConf, parseMosquittoConf } from "../src/mosquitto/parse";
import { isRecord, Maybe, PreviewGaps, resourceLabel, UNKNOWN } from "./judge";

export const confEnv = "MQTTLAB_CONF";
export const aclEnv = "MQTTLAB_ACL";
const confName = basename(brokerPaths.conf);
const aclName = basename(brokerPaths.aclFile);

/** The broker files one command sends one way. `acl` is undefined when that way sends no ACL. */
export interface BrokerFiles {
    /** Where the text is, for messages: "environment.MQTTLAB_CONF", "the script in create". */
    source: string;
    conf: Maybe<string>;
    acl?: Maybe<string>;
}

export { unwrapBashC } from "../src/remote/compose";

/**
 * Reads the broker files a remote command sends, every way it sends them ([] when it sends
 * none). What is unknown at preview and may carry a conf is a gap, returned as UNKNOWN.
 */
export function readBrokerFiles(props: Record<string, unknown>, label: string, gaps: PreviewGaps): BrokerFiles[] {
    const found: BrokerFiles[] = [];
    const env = gaps.read(`the environment of ${label} (it may carry ${confEnv})`, () => props.environment);
    if (env === UNKNOWN) found.push({ source: "environment", conf: UNKNOWN, acl: UNKNOWN });
    else if (isRecord(env) && confEnv in env) {
        const text = (key: string): Maybe<string> => {
            const v = gaps.read(`environment.${key} of ${label}`, () => env[key]);
            return v === UNKNOWN || typeof v === "string" ? v : String(v ?? "");
        };
        found.push({ source: `environment.${confEnv}`, conf: text(confEnv), acl: aclEnv in env ? text(aclEnv) : undefined });
    }
    for (const field of ["create", "update"]) {
        const script = gaps.read(`${field} of ${label} (it may embed a mosquitto conf)`, () => props[field]);
        if (script === UNKNOWN) {
            found.push({ source: `the script in ${field}`, conf: UNKNOWN, acl: UNKNOWN });
        } else if (typeof script === "string") {
            const files = embeddedFiles(unwrapBashC(script));
            if (files[confName] === undefined) continue;
            const dup = found.some((f) => f.conf === files[confName] && f.acl === files[aclName]);
            if (!dup) found.push({ source: `the script in ${field}`, conf: files[confName], acl: files[aclName] });
        }
    }
    return found;
}

/** The remote commands of a stack that send a mosquitto conf (or may: unknown at preview). */
export function brokerCommands(resources: PolicyResource[], gaps: PreviewGaps): PolicyResource[] {
    return resources.filter((r) => r.isType(command.remote.Command) && readBrokerFiles(r.props, `${r.type} "${r.name}"`, gaps).length > 0);
}

/**
 * The skeleton every conf rule shares: for each remote command, each set of broker files it
 * sends whose conf is known, parse the conf and hand it to `judge`; what is still unknown at
 * preview is reported once, as "could not be judged".
 */
export function validateSentConfs(judge: (conf: MosquittoConf, files: BrokerFiles, label: string, report: ReportViolation) => void): ResourceValidation {
    return validateResourceOfType(command.remote.Command, (props, args, report) => {
        const gaps = new PreviewGaps();
        const label = resourceLabel(args.type, args.name);
        for (const files of readBrokerFiles(props as Record<string, unknown>, label, gaps)) {
            if (files.conf === UNKNOWN) continue;
            judge(parseMosquittoConf(files.conf), files, label, report);
        }
        gaps.finish(report);
    });
}
