import { parse } from 'csv-parse/sync';
import { InputError } from '../core/errors.js';
import type { SeverityFinding } from '../validate/findings.js';
import { normaliseManifestPath } from './image-paths.js';

/** Header names accepted for the image column (DESIGN.md), in order of preference. */
export const IMAGE_COLUMNS = ['image', 'filename', 'path', 'file'] as const;
/** C0 and C1 control characters and DEL, and the Unicode line and paragraph separators. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
/** Header names accepted for the label column, in order of preference. */
export const LABEL_COLUMNS = ['label', 'class', 'category'] as const;
const SPLIT_VALUES = new Set(['train', 'training', 'validation', 'val', 'valid', 'test', 'testing', '']);

export interface ManifestRow {
  /** 1-based line where the record starts (the header is line 1). */
  line: number;
  /** Canonical path relative to the images folder. */
  image: string;
  /** Label as written, trimmed and in Unicode NFC (mapping is applied later). */
  label: string;
  split?: string;
  /** Other columns, by their header name as written. */
  extra: Record<string, string>;
}

export interface ParsedManifest {
  imageColumn: string;
  hasSplit: boolean;
  extraColumns: string[];
  /** Rows that passed the row checks, first occurrence of each image only. */
  rows: ManifestRow[];
  findings: SeverityFinding[];
  /** Records in the file (data rows, blank lines excluded). */
  records: number;
}

/** 1-based line and column of byte `at` in `buf` (lines end at LF). */
function lineAt(buf: Uint8Array, at: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < at; i++) {
    if (buf[i] === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: at - start + 1 };
}

/**
 * The manifest's text, from its bytes. UTF-8 (with or without BOM) is read as is; UTF-16 with a byte-order
 * mark is converted, and said so (a warning); anything else is refused with the line of the first byte that
 * is not UTF-8, since guessing an encoding (Latin-1, Windows-1252) could turn a name into another name.
 */
export function decodeManifest(buf: Uint8Array, manifestName: string): { text: string; findings: SeverityFinding[] } {
  const hint = 'Save the manifest as UTF-8 (in a spreadsheet: "CSV UTF-8"; or `iconv -f LATIN1 -t UTF-8 in.csv > out.csv`).';
  const bom16 = buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff));
  if (bom16) {
    const enc = buf[0] === 0xff ? 'utf-16le' : 'utf-16be';
    let text: string;
    try {
      text = new TextDecoder(enc, { fatal: true }).decode(buf.subarray(2));
    } catch {
      throw new InputError(`${manifestName} starts like ${enc.toUpperCase()} but is not valid ${enc.toUpperCase()}.`, { code: 'manifest.encoding', item: manifestName, hint });
    }
    return {
      text,
      findings: [{ severity: 'warning', code: 'manifest.encoding', item: manifestName, line: 1, message: `${manifestName} is ${enc.toUpperCase()} (it has that byte-order mark); it was read as such`, hint }],
    };
  }
  // UTF-16 without a byte-order mark: NUL in every other byte of ASCII text.
  const head = buf.subarray(0, Math.min(buf.length, 512));
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < head.length; i++) if (head[i] === 0) (i % 2 === 0 ? evenNul++ : oddNul++);
  if (head.length >= 4 && Math.max(evenNul, oddNul) >= head.length / 4 && Math.min(evenNul, oddNul) === 0) {
    throw new InputError(`${manifestName} looks like UTF-16 without a byte-order mark (every other byte is NUL), not UTF-8.`, { code: 'manifest.encoding', item: `${manifestName}:1`, hint });
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf), findings: [] };
  } catch {
    // Find the first byte that is not UTF-8: decode growing prefixes would be quadratic, so walk the bytes.
    const at = firstInvalidUtf8(buf);
    const { line, column } = lineAt(buf, at);
    const byte = buf[at]!;
    const latin = byte >= 0xa0 ? ` ("${String.fromCharCode(byte)}" in Latin-1)` : byte >= 0x80 ? ' (a Windows-1252 character)' : '';
    throw new InputError(`${manifestName}:${line}: byte 0x${byte.toString(16).padStart(2, '0')} at column ${column} is not UTF-8${latin}; the file is probably Latin-1 or Windows-1252.`, {
      code: 'manifest.encoding',
      item: `${manifestName}:${line}`,
      hint,
    });
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    if (n > 0) {
      const seq = b.subarray(i, i + n + 1);
      if (seq.length < n + 1) return i;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(seq);
      } catch {
        return i;
      }
    }
    i += n + 1;
  }
  return b.length;
}

