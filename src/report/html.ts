/**
 * The report as one self-contained HTML page: inline CSS, no script, no external asset (it reads
 * offline, and prints). French first, then English, from the same blocks as the Markdown.
 */
import { redact } from "../evidence/report";
import { Block, reportBlocks } from "./document";
import type { Measurements } from "./model";

const css = [
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#111}",
    "h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1.05rem}",
    "table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}",
    "th{background:#eee}pre{background:#f5f5f5;border:1px solid #ddd;padding:.5rem;overflow-x:auto;font-size:.85rem}",
    "code{background:#f2f2f2;padding:0 .2rem}nav a{margin-right:1rem}",
].join("");

/** Escapes text for HTML. */
export function escapeHtml(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Inline text: escaped, with `code` and **strong** spans. */
function inline(s: string): string {
    return escapeHtml(s)
        .replace(/`([^`]+)`/g, "<code>$1</code>")
        .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
}

/** HTML of blocks. */
export function blocksToHtml(blocks: readonly Block[]): string {
    return blocks
        .map((b) => {
            switch (b.kind) {
                case "h":
                    return `<h${b.level}>${inline(b.text)}</h${b.level}>`;
                case "p":
                    return `<p>${inline(b.text)}</p>`;
                case "code":
                    return `<pre>${escapeHtml(b.lines.join("\n"))}</pre>`;
                case "list":
                    return `<ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join("")}</ul>`;
                case "table":
                    return `<table><thead><tr>${b.head.map((h) => `<th>${inline(h)}</th>`).join("")}</tr></thead><tbody>${b.rows
                        .map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`)
                        .join("")}</tbody></table>`;
            }
        })
        .join("\n");
}

/** A whole page around `body`. */
export function page(lang: string, title: string, body: string): string {
    return `<!DOCTYPE html>\n<html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${css}</style></head><body>\n${body}\n</body></html>\n`;
}

/** The whole report page, French then English, `secrets` redacted. */
export function renderHtml(m: Measurements, secrets: readonly string[]): string {
    const body = [
        `<nav><a href="#fr">Français</a><a href="#en">English</a></nav>`,
        `<section id="fr" lang="fr">${blocksToHtml(reportBlocks(m, "fr"))}</section>`,
        `<hr>`,
        `<section id="en" lang="en">${blocksToHtml(reportBlocks(m, "en"))}</section>`,
    ].join("\n");
    return redact(page("fr", `mqtt-lab — ${m.stack}`, body), secrets.concat(secrets.map(escapeHtml)));
}
