import { readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { throwIfCancelled } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import { ProgressTracker } from '../core/progress.js';
import type { ImageMeasure } from '../images/image-measure.js';
import { normaliseManifestPath, resolveImagePathSync } from '../manifest/image-paths.js';
import type { ManifestRow, ParsedManifest } from '../manifest/manifest.js';
import type { Findings, SeverityFinding } from './findings.js';

/** One manifest row as the phases learn about it: its file (when there is one), then its measures. */
export interface Scanned {
  row: ManifestRow;
  abs?: string;
  size?: number;
  mtimeMs?: number;
  measure?: ImageMeasure;
  findings: SeverityFinding[];
}

/**
 * The scan phase: every row's path resolved (symlinks followed and confined to the images folder) and its
 * file stat'ed. `imagesDir` is the folder as the person knows it, for messages.
 */
export async function* scanFiles(manifest: ParsedManifest, imagesReal: string, imagesDir: string, findings: Findings, signal?: AbortSignal): AsyncGenerator<StepEvent, Scanned[]> {
  const scanned: Scanned[] = [];
  // Names rows have taken: their own, and the trimmed ones adopted below (one file is read for one row).
  const claimed = new Set(manifest.rows.map((r) => r.image));
  const tracker = new ProgressTracker('scan', manifest.rows.length, 'files');
  for (const row of manifest.rows) {
    throwIfCancelled(signal);
    const s = scanRow(row, imagesReal, imagesDir, claimed);
    findings.record(s.findings);
    scanned.push(s);
    const ev = tracker.update(scanned.length);
    if (ev) {
      yield ev;
      yield* findings.metrics();
    }
  }
  if (manifest.rows.length === 0) yield tracker.event(0);
  return scanned;
}

function scanRow(row: ManifestRow, imagesReal: string, imagesDir: string, claimed: Set<string>): Scanned {
  const s: Scanned = { row, findings: [] };
  let r = resolveImagePathSync(imagesReal, row.image);
  // Names are exact ("photo .jpg" exists); a cell padded with spaces around a name that exists is read as
  // that name (and the row's image is that name from now on), unless another row has it already.
  const trimmed = normaliseManifestPath(row.image.trim());
  if ('missing' in r && 'path' in trimmed && trimmed.path !== row.image && !claimed.has(trimmed.path)) {
    const t = resolveImagePathSync(imagesReal, trimmed.path);
    if (!('missing' in t)) {
      row.image = trimmed.path;
      claimed.add(trimmed.path);
      r = t;
    }
  }
  if ('missing' in r) {
    s.findings.push({ severity: 'error', code: 'image.missing', item: row.image, line: row.line, message: `the file does not exist in ${imagesDir}`, hint: 'Copy the image there, fix the path, or remove the manifest line.' });
  } else if ('code' in r) {
    s.findings.push({ severity: 'error', code: r.code, item: row.image, line: row.line, message: r.message, hint: r.hint });
  } else {
    const st = statSync(r.abs);
    if (!st.isFile()) {
      s.findings.push({ severity: 'error', code: 'image.not_a_file', item: row.image, line: row.line, message: `the path is ${notAFile(st)}, not an image file`, hint: 'List image files only.' });
    } else {
      s.abs = r.abs;
      s.size = st.size;
      s.mtimeMs = st.mtimeMs;
    }
  }
  return s;
}

function notAFile(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Files in the images folder that no manifest row names (often a forgotten export step), as one warning.
 * Rows refused by the manifest checks (e.g. an empty label) still name their image: not "unlisted".
 * Hidden files and folders are not the dataset's.
 */
export function unlistedFiles(manifest: ParsedManifest, imagesReal: string, imagesDir: string): SeverityFinding[] {
  const listed = new Set([...manifest.rows.map((r) => r.image), ...manifest.findings.map((f) => f.item)]);
  const unlisted = walkStats(imagesReal)
    .map(([p]) => p)
    .filter((p) => !listed.has(p) && !p.split('/').some((part) => part.startsWith('.')));
  if (unlisted.length === 0) return [];
  return [
    {
      severity: 'warning',
      code: 'images.unlisted',
      item: imagesDir,
      message: `${unlisted.length} file${unlisted.length === 1 ? ' is' : 's are'} in the images folder but not in the manifest (e.g. ${unlisted.slice(0, 3).join(', ')})`,
      hint: 'Add them to the manifest with their labels if they belong to the dataset.',
    },
  ];
}

/** [path, size, mtime] of every file under the images folder (sync: one pool trip per file adds up). */
export function walkStats(dir: string, base = ''): Array<[string, number, number]> {
  const out: Array<[string, number, number]> = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walkStats(join(dir, e.name), rel));
    else {
      try {
        const st = statSync(join(dir, e.name));
        out.push([rel, st.size, st.mtimeMs]);
      } catch {
        out.push([rel, -1, 0]);
      }
    }
  }
  return out;
}
