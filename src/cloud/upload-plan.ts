import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { writeJsonAtomic } from '../core/atomic.js';
import { parse } from 'csv-parse/sync';
import pLimit from 'p-limit';
import { InputError, throwIfCancelled } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { resolveImagePathSync } from '../manifest/image-paths.js';
import { vertexImageName } from '../split/vertex-csv.js';
import { hashLocalFile, sameContent, type LocalHashes, type RemoteObject } from './gcs.js';

/** What `edgewise upload` moves: every image the import CSV names, and the CSV itself. */

export interface PlannedFile {
  local: string;
  /** Object name inside the bucket. */
  object: string;
  /** From the import CSV: the row (for messages), the path under images/, and what validate recorded. */
  item?: string;
  rel?: string;
  expected?: { bytes: number; sha256: string };
  hashes: LocalHashes;
  action: 'upload' | 'skip';
}

export interface CsvImage {
  line: number;
  uri: string;
  /** The image file, resolved (symlinks followed) and checked to be inside the images folder. */
  local: string;
  object: string;
  /** `${csv}:${line}`, for messages. */
  item: string;
  /** The path under the images folder (the object name after PREFIX/images/). */
  rel: string;
  /** Size and SHA-256 that validate recorded for this image (report.json). */
  expected: { bytes: number; sha256: string };
}

/** Object name of the import CSV: gs://BUCKET/PREFIX/vertex_dataset.csv. */
export function csvObjectName(prefix: string): string {
  return prefix ? `${prefix}/vertex_dataset.csv` : 'vertex_dataset.csv';
}

export function imagesPrefix(prefix: string): string {
  return prefix ? `${prefix}/images/` : 'images/';
}

