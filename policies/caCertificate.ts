import { judgeKeyObject } from "../src/pki/keyAlgorithms";
import { allowedUses, authorities, issued, label } from "./certGraph";
import { stackPolicy } from "./define";
import { configKey, UNKNOWN } from "./judge";
import { isSshKeyName, judgePrivateKeyProps, keyObjectConfigKey } from "./x509Keys";

const rotate = `src/components/pki.ts issues a proper CA; bump ${configKey("pki.caGeneration")} to replace this one with a new generation`;

/**
 * Mandatory: every certificate that signs leaves (or says it is a CA) is a CA certificate that
 * may sign certificates. The seed's "CA" was an X.509 v1 self-signed certificate: no CA:TRUE,
 * so clients refused its leaves with "tlsv1 alert unknown ca".
 */
export const requireSigningCa = stackPolicy("ca-certificate-can-sign", {
    description: "The CA certificate is a CA (isCaCertificate true) and may sign certificates (cert_signing).",
    defaultLevel: "mandatory",
    judge: (args, report, { gaps }) => {
        for (const { ca, signs, key } of authorities(args.resources, gaps)) {
            const what = signs.length > 0 ? `signs ${signs.map(label).join(", ")}` : "is declared a CA";
            const isCa = gaps.read(`isCaCertificate of ${label(ca)}`, () => ca.props.isCaCertificate);
            if (isCa !== UNKNOWN && isCa !== true) {
                report(
                    `${label(ca)} ${what} but is not a CA certificate (isCaCertificate is not true), so clients that verify the chain refuse its leaves ("tlsv1 alert unknown ca"). ${rotate}.`,
                    ca.urn,
                );
            }
            const uses = allowedUses(ca, gaps);
            if (uses !== UNKNOWN && !uses.includes("cert_signing")) {
                report(
                    `${label(ca)} ${what} but its allowedUses [${uses.join(", ")}] lack cert_signing, so its signatures on certificates are not valid. ${rotate}.`,
                    ca.urn,
                );
            }
            const x509 = issued(ca);
            if (x509 && !x509.ca) {
                report(
                    `${label(ca)} ${what} but the issued certificate (subject ${x509.subject.replace(/\n/g, ", ")}) has no CA:TRUE basic constraint. ${rotate}.`,
                    ca.urn,
                );
            }
            const keyWhy = x509 ? judgeKeyObject(x509.publicKey) : undefined;
            if (x509 && keyWhy)
                report(
                    `${label(ca)} was issued with a key that is not allowed: ${keyWhy}. Set ${keyObjectConfigKey(x509.publicKey.asymmetricKeyType)} and ${rotate}.`,
                    ca.urn,
                );
            // A key named like an SSH key escapes the key rule; behind a CA it is an X.509 key.
            if (key && isSshKeyName(key.name)) {
                const why = judgePrivateKeyProps(key.props, label(key), gaps);
                if (why) report(`${why} It is the key of the CA ${label(ca)}.`, key.urn);
            }
        }
    },
});
