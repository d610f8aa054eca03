import { describeListener } from "../src/mosquitto/parse";
import { confPolicy } from "./define";
import { configKey } from "./judge";

/**
 * Mandatory: no mosquitto listener without TLS lets anonymous clients in. Judged on the conf text
 * the program sends (brokerFiles.ts: embedded in the script, or `environment.MQTTLAB_CONF`), parsed the way mosquitto 2.0 reads it, so
 * `per_listener_settings` decides whether an `allow_anonymous true` anywhere reaches a listener.
 * A conf mosquitto would refuse is reported too: its listeners cannot be judged with certainty.
 */
export const requireNoAnonymousPlaintextListener = confPolicy("mosquitto-no-anonymous-plaintext", {
    description: "No mosquitto listener without TLS lets anonymous clients in.",
    defaultLevel: "mandatory",
    judge: (conf, files, label, report) => {
        for (const problem of conf.problems) {
            report(
                `${label} sends, in ${files.source}, a mosquitto conf that mosquitto refuses to start with: ${problem} Only renderBrokerConf (src/mosquitto/conf.ts) should write this conf.`,
            );
        }
        for (const l of conf.listeners.filter((x) => !x.tls && x.allowAnonymous && !x.localOnly)) {
            const scope =
                l.securityScope === "global"
                    ? "allow_anonymous true is global there, because per_listener_settings is false"
                    : "allow_anonymous true is set on that listener";
            report(
                `${label} sends, in ${files.source}, a mosquitto conf whose ${describeListener(l)} lets anonymous clients in without TLS (${scope}): ` +
                    `anyone who reaches port ${l.port} can publish, subscribe and read every message in clear text. ` +
                    `renderBrokerConf never writes this; the only plaintext listener it renders is the teaching listener, which requires a password. ` +
                    `Disable it with ${configKey("teachingListener.enabled")} = false, or render the conf from config instead of writing it by hand.`,
            );
        }
    },
});
