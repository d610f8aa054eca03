import { createHash } from "node:crypto";

/** OpenSSH's SHA256 fingerprint of a raw public key blob ("SHA256:…", as `ssh-keygen -lf` prints). */
export function fingerprintOfRawKey(key: Buffer): string {
    return "SHA256:" + createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
}

/** The same fingerprint, of an authorized_keys line ("ssh-ed25519 AAAA… comment"). */
export function sshFingerprint(authorizedKey: string): string {
    return fingerprintOfRawKey(Buffer.from(authorizedKey.trim().split(/\s+/)[1] ?? "", "base64"));
}
