/**
 * An external judge of the broker's TLS: testssl.sh (Debian's package), run from this machine
 * against an address the test created, its JSON findings parsed. It needs no client certificate
 * to list protocols, suites, forward secrecy and the served chain, makes no DNS look-up
 * (--nodns none), and trusts the lab CA given (--add-ca) to judge the chain.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

interface Finding {
    id: string;
    severity: string;
    finding: string;
}

export interface OfferedSuite {
    protocol: string;
    /** OpenSSL name, e.g. ECDHE-ECDSA-AES128-GCM-SHA256. */
    name: string;
    /** Key exchange, as testssl prints it (ECDH, DH, RSA). */
    kx: string;
    /** Encryption, as testssl prints it (AESGCM, ChaCha20, AES, ...). */
    enc: string;
}

export interface TlsAudit {
    /** SSLv2 … TLS1_3: testssl's finding ("offered", "not offered", …). */
    protocols: Record<string, string>;
    suites: OfferedSuite[];
    /** testssl's cert_chain_of_trust finding ("passed." when it verifies against the CA given). */
    chainOfTrust: string;
    /** How many certificates the broker serves (cert_numbers). */
    certificates: string;
    findings: Finding[];
}

/** Runs testssl against `host:port`, trusting `caPem`. Fails loudly when testssl is missing. */
export function auditTls(host: string, port: number, caPem: string): TlsAudit {
    if (spawnSync("sh", ["-c", "command -v testssl"]).status !== 0) {
        throw new Error("testssl is missing: scripts/setup.sh installs Debian's testssl.sh");
    }
    const dir = mkdtempSync(path.join(tmpdir(), "mqtt-lab-test-testssl-"));
    try {
        writeFileSync(path.join(dir, "ca.crt"), caPem);
        const json = path.join(dir, "findings.json");
        // testssl's exit code counts what it found worrying; the findings themselves are the verdict.
        const r = spawnSync(
            "testssl",
            [
                "--jsonfile",
                json,
                "--quiet",
                "--warnings",
                "off",
                "--nodns",
                "none",
                "--color",
                "0",
                "--add-ca",
                path.join(dir, "ca.crt"),
                "-p",
                "-s",
                "-f",
                "-S",
                "-E",
                `${host}:${port}`,
            ],
            { encoding: "utf8", timeout: 300_000 },
        );
        if (r.error || !existsSync(json))
            throw new Error(`testssl against ${host}:${port} wrote no findings (exit ${r.status}): ${r.error?.message ?? ""} ${r.stderr.slice(-500)}`);
        const findings = JSON.parse(readFileSync(json, "utf8")) as Finding[];
        const byId = (id: string) => findings.find((f) => f.id === id)?.finding ?? "";
        const protocols = Object.fromEntries(["SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3"].map((p) => [p, byId(p)]));
        // "TLS 1.2   xc02b   ECDHE-ECDSA-AES128-GCM-SHA256     ECDH 253   AESGCM      128 ..."
        const suites = findings
            .filter((f) => f.id.startsWith("cipher-tls") || f.id.startsWith("cipher-ssl"))
            .map((f) => {
                const t = f.finding.trim().split(/\s+/);
                return { protocol: `${t[0]} ${t[1]}`, name: t[3], kx: t[4], enc: t[6] };
            });
        return { protocols, suites, chainOfTrust: byId("cert_chain_of_trust"), certificates: byId("cert_numbers"), findings };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** Offered suites that are not AEAD (CBC and the like). */
export function nonAeadSuites(a: TlsAudit): OfferedSuite[] {
    return a.suites.filter((s) => !/^(AESGCM|ChaCha20|AESCCM)/.test(s.enc));
}

/** Offered suites without forward secrecy (no ephemeral key exchange). TLS 1.3's are all ephemeral. */
export function suitesWithoutForwardSecrecy(a: TlsAudit): OfferedSuite[] {
    return a.suites.filter((s) => s.protocol !== "TLS 1.3" && !/^(ECDH|DH)/.test(s.kx));
}
