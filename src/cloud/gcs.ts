import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { CRC32C as Crc32cClass } from '@google-cloud/storage';
import { writeFileAtomic } from '../core/atomic.js';
import { EdgewiseError } from '../core/errors.js';
import { explainGoogleError, isRetryable, parseGoogleError } from './google-errors.js';
import { withRetry } from './retry.js';
import type { CloudSession } from './session.js';

/** Cloud Storage operations with retries and end-to-end hash checks (as gsutil does). */

export interface RemoteObject {
  name: string;
  size: number;
  /** base64, as GCS reports them. */
  md5?: string;
  crc32c?: string;
}

export interface LocalHashes {
  size: number;
  md5: string;
  crc32c: string;
  /** Hex SHA-256 of local files (what validate recorded), so upload can check a file is the one validated. */
  sha256?: string;
}

let CRC32C: typeof Crc32cClass | undefined;
/** Node 20 has no CRC32C: the storage SDK's implementation, loaded with the SDK. */
async function crc32c(): Promise<Crc32cClass> {
  CRC32C ??= (await import('@google-cloud/storage')).CRC32C;
  return new CRC32C();
}

export async function hashLocalFile(path: string): Promise<LocalHashes> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  const crc = await crc32c();
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    const b = chunk as Buffer;
    md5.update(b);
    sha.update(b);
    crc.update(b);
    size += b.length;
  }
  return { size, md5: md5.digest('base64'), crc32c: crc.toString(), sha256: sha.digest('hex') };
}

export async function hashBuffer(data: Buffer): Promise<LocalHashes> {
  const crc = await crc32c();
  crc.update(data);
  return { size: data.length, md5: createHash('md5').update(data).digest('base64'), crc32c: crc.toString() };
}

function retryOpts(s: CloudSession, signal: AbortSignal | undefined, onRetry?: (e: unknown, attempt: number, delay: number) => void) {
  return {
    retries: s.settings.retries,
    baseMs: s.settings.retryBaseMs,
    maxMs: s.settings.retryMaxMs,
    ...(signal ? { signal } : {}),
    ...(onRetry ? { onRetry } : {}),
  };
}

/** Multi-regions and predefined dual-regions, and the Vertex regions whose data they may hold. */
const MULTI_REGIONS: Record<string, (region: string) => boolean> = {
  US: (r) => r.startsWith('us-'),
  EU: (r) => r.startsWith('europe-') && !['europe-west2', 'europe-west6', 'europe-west12'].includes(r),
  ASIA: (r) => r.startsWith('asia-'),
  NAM4: (r) => r === 'us-central1' || r === 'us-east1',
  EUR4: (r) => r === 'europe-north1' || r === 'europe-west4',
  ASIA1: (r) => r === 'asia-northeast1' || r === 'asia-northeast2',
};

export function bucketLocationCompatible(location: string, region: string): boolean {
  const loc = location.toUpperCase();
  if (loc === region.toUpperCase()) return true;
  return MULTI_REGIONS[loc]?.(region) ?? false;
}

export type BucketCheck =
  | { checked: true; location: string }
  /** Bucket metadata was refused (403): the caller has object roles only (roles/storage.objectAdmin lacks storage.buckets.get). */
  | { checked: false; reason: string };

/**
 * The bucket exists, we can read it, and it sits where Vertex training in `region` can use it. Reading
 * bucket metadata needs storage.buckets.get, which the object-level roles edgewise documents do not grant:
 * a 403 there is reported as "not checked" (the caller warns and goes on; the listing that follows fails
 * clearly if the objects are out of reach too).
 */
