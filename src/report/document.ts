/**
 * The report as blocks (headings, paragraphs, tables, code), in one language, from the
 * measurements: what markdown.ts and html.ts both render. Every value here is a measurement or the
 * seed's quoted text; a measurement that is missing is a sentence saying so, with why.
 */
import type { BrokerTry, CaptureLeg, CertFacts, Measured, Measurements } from "./model";
import { handshakeFrames, tlsRecordKinds } from "./hostOutput";
import { seed, SeedCert } from "./seed";
import { Lang, questionOrder, QuestionId, texts, Texts } from "./text";

export type Block =
    | { kind: "h"; level: 1 | 2 | 3; text: string }
    | { kind: "p"; text: string }
    | { kind: "code"; lines: string[] }
    | { kind: "list"; items: string[] }
    | { kind: "table"; head: string[]; rows: string[][] };

const p = (text: string): Block => ({ kind: "p", text });
const code = (lines: string[]): Block => ({ kind: "code", lines });
/** One try against the throw-away broker: the client's command and words, then the broker's. */
const transcript = (run: BrokerTry): string[] => [`$ ${run.publishCommand}`, ...run.client, "", "# broker (mosquitto):", ...run.broker];

/** The citation of a measurement, or the sentence saying it is missing. */
function cite<T>(t: Texts, m: Measured<T>): Block {
    if (!m.ok) return p(t.missing(m.why) + (m.source ? ` (${m.source.command}, ${m.source.host})` : ""));
    return p(t.measuredBy(m.source.command, m.source.host));
}

/** The blocks of a measured value, or the missing sentence. */
function answer<T>(t: Texts, m: Measured<T>, blocks: (v: T) => Block[]): Block[] {
    return m.ok ? [...blocks(m.value), cite(t, m)] : [cite(t, m)];
}

const value = <T>(m: Measured<T>, f: (v: T) => string, none = "—"): string => (m.ok ? f(m.value) : none);

function leakList(t: Texts, leg: CaptureLeg): Block[] {
    const seen = [leg.topicInClear ? `topic \`${leg.topic}\`` : "", leg.payloadInClear ? `payload \`${leg.payload}\`` : ""].filter(Boolean);
    const absent = [leg.topicInClear ? "" : `topic \`${leg.topic}\``, leg.payloadInClear ? "" : `payload \`${leg.payload}\``].filter(Boolean);
    return [...(seen.length ? [p(t.inClear(seen))] : []), ...(absent.length ? [p(t.notInClear(absent))] : [])];
}

