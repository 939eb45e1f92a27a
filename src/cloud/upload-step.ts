import pLimit from 'p-limit';
import { CancelledError, EdgewiseError, InputError, throwIfCancelled } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import { formatBytes, ProgressTracker } from '../core/progress.js';
import type { Step, StepContext } from '../core/step.js';
import { streamEvents } from '../core/event-queue.js';
import { checkBucket, hashLocalFile, listObjects, sameContent, uploadFile } from './gcs.js';
import { parseGoogleError } from './google-errors.js';
import { openCloudSession, requireBucket, type CloudSession } from './session.js';
import { vertexSettings } from './settings.js';
import type { VertexSettings } from '../config/schema.js';
import { join } from 'node:path';
import { HashCache, checkLocalImage, csvObjectName, planUploads, readImportCsv } from './upload-plan.js';
import { realpathSync } from 'node:fs';

export interface UploadInput {
  dryRun?: boolean;
  settings?: Partial<VertexSettings>;
}

export interface UploadOutput {
  bucket: string;
  prefix: string;
  csvUri: string;
  /** base64 MD5 of the CSV as uploaded: the import step keys on it. */
  csvMd5: string;
  images: number;
  uploaded: number;
  skipped: number;
  bytesUploaded: number;
  dryRun: boolean;
  /** Dry run: the object names that would be uploaded. */
  wouldUpload?: string[];
  /** Dry run planned offline (no credentials): what could not be checked. */
  notChecked?: string[];
  seconds: number;
}

/** Journal key of the last finished upload. */
export const UPLOAD_RESOURCE = 'gcs.upload';

/**
 * `edgewise upload`: images named by the import CSV, then the CSV itself, into gs://BUCKET/PREFIX/.
 * Objects already there with the same MD5 (found by one listing) are skipped, so a rerun on unchanged
 * data moves nothing. Always runs: the bucket is the truth, not the journal.
 */
export const uploadStep: Step<UploadInput, UploadOutput> = {
  name: 'upload',
  title: 'Upload images and the import CSV to Cloud Storage',
  // A fresh fingerprint per run: never skipped (the listing decides what moves), but a real run is
  // recorded in the journal so the home screen shows the step done. Dry runs are not recorded.
  fingerprint: (input) => (input.dryRun ? undefined : `run-${Date.now()}-${process.pid}-${Math.random()}`),
  async *run(input, ctx) {
    let session: CloudSession;
    try {
      session = await openCloudSession(ctx.config, { ...(input.settings ? { settings: input.settings } : {}) });
    } catch (e) {
      // A dry run plans what it can without an account, and says what it could not check.
      if (input.dryRun && e instanceof EdgewiseError && OFFLINE_OK.has(e.code)) return yield* planOffline(input, ctx, e);
      throw e;
    }
    try {
      return yield* runUpload(session, input, ctx);
    } finally {
      await session.close();
    }
  },
};

/** Said when bucket metadata is refused: what was not checked, why that can be fine, and how to have it checked. */
export function bucketUncheckedWarning(s: Pick<CloudSession, 'bucket' | 'region'>, reason: string): StepEvent {
  return {
    type: 'warning',
    code: 'cloud.bucket_location_unchecked',
    item: `gs://${s.bucket}`,
    message: `location not checked: reading the bucket's metadata was refused (${reason}). Object roles such as roles/storage.objectAdmin lack storage.buckets.get; uploading goes on. Vertex AI training in ${s.region} needs the bucket in ${s.region} (or a multi-region containing it): check with \`gcloud storage buckets describe gs://${s.bucket} --format="value(location)"\`, or grant roles/storage.legacyBucketReader on the bucket to have edgewise check it.`,
  };
}

/** Failures that stop a real upload but not a dry run's plan: no credentials or no project. */
const OFFLINE_OK = new Set(['cloud.no_credentials', 'cloud.credentials_unreadable', 'cloud.credentials_invalid', 'cloud.credentials_expired', 'cloud.credentials_failed', 'cloud.no_project']);