export async function checkBucket(s: CloudSession, signal?: AbortSignal): Promise<BucketCheck> {
  let md: { location?: string };
  try {
    [md] = (await withRetry(() => s.storage.bucket(s.bucket).getMetadata(), retryOpts(s, signal))) as unknown as [{ location?: string }];
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 403) {
      const info = parseGoogleError(e);
      return { checked: false, reason: info.message };
    }
    if (code === 404) {
      throw new EdgewiseError(`The bucket gs://${s.bucket} does not exist (project ${s.project}).`, {
        code: 'cloud.bucket_missing',
        item: `gs://${s.bucket}`,
        hint: `Create it next to your Vertex region: \`gcloud storage buckets create gs://${s.bucket} --location=${s.region} --project ${s.project}\`, or fix "bucket" in edgewise.json.`,
        cause: e,
      });
    }
    throw explainGoogleError(e, { action: `read bucket gs://${s.bucket}`, project: s.project, bucket: s.bucket, service: 'storage.googleapis.com', tokenFrom: s.tokenFrom });
  }
  const location = md.location ?? 'unknown';
  if (!bucketLocationCompatible(location, s.region)) {
    throw new EdgewiseError(`The bucket gs://${s.bucket} is in ${location}, but Vertex AI training runs in ${s.region}: Vertex needs the data in the same region (or a multi-region containing it).`, {
      code: 'cloud.bucket_location',
      item: `gs://${s.bucket}`,
      hint: `Use a bucket in ${s.region} (\`gcloud storage buckets create gs://NEW --location=${s.region}\`) or set "region" in edgewise.json to match the bucket.`,
    });
  }
  return { checked: true, location };
}

/** Every object under a prefix, by listing (one request per 1,000 objects, not one per file). */
export async function listObjects(s: CloudSession, prefix: string, signal?: AbortSignal): Promise<Map<string, RemoteObject>> {
  const out = new Map<string, RemoteObject>();
  try {
    let query: Record<string, unknown> | null = { prefix, autoPaginate: false, maxResults: 1000 };
    while (query) {
      const q: Record<string, unknown> = query;
      const [files, next] = (await withRetry(() => s.storage.bucket(s.bucket).getFiles(q), retryOpts(s, signal))) as unknown as [
        Array<{ name: string; metadata: { size?: string | number; md5Hash?: string; crc32c?: string } }>,
        Record<string, unknown> | null,
      ];
      for (const f of files) {
        out.set(f.name, {
          name: f.name,
          size: Number(f.metadata.size ?? 0),
          ...(f.metadata.md5Hash ? { md5: f.metadata.md5Hash } : {}),
          ...(f.metadata.crc32c ? { crc32c: f.metadata.crc32c } : {}),
        });
      }
      query = next && next.pageToken ? { ...q, pageToken: next.pageToken } : null;
    }
  } catch (e) {
    throw explainGoogleError(e, { action: `list gs://${s.bucket}/${prefix}`, project: s.project, bucket: s.bucket, service: 'storage.googleapis.com', tokenFrom: s.tokenFrom });
  }
  return out;
}

/** Same content: MD5 when both sides have it (composite objects have none), else CRC32C and size. */
export function sameContent(remote: RemoteObject | undefined, local: LocalHashes): boolean {
  if (!remote || remote.size !== local.size) return false;
  if (remote.md5) return remote.md5 === local.md5;
  return remote.crc32c !== undefined && remote.crc32c === local.crc32c;
}

export interface UploadOptions {
  contentType?: string;
  signal?: AbortSignal;
  onRetry?: (e: unknown, attempt: number, delayMs: number) => void;
}

/**
 * GCS refusing a simple upload because the bytes it received do not hash to the md5Hash we declared: the
 * object was not stored, the bytes were damaged on the way, and sending them again is the remedy.
 */
