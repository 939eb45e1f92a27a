import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { InputError } from '../core/errors.js';
import { neutraliseCell, restoreCell } from '../manifest/csv-safety.js';
import type { SplitItem, SplitName } from './split-assign.js';

/** Reading the cleaned manifest and reading/writing splits.csv. */

export interface CleanRow extends SplitItem {
  sha256: string;
  /** 1-based line of the record in the file, for messages. */
  line: number;
}

export interface CleanManifest {
  rows: CleanRow[];
  /** The manifest had a split column (values are in `fixed`). */
  hasSplitColumn: boolean;
}

export interface SplitRow {
  image: string;
  label: string;
  split: SplitName;
  cluster: string;
}

const SPLIT_ALIASES: Record<string, SplitName> = {
  train: 'train',
  training: 'train',
  validation: 'validation',
  val: 'validation',
  valid: 'validation',
  test: 'test',
  testing: 'test',
};

/** Maps the split spellings manifests use (train/training, validation/val, test) to ours; '' is no split. */
export function parseSplitValue(raw: string): SplitName | undefined | null {
  const v = raw.trim().toLowerCase();
  if (v === '') return undefined;
  return SPLIT_ALIASES[v] ?? null;
}

interface Parsed {
  header: string[];
  records: Array<{ line: number; cells: Record<string, string> }>;
}

function parseCsv(text: string, path: string): Parsed {
  let header: string[] = [];
  let out: Array<{ info: { lines: number }; record: Record<string, string> }>;
  try {
    out = parse(text, {
      bom: true,
      columns: (h: string[]) => (header = h.map((c) => c.trim().toLowerCase())),
      skip_empty_lines: true,
      info: true,
    }) as unknown as typeof out;
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new InputError(`${path}${err.lines ? `:${err.lines}` : ''} is not valid CSV: ${err.message}`, {
      code: 'split.csv_invalid',
      item: path,
      hint: 'Rerun `edgewise validate` to rewrite it, or fix the line named above.',
      cause: e,
    });
  }
  return { header, records: out.map((r) => ({ line: r.info.lines, cells: r.record })) };
}

export async function readCleanManifest(path: string): Promise<CleanManifest> {
  if (!existsSync(path)) {
    throw new InputError(`The cleaned manifest ${path} does not exist.`, {
      code: 'split.no_clean_manifest',
      item: path,
      hint: 'Run `edgewise validate` first: the split uses its cleaned manifest and duplicate clusters.',
    });
  }
  const { header, records } = parseCsv(await readFile(path, 'utf8'), path);
  for (const col of ['image', 'label']) {
    if (!header.includes(col)) {
      throw new InputError(`${path} has no "${col}" column (header: ${header.join(',')}).`, {
        code: 'split.clean_manifest_columns',
        item: path,
        hint: 'Rerun `edgewise validate` to rewrite the cleaned manifest.',
      });
    }
  }
  const hasSplitColumn = header.includes('split');
  const seen = new Map<string, number>();
  const rows = records.map(({ line, cells }): CleanRow => {
    const image = restoreCell(cells.image ?? '');
    const label = restoreCell(cells.label ?? '');
    const where = `${path}:${line}`;
    if (!image) throw new InputError(`${where}: the image cell is empty.`, { code: 'split.empty_image', item: where, hint: 'Rerun `edgewise validate`.' });
    if (!label) throw new InputError(`${where}: image "${image}" has no label.`, { code: 'split.empty_label', item: where, hint: 'Rerun `edgewise validate`.' });
    const dup = seen.get(image);
    if (dup !== undefined) {
      throw new InputError(`${where}: image "${image}" is listed twice (first on line ${dup}).`, { code: 'split.duplicate_row', item: where, hint: 'Rerun `edgewise validate` to rewrite the cleaned manifest.' });
    }
    seen.set(image, line);
    const sha = cells.sha256 ?? '';
    const group = restoreCell(cells.group ?? '') || sha || image;
    const row: CleanRow = { image, label, sha256: sha, group, line };
    if (hasSplitColumn) {
      const s = parseSplitValue(cells.split ?? '');
      if (s === null) {
        throw new InputError(`${where}: split "${cells.split}" is not one of train, validation, test.`, {
          code: 'split.bad_split_value',
          item: where,
          hint: 'Use train/training, validation/val or test in the manifest\'s split column, or leave it empty to let edgewise choose.',
        });
      }
      if (s) row.fixed = s;
    }
    return row;
  });
  return { rows, hasSplitColumn };
}

/** Reads splits.csv (undefined when it does not exist). Other steps read the test split through this. */
export async function readSplitsCsv(path: string): Promise<SplitRow[] | undefined> {
  if (!existsSync(path)) return undefined;
  const { header, records } = parseCsv(await readFile(path, 'utf8'), path);
  for (const col of ['image', 'label', 'split']) {
    if (!header.includes(col)) {
      throw new InputError(`${path} has no "${col}" column.`, { code: 'split.splits_columns', item: path, hint: 'Rerun `edgewise split --force` to rewrite it.' });
    }
  }
  return records.map(({ line, cells }) => {
    const split = parseSplitValue(cells.split ?? '');
    if (!split) {
      throw new InputError(`${path}:${line}: split "${cells.split ?? ''}" is not one of train, validation, test.`, {
        code: 'split.bad_split_value',
        item: `${path}:${line}`,
        hint: 'Rerun `edgewise split --force` to rewrite it.',
      });
    }
    return {
      image: restoreCell(cells.image ?? ''),
      label: restoreCell(cells.label ?? ''),
      split,
      cluster: restoreCell(cells.cluster ?? ''),
    };
  });
}

/** splits.csv text: a person may open it in a spreadsheet, so every cell is formula-neutralised. */
export function formatSplitsCsv(rows: readonly SplitRow[]): string {
  return stringify(
    rows.map((r) => [r.image, r.label, r.split, r.cluster].map(neutraliseCell)),
    { header: true, columns: ['image', 'label', 'split', 'cluster'] },
  );
}
