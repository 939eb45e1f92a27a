import { parse } from 'csv-parse/sync';
import { InputError } from '../core/errors.js';
import type { SeverityFinding } from './findings.js';
import { normaliseManifestPath } from './image-paths.js';

/** Header names accepted for the image column (DESIGN.md), in order of preference. */
export const IMAGE_COLUMNS = ['image', 'filename', 'path', 'file'] as const;
/** Header names accepted for the label column, in order of preference. */
export const LABEL_COLUMNS = ['label', 'class', 'category'] as const;
const SPLIT_VALUES = new Set(['train', 'training', 'validation', 'val', 'valid', 'test', 'testing', '']);

export interface ManifestRow {
  /** 1-based line where the record starts (the header is line 1). */
  line: number;
  /** Canonical path relative to the images folder. */
  image: string;
  /** Trimmed label as written (mapping is applied later). */
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
  for (const { line, cells } of nonEmpty) {
    const rawImage = (cells[imageIdx] ?? '').trim();
    const label = (cells[labelIdx] ?? '').trim();
    const item = rawImage || `${manifestName}:${line}`;
    if (!rawImage) {
      findings.push({ severity: 'error', code: 'manifest.missing_image', item, line, message: `line ${line} has no image path`, hint: `Fill in the ${names[imageIdx]} column or delete the line.` });
      continue;
    }
    if (!label) {
      findings.push({ severity: 'error', code: 'manifest.missing_label', item, line, message: `line ${line}: "${rawImage}" has no label`, hint: 'Give the image a label or delete the line.' });
      continue;
    }
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
