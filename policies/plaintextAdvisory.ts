import * as command from "@pulumi/command";
import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { describeListener, parseMosquittoConf } from "../lib/mosquittoParse";
import { readBrokerFiles } from "./brokerFiles";
import { configKey, PolicyOptions, PreviewGaps, resourceLabel, UNKNOWN } from "./judge";

/**
 * Advisory: any listener without TLS at all, even one that requires a password (the teaching
 * listener): user names, passwords and messages cross the network in clear text.
 */
export function requireTlsOnlyListeners(opts: PolicyOptions = {}): ResourceValidationPolicy {
    return {
        name: "mosquitto-plaintext-listener",
        description: "Warns about any mosquitto listener without TLS.",
        enforcementLevel: opts.enforcementLevel ?? "advisory",
        validateResource: validateResourceOfType(command.remote.Command, (props, args, report) => {
            const gaps = new PreviewGaps();
            const label = resourceLabel(args.type, args.name);
            for (const files of readBrokerFiles(props as Record<string, unknown>, label, gaps)) {
                if (files.conf === UNKNOWN) continue;
                const conf = parseMosquittoConf(files.conf);
                for (const l of conf.listeners.filter((x) => !x.tls)) {
                    const why = conf.localOnlyMode
                        ? "mosquitto 2.0 then listens on loopback only, without TLS, and lets anonymous clients in"
                        : "user names, passwords and messages cross the network in clear text (tshark shows them)";
                    report(`${label} sends, in ${files.source}, a mosquitto conf with a plaintext ${describeListener(l)}: ${why}. When the lesson that needs it is over, set ${configKey("teachingListener.enabled")} to false.`);
                }
            }
            gaps.finish(report);
        }),
    };
}
