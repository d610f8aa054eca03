/**
 * Tables of cases, one `it` a row: the test's name and its check come first, written once, and
 * the rows after them, so that a table reads as data under the sentence it proves.
 */
import { it } from "node:test";

/** Declares one `it(name(...row), () => check(...row))` for each row of `rows`. */
export function itEach<Row extends readonly unknown[]>(
    name: (...row: Row) => string,
    check: (...row: Row) => void | Promise<void>,
    rows: readonly Row[],
): void {
    for (const row of rows) it(name(...row), () => check(...row));
}
