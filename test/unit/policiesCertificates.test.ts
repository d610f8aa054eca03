import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { StackValidationPolicy } from "@pulumi/policy";
import { requireSigningCa } from "../../policies/caCertificate";
import { requireCertificatesFarFromExpiry } from "../../policies/certExpiry";
import { requireDistinctLeafCertificates } from "../../policies/leafCertificates";
import { requireLeafValidityWithinMax } from "../../policies/leafValidity";
import { requireServerCertCoversBroker, sansCover } from "../../policies/serverCertSans";
import { confCommand, connection, labConf, labPki, pem, PkiOptions, seedConf, seedPki, types } from "./policyFixtures";
import {
    assertHasResourceViolation,
    assertHasStackViolation,
    assertNoResourceViolations,
    assertNoStackViolations,
    assertUnjudged,
    resourceArgs,
    runStackPolicy,
    StackResourceSpec,
    stackArgs,
    unknownValue,
} from "./policyUtil";

const broker = (host: unknown = "172.30.56.10", conf = labConf): StackResourceSpec => ({
    type: types.remoteCommand,
    name: "broker-conf",
    props: confCommand(conf, null, { connection: connection({ host }) }),
});
const lab = (o: PkiOptions = {}, ...more: StackResourceSpec[]) => stackArgs([...labPki(o), broker(), ...more]);
/** The lab's own stack passes a stack policy, at preview and once issued. */
async function passesTheLab(policy: StackValidationPolicy): Promise<void> {
    await assertNoStackViolations(policy, lab());
    await assertNoStackViolations(policy, lab({ issued: true }));
}
const seed = (issued = false) => stackArgs([...seedPki({ issued }), broker("203.0.113.10", seedConf)]);

describe("Policy ca-certificate-can-sign", () => {
    const policy = requireSigningCa();

    it("passes the lab's CA at preview and once issued", async () => {
        await passesTheLab(policy);
    });

    it('refuses the seed\'s v1-style "CA" that signs a leaf without being a CA', async () => {
        const o = await assertHasStackViolation(
            policy,
            seed(),
            /SelfSignedCert "seed-ca" signs .*LocallySignedCert "seed-broker-cert" but is not a CA certificate.*unknown ca.*\[mqtt-lab:pki\.caGeneration\]/,
        );
        assert.ok(o.violations.some((v) => /lack cert_signing/.test(v.message)));
        assert.ok(o.violations.every((v) => v.urn?.endsWith("::seed-ca")));
    });

    it('refuses the issued seed "CA": no CA:TRUE, and an RSA 1024 key', async () => {
        const o = await assertHasStackViolation(policy, seed(true), /issued certificate \(subject CN=broker\) has no CA:TRUE/);
        assert.ok(o.violations.some((v) => /RSA key of 1024 bits.*\[mqtt-lab:pki\.rsaBits\]/.test(v.message)));
    });

    it("refuses a declared CA whose allowedUses lack cert_signing", async () => {
        await assertHasStackViolation(policy, lab({ caProps: { allowedUses: ["digital_signature"] } }), /"lab-ca-g1" signs .* lack cert_signing/);
    });

    it("judges a CA key named like an SSH key, which the key rule skips", async () => {
        const specs = labPki();
        specs[0] = { ...specs[0], name: "lab-ca-ssh-key", props: { ...specs[0].props, algorithm: "RSA", rsaBits: 1024 } };
        specs[1] = { ...specs[1], propertyDependencies: { privateKeyPem: ["lab-ca-ssh-key"] } };
        specs[4] = { ...specs[4], propertyDependencies: { ...specs[4].propertyDependencies, caPrivateKeyPem: ["lab-ca-ssh-key"] } };
        await assertHasStackViolation(policy, stackArgs(specs), /"lab-ca-ssh-key" is not an allowed X\.509 key.*It is the key of the CA/);
    });

    it("says allowedUses unknown at preview could not be judged", async () => {
        assertUnjudged(
            await runStackPolicy(policy, lab({ caProps: { allowedUses: unknownValue } })),
            /allowedUses of tls:index\/selfSignedCert:SelfSignedCert "lab-ca-g1"/,
        );
    });
});

