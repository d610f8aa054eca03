/**
 * Builds the report's Measurements from what was measured: the host scripts' sections
 * (hostOutput.ts reads them), the stack's public facts, the latest checks' evidence. Pure: every
 * value comes from its input, and what an input lacks becomes a missing measurement saying why.
 */
import type { CheckEvidence, HostFacts, Measured, Measurements, UnknownCaRun, BrokerTry, CertFacts } from "./model";
import { measured, missing } from "./model";
import { lines, parseLeg, parseServedChain, parseStat, parseX509Text } from "./hostOutput";

/** A host as the stack describes it, and what its script printed (undefined: it could not be reached, with why). */
export interface HostRun {
    role: "broker" | "client";
    address: string;
    user: string;
    fingerprint: string;
    sections?: Record<string, string>;
    unreachable?: string;
}

/** What the report tool hands over: the stack's facts as the report keeps them, and what the hosts printed. */
export interface AssembleInput extends Pick<
    Measurements,
    "stack" | "when" | "brokerAddress" | "tlsPort" | "teachingPort" | "teachingUser" | "identity" | "teachingOnCommands"
> {
    tlsTopic: string;
    plainTopic: string;
    payload: string;
    broker: HostRun;
    client: HostRun;
    /** The commands the script on each host was (for citations): a short name of each script. */
    scripts: { broker: string; client: string };
    /** Where each pcap was written on this machine (or why not). */
    pcapFiles: { tls: string; plaintext: string };
    checks: CheckEvidence | string;
    /** The reproduction's sections, or why it did not run. */
    unknownCa: { sections: Record<string, string>; command: string } | string;
}

const where = (h: HostRun) => `${h.role} ${h.address}`;

function fromSection<T>(h: HostRun, name: string, command: string, read: (text: string) => T | undefined): Measured<T> {
    const source = { host: where(h), command };
    if (!h.sections) return missing(`the ${h.role} host could not be reached: ${h.unreachable ?? "no answer"}`, source);
    const text = h.sections[name];
    if (text === undefined || text.trim() === "") return missing(`the ${h.role} host printed nothing for it`, source);
    const v = read(text);
    return v === undefined ? missing(`what the ${h.role} host printed could not be read: ${text.split("\n")[0]}`, source) : measured(v, source);
}

function hostFacts(h: HostRun, script: string, files: string): HostFacts {
    const firstLine = (t: string) => t.split("\n")[0].trim() || undefined;
    return {
        role: h.role,
        address: h.address,
        user: h.user,
        fingerprint: h.fingerprint,
        hostname: fromSection(h, "hostname", "hostname", firstLine),
        openssl: fromSection(h, "openssl-version", "openssl version", firstLine),
        mosquitto: fromSection(h, "mosquitto-version", h.role === "broker" ? "mosquitto -h" : "mosquitto_pub --help", firstLine),
        modes: fromSection(h, "stat", `stat -c '%a %U:%G %n' ${files} (${script})`, (t) => parseStat(t)),
    };
}

function brokerTry(s: Record<string, string>, name: "seed" | "lab", chain: string): BrokerTry {
    const publish = lines(s[`${name}-publish`]);
    return {
        chain,
        verify: lines(s[`${name}-verify`]).join(" "),
        publishCommand: lines(s[`${name}-publish-command`]).join(" "),
        publishExit: Number(/^exit (\d+)$/.exec(publish[0] ?? "")?.[1] ?? NaN),
        client: publish.slice(1),
        broker: lines(s[`${name}-broker`]),
        cert: parseX509Text(s[`${name}-cert`] ?? ""),
    };
}

export function assembleMeasurements(i: AssembleInput): Measurements {
    const c = i.client;
    const chainCommand = lines(c.sections?.["s-client-command"]).join(" ") || "openssl s_client -showcerts";
    const leg = (name: "tls" | "plaintext", port: number, topic: string, pcapFile: string): Measured<import("./model").CaptureLeg> => {
        const source = { host: where(c), command: `${i.scripts.client}: dumpcap, then tshark -r ${name}.pcap` };
        if (!c.sections) return missing(`the client host could not be reached: ${c.unreachable ?? "no answer"}`, source);
        const r = parseLeg(c.sections, name, { port, topic, payload: i.payload, pcapFile });
        return typeof r === "string" ? missing(r, source) : measured(r, { ...source, command: r.publishCommand });
    };
    const unknownCa: Measured<UnknownCaRun> =
        typeof i.unknownCa === "string"
            ? missing(i.unknownCa)
            : (() => {
                  const s = i.unknownCa.sections;
                  const source = { host: lines(s["where"]).join(" ") || "a throw-away container", command: i.unknownCa.command };
                  if (s["seed-publish"] === undefined)
                      return missing<UnknownCaRun>(`the throw-away broker did not run: ${lines(s["broker-failed"]).join(" ") || "no output"}`, source);
                  return measured(
                      {
                          where: source.host,
                          mosquitto: lines(s["mosquitto-version"])[0] ?? "",
                          openssl: lines(s["openssl-version"])[0] ?? "",
                          seed: brokerTry(s, "seed", "seed"),
                          control: brokerTry(s, "lab", "lab"),
                      },
                      source,
                  );
              })();
    const cert = (name: string, what: string): Measured<CertFacts> => fromSection(c, name, `openssl x509 -in ${what} -noout -text`, parseX509Text);
    const identityDir = `~/.mqtt-lab/${i.identity}`;
    return {
        stack: i.stack,
        when: i.when,
        brokerAddress: i.brokerAddress,
        tlsPort: i.tlsPort,
        teachingPort: i.teachingPort,
        teachingUser: i.teachingUser,
        identity: i.identity,
        broker: hostFacts(i.broker, i.scripts.broker, "(the lab's files in /etc/mosquitto)"),
        client: hostFacts(c, i.scripts.client, `${identityDir} ${identityDir}/*`),
        tls: leg("tls", i.tlsPort, i.tlsTopic, i.pcapFiles.tls),
        plaintext:
            i.teachingPort === null
                ? missing("the teaching listener is off: nothing listens in plaintext, so there is no plaintext leg to capture")
                : leg("plaintext", i.teachingPort, i.plainTopic, i.pcapFiles.plaintext),
        teachingOnCommands: i.teachingPort === null ? i.teachingOnCommands : [],
        chain: fromSection(c, "s-client", chainCommand, () => (c.sections ? parseServedChain(c.sections) : undefined)),
        clientCert: cert("cert-client", `${identityDir}/client.crt`),
        ca: cert("cert-ca", `${identityDir}/ca.crt`),
        listening: fromSection(i.broker, "ss", "ss -ltn", (t) => lines(t)),
        checks: typeof i.checks === "string" ? missing(i.checks) : measured(i.checks, { host: "this machine", command: `read ${i.checks.file}` }),
        unknownCa,
    };
}
