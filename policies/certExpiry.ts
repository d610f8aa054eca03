import * as tls from "@pulumi/tls";
import { defaults } from "../src/config/labConfig";
import { issued, label } from "./certGraph";
import { stackPolicy } from "./define";
import { configKey, PolicyOptions, UNKNOWN } from "./judge";

export interface CertExpiryOptions extends PolicyOptions {
    /** Default of the `minDaysLeft` policy config. @default 7 */
    readonly minDaysLeft?: number;
    /** The clock, for tests. @default Date.now */
    readonly now?: () => number;
}

const day = 86_400_000;

/**
 * Advisory: certificates close to expiry. An issued certificate is judged by its notAfter; one
 * not issued yet (preview) by its validityPeriodHours, which must leave more than minDaysLeft.
 * The tls provider never renews by itself (pulumi-tls #39): the program's rotation keys do.
 */
export const requireCertificatesFarFromExpiry = stackPolicy<CertExpiryOptions>("certificate-not-near-expiry", {
    description: "Warns about certificates with fewer than minDaysLeft days of validity left.",
    defaultLevel: "advisory",
    threshold: { key: "minDaysLeft", minimum: 0, default: defaults.minCertDaysLeft, description: "Warn when a certificate has fewer days left than this." },
    judge: (args, report, { gaps, opts, threshold: minDays }) => {
        const now = opts.now ?? Date.now;
        for (const r of args.resources.filter((x) => x.isType(tls.SelfSignedCert) || x.isType(tls.LocallySignedCert))) {
            const isCa = r.isType(tls.SelfSignedCert);
            const fix = isCa
                ? `bump ${configKey("pki.caGeneration")} to issue a new CA (and raise ${configKey("pki.caValidityHours")} if it is too short)`
                : `bump ${configKey("pki.leafRotation")} to reissue it (and raise ${configKey("pki.leafValidityHours")} if it is too short)`;
            const x509 = issued(r);
            if (x509) {
                const left = (Date.parse(x509.validTo) - now()) / day;
                if (left < minDays) {
                    const when = left < 0 ? `expired ${Math.ceil(-left)} days ago` : `expires in ${Math.floor(left)} days`;
                    report(
                        `${label(r)} ${when} (notAfter ${x509.validTo}), fewer than the ${minDays} days this check wants left; clients will refuse it. Run \`pulumi up\` after you ${fix}.`,
                        r.urn,
                    );
                }
                continue;
            }
            const hours = gaps.read(`validityPeriodHours of ${label(r)}`, () => r.props.validityPeriodHours);
            if (hours !== UNKNOWN && typeof hours === "number" && hours < minDays * 24) {
                report(
                    `${label(r)} will be issued valid for only ${hours} hours, fewer than the ${minDays} days this check wants left: it is close to expiry from the start. ${fix[0].toUpperCase()}${fix.slice(1)}.`,
                    r.urn,
                );
            }
        }
    },
});
