/**
 * Runs a command on a lab host over SSH with ssh2, the host key pinned: a host whose key does
 * not match the stack's fingerprint is refused before any credential is sent.
 */
import { fingerprintOfRawKey } from "./fingerprint";
import { Client } from "ssh2";

export interface SshTarget {
    address: string;
    port: number;
    user: string;
    /** "SHA256:…", as the stack exports it. */
    fingerprint: string;
    privateKey: string;
}

export interface ExecResult {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Executes `cmd`, feeding `stdin` if given, and resolves with its exit code and output. */
/** `pty`: ask for a terminal, as an interactive `ssh` does. */
export function sshExec(t: SshTarget, cmd: string, opts: { stdin?: string; timeoutMs?: number; pty?: boolean } = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
        const conn = new Client();
        let seen = "";
        const timer = setTimeout(() => {
            conn.end();
            reject(new Error(`ssh ${t.user}@${t.address}:${t.port}: no answer within ${opts.timeoutMs ?? 60000} ms`));
        }, opts.timeoutMs ?? 60000);
        conn.on("ready", () => {
            conn.exec(cmd, { pty: opts.pty ?? false }, (err, stream) => {
                if (err) {
                    clearTimeout(timer);
                    conn.end();
                    reject(err);
                    return;
                }
                let stdout = "";
                let stderr = "";
                stream.on("data", (d: Buffer) => {
                    stdout += d.toString();
                });
                stream.stderr.on("data", (d: Buffer) => {
                    stderr += d.toString();
                });
                stream.on("close", (code: number | null) => {
                    clearTimeout(timer);
                    conn.end();
                    resolve({ code, stdout, stderr });
                });
                if (opts.stdin !== undefined) stream.end(opts.stdin);
                else stream.end();
            });
        });
        conn.on("error", (e) => {
            clearTimeout(timer);
            reject(new Error(`ssh ${t.user}@${t.address}:${t.port}: ${e.message}${seen ? ` (host key ${seen}, pinned ${t.fingerprint})` : ""}`));
        });
        conn.connect({
            host: t.address,
            port: t.port,
            username: t.user,
            privateKey: t.privateKey,
            readyTimeout: 15000,
            hostVerifier: (key: Buffer) => {
                seen = fingerprintOfRawKey(key);
                return seen === t.fingerprint;
            },
        });
    });
}
