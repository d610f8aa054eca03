import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, KeyObject } from "node:crypto";
import { judgeKeyObject, judgeKeySpec, KeySpec } from "../../src/pki/keyAlgorithms";

describe("judgeKeySpec", () => {
    const allowed: KeySpec[] = [
        { algorithm: "RSA", rsaBits: 2048 },
        { algorithm: "RSA", rsaBits: 3072 },
        { algorithm: "RSA", rsaBits: 4096 },
        { algorithm: "RSA", rsaBits: 8192 },
        { algorithm: "RSA" }, // the tls provider's default, 2048
        { algorithm: "ECDSA", ecdsaCurve: "P256" },
        { algorithm: "ECDSA", ecdsaCurve: "P384" },
        { algorithm: "ED25519" },
    ];
    for (const spec of allowed) {
        it(`allows ${JSON.stringify(spec)}`, () => assert.equal(judgeKeySpec(spec), undefined));
    }

    const refused: [KeySpec, string][] = [
        [{ algorithm: "DSA" }, `algorithm "DSA" is not allowed; use one of RSA, ECDSA, ED25519`],
        [{ algorithm: "rsa", rsaBits: 4096 }, `algorithm "rsa" is not allowed; use one of RSA, ECDSA, ED25519`],
        [{ algorithm: "" }, `algorithm "" is not allowed; use one of RSA, ECDSA, ED25519`],
        [{ algorithm: "RSA", rsaBits: 1024 }, "RSA key of 1024 bits is not allowed; use a multiple of 8 from 2048 to 8192"],
        [{ algorithm: "RSA", rsaBits: 2047 }, "RSA key of 2047 bits is not allowed"],
        [{ algorithm: "RSA", rsaBits: 2052 }, "RSA key of 2052 bits is not allowed"],
        [{ algorithm: "RSA", rsaBits: 8200 }, "RSA key of 8200 bits is not allowed"],
        [{ algorithm: "RSA", rsaBits: 2048.5 }, "RSA key of 2048.5 bits is not allowed"],
        [{ algorithm: "ECDSA", ecdsaCurve: "P224" }, `ECDSA curve "P224" is not allowed; use one of P256, P384`],
        [{ algorithm: "ECDSA", ecdsaCurve: "P521" }, `ECDSA curve "P521" is not allowed`],
        [{ algorithm: "ECDSA", ecdsaCurve: "p256" }, `ECDSA curve "p256" is not allowed`],
        [{ algorithm: "ECDSA" }, `ECDSA curve "P224" is not allowed`], // the provider's default curve
    ];
    for (const [spec, why] of refused) {
        it(`refuses ${JSON.stringify(spec)}, saying what is allowed`, () => {
            const verdict = judgeKeySpec(spec);
            assert.ok(verdict?.startsWith(why), `got ${JSON.stringify(verdict)}, expected it to start with ${JSON.stringify(why)}`);
            assert.match(verdict ?? "", /; use (one of|a multiple of)/);
        });
    }
});

describe("judgeKeyObject", () => {
    const pub = (k: { publicKey: KeyObject }) => k.publicKey;
    const table: [string, () => KeyObject, string | undefined][] = [
        ["an RSA 2048 key", () => pub(generateKeyPairSync("rsa", { modulusLength: 2048 })), undefined],
        ["an RSA 1024 key", () => pub(generateKeyPairSync("rsa", { modulusLength: 1024 })), "RSA key of 1024 bits is not allowed"],
        ["a P-256 key", () => pub(generateKeyPairSync("ec", { namedCurve: "prime256v1" })), undefined],
        ["a P-384 key", () => pub(generateKeyPairSync("ec", { namedCurve: "secp384r1" })), undefined],
        ["a P-224 key", () => pub(generateKeyPairSync("ec", { namedCurve: "secp224r1" })), `ECDSA curve "secp224r1" is not allowed; use one of P256, P384`],
        ["a P-521 key", () => pub(generateKeyPairSync("ec", { namedCurve: "secp521r1" })), `ECDSA curve "secp521r1" is not allowed`],
        ["an Ed25519 key", () => pub(generateKeyPairSync("ed25519")), undefined],
        ["an Ed448 key", () => pub(generateKeyPairSync("ed448")), `key type "ed448" is not allowed; use one of RSA, ECDSA, ED25519`],
        ["an X25519 key", () => pub(generateKeyPairSync("x25519")), `key type "x25519" is not allowed`],
    ];
    for (const [what, make, why] of table) {
        it(`${why ? "refuses" : "allows"} ${what} as node:crypto reads it from a certificate`, () => {
            const verdict = judgeKeyObject(make());
            if (why === undefined) assert.equal(verdict, undefined);
            else assert.ok(verdict?.startsWith(why), `got ${JSON.stringify(verdict)}, expected it to start with ${JSON.stringify(why)}`);
        });
    }
});
