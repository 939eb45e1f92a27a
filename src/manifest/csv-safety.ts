/**
 * Spreadsheet formula neutralisation for CSV files a person may open (splits.csv, reports).
 *
 * Excel, LibreOffice and Google Sheets execute a cell that starts with `=`, `+`, `-` or `@` (and treat a
 * leading tab or carriage return the same way), so an image named `=HYPERLINK(...).jpg` becomes a live
 * formula. We prefix such cells with a single quote, which spreadsheets show as text.
 *
 * Unlike csv-stringify's `escape_formulas`, a leading quote is escaped too, so `restoreCell` undoes
 * `neutraliseCell` exactly and tools that read the file back (evaluate, train) get the original names.
 *
 * NOT applied to vertex_dataset.csv: Vertex reads it by machine, its first column is always
 * training|validation|test, the second always starts with `gs://`, and labels are Vertex-safe
 * ([A-Za-z0-9_]), so no cell there can start with a formula character, and a quote prefix would
 * corrupt the URI or the label.
 */
const NEEDS_ESCAPE = /^[=+\-@\t\r']/;

export function neutraliseCell(value: string): string {
  return NEEDS_ESCAPE.test(value) ? `'${value}` : value;
}

/**
 * Undoes neutralisation by whoever wrote the file: a quote before a formula character (ours, and
 * csv-stringify's escape_formulas) or before another quote (ours). Any other leading quote is data.
 */
export function restoreCell(value: string): string {
  return /^'[=+\-@\t\r']/.test(value) ? value.slice(1) : value;
}

/** True when a spreadsheet would treat the cell as a formula (or would have, before neutralising). */
export function looksLikeFormula(value: string): boolean {
  return /^[=+\-@\t\r]/.test(value);
}
