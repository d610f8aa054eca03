/**
 * The evidence report of a check run: parsed from what the check scripts print, rendered as
 * Markdown a student can read and as JSON. One definition for `pulumi up` and `npm run verify`.
 */

export interface CheckOutcome {
    check: string;
    identity: string;
    host: string;
    pass: boolean;
    /** What was seen: the command's own words, secrets redacted. */
    seen: string;
}

export interface EvidenceReport {
    stack: string;
    /** ISO time, or a shell expression the writer fills in. */
    when: string;
    broker: string;
    outcomes: CheckOutcome[];
    /** The scripts that ran, by identity and host: the commands behind the outcomes (JSON only). */
    commands?: { identity: string; host: string; script: string }[];
}

/** Replaces each secret seen in `text` by a marker that says it was seen in clear. */
export function redact(text: string, secrets: readonly string[]): string {
    return secrets.filter((s) => s.length > 0).reduce((t, s) => t.split(s).join("[redacted: seen in clear]"), text);
}

/** A line `== identity NAME`: what follows is that identity's (until the next such line). */
const identitySection = /^== identity (\S+)$/;

/**
 * Every PASS line and every failure line of one run of a check script. A host's run prints its
 * own checks first (they count as `run.identity`'s, whose files they used), then each identity's
 * under an `== identity NAME` line, on stdout and stderr alike.
 */
export function parseCheckRun(run: { identity: string; host: string; stdout?: string; stderr?: string; code: number | null }, secrets: readonly string[] = []): CheckOutcome[] {
    const out: CheckOutcome[] = [];
    const read = (text: string, line: RegExp, pass: boolean) => {
        let identity = run.identity;
        for (const l of text.split("\n")) {
            const section = identitySection.exec(l);
            if (section) identity = section[1];
            const m = line.exec(l);
            if (m) out.push({ check: m[1], identity, host: run.host, pass, seen: redact(m[2], secrets) });
        }
    };
    read(run.stdout ?? "", /^PASS ([\w-]+): (.*)$/, true);
    read(run.stderr ?? "", /^mqtt-lab check failed on host \S+: ([\w-]+): (.*)$/, false);
    if (run.code !== 0 && !out.some((o) => !o.pass)) {
        out.push({ check: "script", identity: run.identity, host: run.host, pass: false, seen: redact((run.stderr ?? "").trim() || `exit code ${run.code}`, secrets) });
    }
    return out;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderEvidenceMarkdown(r: EvidenceReport): string {
    const failed = r.outcomes.filter((o) => !o.pass).length;
    return [
        `# mqtt-lab checks: stack ${r.stack}`,
        "",
        `Run ${r.when} against the broker ${r.broker}: ${r.outcomes.length - failed} passed, ${failed} failed.`,
        "",
        "| check | identity | host | result | what was seen |",
        "|---|---|---|---|---|",
        ...r.outcomes.map((o) => `| ${o.check} | ${o.identity} | ${o.host} | ${o.pass ? "pass" : "**FAIL**"} | ${cell(o.seen)} |`),
        "",
    ].join("\n");
}

export function renderEvidenceJson(r: EvidenceReport): string {
    return JSON.stringify(r, null, 2) + "\n";
}
