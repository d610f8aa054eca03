/**
 * The bundle: how files travel on a command's stdin (secret, out of logs), one `name base64` line
 * per file, then `__end__ COUNT`, so a host can tell a whole bundle from one cut short. The shell
 * side is `read_bundle` / `write_bundle` in remote/bundle.sh; test/unit/bundle.test.ts runs both
 * against this codec.
 */

/** Last line of a bundle: this word and the number of files before it. */
export const bundleEnd = "__end__";

/** A file name that may appear in a bundle: no path, no dot files. */
export const bundleName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;

/** Encodes files for stdin. Order is stable so identical content gives an identical bundle. */
export function renderBundle(files: Record<string, string>): string {
    const names = Object.keys(files).sort();
    const lines = names.map((name) => {
        if (!bundleName.test(name)) throw new Error(`bundle file name "${name}" is not allowed`);
        return `${name} ${Buffer.from(files[name], "utf8").toString("base64")}\n`;
    });
    return lines.join("") + `${bundleEnd} ${names.length}\n`;
}

/** Decodes a bundle (tests, the verify tool, the evidence writer's input). */
export function parseBundle(bundle: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of bundle.split("\n")) {
        if (!line || line.startsWith(`${bundleEnd} `)) continue;
        const [name, b64] = line.split(" ");
        out[name] = Buffer.from(b64 ?? "", "base64").toString("utf8");
    }
    return out;
}

/** Decodes a bundle of binary files (the report's pcaps, from write_bundle in remote/bundle.sh), byte for byte. */
export function parseBundleBytes(bundle: string): Record<string, Buffer> {
    const out: Record<string, Buffer> = {};
    for (const line of bundle.split("\n")) {
        if (!line || line.startsWith(`${bundleEnd} `)) continue;
        const [name, b64] = line.split(" ");
        if (!bundleName.test(name)) throw new Error(`bundle file name "${name}" is not allowed`);
        out[name] = Buffer.from(b64 ?? "", "base64");
    }
    return out;
}
