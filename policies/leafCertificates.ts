import { judgeKeyObject } from "../src/pki/keyAlgorithms";
import { issued, label, leaves, subjectOf } from "./certGraph";
import { stackPolicy } from "./define";
import { configKey, UNKNOWN } from "./judge";
import { isSshKeyName, judgePrivateKeyProps, keyObjectConfigKey } from "./x509Keys";

const renames = `The CA's subject comes from ${configKey("labName")} and ${configKey("pki.caGeneration")}; a leaf's from ${configKey("brokerDnsName")} (server) or its name in ${configKey("clients")}`;

/**
 * Mandatory: leaf certificates are not CAs, and their subject differs from their issuer's. The
 * seed's leaf had the subject of its "CA", so OpenSSL took it for self-signed and clients failed
 * with "unknown ca". Judged on the CertRequest and CA inputs at preview, on the issued
 * certificate once it exists.
 */
export const requireDistinctLeafCertificates = stackPolicy("leaf-certificate-not-ca-distinct-subject", {
    description: "Leaf certificates are not CAs and have a subject different from their issuer's.",
    defaultLevel: "mandatory",
    judge: (args, report, { gaps }) => {
        for (const { cert, csr, ca, key } of leaves(args.resources)) {
            const isCa = gaps.read(`isCaCertificate of ${label(cert)}`, () => cert.props.isCaCertificate);
            if (isCa === true) {
                report(
                    `${label(cert)} is a leaf certificate but has isCaCertificate true, so it could sign certificates of its own that clients would trust. src/components/pki.ts issues leaves with isCaCertificate false; no config key changes that.`,
                    cert.urn,
                );
            }
            const x509 = issued(cert);
            if (csr && ca) {
                const mine = subjectOf(csr, gaps);
                const theirs = subjectOf(ca, gaps);
                if (mine !== UNKNOWN && theirs !== UNKNOWN && mine !== undefined && mine === theirs) {
                    report(
                        `${label(cert)} has the same subject as its issuer ${label(ca)} (${mine}), so OpenSSL takes it for a self-signed certificate and clients fail with "unknown ca". ${renames}.`,
                        cert.urn,
                    );
                }
            } else if (!x509) {
                gaps.note(`the subject of ${label(cert)} (its CertRequest or CA is not a tls resource of this stack)`);
            }
            if (x509?.ca) {
                report(
                    `${label(cert)} was issued with CA:TRUE, so it could sign certificates that clients would trust. src/components/pki.ts issues leaves with isCaCertificate false.`,
                    cert.urn,
                );
            }
            if (x509 && x509.subject === x509.issuer) {
                report(
                    `${label(cert)} was issued with a subject equal to its issuer (${x509.subject.replace(/\n/g, ", ")}), so clients fail with "unknown ca". ${renames}.`,
                    cert.urn,
                );
            }
            const keyWhy = x509 ? judgeKeyObject(x509.publicKey) : undefined;
            if (x509 && keyWhy)
                report(
                    `${label(cert)} was issued for a key that is not allowed: ${keyWhy}. Set ${keyObjectConfigKey(x509.publicKey.asymmetricKeyType)}.`,
                    cert.urn,
                );
            if (key && isSshKeyName(key.name)) {
                const why = judgePrivateKeyProps(key.props, label(key), gaps);
                if (why) report(`${why} It is the key of the leaf ${label(cert)}.`, key.urn);
            }
        }
    },
});