function answers(m: Measurements, t: Texts): Record<QuestionId, Block[]> {
    const plain = m.plaintext;
    const tls = m.tls;
    const off = m.teachingPort === null ? [p(t.teachingOff), code(m.teachingOnCommands)] : [];
    // The plaintext leg's answer, or why it is missing (with the commands that turn it on, once: question 2's).
    const plainMissing = (commands: boolean): Block[] => (m.teachingPort === null ? (commands ? off : [p(t.teachingOffShort)]) : [cite(t, plain)]);
    const plainOr = (f: (leg: CaptureLeg) => Block[], commands = false): Block[] => (plain.ok ? [...f(plain.value), cite(t, plain)] : plainMissing(commands));
    const handshakeOf = (leg: CaptureLeg): Block[] => {
        const { handshake, teardown } = handshakeFrames(leg.frames);
        const all = code([`$ ${leg.framesCommand}`, ...leg.frames]);
        return handshake.length
            ? [p(t.handshakeSeen(leg.frames.length)), code(handshake), p(t.teardown(teardown.length)), p(t.allFrames), all]
            : [p(t.handshakeNotSeen), all];
    };
    const chain = m.chain;
    const leaf = chain.ok ? chain.value.certs[0] : undefined;
    const certOf = (c: CertFacts | undefined) => c;
    return {
        // Without the plaintext leg, the TLS capture answers: TCP comes before TLS there too.
        handshake: [
            ...(plain.ok
                ? plainOr(handshakeOf)
                : [...plainMissing(false), ...(tls.ok ? [p(t.handshakeFromTls(tls.value.port)), ...answer(t, tls, handshakeOf)] : [cite(t, tls)])]),
            p(t.seedSaid("SYN, SYN-ACK, ACK … FIN")),
        ],
        tshark: [
            ...plainOr((leg) => {
                const topics = leg.seedOutput.filter((l) => l.trim() !== "");
                return [p(t.seedCommandReturned(topics.join(", ") || "—", leg.port)), code([`$ ${leg.seedCommand}`, ...leg.seedOutput])];
            }, true),
            p(t.seedSaid(`\`${seed.tsharkCommand}\` → \`${seed.tsharkOutput}\``)),
        ],
        confidentiality: [
            ...plainOr((leg) => [
                p(t.confidentialityPlain),
                ...leakList(t, leg),
                ...(leg.credentials
                    ? [
                          p(t.credentials(leg.credentials.username, t.passwordIs[leg.credentials.password])),
                          p(t.measuredBy(leg.credentials.command, m.client.role + " " + m.client.address)),
                      ]
                    : []),
            ]),
            ...answer(t, tls, (leg) => [p(t.confidentialityTls), ...leakList(t, leg)]),
        ],
        asymmetric: answer(t, chain, (c) => [
            p(t.asymmetric(c.certs[0].keyAlgorithm, c.certs[0].keySize || "—", c.certs[0].issuer, c.certs[0].signatureAlgorithm, c.verify)),
        ]),
        generation: [
            ...answer(t, m.ca, (ca) => (leaf ? [p(t.generation(ca.subject, leaf.subject, leaf.sans.join(", ") || "—"))] : [])),
            ...(chain.ok ? [] : [cite(t, chain)]),
            p(t.generationHow),
        ],
        openssl: [
            p(t.versions),
            {
                kind: "list",
                items: [m.broker, m.client].flatMap((h) =>
                    (["openssl", "mosquitto"] as const).map((tool) => {
                        const v = h[tool];
                        return `${h.role} ${h.address}, ${tool === "openssl" ? "OpenSSL" : "mosquitto"}: ${v.ok ? `\`${v.value}\` (\`${v.source.command}\`)` : t.missing(v.why)}`;
                    }),
                ),
            },
            p(t.seedSaid(`\`${seed.openssl}\`; mosquitto: ${seed.mosquitto || t.notStated}`)),
        ],
        algorithm: [
            ...answer(t, chain, (c) => [p(t.algorithm(certOf(c.certs[0])?.keyAlgorithm ?? "—", c.certs[0].keySize || "—", c.session || "—"))]),
            p(t.seedSaid(seed.broker.key)),
        ],
        validity: [
            ...answer(t, chain, (c) => [p(t.validity(c.certs[0].validityDays, c.certs[0].notBefore, c.certs[0].notAfter))]),
            p(t.seedSaid(seed.broker.validity)),
        ],
        transfer: [
            p(t.transfer),
            { kind: "list", items: [m.broker, m.client].map((h) => t.fingerprint(h.role, h.address, h.fingerprint)) },
            { kind: "h", level: 3, text: t.modesTitle },
            ...[m.broker, m.client].flatMap((h) => answer(t, h.modes, (ms) => [code(ms.map((f) => `${f.mode} ${f.owner} ${f.path}`))])),
            p(t.seedSaid(seed.transfer)),
        ],
        ports: [
            ...answer(t, m.listening, (ls) => {
                const ports = ls
                    .map((l) => l.split(/\s+/)[3] ?? "")
                    .filter((a) => /:\d+$/.test(a))
                    .join(", ");
                return [p(t.portsListen(ports || "—")), code(ls)];
            }),
            p(t.seedSaid(seed.ports)),
        ],
        error: [
            p(t.errorSeed),
            ...(m.unknownCa.ok
                ? [
                      p(t.errorReproduced(m.unknownCa.value.seed.publishExit)),
                      code([...transcript(m.unknownCa.value.seed), "", "# openssl verify:", m.unknownCa.value.seed.verify]),
                      p(t.errorControl(m.unknownCa.value.control.publishExit)),
                      code(transcript(m.unknownCa.value.control)),
                      p(`${m.unknownCa.value.mosquitto}, ${m.unknownCa.value.openssl}.`),
                      cite(t, m.unknownCa),
                  ]
                : [p(t.errorNotRun), ...(m.unknownCa.why.startsWith("not reproduced") ? [] : [cite(t, m.unknownCa)])]),
            p(t.seedSaid(`« ${seed.clientError} », « ${seed.brokerError} » ; \`${seed.workaround}\``)),
        ],
        tls: answer(t, tls, (leg) => [
            p(t.tlsRecords(tlsRecordKinds(leg.frames).join(", ") || "—")),
            code([`$ ${leg.framesCommand}`, ...leg.frames]),
            p(t.seedCommandEmptyTls(leg.port)),
            code([`$ ${leg.seedCommand}`, ...leg.seedOutput.filter((l) => l.trim() !== "")]),
            ...leakList(t, leg),
            ...(leg.markerInClear ? [p(t.markerFound)] : []),
        ]),
    };
}

/** One column of the certificate table, in the order of Texts.certRows; a leaf whose subject is its issuer's is the seed's mistake. */
function certColumn(t: Texts, c: Measured<CertFacts> | CertFacts | undefined): string[] {
    const f = c && "ok" in c ? (c.ok ? c.value : undefined) : c;
    if (!f) return ["—", "—", "—", "—", "—", "—", "—", "—", "—"];
    return [
        String(f.version),
        f.subject || "—",
        f.issuer || "—",
        f.subject === f.issuer ? t.yes : t.no,
        f.sans.join(", ") || "—",
        `${f.keyAlgorithm}${f.keySize ? `, ${f.keySize}` : ""}`,
        f.signatureAlgorithm,
        String(f.validityDays),
        f.isCa === undefined ? "—" : f.isCa ? "CA:TRUE" : "CA:FALSE",
    ];
}

const seedColumn = (t: Texts, s: SeedCert): string[] => [
    s.version,
    s.subject,
    s.issuer,
    s.subject === s.issuer ? t.yes : t.no,
    s.sans,
    s.key,
    s.signature,
    s.validity,
    s.ca,
];

/** The report in one language, as blocks. */
export function reportBlocks(m: Measurements, lang: Lang): Block[] {
    const t = texts[lang];
    const a = answers(m, t);
    const leaf = m.chain.ok ? m.chain.value.certs[0] : undefined;
    const cols = [certColumn(t, m.ca), certColumn(t, leaf), certColumn(t, m.clientCert), seedColumn(t, seed.broker), seedColumn(t, seed.client)];
    const rowNames = Object.values(t.certRows);
    const checks = m.checks;
    return [
        { kind: "h", level: 1, text: t.title(m.stack) },
        p(t.intro(m.when, `${m.broker.address}`, `${m.client.address}`)),
        { kind: "h", level: 2, text: t.hostsTitle },
        {
            kind: "table",
            head: t.hostColumns,
            rows: [m.broker, m.client].map((h) => [h.role, h.address, value(h.hostname, (v) => v), value(h.openssl, (v) => v), value(h.mosquitto, (v) => v)]),
        },
        ...questionOrder.flatMap((q, i): Block[] => [{ kind: "h", level: 2, text: `${i + 1}. ${t.questions[q]}` }, ...a[q]]),
        { kind: "h", level: 2, text: t.certTitle },
        { kind: "table", head: t.certColumns, rows: rowNames.map((name, r) => [name, ...cols.map((c) => c[r])]) },
        cite(t, m.chain),
        { kind: "h", level: 3, text: t.chainTitle },
        ...answer(t, m.chain, (c) => [code([...c.lines, `Verify return code: ${c.verify}`])]),
        { kind: "h", level: 2, text: t.capturesTitle },
        {
            kind: "list",
            items: [
                m.tls.ok && m.tls.value.pcapFile
                    ? t.captureTls(m.tls.value.pcapFile, m.tls.value.packets)
                    : t.missing(m.tls.ok ? "no pcap written" : m.tls.why),
                m.plaintext.ok && m.plaintext.value.pcapFile
                    ? t.capturePlain(m.plaintext.value.pcapFile, m.plaintext.value.packets)
                    : m.teachingPort === null
                      ? t.captureNone
                      : t.missing(m.plaintext.ok ? "no pcap written" : m.plaintext.why),
            ],
        },
        { kind: "h", level: 2, text: t.checksTitle },
        ...(checks.ok
            ? [
                  p(t.checksIntro(checks.value.file, checks.value.when, checks.value.outcomes.filter((o) => o.pass).length, checks.value.outcomes.length)),
                  {
                      kind: "table",
                      head: t.checkColumns,
                      rows: checks.value.outcomes.map((o) => [o.check, o.identity, o.host, o.pass ? t.pass : t.fail, o.seen]),
                  } as Block,
              ]
            : [cite(t, checks)]),
    ];
}
