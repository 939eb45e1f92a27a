import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { sha256 } from '../core/hash.js';
import { IMAGE_COLUMNS, LABEL_COLUMNS } from './manifest.js';
import { neutraliseCell } from './csv-safety.js';
import { plural } from '../core/text.js';

/** File names treated as photos when reading a folder tree (the formats validate can decode). */
export const IMAGE_FILE = /\.(jpe?g|png|gif|bmp|webp|tiff?|avif)$/i;

/** Top-level folder names that mean a split, mapped to the manifest's split values. */
const SPLIT_FOLDERS: Record<string, 'train' | 'validation' | 'test'> = {
  train: 'train',
  training: 'train',
  val: 'validation',
  valid: 'validation',
  validation: 'validation',
  test: 'test',
  testing: 'test',
};

export function splitOfFolder(name: string): 'train' | 'validation' | 'test' | undefined {
  return SPLIT_FOLDERS[name.toLowerCase()];
}

const skipDir = (name: string) => name.startsWith('.') || name === 'node_modules' || name === '__MACOSX';

export interface FolderRow {
  /** Path relative to the images folder, with "/" separators. */
  image: string;
  label: string;
  split?: 'train' | 'validation' | 'test';
}

/** What a folder of photos holds, read from its tree. */
export interface ClassFolders {
  rows: FolderRow[];
  labels: string[];
  /** Split folders as named on disk (e.g. ["train", "valid", "test"]); empty when there are none. */
  splitFolders: string[];
  /** Photos that sit where no label can be read from their folder (directly in the images or a split folder). */
  unlabelled: string[];
}

/** Every photo below `dir`, recursively, as paths relative to `base`. */
function photosUnder(dir: string, base: string, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory() && !skipDir(e.name)) photosUnder(p, base, out);
    else if (e.isFile() && IMAGE_FILE.test(e.name)) out.push(relative(base, p).split(sep).join('/'));
  }
}

/**
 * Reads the "one folder per label" layout: `DIR/<label>/**` or, when the top-level folders are named
 * train|training, val|valid|validation, test|testing, `DIR/<split>/<label>/**`. The first folder below the
 * images folder (or below the split folder) is the label; deeper folders belong to it. Returns undefined when
 * no photo sits in a label folder.
 */
export function readClassFolders(imagesDir: string): ClassFolders | undefined {
  let top;
  try {
    top = readdirSync(imagesDir, { withFileTypes: true }).filter((e) => e.isDirectory() && !skipDir(e.name));
  } catch {
    return undefined;
  }
  const splitDirs = top.filter((e) => splitOfFolder(e.name)).sort((a, b) => order(a.name) - order(b.name) || (a.name < b.name ? -1 : 1));
  const rows: FolderRow[] = [];
  const unlabelled: string[] = [];
  const readLabels = (dir: string, split: FolderRow['split']) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isFile() && IMAGE_FILE.test(e.name)) unlabelled.push(relative(imagesDir, join(dir, e.name)).split(sep).join('/'));
      if (!e.isDirectory() || skipDir(e.name)) continue;
      const photos: string[] = [];
      photosUnder(join(dir, e.name), imagesDir, photos);
      for (const image of photos) rows.push({ image, label: e.name, ...(split ? { split } : {}) });
    }
  };
  if (splitDirs.length > 0) {
    // Folders beside the split folders are not read: a label folder there would have no split, and guessing
    // whether "extra/" is a label or a scratch folder is the user's call (they are listed as unlabelled).
    for (const d of splitDirs) readLabels(join(imagesDir, d.name), splitOfFolder(d.name));
    for (const d of top.filter((e) => !splitOfFolder(e.name))) photosUnder(join(imagesDir, d.name), imagesDir, unlabelled);
    for (const e of readdirSync(imagesDir, { withFileTypes: true })) if (e.isFile() && IMAGE_FILE.test(e.name)) unlabelled.push(e.name);
  } else {
    readLabels(imagesDir, undefined);
  }
  if (rows.length === 0) return undefined;
  return {
    rows,
    labels: [...new Set(rows.map((r) => r.label))].sort(),
    splitFolders: splitDirs.map((d) => d.name),
    unlabelled,
  };
}

