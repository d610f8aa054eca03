import { describeListener, matchesAllTopics, parseMosquittoAcl } from "../src/mosquitto/parse";
import { aclEnv } from "./brokerFiles";
import { confPolicy } from "./define";
import { configKey, UNKNOWN } from "./judge";

/**
 * Advisory: an ACL limits the topics of every network listener, and no ACL line grants all
 * topics (`#`, or `+/#` and the like) to anyone. Judged on the conf the program sends (which
 * listeners have an `acl_file`, modelling `per_listener_settings`) and the ACL sent with it.
 */
export const requireTopicLimitingAcl = confPolicy("mosquitto-acl-limits-topics", {
    description: "Warns when no ACL limits topics, or an ACL grants all topics (#) to anyone.",
    defaultLevel: "advisory",
    judge: (conf, files, label, report) => {
        const network = conf.listeners.filter((l) => !l.localOnly);
        const bare = network.filter((l) => !l.aclFile);
        if (bare.length > 0 && !conf.perListenerSettings) {
            report(
                `${label} sends, in ${files.source}, a mosquitto conf without acl_file (global, as per_listener_settings is false): every client that gets in may use every topic. The program renders one from ${configKey("clients")}; send that conf.`,
            );
        } else {
            for (const l of bare) {
                report(
                    `${label} sends, in ${files.source}, a mosquitto conf whose ${describeListener(l)} has no acl_file: every client that gets in there may use every topic. The program renders one from ${configKey("clients")}; send that conf.`,
                );
            }
        }
        if (network.some((l) => l.aclFile) && files.acl === undefined) {
            report(
                `${label} sends, in ${files.source}, a mosquitto conf with an acl_file but not the ACL itself (an embedded acl file or environment.${aclEnv}), so which topics it grants cannot be checked. The broker component sends both; keep them together.`,
            );
        }
        if (files.acl !== undefined && files.acl !== UNKNOWN) {
            const acl = parseMosquittoAcl(files.acl);
            for (const p of acl.problems) report(`${label} sends, in ${files.source}, an ACL that mosquitto rejects: ${p}`);
            for (const r of acl.rules.filter((x) => x.access !== "deny" && matchesAllTopics(x.filter))) {
                const who =
                    r.kind === "pattern"
                        ? "every client (a pattern line)"
                        : r.user
                          ? `user "${r.user}"`
                          : "anonymous clients (a topic line before any user line)";
                report(
                    `${label} sends, in ${files.source}, an ACL whose line ${r.line} grants ${who} ${r.access} access to "${r.filter}", which is every topic. Give each identity its own topics in ${configKey("clients")}, such as ["lab/<name>/#"].`,
                );
            }
        }
    },
});
