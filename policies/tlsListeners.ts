import { tlsVersions } from "../src/config/labConfig";
import { describeListener, MosquittoListener } from "../src/mosquitto/parse";
import { confPolicy } from "./define";
import { configKey } from "./judge";
import { outsideAllowlist, tls12Ciphers, tls13Ciphers } from "../src/mosquitto/tls";

/** Why a TLS listener is weak, as sentence fragments; empty when it is sound. */
export function tlsListenerFlaws(l: MosquittoListener): string[] {
    const flaws: string[] = [];
    if ((l.certfile === undefined) !== (l.keyfile === undefined)) {
        flaws.push(
            `has ${l.certfile ? "certfile without keyfile" : "keyfile without certfile"}, so mosquitto refuses to start (both are needed for TLS); the program writes both`,
        );
    }
    if (!l.tls) return flaws;
    if (!l.requireCertificate) {
        flaws.push(
            "does not set require_certificate true, so clients without a certificate from the lab CA complete the TLS handshake; renderBrokerConf always writes it and no config key turns it off",
        );
    } else if (!l.cafile && !l.capath) {
        flaws.push(
            "sets require_certificate true but neither cafile nor capath, so mosquitto cannot verify client certificates; the program writes one of them",
        );
    }
    if (l.tlsVersion === undefined) {
        flaws.push(`sets no tls_version, and mosquitto before 2.0.16 then still accepts TLS 1.1; set ${configKey("tlsVersion")} to tlsv1.2 or tlsv1.3`);
    } else if (!(tlsVersions as readonly string[]).includes(l.tlsVersion)) {
        flaws.push(`sets tls_version ${l.tlsVersion}; allowed: tlsv1.2 or tlsv1.3, through ${configKey("tlsVersion")}`);
    }
    if (l.ciphers === undefined) {
        flaws.push(
            `sets no ciphers, so OpenSSL's defaults offer CBC suites an auditor flags; allowed: ${tls12Ciphers.join(":")} (renderBrokerConf writes them)`,
        );
    } else {
        const outside = outsideAllowlist(l.ciphers, tls12Ciphers);
        if (outside.length > 0) flaws.push(`offers ciphers outside the allowlist (${outside.join(", ")}); allowed: ECDHE with AEAD, ${tls12Ciphers.join(":")}`);
    }
    if (l.ciphersTls13 !== undefined) {
        const outside = outsideAllowlist(l.ciphersTls13, tls13Ciphers);
        if (outside.length > 0) flaws.push(`offers TLS 1.3 suites outside the allowlist (${outside.join(", ")}); allowed: ${tls13Ciphers.join(":")}`);
    }
    return flaws;
}

/**
 * Mandatory: every TLS listener of the conf the program sends requires a client certificate
 * (and has a CA to check it against) and accepts TLS 1.2 or later only.
 */
export const requireHardenedTlsListeners = confPolicy("mosquitto-tls-listener-hardened", {
    description: "Every mosquitto TLS listener has require_certificate true, tls_version tlsv1.2 or tlsv1.3, and ciphers from the allowlist (ECDHE with AEAD).",
    defaultLevel: "mandatory",
    judge: (conf, files, label, report) => {
        for (const l of conf.listeners) {
            for (const flaw of tlsListenerFlaws(l)) {
                report(`${label} sends, in ${files.source}, a mosquitto conf whose TLS ${describeListener(l)} ${flaw}.`);
            }
        }
    },
});
