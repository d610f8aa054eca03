import * as command from "@pulumi/command";
import { composedScriptOf } from "../src/remote/compose";
import { readBrokerFiles } from "./brokerFiles";
import { resourcePolicy } from "./define";
import { UNKNOWN } from "./judge";

/** The program's host scripts that cannot change what mosquitto listens to or who may connect. */
export const harmlessScripts: readonly string[] = ["client-install", "client-remove", "client-checks", "refusal-checks", "broker-remove"];

/** How a command declares, in its triggers (visible in every preview), that its host is not the broker. */
export const notTheBrokerTrigger = "mqtt-lab:not-the-broker:";

/** Words that hint a script touches mosquitto: an extra net for the message, never the gate itself. */
const mosquittoHints = /mosquitto|conf\.d|\blistener\b|allow_anonymous|password_file|acl_file/;

/**
 * Mandatory, and closed by default: a remote command runs one of the program's own host scripts
 * (recognized whole: remote/*.sh composed by src/remote/compose.ts, nothing added), sends its
 * mosquitto conf where the listener rules judge it (the broker apply's header, or
 * environment.MQTTLAB_CONF), or declares in its triggers that its host is not the broker.
 * Anything else could rewrite mosquitto's conf in a way no rule reads (tee, stdin, a file copied
 * then moved), so it is refused, naming the resource and the fix. Judged before each resource is
 * created, at preview and at `pulumi up`.
 */
export const requireJudgedRemoteCommands = resourcePolicy("remote-commands-judged", command.remote.Command, {
    description:
        "Every remote command runs the program's own host scripts, sends its mosquitto conf where the pack judges it, or declares its host is not the broker.",
    defaultLevel: "mandatory",
    judge: (props, _args, report, { gaps, label }) => {
        const triggers = gaps.read(`the triggers of ${label}`, () => props.triggers);
        if (Array.isArray(triggers) && triggers.some((t) => typeof t === "string" && t.startsWith(notTheBrokerTrigger))) return;
        // The MQTTLAB_CONF convention: the conf travels where the listener rules read it.
        const carriesConf = readBrokerFiles(props, label, gaps).some((f) => f.source.startsWith("environment."));
        for (const field of ["create", "update", "delete"]) {
            const script = gaps.read(`${field} of ${label}`, () => props[field]);
            if (script === UNKNOWN || typeof script !== "string" || script === "") continue;
            const own = composedScriptOf(script);
            if (own === "broker-apply" || (own !== undefined && harmlessScripts.includes(own)) || carriesConf) continue;
            const hint = mosquittoHints.test(script) ? " (and it mentions mosquitto's files)" : "";
            report(
                `${label} runs, in ${field}, a script the policy pack cannot judge${hint}: it is not one of the program's host scripts (remote/*.sh, as src/remote/compose.ts sends them, nothing added), so on the broker it could change what mosquitto listens to. Send a mosquitto conf through the broker component (or in environment.MQTTLAB_CONF, where the listener rules judge it); for a host that is not the broker, add "${notTheBrokerTrigger} <why>" to its triggers.`,
            );
        }
    },
});
