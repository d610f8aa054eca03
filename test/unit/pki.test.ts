import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { caCommonName, leafGeneration, renewalEpoch } from "../../src/pki/renewal";

const hour = 3_600_000;

describe("renewalEpoch", () => {
    it("stays the same within a renewal window, so repeated runs change nothing", () => {
        // validity 10 h, renew 4 h early: a new window every 6 h.
        const start = 6 * hour * 1000;
        for (const offset of [0, 1, 3, 5.99]) assert.equal(renewalEpoch(start + offset * hour, 10, 4), 1000, `at +${offset} h`);
    });

    it("moves on when the early-renewal point of the current certificates is reached", () => {
        const start = 6 * hour * 1000;
        assert.equal(renewalEpoch(start + 6 * hour, 10, 4), 1001);
        assert.equal(renewalEpoch(start + 12 * hour, 10, 4), 1002);
    });

    it("renews a short-lived certificate before it expires: never more than validity - earlyRenewal into its life", () => {
        const validity = 3;
        const early = 1;
        let issuedAt = 0;
        let epoch = renewalEpoch(0, validity, early);
        for (let t = 0; t <= 48 * hour; t += hour / 4) {
            const e = renewalEpoch(t, validity, early);
            if (e !== epoch) {
                epoch = e;
                issuedAt = t;
            }
            assert.ok(t - issuedAt < (validity - early) * hour + 1, `at ${t / hour} h the certificate issued at ${issuedAt / hour} h would still be in use`);
        }
    });

    it("changes when the validity is bumped, which is how users rotate", () => {
        const now = Date.UTC(2026, 10, 25);
        assert.notEqual(leafGeneration(0, renewalEpoch(now, 2400, 336), 2400), leafGeneration(0, renewalEpoch(now, 2401, 336), 2401));
    });

    it("never divides by zero or goes backwards when early renewal equals validity", () => {
        assert.ok(Number.isFinite(renewalEpoch(Date.now(), 5, 5)));
        assert.ok(renewalEpoch(10 * hour, 5, 5) <= renewalEpoch(11 * hour, 5, 5));
    });
});

describe("caCommonName", () => {
    it("names the generation, so two CA generations never share a subject", () => {
        assert.notEqual(caCommonName("lab", 1), caCommonName("lab", 2));
        assert.match(caCommonName("lab", 2), /generation 2$/);
    });
});
