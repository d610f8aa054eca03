/**
 * The report as Markdown: the French version, then the English one, each from the same
 * measurements (document.ts). Every secret given is redacted from the whole text.
 */
import { redact } from "../evidence/report";
import { Block, reportBlocks } from "./document";
import type { Measurements } from "./model";

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** Markdown of blocks. */
export function blocksToMarkdown(blocks: readonly Block[]): string {
    const out: string[] = [];
    for (const b of blocks) {
        switch (b.kind) {
            case "h":
                out.push(`${"#".repeat(b.level)} ${b.text}`, "");
                break;
            case "p":
                out.push(b.text, "");
                break;
            case "code":
                out.push("```", ...b.lines, "```", "");
                break;
            case "list":
                out.push(...b.items.map((i) => `- ${i}`), "");
                break;
            case "table":
                out.push(
                    `| ${b.head.map(cell).join(" | ")} |`,
                    `|${b.head.map(() => "---").join("|")}|`,
                    ...b.rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
                    "",
                );
                break;
        }
    }
    return out.join("\n");
}

/** The whole report, French then English, `secrets` redacted. */
export function renderMarkdown(m: Measurements, secrets: readonly string[]): string {
    const text = [blocksToMarkdown(reportBlocks(m, "fr")), "---", "", blocksToMarkdown(reportBlocks(m, "en"))].join("\n");
    return redact(text, secrets);
}
