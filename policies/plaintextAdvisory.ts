import { describeListener } from "../src/mosquitto/parse";
import { confPolicy } from "./define";
import { configKey } from "./judge";

/**
 * Advisory: any listener without TLS at all, even one that requires a password (the teaching
 * listener): user names, passwords and messages cross the network in clear text.
 */
export const requireTlsOnlyListeners = confPolicy("mosquitto-plaintext-listener", {
    description: "Warns about any mosquitto listener without TLS.",
    defaultLevel: "advisory",
    judge: (conf, files, label, report) => {
        for (const l of conf.listeners.filter((x) => !x.tls)) {
            const why = conf.localOnlyMode
                ? "mosquitto 2.0 then listens on loopback only, without TLS, and lets anonymous clients in"
                : "user names, passwords and messages cross the network in clear text (tshark shows them)";
            report(
                `${label} sends, in ${files.source}, a mosquitto conf with a plaintext ${describeListener(l)}: ${why}. When the lesson that needs it is over, set ${configKey("teachingListener.enabled")} to false.`,
            );
        }
    },
});