/** Why an object name taken from the CSV is refused (control characters, `..`, `.` or empty segments, a backslash), or undefined. */
export function objectNameProblem(name: string): string | undefined {
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'holds a control character';
  if (name.includes('\\')) return 'holds a backslash';
  if (name.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')) return 'has a "..", "." or empty path segment';
  return undefined;
}

/** Size and SHA-256 of each image validate kept, by its name under images/ (as the Vertex CSV writes it). */
function validatedImages(ws: Workspace): Map<string, { bytes: number; sha256: string }> {
  const path = ws.reportPath;
  let report: { images?: Array<{ image?: unknown; status?: unknown; bytes?: unknown; sha256?: unknown }> };
  try {
    report = JSON.parse(readFileSync(path, 'utf8')) as typeof report;
  } catch (e) {
    throw new InputError(`Upload checks every image against ${ws.rel(path)}, which ${existsSync(path) ? 'is not valid JSON' : 'does not exist'}.`, {
      code: 'upload.no_report', item: ws.rel(path), cause: e,
      hint: 'Run `edgewise validate` and `edgewise split` first.',
    });
  }
  const out = new Map<string, { bytes: number; sha256: string }>();
  for (const img of report.images ?? []) {
    if (img.status === 'kept' && typeof img.image === 'string' && typeof img.bytes === 'number' && typeof img.sha256 === 'string') out.set(vertexImageName(img.image), { bytes: img.bytes, sha256: img.sha256 });
  }
  return out;
}

/**
 * The file an import-CSV row may upload, checked again right before it is read: its real path (symlinks
 * followed) inside the images folder, a regular file, with the size validate recorded. Throws naming the row.
 */
export function checkLocalImage(imagesReal: string, img: Pick<CsvImage, 'item' | 'object' | 'expected'> & { rel: string }): string {
  const r = resolveImagePathSync(imagesReal, img.rel);
  const refuse = (code: string, why: string, hint: string): never => {
    throw new InputError(`${img.item}: refusing to upload ${img.rel}: ${why}.`, { code, item: img.item, hint });
  };
  if ('missing' in r) return refuse('upload.missing_image', 'the file does not exist in the images folder', 'Restore the image or rerun `edgewise validate` and `edgewise split`.');
  if ('code' in r) return refuse('upload.outside_images', r.message, 'Only files inside the images folder are uploaded: copy the image there and rerun `edgewise validate` and `edgewise split`.');
  const st = statSync(r.abs);
  if (!st.isFile()) return refuse('upload.not_a_file', 'it is not a regular file', 'Replace it with the image file and rerun `edgewise validate`.');
  if (st.size !== img.expected.bytes) return refuse('upload.changed_since_validate', `it is ${st.size} bytes, but validate checked ${img.expected.bytes}`, 'The file changed after validation: rerun `edgewise validate` and `edgewise split`.');
  return r.abs;
}

/**
 * Reads the import CSV and maps each gs:// URI back to its file under the images folder. Nothing in the CSV
 * is trusted: every object name is checked (no control characters, no `..`), every local file must be
 * inside the images folder (symlinks followed), a regular file, and one validate kept. Every problem names
 * the CSV line.
 */
export function readImportCsv(ws: Workspace, bucket: string, prefix: string): CsvImage[] {
  const csvPath = ws.vertexCsv;
  if (!existsSync(csvPath)) {
    throw new InputError(`${ws.rel(csvPath)} does not exist.`, { code: 'upload.no_csv', item: ws.rel(csvPath), hint: 'Run `edgewise split` first: it writes the Vertex import CSV.' });
  }
  const rows = parse(readFileSync(csvPath, 'utf8').replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true }) as string[][];
  const want = imagesPrefix(prefix);
  const validated = validatedImages(ws);
  const imagesReal = realpathSync(ws.imagesDir);
  const seen = new Map<string, CsvImage>();
  rows.forEach((row, i) => {
    const line = i + 1;
    const item = `${ws.rel(csvPath)}:${line}`;
    const uri = row.find((c) => c.startsWith('gs://'));
    if (!uri) throw new InputError(`Line ${line} of ${ws.rel(csvPath)} has no gs:// image URI.`, { code: 'upload.bad_csv', item, hint: 'Rerun `edgewise split` to rewrite the CSV.' });
    const m = /^gs:\/\/([^/]+)\/(.+)$/s.exec(uri);
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
    const problem = objectNameProblem(object);
    if (problem) {
      throw new InputError(`Line ${line} of ${ws.rel(csvPath)}: the object name ${JSON.stringify(object)} ${problem}; refusing to upload it.`, {
        code: 'upload.bad_object_name',
        item,
        hint: '`edgewise split` never writes such a name: the CSV was edited. Rerun `edgewise split`.',
      });
    }
    const rel = object.slice(want.length);
    const expected = validated.get(rel);
    if (!expected) {
      throw new InputError(`Line ${line} of ${ws.rel(csvPath)} names ${rel}, which validate did not keep (not in ${ws.rel(ws.reportPath)}); refusing to upload it.`, {
        code: 'upload.not_validated',
        item,
        hint: 'Rerun `edgewise validate` and `edgewise split`: only images validate checked are uploaded.',
      });
    }
    const local = checkLocalImage(imagesReal, { item, object, expected, rel });
    if (!seen.has(object)) seen.set(object, { line, uri, local, object, item, rel, expected });
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
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.sha256) return { size: hit.size, md5: hit.md5, crc32c: hit.crc32c, sha256: hit.sha256 };
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
  files: Array<Omit<PlannedFile, 'hashes' | 'action'>>,
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
        if (f.expected && (hashes.size !== f.expected.bytes || hashes.sha256 !== f.expected.sha256)) {
          throw new InputError(`${f.item ?? f.object}: refusing to upload ${f.object}: its content is not what validate checked (SHA-256 ${hashes.sha256?.slice(0, 12)}…, validated ${f.expected.sha256.slice(0, 12)}…).`, {
            code: 'upload.changed_since_validate', item: f.item ?? f.object,
            hint: 'The file changed after validation: rerun `edgewise validate` and `edgewise split`.',
          });
        }
        opts.onHashed?.(++done);
        return { ...f, hashes, action: sameContent(remote.get(f.object), hashes) ? 'skip' : 'upload' } satisfies PlannedFile;
      }),
    ),
  );
  await opts.cache?.save();
  return out;
}
