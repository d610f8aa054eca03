/**
 * The questions-only version, for the teacher to hand out: the TP's questions in French and
 * English, with what the student does before each, and no answer. It depends on no measurement.
 */
import { Block } from "./document";
import { blocksToHtml, page } from "./html";
import { blocksToMarkdown } from "./markdown";
import { Lang, questionOrder, texts } from "./text";

/** The questions in one language, as blocks. */
export function questionBlocks(lang: Lang): Block[] {
    const t = texts[lang];
    return [
        { kind: "h", level: 1, text: `${t.questionsTitle} — MQTT` },
        { kind: "p", text: t.questionsIntro },
        ...questionOrder.flatMap((q, i): Block[] => {
            const task = t.tasks[q];
            return [{ kind: "h", level: 2, text: `${i + 1}. ${t.questions[q]}` }, ...(task ? [{ kind: "p", text: task } as Block] : [])];
        }),
    ];
}

export function renderQuestionsMarkdown(): string {
    return [blocksToMarkdown(questionBlocks("fr")), "---", "", blocksToMarkdown(questionBlocks("en"))].join("\n");
}

export function renderQuestionsHtml(): string {
    return page(
        "fr",
        "TP MQTT — questions",
        `<section lang="fr">${blocksToHtml(questionBlocks("fr"))}</section>\n<hr>\n<section lang="en">${blocksToHtml(questionBlocks("en"))}</section>`,
    );
}
