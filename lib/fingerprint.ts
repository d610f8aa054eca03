import { createHash } from "node:crypto";

/** OpenSSH's SHA256 fingerprint of an authorized_keys line ("SHA256:…", as `ssh-keygen -lf` prints). */
export function sshFingerprint(authorizedKey: string): string {
    const blob = authorizedKey.trim().split(/\s+/)[1] ?? "";
    return "SHA256:" + createHash("sha256").update(Buffer.from(blob, "base64")).digest("base64").replace(/=+$/, "");
}