/**
 * `upload --dry-run` without a usable account: every image the import CSV names is read and hashed (so a
 * missing or unreadable file shows now), and all of them are listed as to upload, because which objects the
 * bucket already holds could not be looked at.
 */
async function* planOffline(input: UploadInput, ctx: StepContext, why: EdgewiseError): AsyncGenerator<StepEvent, UploadOutput, void> {
  const started = performance.now();
  const bucket = requireBucket(ctx.config);
  const prefix = ctx.config.prefix.replace(/^\/+|\/+$/g, '');
  const notChecked = [`which objects gs://${bucket}/${prefix} already holds (every file is listed as to upload)`, `that the bucket exists, its location and your access to it`];
  yield { type: 'warning', code: 'upload.offline_plan', item: why.item ?? why.code, message: `planned offline, without Google Cloud: ${why.message} Not checked: ${notChecked.join('; ')}.` };
  const images = readImportCsv(ctx.workspace, bucket, prefix);
  const plan = await planUploads(images, new Map(), { concurrency: vertexSettings(ctx.config, input.settings).concurrency, signal: ctx.signal, cache: new HashCache(join(ctx.workspace.cacheDir, 'upload-hashes.json')) });
  const csvHashes = await hashLocalFile(ctx.workspace.vertexCsv);
  const csvObject = csvObjectName(prefix);
  const wouldUpload = [...plan.map((p) => p.object), csvObject];
  const bytes = plan.reduce((a, p) => a + p.hashes.size, 0) + csvHashes.size;
  yield { type: 'log', message: `${wouldUpload.length} object(s), ${formatBytes(bytes)}, would be uploaded to gs://${bucket}/${prefix}/` };
  return {
    bucket,
    prefix,
    csvUri: `gs://${bucket}/${csvObject}`,
    csvMd5: csvHashes.md5,
    images: plan.length,
    uploaded: 0,
    skipped: 0,
    bytesUploaded: 0,
    dryRun: true,
    wouldUpload,
    notChecked,
    seconds: (performance.now() - started) / 1000,
  };
}

