/**
 * The rules of the pack, in the order the engine reports them. Kept apart from index.ts, which
 * starts the policy server when loaded, so tests can list and inspect the rules.
 */
import { Policies } from "@pulumi/policy";
import { requireTopicLimitingAcl } from "./aclAdvisory";
import { requireJudgedRemoteCommands } from "./brokerCommands";
import { requireIdentityAcl, requireNoIncludeDir } from "./confReach";
import { requireSigningCa } from "./caCertificate";
import { requireCertificatesFarFromExpiry } from "./certExpiry";
import { requireDistinctLeafCertificates } from "./leafCertificates";
import { requireLeafValidityWithinMax } from "./leafValidity";
import { requireNoAnonymousPlaintextListener } from "./noAnonymousPlaintext";
import { requireNoVerificationBypass } from "./noVerificationBypass";
import { requireTlsOnlyListeners } from "./plaintextAdvisory";
import { requireServerCertCoversBroker } from "./serverCertSans";
import { requirePinnedSshHostKeys } from "./sshHostKeys";
import { requireHardenedTlsListeners } from "./tlsListeners";
import { requireAllowedX509Keys } from "./x509Keys";

export function mqttLabPolicies(): Policies {
    return [
        // Mandatory: the broker's listeners, as the conf the program sends says.
        requireNoAnonymousPlaintextListener(),
        requireHardenedTlsListeners(),
        // Mandatory, closed by default: no remote command writes a conf the rules above do not read.
        requireJudgedRemoteCommands(),
        requireNoIncludeDir(),
        requireIdentityAcl(),
        // Mandatory: keys and certificates.
        requireAllowedX509Keys(),
        requireSigningCa(),
        requireDistinctLeafCertificates(),
        requireServerCertCoversBroker(),
        requireLeafValidityWithinMax(),
        // Mandatory: SSH and TLS verification stay on.
        requirePinnedSshHostKeys(),
        requireNoVerificationBypass(),
        // Advisory.
        requireTlsOnlyListeners(),
        requireTopicLimitingAcl(),
        requireCertificatesFarFromExpiry(),
    ];
}
