/** JSON with keys sorted: the state gives objects back with their keys in another order. */
export function stableJson(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        return `{${Object.keys(o)
            .filter((k) => o[k] !== undefined)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(v) ?? "null";
}
