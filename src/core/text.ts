/** "1 error", "2 errors": counts in messages people read. */
export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

/**
 * Control characters that would act on a terminal instead of being shown: C0 (ESC, BEL, CR, backspace …,
 * all but the line feed), DEL, C1 (0x80–0x9f: an 8-bit CSI is 0x9b), and the bidirectional overrides that
 * reorder what is displayed. File names, labels, CSV cells, cloud resource names and error text from other
 * programs can hold any of them.
 */
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text safe to print to a terminal: every control character shown as a visible escape (`\x1b`, `\u202e`),
 * line feeds kept. Applied at the output boundaries (the human reporter, the wizard's Text component), never
 * to --json output or files, which keep exact strings.
 */
export function escapeControls(s: string): string {
  return s.replace(TERMINAL_CONTROL, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/** What every report, screen and CLI line shows where a number is missing (not measured, nothing to divide). */
export const NO_VALUE = '–';

const missing = (v: number | null | undefined): v is null | undefined => v === null || v === undefined || !Number.isFinite(v);

/** A share as people read it: 0.1234 → `12.3%` (`digits` decimals); NO_VALUE when there is none. */
export function percent(v: number | null | undefined, digits = 1): string {
  return missing(v) ? NO_VALUE : `${(v * 100).toFixed(digits)}%`;
}

/** A number with `digits` decimals (metrics, thresholds); NO_VALUE when there is none. */
export function decimal(v: unknown, digits = 3): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : NO_VALUE;
}
