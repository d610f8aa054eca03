import { describe } from "node:test";
import assert from "node:assert/strict";
import { cidrContains, cidrsOverlap, ipv4ToNumber, isIpv4, parseCidr } from "../../src/config/net";
import { itEach } from "../../testkit/cases";

/** A CIDR the tests know is valid; fails loudly otherwise. */
function cidr(s: string) {
    const c = parseCidr(s);
    assert.ok(c, `${s} should parse`);
    return c;
}

describe("isIpv4", () => {
    itEach(
        (s: string, ok: boolean) => `${ok ? "accepts" : "refuses"} ${JSON.stringify(s)}`,
        (s, ok) => assert.equal(isIpv4(s), ok),
        [
            ["192.168.56.101", true],
            ["0.0.0.0", true],
            ["255.255.255.255", true],
            ["10.0.0.1", true],
            ["256.1.1.1", false],
            ["1.2.3", false],
            ["1.2.3.4.5", false],
            ["01.2.3.4", false],
            ["1.2.3.04", false],
            [" 1.2.3.4", false],
            ["1.2.3.4\n", false],
            ["1.2.3.-1", false],
            ["a.b.c.d", false],
            ["1.2.3.4/24", false],
            ["", false],
        ],
    );
});

describe("ipv4ToNumber", () => {
    itEach(
        (s: string, n: number) => `reads ${s} as the unsigned number ${n}`,
        (s, n) => assert.equal(ipv4ToNumber(s), n),
        [
            ["0.0.0.0", 0],
            ["0.0.0.1", 1],
            ["10.0.0.1", 0x0a000001],
            ["192.168.56.1", 0xc0a83801],
            ["255.255.255.255", 0xffffffff],
            ["128.0.0.0", 0x80000000],
        ],
    );
});

describe("parseCidr", () => {
    itEach(
        (s: string, network: number, prefix: number) => `parses ${JSON.stringify(s)} to network ${network} /${prefix}`,
        (s, network, prefix) => assert.deepEqual(parseCidr(s), { network, prefix }),
        [
            ["172.30.56.0/24", 0xac1e3800, 24],
            ["192.168.56.128/25", 0xc0a83880, 25],
            ["10.0.0.0/8", 0x0a000000, 8],
            ["0.0.0.0/0", 0, 0],
            ["10.1.2.3/32", 0x0a010203, 32],
            [" 10.0.0.0/8 ", 0x0a000000, 8],
        ],
    );
    itEach(
        (s: string, why: string) => `refuses ${JSON.stringify(s)}: ${why}`,
        (s) => assert.equal(parseCidr(s), undefined),
        [
            ["172.30.56.1/24", "host bits set"],
            ["10.0.0.0/33", "a prefix over 32"],
            ["10.0.0.0", "no prefix"],
            ["10.0.0.0/", "an empty prefix"],
            ["10.0.0.0/-1", "a negative prefix"],
            ["10.0.0.0/abc", "a prefix that is not a number"],
            ["300.0.0.0/8", "an octet over 255"],
            ["10.0.0/8", "three octets"],
            ["", "nothing"],
        ],
    );
});

describe("cidrContains", () => {
    itEach(
        (c: string, a: string, inside: boolean) => `says ${a} is ${inside ? "inside" : "outside"} ${c}`,
        (c, a, inside) => assert.equal(cidrContains(cidr(c), a), inside),
        [
            ["172.30.56.0/24", "172.30.56.10", true],
            ["172.30.56.0/24", "172.30.56.0", true],
            ["172.30.56.0/24", "172.30.56.255", true],
            ["172.30.56.0/24", "172.30.57.0", false],
            ["172.30.56.0/24", "172.30.55.255", false],
            ["192.168.56.128/25", "192.168.56.127", false],
            ["192.168.56.128/25", "192.168.56.200", true],
            ["10.1.2.3/32", "10.1.2.3", true],
            ["10.1.2.3/32", "10.1.2.4", false],
            ["0.0.0.0/0", "255.255.255.255", true],
            ["128.0.0.0/1", "200.1.1.1", true],
            ["128.0.0.0/1", "127.255.255.255", false],
        ],
    );
});

describe("cidrsOverlap", () => {
    const seed = "192.168.56.0/24";
    itEach(
        (a: string, b: string, overlap: boolean) => `says ${a} and ${b} ${overlap ? "overlap" : "do not overlap"}, in either order`,
        (a, b, overlap) => {
            assert.equal(cidrsOverlap(cidr(a), cidr(b)), overlap);
            assert.equal(cidrsOverlap(cidr(b), cidr(a)), overlap);
        },
        [
            ["192.168.0.0/16", seed, true],
            [seed, seed, true],
            ["192.168.56.128/25", seed, true],
            ["192.168.56.64/26", seed, true],
            ["192.168.48.0/20", seed, true], // one of Docker's default pools
            ["0.0.0.0/0", seed, true],
            ["192.168.57.0/24", seed, false],
            ["192.168.55.0/24", seed, false],
            ["172.30.56.0/24", seed, false],
            ["192.168.0.0/20", seed, false],
            ["10.0.0.0/8", "10.255.255.0/28", true],
            ["10.0.0.0/8", "11.0.0.0/8", false],
        ],
    );
});