export async function* runUpload(s: CloudSession, input: UploadInput, ctx: StepContext): AsyncGenerator<StepEvent, UploadOutput, void> {
  const started = performance.now();
  yield { type: 'log', message: `Project ${s.project} (from ${s.projectFrom}), bucket gs://${s.bucket}, region ${s.region}` };
  const bucket = await checkBucket(s, ctx.signal);
  if (bucket.checked) yield { type: 'log', message: `Bucket gs://${s.bucket} is in ${bucket.location}` };
  else yield bucketUncheckedWarning(s, bucket.reason);

  const images = readImportCsv(ctx.workspace, s.bucket, s.prefix);
  const csvObject = csvObjectName(s.prefix);
  throwIfCancelled(ctx.signal);
  const remote = await listObjects(s, s.prefix ? `${s.prefix}/` : '', ctx.signal);
  yield { type: 'log', message: `${remote.size} object(s) already under gs://${s.bucket}/${s.prefix}` };

  const hashTracker = new ProgressTracker('hash', images.length, 'files');
  const plan = yield* streamEvents((emit) =>
    planUploads(images, remote, {
      cache: new HashCache(join(ctx.workspace.cacheDir, 'upload-hashes.json')),
      concurrency: s.settings.concurrency,
      signal: ctx.signal,
      onHashed: (n) => {
        const ev = hashTracker.update(n);
        if (ev) emit(ev);
      },
    }),
  );

  const csvHashes = await hashLocalFile(ctx.workspace.vertexCsv);
  const csvSame = sameContent(remote.get(csvObject), csvHashes);
  const todo = plan.filter((p) => p.action === 'upload');
  const skipped = plan.length - todo.length;
  const totalBytes = todo.reduce((a, p) => a + p.hashes.size, 0);
  yield { type: 'log', message: `${todo.length} image(s) to upload (${formatBytes(totalBytes)}), ${skipped} unchanged; CSV ${csvSame ? 'unchanged' : 'to upload'}` };

  const base = {
    bucket: s.bucket,
    prefix: s.prefix,
    csvUri: s.uri(csvObject),
    csvMd5: csvHashes.md5,
    images: plan.length,
    skipped,
  };
  if (input.dryRun) {
    const wouldUpload = [...todo.map((p) => p.object), ...(csvSame ? [] : [csvObject])];
    for (const name of wouldUpload.slice(0, 20)) yield { type: 'log', message: `would upload gs://${s.bucket}/${name}` };
    if (wouldUpload.length > 20) yield { type: 'log', message: `… and ${wouldUpload.length - 20} more` };
    return { ...base, uploaded: 0, bytesUploaded: 0, dryRun: true, wouldUpload, seconds: (performance.now() - started) / 1000 };
  }

  const imagesReal = realpathSync(ctx.workspace.imagesDir);
  const files = new ProgressTracker('files', todo.length, 'files');
  const bytes = new ProgressTracker('bytes', totalBytes, 'bytes');
  let doneFiles = 0;
  let doneBytes = 0;
  const limit = pLimit(s.settings.concurrency);
  if (todo.length) {
    yield files.event(0);
    yield bytes.event(0);
  }
  const uploadAll = (emit: (e: StepEvent) => void) =>
    Promise.all(
      todo.map((p) =>
        limit(async () => {
          throwIfCancelled(ctx.signal);
          // Checked again right before the SDK opens it: a file swapped for a symlink (or moved) since planning is refused.
          if (p.item !== undefined && p.rel !== undefined && p.expected !== undefined) {
            const now = checkLocalImage(imagesReal, { item: p.item, object: p.object, rel: p.rel, expected: p.expected });
            if (now !== p.local) throw new InputError(`${p.item}: refusing to upload ${p.rel}: it now leads to ${now}, not the file that was checked.`, { code: 'upload.changed_since_validate', item: p.item, hint: 'Rerun `edgewise upload` once nothing is changing the images folder.' });
          }
          await uploadFile(s, p.local, p.object, p.hashes, {
            signal: ctx.signal,
            onRetry: (e, attempt, delay) => {
              const info = parseGoogleError(e);
              emit({ type: 'warning', code: 'upload.retry', item: p.object, message: `retry ${attempt} in ${delay} ms after ${info.netCode ?? `${info.httpStatus ? `HTTP ${info.httpStatus}: ` : ''}${info.message}`}` });
            },
          });
          doneFiles++;
          doneBytes += p.hashes.size;
          const a = files.update(doneFiles);
          const b = bytes.update(doneBytes);
          if (a) emit(a);
          if (b) emit(b);
        }),
      ),
    ).catch((e: unknown) => {
      // Stop starting new uploads at the first failure; the ones in flight finish (objects appear whole or not at all).
      limit.clearQueue();
      throw e;
    });
  try {
    yield* streamEvents(uploadAll);
  } catch (e) {
    if (ctx.signal.aborted) throw new CancelledError(`Upload cancelled after ${doneFiles} of ${todo.length} files; rerun \`edgewise upload\` to continue (finished files are skipped).`);
    throw e;
  }
  throwIfCancelled(ctx.signal);

  // The CSV goes last, so an import never sees a CSV whose images are not all there.
  if (!csvSame) {
    await uploadFile(s, ctx.workspace.vertexCsv, csvObject, csvHashes, { signal: ctx.signal, contentType: 'text/csv' });
  }
  ctx.journal.setResource(UPLOAD_RESOURCE, { csvUri: base.csvUri, csvMd5: csvHashes.md5, images: plan.length, at: new Date().toISOString() });
  return { ...base, uploaded: todo.length + (csvSame ? 0 : 1), bytesUploaded: doneBytes + (csvSame ? 0 : csvHashes.size), dryRun: false, seconds: (performance.now() - started) / 1000 };
}

