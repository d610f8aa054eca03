import { isIP } from "node:net";
import { brokerCommands } from "./brokerFiles";
import { allowedUses, issued, label, leaves } from "./certGraph";
import { stackPolicy } from "./define";
import { configKey, isRecord, stringList, UNKNOWN } from "./judge";

/** Whether SAN lists (as a CertRequest declares them) cover a host name or address. */
export function sansCover(host: string, dnsNames: string[], ipAddresses: string[]): boolean {
    if (isIP(host)) return ipAddresses.includes(host);
    const h = host.toLowerCase().replace(/\.$/, "");
    return dnsNames.some((n) => {
        const name = n.toLowerCase();
        if (name === h) return true;
        // A wildcard covers exactly one leftmost label.
        return name.startsWith("*.") && h.slice(h.indexOf(".") + 1) === name.slice(2) && h.indexOf(".") > 0;
    });
}

/**
 * Mandatory: the broker's server certificate (a leaf with server_auth) names, in its SANs, the
 * address the program reaches the broker at (`connection.host` of the command that sends the
 * mosquitto conf). Clients verifying the host name refuse a certificate that does not.
 */
export const requireServerCertCoversBroker = stackPolicy("server-certificate-covers-broker-address", {
    description: "The broker's server certificate has the broker's address in its subject alternative names.",
    defaultLevel: "mandatory",
    judge: (args, report, { gaps }) => {
        const hosts: { host: string; by: string }[] = [];
        for (const cmd of brokerCommands(args.resources, gaps)) {
            const host = gaps.read(`connection.host of ${label(cmd)}`, () => {
                const c = cmd.props.connection;
                return isRecord(c) ? c.host : undefined;
            });
            if (host !== UNKNOWN && typeof host === "string" && host !== "") hosts.push({ host, by: label(cmd) });
        }
        const servers = leaves(args.resources).filter((l) => {
            const uses = allowedUses(l.cert, gaps);
            return uses !== UNKNOWN && uses.includes("server_auth");
        });
        if (gaps.empty && (hosts.length === 0 || servers.length === 0)) {
            args.notApplicable(
                hosts.length === 0
                    ? "No command in this stack sends a mosquitto conf (environment.MQTTLAB_CONF), so there is no broker address to check."
                    : "No leaf certificate in this stack has server_auth.",
            );
        }
        for (const { cert, csr } of servers) {
            const x509 = issued(cert);
            // Without a CertRequest in the stack, only the issued certificate can tell.
            const dnsNames = csr ? gaps.read(`dnsNames of ${label(csr)}`, () => stringList(csr.props.dnsNames)) : UNKNOWN;
            const ipAddresses = csr ? gaps.read(`ipAddresses of ${label(csr)}`, () => stringList(csr.props.ipAddresses)) : UNKNOWN;
            if (!csr && !x509) gaps.note(`the SANs of ${label(cert)} (its CertRequest is not a tls resource of this stack)`);
            for (const { host, by } of hosts) {
                const fix = `The program puts ${configKey("brokerAddress")} and ${configKey("brokerDnsName")} in the server certificate; set ${configKey("brokerAddress")} to the address the broker is reached at (${host}).`;
                if (dnsNames !== UNKNOWN && ipAddresses !== UNKNOWN && !sansCover(host, dnsNames, ipAddresses)) {
                    const sans = [...dnsNames.map((d) => `DNS:${d}`), ...ipAddresses.map((i) => `IP:${i}`)].join(", ") || "none";
                    report(
                        `${label(cert)}, the broker's server certificate, does not cover ${host}, the address ${by} connects to: its CertRequest's SANs are ${sans}. Clients that verify the host name refuse it. ${fix}`,
                        cert.urn,
                    );
                } else if (x509 && (isIP(host) ? !x509.checkIP(host) : !x509.checkHost(host, { subject: "never" }))) {
                    report(
                        `${label(cert)}, the broker's server certificate, was issued without ${host} (the address ${by} connects to) in its SANs (${x509.subjectAltName ?? "none"}). Clients that verify the host name refuse it. ${fix}`,
                        cert.urn,
                    );
                }
            }
        }
    },
});
