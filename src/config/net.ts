/** Small IPv4 helpers: enough to keep lab networks away from the seed's and to place hosts. */

export interface Cidr {
    /** The network address as an unsigned 32-bit number. */
    network: number;
    prefix: number;
}

const octet = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const ipv4 = new RegExp(`^${octet}\\.${octet}\\.${octet}\\.${octet}$`);

export function isIpv4(s: string): boolean {
    return ipv4.test(s);
}

export function ipv4ToNumber(s: string): number {
    return s.split(".").reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

function mask(prefix: number): number {
    return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "a.b.c.d/n"; the address must be the network address itself. */
export function parseCidr(s: string): Cidr | undefined {
    const m = /^(.+)\/(\d{1,2})$/.exec(s.trim());
    if (!m || !isIpv4(m[1])) return undefined;
    const prefix = Number(m[2]);
    if (prefix > 32) return undefined;
    const address = ipv4ToNumber(m[1]);
    if ((address & mask(prefix)) >>> 0 !== address) return undefined;
    return { network: address, prefix };
}

/** parseCidr for a network written in the code itself: a typo there is a bug, not bad input. */
export function knownCidr(s: string): Cidr {
    const c = parseCidr(s);
    if (!c) throw new Error(`not an IPv4 network in CIDR form: ${s}`);
    return c;
}

export function cidrContains(c: Cidr, address: string): boolean {
    return (ipv4ToNumber(address) & mask(c.prefix)) >>> 0 === c.network;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
    const prefix = Math.min(a.prefix, b.prefix);
    return (a.network & mask(prefix)) >>> 0 === (b.network & mask(prefix)) >>> 0;
}
