import { ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import * as tls from "@pulumi/tls";
import { defaults } from "../src/config/labConfig";
import { configKey, PolicyOptions, PreviewGaps, resourceLabel, UNKNOWN } from "./judge";

export interface LeafValidityOptions extends PolicyOptions {
    /** Default of the `maxLeafValidityHours` policy config. @default 9552 (398 days, what browsers accept) */
    readonly maxLeafValidityHours?: number;
}

/** Mandatory: no leaf certificate is valid longer than the configured maximum. */
export function requireLeafValidityWithinMax(opts: LeafValidityOptions = {}): ResourceValidationPolicy {
    const fallback = opts.maxLeafValidityHours ?? defaults.maxLeafValidityHours;
    return {
        name: "leaf-certificate-validity-within-max",
        description: "Leaf certificates are valid no longer than maxLeafValidityHours (default 398 days).",
        enforcementLevel: opts.enforcementLevel ?? "mandatory",
        configSchema: {
            properties: {
                maxLeafValidityHours: { type: "integer", minimum: 1, default: fallback, description: "Longest validity of a leaf certificate, in hours." },
            },
        },
        validateResource: validateResourceOfType(tls.LocallySignedCert, (props, args, report) => {
            const max = args.getConfig<{ maxLeafValidityHours?: number }>().maxLeafValidityHours ?? fallback;
            const gaps = new PreviewGaps();
            const label = resourceLabel(args.type, args.name);
            const hours = gaps.read(`validityPeriodHours of ${label}`, () => props.validityPeriodHours);
            if (hours !== UNKNOWN && typeof hours === "number" && hours > max) {
                report(
                    `${label} is valid for ${hours} hours (${Math.round(hours / 24)} days), more than the maximum of ${max} hours (${Math.round(max / 24)} days): a leaked key stays usable that long. Lower ${configKey("pki.leafValidityHours")}; config validation holds it to ${configKey("maxLeafValidityHours")}.`,
                );
            }
            gaps.finish(report);
        }),
    };
}