const order = (name: string) => ['train', 'validation', 'test'].indexOf(splitOfFolder(name) ?? '');

/** The manifest a class-folder tree stands for: image,label[,split], in folder order. */
export function formatFolderManifest(f: ClassFolders): string {
  const hasSplit = f.splitFolders.length > 0;
  const columns = ['image', 'label', ...(hasSplit ? ['split'] : [])];
  return stringify(
    f.rows.map((r) => [r.image, r.label, ...(hasSplit ? [r.split ?? ''] : [])].map(neutraliseCell)),
    { header: true, columns },
  );
}

/** One line saying what a tree holds: "3,781 images, 10 labels, split folders train, validation, test". */
export function describeClassFolders(f: ClassFolders): string {
  const parts = [plural(f.rows.length, 'image'), plural(f.labels.length, 'label')];
  parts.push(f.splitFolders.length ? `split folders ${f.splitFolders.join(', ')}` : 'no split folders');
  return parts.join(', ');
}

/** A labels CSV found beside the photos: its path and the columns it names. */
export interface LabelsCsv {
  /** Absolute path. */
  path: string;
  imageColumn: string;
  labelColumn: string;
  rows: number;
}

/** Reads a CSV's header and rows if it names an image column and a label column (any accepted spelling). */
export function readLabelsCsv(path: string): (LabelsCsv & { images: string[] }) | undefined {
  let records: string[][];
  try {
    records = parse(readFileSync(path, 'utf8'), { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch {
    return undefined;
  }
  const head = records.shift()?.map((c) => c.trim().toLowerCase());
  if (!head) return undefined;
  const imageIdx = IMAGE_COLUMNS.map((c) => head.indexOf(c)).find((i) => i >= 0);
  const labelIdx = LABEL_COLUMNS.map((c) => head.indexOf(c)).find((i) => i >= 0);
  if (imageIdx === undefined || labelIdx === undefined) return undefined;
  return {
    path,
    imageColumn: head[imageIdx]!,
    labelColumn: head[labelIdx]!,
    rows: records.length,
    images: records.map((r) => (r[imageIdx] ?? '').trim()).filter(Boolean),
  };
}

/** How many of `images` (manifest paths) exist relative to `dir`; looks at up to `sample` of them. */
export function resolvedIn(dir: string, images: readonly string[], sample = 50): number {
  const step = Math.max(1, Math.floor(images.length / sample));
  let n = 0;
  for (let i = 0; i < images.length; i += step) {
    const p = images[i]!.replace(/\\/g, '/').replace(/^\.\//, '');
    if (!p.startsWith('/') && !p.split('/').includes('..') && existsSync(join(dir, p))) n++;
  }
  return n;
}

/**
 * The folder, among `candidates` (absolute), in which most of a manifest's image paths resolve: the
 * images folder that manifest was written for. Undefined when none of them holds any.
 */
export function folderWhereResolved(images: readonly string[], candidates: readonly string[]): string | undefined {
  let best: { dir: string; n: number } | undefined;
  for (const dir of candidates) {
    const n = resolvedIn(dir, images);
    if (n > 0 && (!best || n > best.n)) best = { dir, n };
  }
  return best?.dir;
}

/** CSVs that could label a flat folder: those in the folder itself, then beside it. */
export function labelsCsvNear(imagesDir: string, exclude: readonly string[] = []): Array<LabelsCsv & { imagesDir: string }> {
  const out: Array<LabelsCsv & { imagesDir: string }> = [];
  for (const dir of [imagesDir, dirname(imagesDir)]) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => /\.csv$/i.test(n)).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const p = join(dir, n);
      if (exclude.includes(p) || !statSync(p).isFile()) continue;
      const csv = readLabelsCsv(p);
      if (!csv || csv.rows === 0) continue;
      // The CSV's paths name the photos relative to the images folder or to the CSV's own folder.
      const where = folderWhereResolved(csv.images, [imagesDir, dir]);
      if (!where) continue;
      const { images: _i, ...rest } = csv;
      out.push({ ...rest, imagesDir: where });
    }
  }
  return out;
}

/** The fingerprint of a manifest edgewise wrote, so a rerun replaces it only while nobody has edited it. */
export function manifestFingerprint(text: string): string {
  return sha256(text);
}