describe("Policy leaf-certificate-not-ca-distinct-subject", () => {
    const policy = requireDistinctLeafCertificates();

    it("passes the lab's leaves at preview and once issued", async () => {
        await passesTheLab(policy);
    });

    it("refuses the seed's leaf, whose subject is its issuer's (the \"unknown ca\" of the seed)", async () => {
        await assertHasStackViolation(
            policy,
            seed(),
            /"seed-broker-cert" has the same subject as its issuer .*"seed-ca" \(commonName=broker\).*unknown ca.*\[mqtt-lab:brokerDnsName\]/,
        );
    });

    it("refuses the issued seed leaf: subject equal to issuer, RSA 1024", async () => {
        const o = await assertHasStackViolation(policy, seed(true), /issued with a subject equal to its issuer \(CN=broker\)/);
        assert.ok(o.violations.some((v) => /RSA key of 1024 bits/.test(v.message)));
    });

    it("refuses a leaf declared or issued as a CA", async () => {
        await assertHasStackViolation(policy, lab({ serverCertProps: { isCaCertificate: true } }), /is a leaf certificate but has isCaCertificate true/);
        await assertHasStackViolation(policy, lab({ issued: true, serverCertProps: { certPem: pem.labCa } }), /was issued with CA:TRUE/);
    });

    it("says a subject unknown at preview could not be judged", async () => {
        assertUnjudged(await runStackPolicy(policy, lab({ serverCsrProps: { subject: unknownValue } })), /subject of tls:index\/certRequest:CertRequest/);
    });

    it("fails closed on a leaf whose CertRequest is not in the stack, until it is issued", async () => {
        const specs = labPki()
            .filter((s) => s.type !== types.certRequest)
            .map((s) => ({ ...s, propertyDependencies: s.type === types.locallySignedCert ? { caCertPem: ["lab-ca-g1"] } : s.propertyDependencies }));
        await assertHasStackViolation(policy, stackArgs(specs), /could not be judged at preview: the subject of .*LocallySignedCert/);
    });
});

describe("Policy server-certificate-covers-broker-address", () => {
    const policy = requireServerCertCoversBroker();

    it("passes when the server certificate names the address the conf command connects to", async () => {
        await passesTheLab(policy);
        await assertNoStackViolations(policy, stackArgs([...labPki(), broker("broker.mqtt-lab.internal")]));
    });

    it("refuses the seed's SAN-less certificate for 203.0.113.10, naming [mqtt-lab:brokerAddress]", async () => {
        await assertHasStackViolation(
            policy,
            seed(),
            /"seed-broker-cert", the broker's server certificate, does not cover 203\.0\.113\.10.*SANs are none.*\[mqtt-lab:brokerAddress\]/,
        );
    });

    it("refuses an issued certificate without the address even when the request listed it", async () => {
        const args = stackArgs([...labPki({ issued: true, serverCsrProps: { ipAddresses: ["203.0.113.10"] } }), broker("203.0.113.10")]);
        await assertHasStackViolation(policy, args, /was issued without 203\.0\.113\.10 .*IP Address:172\.30\.56\.10/);
    });

    it("says a broker address unknown at preview (a container's) could not be judged", async () => {
        assertUnjudged(
            await runStackPolicy(policy, stackArgs([...labPki(), broker(unknownValue)])),
            /connection\.host of command:remote:Command "broker-conf"/,
        );
    });

    it("does not apply to a stack without a conf command", async () => {
        const o = await runStackPolicy(policy, stackArgs(labPki()));
        assert.match(o.notApplicable ?? "", /No command in this stack sends a mosquitto conf/);
    });

    const table: [string, string[], string[], boolean][] = [
        ["172.30.56.10", [], ["172.30.56.10"], true],
        ["172.30.56.10", ["172.30.56.10"], [], false],
        ["Broker.MQTT-lab.internal.", ["broker.mqtt-lab.internal"], [], true],
        ["broker.mqtt-lab.internal", ["*.mqtt-lab.internal"], [], true],
        ["a.broker.mqtt-lab.internal", ["*.mqtt-lab.internal"], [], false],
        ["mqtt-lab.internal", ["*.mqtt-lab.internal"], [], false],
    ];
    for (const [host, dns, ips, expected] of table) {
        it(`says SANs ${JSON.stringify([...dns, ...ips])} ${expected ? "cover" : "do not cover"} ${host}`, () => {
            assert.equal(sansCover(host, dns, ips), expected);
        });
    }
});

