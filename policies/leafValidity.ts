import * as tls from "@pulumi/tls";
import { defaults } from "../src/config/labConfig";
import { resourcePolicy } from "./define";
import { configKey, PolicyOptions, UNKNOWN } from "./judge";

export interface LeafValidityOptions extends PolicyOptions {
    /** Default of the `maxLeafValidityHours` policy config. @default 9552 (398 days, what browsers accept) */
    readonly maxLeafValidityHours?: number;
}

/** Mandatory: no leaf certificate is valid longer than the configured maximum. */
export const requireLeafValidityWithinMax = resourcePolicy<LeafValidityOptions>("leaf-certificate-validity-within-max", tls.LocallySignedCert, {
    description: "Leaf certificates are valid no longer than maxLeafValidityHours (default 398 days).",
    defaultLevel: "mandatory",
    threshold: {
        key: "maxLeafValidityHours",
        minimum: 1,
        default: defaults.maxLeafValidityHours,
        description: "Longest validity of a leaf certificate, in hours.",
    },
    judge: (props, _args, report, { gaps, label, threshold: max }) => {
        const hours = gaps.read(`validityPeriodHours of ${label}`, () => props.validityPeriodHours);
        if (hours !== UNKNOWN && typeof hours === "number" && hours > max) {
            report(
                `${label} is valid for ${hours} hours (${Math.round(hours / 24)} days), more than the maximum of ${max} hours (${Math.round(max / 24)} days): a leaked key stays usable that long. Lower ${configKey("pki.leafValidityHours")}; config validation holds it to ${configKey("maxLeafValidityHours")}.`,
            );
        }
    },
});