export function isMd5Refusal(e: unknown): boolean {
  const info = parseGoogleError(e);
  return info.httpStatus === 400 && /MD5 hash .*(?:doesn't|does not) match/i.test(info.message);
}

/**
 * Uploads one file and checks the stored object's MD5 and CRC32C against the local ones; a mismatch is
 * retried, never accepted. A simple upload declares its MD5, so GCS itself refuses damaged bytes (400):
 * that object is sent again, within the same retry budget. Large files go through a resumable session that a
 * retry continues from the bytes GCS already has.
 */
export async function uploadFile(s: CloudSession, localPath: string, objectName: string, local: LocalHashes, opts: UploadOptions = {}): Promise<void> {
  const file = s.storage.bucket(s.bucket).file(objectName);
  const resumable = local.size >= s.settings.resumableThresholdBytes;
  const metadata = { contentType: opts.contentType ?? contentTypeOf(objectName), ...(resumable ? {} : { md5Hash: local.md5 }) };
  let sessionUri: string | undefined;
  try {
    await withRetry(async () => {
      let result: { md5Hash?: string; crc32c?: string; size?: string | number };
      if (resumable) {
        if (!sessionUri) [sessionUri] = await file.createResumableUpload({ metadata });
        try {
          [, result] = (await s.storage.bucket(s.bucket).upload(localPath, { destination: objectName, resumable: true, uri: sessionUri, validation: false, metadata })) as unknown as [unknown, typeof result];
        } catch (e) {
          // A session GCS forgot (404/410) or one that already finished with bad bytes: start afresh.
          const code = (e as { code?: unknown }).code;
          if (code === 404 || code === 410) sessionUri = undefined;
          throw e;
        }
      } else {
        [, result] = (await s.storage.bucket(s.bucket).upload(localPath, { destination: objectName, resumable: false, validation: false, metadata })) as unknown as [unknown, typeof result];
      }
      if (result.md5Hash !== undefined ? result.md5Hash !== local.md5 : result.crc32c !== local.crc32c) {
        sessionUri = undefined;
        throw new EdgewiseError(`gs://${s.bucket}/${objectName} arrived with different content than ${localPath} (MD5 ${result.md5Hash ?? '?'} ≠ ${local.md5}).`, {
          code: 'cloud.hash_mismatch',
          item: objectName,
          hint: 'The upload was corrupted on the way; it is retried automatically. If this persists, check proxies between you and Google.',
        });
      }
    }, { ...retryOpts(s, opts.signal, opts.onRetry), retryable: (e) => isRetryable(e) || isMd5Refusal(e) });
  } catch (e) {
    throw explainGoogleError(e, { action: `upload ${localPath} to gs://${s.bucket}/${objectName}`, project: s.project, bucket: s.bucket, service: 'storage.googleapis.com', tokenFrom: s.tokenFrom });
  }
}

/** Downloads an object into memory and checks it against the object's MD5/CRC32C; mismatches are retried. */
export async function downloadVerified(s: CloudSession, bucket: string, name: string, signal?: AbortSignal): Promise<Buffer> {
  try {
    return await withRetry(async () => {
      const file = s.storage.bucket(bucket).file(name);
      const [md] = (await file.getMetadata()) as unknown as [{ md5Hash?: string; crc32c?: string; size?: string }];
      const [data] = await file.download({ validation: false });
      const h = await hashBuffer(data);
      const ok = md.md5Hash ? md.md5Hash === h.md5 : md.crc32c ? md.crc32c === h.crc32c : true;
      if (!ok || (md.size !== undefined && Number(md.size) !== h.size)) {
        throw new EdgewiseError(`Downloaded gs://${bucket}/${name} does not match its stored hash (MD5 ${h.md5} ≠ ${md.md5Hash ?? '?'}).`, {
          code: 'cloud.hash_mismatch',
          item: `gs://${bucket}/${name}`,
          hint: 'The download was corrupted on the way; it is retried automatically.',
        });
      }
      return data;
    }, retryOpts(s, signal));
  } catch (e) {
    throw explainGoogleError(e, { action: `download gs://${bucket}/${name}`, project: s.project, bucket, service: 'storage.googleapis.com', tokenFrom: s.tokenFrom });
  }
}

export async function downloadToFile(s: CloudSession, bucket: string, name: string, dest: string, signal?: AbortSignal): Promise<LocalHashes> {
  const data = await downloadVerified(s, bucket, name, signal);
  await writeFileAtomic(dest, data);
  return await hashBuffer(data);
}

export async function listFolder(s: CloudSession, bucket: string, prefix: string, signal?: AbortSignal): Promise<RemoteObject[]> {
  try {
    const [files] = (await withRetry(() => s.storage.bucket(bucket).getFiles({ prefix }), retryOpts(s, signal))) as unknown as [Array<{ name: string; metadata: { size?: string; md5Hash?: string; crc32c?: string } }>];
    return files.map((f) => ({ name: f.name, size: Number(f.metadata.size ?? 0), ...(f.metadata.md5Hash ? { md5: f.metadata.md5Hash } : {}), ...(f.metadata.crc32c ? { crc32c: f.metadata.crc32c } : {}) }));
  } catch (e) {
    throw explainGoogleError(e, { action: `list gs://${bucket}/${prefix}`, project: s.project, bucket, service: 'storage.googleapis.com', tokenFrom: s.tokenFrom });
  }
}

const TYPES: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', bmp: 'image/bmp', ico: 'image/x-icon', webp: 'image/webp', csv: 'text/csv', txt: 'text/plain', json: 'application/json' };

export function contentTypeOf(name: string): string {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  return TYPES[ext] ?? 'application/octet-stream';
}