describe("Policy leaf-certificate-validity-within-max", () => {
    const policy = requireLeafValidityWithinMax();
    const leaf = (hours: number, config?: object) =>
        resourceArgs(types.locallySignedCert, { ...labPki()[4].props, validityPeriodHours: hours }, { name: "lab-broker-cert", config });

    it("passes the program's default (100 days) and exactly the maximum", async () => {
        await assertNoResourceViolations(policy, leaf(2400));
        await assertNoResourceViolations(policy, leaf(9552));
    });

    it("refuses a leaf valid longer than 398 days, naming the config keys", async () => {
        await assertHasResourceViolation(
            policy,
            leaf(87600),
            /valid for 87600 hours \(3650 days\), more than the maximum of 9552 hours.*\[mqtt-lab:pki\.leafValidityHours\].*\[mqtt-lab:maxLeafValidityHours\]/,
        );
    });

    it("takes the maximum from the policy config", async () => {
        await assertHasResourceViolation(policy, leaf(2400, { maxLeafValidityHours: 720 }), /more than the maximum of 720 hours/);
        assert.equal((policy.configSchema?.properties.maxLeafValidityHours as { default: number }).default, 9552);
    });
});

describe("Policy certificate-not-near-expiry (advisory)", () => {
    const at = (iso: string) => requireCertificatesFarFromExpiry({ now: () => Date.parse(iso) });

    it("is advisory, with minDaysLeft 7 by default", () => {
        const p = requireCertificatesFarFromExpiry();
        assert.equal(p.enforcementLevel, "advisory");
        assert.equal((p.configSchema?.properties.minDaysLeft as { default: number }).default, 7);
    });

    it("passes issued certificates with years left, and fresh ones at preview", async () => {
        await assertNoStackViolations(at("2030-01-01T00:00:00Z"), lab({ issued: true }));
        await assertNoStackViolations(at("2030-01-01T00:00:00Z"), lab());
    });

    it("warns about issued certificates close to or past their notAfter, naming the rotation keys", async () => {
        await assertHasStackViolation(
            at("2036-11-20T00:00:00Z"),
            lab({ issued: true }),
            /"lab-broker-cert-g1-r0-e241-v2400" expires in 2 days.*\[mqtt-lab:pki\.leafRotation\]/,
        );
        await assertHasStackViolation(at("2036-12-25T00:00:00Z"), lab({ issued: true }), /"lab-ca-g1" expired 33 days ago.*\[mqtt-lab:pki\.caGeneration\]/);
    });

    it("warns at preview about a certificate issued for fewer days than minDaysLeft", async () => {
        await assertHasStackViolation(
            at("2030-01-01T00:00:00Z"),
            lab({ serverCertProps: { validityPeriodHours: 100 } }),
            /will be issued valid for only 100 hours/,
        );
    });

    it("takes minDaysLeft from the policy config", async () => {
        const args = stackArgs([...labPki({ issued: true }), broker()], { config: { minDaysLeft: 3650 } });
        await assertHasStackViolation(at("2030-01-01T00:00:00Z"), args, /fewer than the 3650 days/);
    });
});
