import { existsSync, readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../core/atomic.js';
import { parse } from 'csv-parse/sync';
import pLimit from 'p-limit';
import { InputError, throwIfCancelled } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { hashLocalFile, sameContent, type LocalHashes, type RemoteObject } from './gcs.js';

/** What `edgewise upload` moves: every image the import CSV names, and the CSV itself. */

export interface PlannedFile {
  local: string;
  /** Object name inside the bucket. */
  object: string;
  hashes: LocalHashes;
  action: 'upload' | 'skip';
}

export interface CsvImage {
  line: number;
  uri: string;
  local: string;
  object: string;
}

/** Object name of the import CSV: gs://BUCKET/PREFIX/vertex_dataset.csv. */
export function csvObjectName(prefix: string): string {
  return prefix ? `${prefix}/vertex_dataset.csv` : 'vertex_dataset.csv';
}

export function imagesPrefix(prefix: string): string {
  return prefix ? `${prefix}/images/` : 'images/';
}

/**
 * Reads the import CSV and maps each gs:// URI back to its file under the images folder. Every problem
 * names the CSV line.
 */
export function readImportCsv(ws: Workspace, bucket: string, prefix: string): CsvImage[] {
  const csvPath = ws.vertexCsv;
  if (!existsSync(csvPath)) {
    throw new InputError(`${ws.rel(csvPath)} does not exist.`, { code: 'upload.no_csv', item: ws.rel(csvPath), hint: 'Run `edgewise split` first: it writes the Vertex import CSV.' });
  }
  const rows = parse(readFileSync(csvPath, 'utf8').replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true }) as string[][];
  const want = imagesPrefix(prefix);
  const seen = new Map<string, CsvImage>();
  rows.forEach((row, i) => {
    const line = i + 1;
    const item = `${ws.rel(csvPath)}:${line}`;
    const uri = row.find((c) => c.startsWith('gs://'));
    if (!uri) throw new InputError(`Line ${line} of ${ws.rel(csvPath)} has no gs:// image URI.`, { code: 'upload.bad_csv', item, hint: 'Rerun `edgewise split` to rewrite the CSV.' });
    const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!m || m[1] !== bucket) {
      throw new InputError(`Line ${line} of ${ws.rel(csvPath)} points at ${uri}, outside the configured bucket gs://${bucket}.`, {
        code: 'upload.bucket_mismatch',
        item,
        hint: 'The bucket or prefix changed since the split: rerun `edgewise split` so the CSV names the current bucket.',
      });
    }
    const object = m[2]!;
    if (!object.startsWith(want)) {
      throw new InputError(`Line ${line} of ${ws.rel(csvPath)} points at ${uri}, not under gs://${bucket}/${want}.`, {
        code: 'upload.prefix_mismatch',
        item,
        hint: 'The prefix changed since the split: rerun `edgewise split`.',
      });
    }
    const local = join(ws.imagesDir, ...object.slice(want.length).split('/'));
    if (!existsSync(local) || !statSync(local).isFile()) {
      throw new InputError(`Line ${line} of ${ws.rel(csvPath)} names ${object.slice(want.length)}, but ${ws.rel(local)} does not exist.`, {
        code: 'upload.missing_image',
        item,
        hint: 'Restore the image or rerun `edgewise validate` and `edgewise split`.',
      });
    }
    if (!seen.has(object)) seen.set(object, { line, uri, local, object });
  });
  if (seen.size === 0) throw new InputError(`${ws.rel(csvPath)} lists no images.`, { code: 'upload.empty_csv', item: ws.rel(csvPath), hint: 'Rerun `edgewise split`.' });
  return [...seen.values()];
}

/** MD5/CRC32C of local files by (size, mtime), so a rerun on unchanged data reads no image bytes. */
export class HashCache {
  private entries: Record<string, LocalHashes & { mtimeMs: number }> = {};
  private dirty = false;
  constructor(private readonly path: string) {
    try {
      this.entries = JSON.parse(readFileSync(path, 'utf8')) as typeof this.entries;
    } catch {
      this.entries = {};
    }
  }

  async hash(file: string): Promise<LocalHashes> {
    const st = await stat(file);
    const hit = this.entries[file];
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return { size: hit.size, md5: hit.md5, crc32c: hit.crc32c };
    const h = await hashLocalFile(file);
    this.entries[file] = { ...h, mtimeMs: st.mtimeMs };
    this.dirty = true;
    return h;
  }

  async save(): Promise<void> {
    if (this.dirty) await writeJsonAtomic(this.path, this.entries);
    this.dirty = false;
  }
}

/** Hashes local files (bounded parallelism) and marks each one upload or skip against the listing. */
export async function planUploads(
  files: Array<{ local: string; object: string }>,
  remote: Map<string, RemoteObject>,
  opts: { concurrency: number; signal?: AbortSignal; onHashed?: (done: number) => void; cache?: HashCache },
): Promise<PlannedFile[]> {
  const limit = pLimit(Math.max(1, Math.min(opts.concurrency, 32)));
  let done = 0;
  const out = await Promise.all(
    files.map((f) =>
      limit(async () => {
        throwIfCancelled(opts.signal);
        const hashes = opts.cache ? await opts.cache.hash(f.local) : await hashLocalFile(f.local);
        opts.onHashed?.(++done);
        return { ...f, hashes, action: sameContent(remote.get(f.object), hashes) ? 'skip' : 'upload' } satisfies PlannedFile;
      }),
    ),
  );
  await opts.cache?.save();
  return out;
}
