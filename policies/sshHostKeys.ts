import * as command from "@pulumi/command";
import { resourcePolicy } from "./define";
import { configKey, isRecord, UNKNOWN } from "./judge";

/**
 * Mandatory: every SSH connection of pulumi-command pins the host key (`connection.hostKey`,
 * and `connection.proxy.hostKey` for a bastion). Without it the provider accepts any host key
 * (pulumi-command #755), so whoever answers on the address gets the commands and secrets.
 * A host key still unknown at preview (computed from a tls PrivateKey) is judged at `up`.
 */
export const requirePinnedSshHostKeys = resourcePolicy("ssh-host-key-pinned", [command.remote.Command, command.remote.CopyToRemote], {
    description: "Every SSH connection (remote Command, CopyToRemote) pins the host key.",
    defaultLevel: "mandatory",
    judge: (props, _args, report, { gaps, label }) => {
        const connection = gaps.read(`connection of ${label}`, () => props.connection);
        const check = (conn: Record<string, unknown>, path: string) => {
            const host = gaps.read(`${path}.host of ${label}`, () => conn.host);
            const key = gaps.read(`${path}.hostKey of ${label}`, () => conn.hostKey);
            if (key === UNKNOWN) return;
            if (typeof key !== "string" || key.trim() === "") {
                const where = host === UNKNOWN ? "its host" : `${String(host)}`;
                report(
                    `${label} connects to ${where} over SSH without ${path}.hostKey, so it accepts whatever host key answers there. ` +
                        "Pin the host's public key: container hosts get the key the program generates (src/components/hosts.ts); " +
                        `for existing hosts set ${configKey("brokerHostKey")} and ${configKey("clientHostKey")} to what \`ssh-keyscan -t ed25519 <host>\` prints, checked against the host's console.`,
                );
            }
        };
        if (connection !== UNKNOWN) {
            if (!isRecord(connection)) {
                report(`${label} has no SSH connection settings, so no host key is pinned.`);
            } else {
                check(connection, "connection");
                const proxy = gaps.read(`connection.proxy of ${label}`, () => connection.proxy);
                if (proxy !== UNKNOWN && isRecord(proxy)) check(proxy, "connection.proxy");
            }
        }
    },
});