/**
 * Parses a manifest: header names as in DESIGN.md (case and spaces ignored), UTF-8 with or without BOM,
 * CRLF or LF, quoted fields with commas and newlines. Row problems become findings with their line; a
 * file that cannot be read as a manifest at all throws InputError.
 */
export function parseManifest(text: string, manifestName: string): ParsedManifest {
  let records: Array<{ record: string[]; raw: string }>;
  try {
    // Every line ending on every line: a CRLF manifest with rows appended by `echo` mixes them, and csv-parse's
    // auto-detection would otherwise take the first ending for the whole file and merge rows.
    records = parse(text, { bom: true, raw: true, relax_column_count: true, record_delimiter: ['\r\n', '\n', '\r'] }) as unknown as typeof records;
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new InputError(`${manifestName}${err.lines ? `:${err.lines}` : ''} is not valid CSV: ${err.message}`, {
      code: 'manifest.invalid_csv',
      item: err.lines ? `${manifestName}:${err.lines}` : manifestName,
      hint: 'Fix the line named above (an unclosed quote usually means a field that contains a " was not wrapped in quotes with the quote doubled).',
      cause: e,
    });
  }
  // Line numbers from the raw text of each record (csv-parse's own line count drifts on CRLF inside quotes).
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  let pos = 0;
  let nextLine = 1;
  const withLines = records.map((r) => {
    const line = nextLine;
    let end = pos + r.raw.length;
    if (body[end] === '\r' && body[end + 1] === '\n') end += 2;
    else if (body[end] === '\n' || body[end] === '\r') end += 1;
    nextLine += (body.slice(pos, end).match(/\r\n|\r|\n/g) ?? []).length;
    pos = end;
    return { line, cells: r.record };
  });
  const nonEmpty = withLines.filter((r) => r.cells.some((c) => c.trim() !== ''));
  const head = nonEmpty.shift();
  if (!head) {
    throw new InputError(`${manifestName} is empty.`, { code: 'manifest.empty', item: manifestName, hint: 'Write a header row "image,label" and one row per image.' });
  }
  const names = head.cells.map((c) => c.trim().toLowerCase());
  const imageIdx = IMAGE_COLUMNS.map((c) => names.indexOf(c)).find((i) => i >= 0);
  const labelIdx = LABEL_COLUMNS.map((c) => names.indexOf(c)).find((i) => i >= 0) ?? -1;
  if (imageIdx === undefined || labelIdx < 0) {
    const missing = imageIdx === undefined ? `image column (one of ${IMAGE_COLUMNS.join(', ')})` : `label column (one of ${LABEL_COLUMNS.join(', ')})`;
    throw new InputError(`${manifestName}:${head.line}: the header has no ${missing} (found: ${head.cells.join(', ') || 'nothing'}).`, {
      code: 'manifest.columns',
      item: `${manifestName}:${head.line}`,
      hint: 'The first row must name the columns, e.g. "image,label" (optionally "split" and any extra columns).',
    });
  }
  const splitIdx = names.indexOf('split');
  const extraIdx = head.cells.map((_c, i) => i).filter((i) => i !== imageIdx && i !== labelIdx && i !== splitIdx && names[i] !== '');
  const findings: SeverityFinding[] = [];
  const rows: ManifestRow[] = [];
  const seen = new Map<string, { line: number; label: string }>();
  const conflicted = new Set<string>();
  // Labels are compared as NFC: "café" typed on macOS (NFD) and elsewhere (NFC) is one class. Spellings
  // that differ only by normalisation are reported once each, with the line that first used them.
  const spellings = new Map<string, Map<string, number>>();
  for (const { line, cells } of nonEmpty) {
    // The path exactly as written (a name may end in a space); only an empty cell counts as no path.
    const rawImage = cells[imageIdx] ?? '';
    const written = (cells[labelIdx] ?? '').trim();
    const label = written.normalize('NFC');
    const item = rawImage.trim() || `${manifestName}:${line}`;
    if (!rawImage.trim()) {
      findings.push({ severity: 'error', code: 'manifest.missing_image', item, line, message: `line ${line} has no image path`, hint: `Fill in the ${names[imageIdx]} column or delete the line.` });
      continue;
    }
    if (!label) {
      findings.push({ severity: 'error', code: 'manifest.missing_label', item, line, message: `line ${line}: "${rawImage}" has no label`, hint: 'Give the image a label or delete the line.' });
      continue;
    }
    const control = [...label].find((c) => CONTROL.test(c));
    if (control !== undefined) {
      findings.push({
        severity: 'error',
        code: 'label.control_character',
        item,
        line,
        message: `line ${line}: the label ${JSON.stringify(label)} contains the control character ${JSON.stringify(control)}; it would break label files (one label per line) and terminal output`,
        hint: 'Retype the label without line breaks, tabs or other control characters (a quoted cell with a line break in a spreadsheet export is the usual cause).',
      });
      continue;
    }
    const forms = spellings.get(label) ?? new Map<string, number>();
    if (!forms.has(written)) forms.set(written, line);
    spellings.set(label, forms);
    const norm = normaliseManifestPath(rawImage);
    if (!('path' in norm)) {
      findings.push({ severity: 'error', code: norm.code, item: rawImage, line, message: `line ${line}: ${norm.message}`, hint: norm.hint });
      continue;
    }
    const split = splitIdx >= 0 ? (cells[splitIdx] ?? '').trim() : undefined;
    if (split !== undefined && !SPLIT_VALUES.has(split.toLowerCase())) {
      findings.push({ severity: 'error', code: 'manifest.bad_split', item: norm.path, line, message: `line ${line}: split "${split}" is not one of train, validation, test`, hint: 'Use train, validation (or val) or test, or leave the cell empty to let edgewise choose.' });
      continue;
    }
    const prev = seen.get(norm.path);
    if (prev) {
      if (prev.label === label) {
        findings.push({ severity: 'warning', code: 'manifest.repeated_row', item: norm.path, line, message: `line ${line} repeats line ${prev.line}; the repeat is ignored`, hint: 'Delete the repeated line.' });
      } else {
        findings.push({ severity: 'error', code: 'manifest.conflicting_rows', item: norm.path, line, message: `line ${line} lists "${norm.path}" as "${label}", line ${prev.line} as "${prev.label}"`, hint: 'Keep one line per image with the right label.' });
        conflicted.add(norm.path);
      }
      continue;
    }
    seen.set(norm.path, { line, label });
    const extra: Record<string, string> = {};
    for (const i of extraIdx) extra[head.cells[i]!.trim()] = cells[i] ?? '';
    rows.push({ line, image: norm.path, label, ...(split !== undefined ? { split } : {}), extra });
  }
  for (const [label, forms] of spellings) {
    if (forms.size < 2) continue;
    const lines = [...forms.values()];
    findings.push({
      severity: 'warning',
      code: 'label.unicode_merged',
      item: `label "${label}"`,
      line: Math.min(...lines),
      message: `${forms.size} spellings of "${label}" differ only in Unicode normalisation (lines ${lines.join(', ')}: composed and decomposed accents); they were merged into one label (NFC)`,
      hint: 'Nothing to do unless they were meant as different classes; re-export the manifest from one system to make the spellings identical.',
    });
  }
  return {
    imageColumn: names[imageIdx]!,
    hasSplit: splitIdx >= 0,
    extraColumns: extraIdx.map((i) => head.cells[i]!.trim()),
    // An image listed with two labels is rejected entirely: which label is right is the user's call.
    rows: rows.filter((r) => !conflicted.has(r.image)),
    findings,
    records: nonEmpty.length,
  };
}
