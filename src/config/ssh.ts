/**
 * SSH material for existing hosts, checked before anything is declared: a key that cannot be
 * read or parsed, or a host key that is not pinned, stops the program with the key to fix.
 */
import { readFileSync } from "node:fs";
import { utils } from "ssh2";
import { ns } from "./labConfig";

export interface SshSettings {
    /** The private key text (secret config). */
    privateKey?: string;
    /** Or a path to it on the machine running Pulumi. */
    privateKeyPath?: string;
    brokerHostKey?: string;
    clientHostKey?: string;
}

export interface CheckedSsh {
    privateKey: string;
    brokerHostKey: string;
    clientHostKey: string;
}

/** Returns every problem with the SSH settings of existing hosts, or the checked values. */
export function checkSshSettings(s: SshSettings, readFile: (p: string) => string = (p) => readFileSync(p, "utf8")): { problems: string[]; value?: CheckedSsh } {
    const problems: string[] = [];
    let key = "";
    if (s.privateKey && s.privateKeyPath) {
        problems.push(`Exactly one of [${ns}:sshPrivateKey] or [${ns}:sshPrivateKeyPath] must be set, not both.`);
    } else if (!s.privateKey && !s.privateKeyPath) {
        problems.push(
            `Exactly one of [${ns}:sshPrivateKey] (a secret: pulumi config set --secret ${ns}:sshPrivateKey < key) or [${ns}:sshPrivateKeyPath] must be set for existing hosts.`,
        );
    } else if (s.privateKeyPath) {
        try {
            key = readFile(s.privateKeyPath);
        } catch (e) {
            problems.push(
                `[${ns}:sshPrivateKeyPath] "${s.privateKeyPath}" cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"}); allowed: a readable OpenSSH or PEM private key file.`,
            );
        }
    } else {
        key = s.privateKey ?? "";
    }
    const which = s.privateKeyPath ? "sshPrivateKeyPath" : "sshPrivateKey";
    if (key) {
        const parsed = utils.parseKey(key);
        if (parsed instanceof Error) {
            // Never echo the key itself: only that it did not parse.
            problems.push(
                `[${ns}:${which}] is not a usable SSH private key (${parsed.message.replace(/[A-Za-z0-9+/=]{40,}/g, "…")}); allowed: an unencrypted OpenSSH or PEM private key.`,
            );
        } else {
            const k = Array.isArray(parsed) ? parsed[0] : parsed;
            if (!k.isPrivateKey()) problems.push(`[${ns}:${which}] holds a public key; allowed: the private key.`);
        }
    }
    for (const [cfgKey, value] of [
        ["brokerHostKey", s.brokerHostKey],
        ["clientHostKey", s.clientHostKey],
    ] as const) {
        if (!value) {
            problems.push(`[${ns}:${cfgKey}] is required: pin the host's SSH key (one line of \`ssh-keyscan -t ed25519 HOST\`, without the host name).`);
            continue;
        }
        const parsed = utils.parseKey(value.trim());
        if (parsed instanceof Error || (Array.isArray(parsed) ? parsed[0] : parsed).isPrivateKey()) {
            problems.push(`[${ns}:${cfgKey}] is not an SSH public host key; allowed: "ssh-ed25519 AAAA…" or another authorized_keys line.`);
        }
    }
    if (problems.length > 0 || !s.brokerHostKey || !s.clientHostKey) return { problems };
    return { problems, value: { privateKey: key, brokerHostKey: s.brokerHostKey.trim(), clientHostKey: s.clientHostKey.trim() } };
}
