import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CRC32C } from '@google-cloud/storage';
import { bearerOf, googleError, readBody, sendJson, startServer, type FakeBase, type Fault } from './http-util.js';

/**
 * A fake Cloud Storage JSON API on 127.0.0.1: buckets, multipart and resumable uploads, listing with pages,
 * metadata and media downloads. Enough for @google-cloud/storage 7 pointed at it with `apiEndpoint`.
 */

export interface FakeObject {
  name: string;
  data: Buffer;
  contentType: string;
  generation: string;
  updated: string;
  /** Set by `corruptNextUploads`: the stored bytes differ from what was sent, the reported hashes too. */
}

export interface FakeBucket {
  name: string;
  location: string;
  objects: Map<string, FakeObject>;
}

export interface FakeGcs extends FakeBase {
  buckets: Map<string, FakeBucket>;
  addBucket(name: string, location?: string): FakeBucket;
  putObject(bucket: string, name: string, data: Buffer | string, contentType?: string): void;
  getObject(bucket: string, name: string): FakeObject | undefined;
  /**
   * The next N uploads have one byte flipped on the way in (a corrupting proxy). A simple (multipart) upload
   * that declared its md5Hash is then refused with 400, as GCS does; a resumable one (no hash declared) is
   * stored corrupted and only the returned hashes tell.
   */
  corruptNextUploads: number;
  /** The next N media downloads send one byte flipped (hash headers still describe the real object). */
  corruptNextDownloads: number;
  /** When set, requests without `Authorization: Bearer <token>` get 401. */
  token: string | undefined;
  /**
   * The caller holds object-level roles only (roles/storage.objectAdmin): bucket metadata (storage.buckets.get)
   * answers 403 as GCS does, while objects can still be listed, read and written.
   */
  objectRolesOnly: boolean;
  /** Counters by kind: uploads finished, downloads served, lists served. */
  counts: { uploads: number; downloads: number; lists: number };
}

export function md5Base64(data: Buffer): string {
  return createHash('md5').update(data).digest('base64');
}

export function crc32cBase64(data: Buffer): string {
  const c = new CRC32C();
  c.update(data);
  return c.toString();
}

interface Pending {
  bucket: string;
  name: string;
  contentType: string;
  data: Buffer;
}

export async function startFakeGcs(opts: { token?: string } = {}): Promise<FakeGcs> {
  const buckets = new Map<string, FakeBucket>();
  const pending = new Map<string, Pending>();
  let gen = 1_000;
  let fake!: FakeGcs;

  const objectJson = (b: string, o: FakeObject): Record<string, unknown> => ({
    kind: 'storage#object',
    id: `${b}/${o.name}/${o.generation}`,
    name: o.name,
    bucket: b,
    generation: o.generation,
    metageneration: '1',
    contentType: o.contentType,
    size: String(o.data.length),
    md5Hash: md5Base64(o.data),
    crc32c: crc32cBase64(o.data),
    updated: o.updated,
    timeCreated: o.updated,
    storageClass: 'STANDARD',
  });

  const corruptInTransit = (data: Buffer): Buffer => {
    if (fake.corruptNextUploads <= 0 || data.length === 0) return data;
    fake.corruptNextUploads--;
    const out = Buffer.from(data);
    out[out.length >> 1] = (out[out.length >> 1]! ^ 0xff) & 0xff;
    return out;
  };

  const store = (p: Pending): FakeObject => {
    const bucket = buckets.get(p.bucket)!;
    const data = p.data;
    const o: FakeObject = { name: p.name, data, contentType: p.contentType, generation: String(++gen), updated: new Date().toISOString() };
    bucket.objects.set(p.name, o);
    fake.counts.uploads++;
    return o;
  };

  const notFound = (res: ServerResponse, what: string): void => sendJson(res, 404, googleError(404, `No such object: ${what}`));

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, fault: Fault | undefined): Promise<void> {
    // Test hook for out-of-process fakes (the upload benchmark): request and upload counters.
    if (url.pathname === '/__fake/stats') return sendJson(res, 200, { requests: fake.requests.length, counts: fake.counts });
    // A resumable session URI is its own credential (as in GCS): only the initiating POST needs a token.
    const sessionPut = req.method === 'PUT' && url.searchParams.has('upload_id');
    if (fake.token !== undefined && !sessionPut && bearerOf(req) !== fake.token) {
      await readBody(req).catch(() => undefined);
      sendJson(res, 401, googleError(401, 'Anonymous caller does not have storage.objects.list access. Request is missing required authentication credential.'));
      return;
    }
    const method = req.method ?? 'GET';
    const upload = url.pathname.startsWith('/upload/');
    // JSON paths arrive with or without /storage/v1 (STORAGE_EMULATOR_HOST drops it).
    const path = url.pathname.replace(/^\/upload/, '').replace(/^\/storage\/v1/, '');
    let m: RegExpExecArray | null;

    if (method === 'POST' && path === '/b') {
      const body = JSON.parse((await readBody(req)).toString() || '{}') as { name: string; location?: string };
      if (buckets.has(body.name)) return sendJson(res, 409, googleError(409, 'Your previous request to create the named bucket succeeded and you already own it.'));
      const b = fake.addBucket(body.name, body.location ?? 'US');
      return sendJson(res, 200, { kind: 'storage#bucket', name: b.name, location: b.location });
    }
    if ((m = /^\/b\/([^/]+)$/.exec(path)) && method === 'GET') {
      if (fake.objectRolesOnly) {
        const message = "edgewise-test@demo-project.iam.gserviceaccount.com does not have storage.buckets.get access to the Google Cloud Storage bucket. Permission 'storage.buckets.get' denied on resource (or it may not exist).";
        return sendJson(res, 403, { error: { code: 403, message, errors: [{ message, domain: 'global', reason: 'forbidden' }] } });
      }
      const b = buckets.get(decodeURIComponent(m[1]!));
      if (!b) return sendJson(res, 404, googleError(404, 'The specified bucket does not exist.'));
      return sendJson(res, 200, { kind: 'storage#bucket', id: b.name, name: b.name, location: b.location, locationType: b.location.includes('-') ? 'region' : 'multi-region', storageClass: 'STANDARD' });
    }

    // Uploads.
    if (upload && (m = /^\/b\/([^/]+)\/o$/.exec(path)) && method === 'POST') {
      const bucketName = decodeURIComponent(m[1]!);
      if (!buckets.has(bucketName)) return sendJson(res, 404, googleError(404, 'The specified bucket does not exist.'));
      const type = url.searchParams.get('uploadType');
      if (type === 'multipart') {
        const body = await receive(req, res, fault);
        if (!body) return;
        const parsed = parseMultipart(body, String(req.headers['content-type'] ?? ''));
        if (!parsed) return sendJson(res, 400, googleError(400, 'Malformed multipart body.'));
        const name = url.searchParams.get('name') ?? (parsed.meta.name as string | undefined);
        if (!name) return sendJson(res, 400, googleError(400, 'Required object name.'));
        const data = corruptInTransit(parsed.data);
        if (typeof parsed.meta.md5Hash === 'string' && parsed.meta.md5Hash !== md5Base64(data)) {
          // GCS's JSON API wording; nothing is stored.
          const message = `Provided MD5 hash "${parsed.meta.md5Hash}" doesn't match calculated MD5 hash "${md5Base64(data)}".`;
          return sendJson(res, 400, { error: { code: 400, message, errors: [{ message, domain: 'global', reason: 'invalid' }] } });
        }
        const o = store({ bucket: bucketName, name, contentType: String(parsed.meta.contentType ?? parsed.contentType ?? 'application/octet-stream'), data });
        return sendJson(res, 200, objectJson(bucketName, o));
      }
      if (type === 'resumable') {
        const metaRaw = (await readBody(req)).toString();
        const meta = metaRaw ? (JSON.parse(metaRaw) as Record<string, unknown>) : {};
        const name = url.searchParams.get('name') ?? (meta.name as string | undefined);
        if (!name) return sendJson(res, 400, googleError(400, 'Required object name.'));
        const id = randomBytes(8).toString('hex');
        pending.set(id, { bucket: bucketName, name, contentType: String(meta.contentType ?? req.headers['x-upload-content-type'] ?? 'application/octet-stream'), data: Buffer.alloc(0) });
        const loc = `${fake.url}/upload/storage/v1/b/${encodeURIComponent(bucketName)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
        res.writeHead(200, { location: loc, 'content-length': '0' });
        res.end();
        return;
      }
      return sendJson(res, 400, googleError(400, `unsupported uploadType ${type}`));
    }
    if (upload && method === 'PUT' && url.searchParams.get('upload_id')) {
      const p = pending.get(url.searchParams.get('upload_id')!);
      if (!p) return sendJson(res, 404, googleError(404, 'No such upload session.'));
      const range = String(req.headers['content-range'] ?? '');
      const body = await receive(req, res, fault, (partial, start) => {
        // What arrived before the connection dropped is kept, as GCS does.
        if (start !== undefined && start <= p.data.length) p.data = Buffer.concat([p.data.subarray(0, start), partial]);
      });
      if (!body) return;
      const r = /^bytes (\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(range);
      if (!r) return sendJson(res, 400, googleError(400, `bad Content-Range ${range}`));
      // `bytes N-*/T`: the client streams the rest in this one request, so its end is the object's end.
      const total = r[4] !== '*' ? Number(r[4]) : r[3] === '*' ? -1 : undefined;
      if (r[1] !== '*') {
        const start = Number(r[2]);
        if (start > p.data.length) return sendJson(res, 400, googleError(400, 'Content-Range starts past the bytes received.'));
        p.data = Buffer.concat([p.data.subarray(0, start), body]);
      }
      if (total !== undefined && (total < 0 || p.data.length >= total)) {
        pending.delete(url.searchParams.get('upload_id')!);
        const o = store({ ...p, data: corruptInTransit(p.data) });
        return sendJson(res, 200, objectJson(p.bucket, o));
      }
      const headers: Record<string, string> = { 'content-length': '0' };
      if (p.data.length > 0) headers.range = `bytes=0-${p.data.length - 1}`;
      res.writeHead(308, headers);
      res.end();
      return;
    }

    // Objects: list, metadata, media, delete.
    if ((m = /^\/b\/([^/]+)\/o$/.exec(path)) && method === 'GET') {
      const b = buckets.get(decodeURIComponent(m[1]!));
      if (!b) return sendJson(res, 404, googleError(404, 'The specified bucket does not exist.'));
      fake.counts.lists++;
      const prefix = url.searchParams.get('prefix') ?? '';
      const delimiter = url.searchParams.get('delimiter');
      const max = Number(url.searchParams.get('maxResults') ?? 1000) || 1000;
      const start = Number(url.searchParams.get('pageToken') ?? 0);
      const names = [...b.objects.keys()].filter((n) => n.startsWith(prefix)).sort();
      const items: FakeObject[] = [];
      const prefixes = new Set<string>();
      for (const n of names) {
        const rest = n.slice(prefix.length);
        if (delimiter && rest.includes(delimiter)) prefixes.add(prefix + rest.slice(0, rest.indexOf(delimiter) + delimiter.length));
        else items.push(b.objects.get(n)!);
      }
      const page = items.slice(start, start + max);
      const body: Record<string, unknown> = { kind: 'storage#objects', items: page.map((o) => objectJson(b.name, o)) };
      if (prefixes.size) body.prefixes = [...prefixes];
      if (start + max < items.length) body.nextPageToken = String(start + max);
      return sendJson(res, 200, body);
    }
    if ((m = /^\/b\/([^/]+)\/o\/(.+)$/.exec(path))) {
      const bucketName = decodeURIComponent(m[1]!);
      const name = decodeURIComponent(m[2]!);
      const b = buckets.get(bucketName);
      const o = b?.objects.get(name);
      if (method === 'DELETE') {
        if (!o) return notFound(res, name);
        b!.objects.delete(name);
        res.writeHead(204);
        res.end();
        return;
      }
      if (method !== 'GET') return sendJson(res, 405, googleError(400, 'method not allowed'));
      if (!o) return notFound(res, `${bucketName}/${name}`);
      if (url.searchParams.get('alt') === 'media') {
        fake.counts.downloads++;
        let data = o.data;
        if (fake.corruptNextDownloads > 0 && data.length > 0) {
          fake.corruptNextDownloads--;
          data = Buffer.from(data);
          data[0] = (data[0]! ^ 0xff) & 0xff;
        }
        res.writeHead(200, {
          'content-type': o.contentType,
          'content-length': String(data.length),
          'x-goog-hash': `crc32c=${crc32cBase64(o.data)},md5=${md5Base64(o.data)}`,
          'x-goog-generation': o.generation,
          'x-goog-stored-content-encoding': 'identity',
        });
        if (fault?.reset === 'midbody') {
          res.write(data.subarray(0, Math.min(data.length - 1, fault.afterBytes ?? data.length >> 1)));
          setTimeout(() => res.destroy(), 5);
          return;
        }
        res.end(data);
        return;
      }
      return sendJson(res, 200, objectJson(bucketName, o));
    }
    sendJson(res, 404, googleError(404, `fake GCS has no route for ${method} ${url.pathname}`));
  }

  /** Reads a request body, or drops the connection part-way when the fault says so (returns undefined). */
  async function receive(req: IncomingMessage, res: ServerResponse, fault: Fault | undefined, onPartial?: (partial: Buffer, start: number | undefined) => void): Promise<Buffer | undefined> {
    if (fault?.reset !== 'midbody') return readBody(req);
    const limit = fault.afterBytes ?? 1024;
    const partial = await readBody(req, limit, () => undefined);
    const r = /^bytes (\d+)-/.exec(String(req.headers['content-range'] ?? ''));
    onPartial?.(partial, r ? Number(r[1]) : undefined);
    res.socket?.destroy();
    req.socket.destroy();
    return undefined;
  }

  const { base } = await startServer(handle);
  fake = Object.assign(base, {
    buckets,
    corruptNextUploads: 0,
    corruptNextDownloads: 0,
    token: opts.token,
    objectRolesOnly: false,
    counts: { uploads: 0, downloads: 0, lists: 0 },
    addBucket(name: string, location = 'US-CENTRAL1'): FakeBucket {
      const b: FakeBucket = { name, location, objects: new Map() };
      buckets.set(name, b);
      return b;
    },
    putObject(bucket: string, name: string, data: Buffer | string, contentType = 'application/octet-stream'): void {
      const b = buckets.get(bucket) ?? fake.addBucket(bucket);
      b.objects.set(name, { name, data: Buffer.from(data), contentType, generation: String(++gen), updated: new Date().toISOString() });
    },
    getObject(bucket: string, name: string): FakeObject | undefined {
      return buckets.get(bucket)?.objects.get(name);
    },
  });
  return fake;
}

/** Splits a multipart/related body into its JSON metadata and media parts. */
function parseMultipart(body: Buffer, contentType: string): { meta: Record<string, unknown>; data: Buffer; contentType?: string } | undefined {
  const bm = /boundary="?([^";]+)"?/.exec(contentType);
  if (!bm) return undefined;
  const delim = Buffer.from(`--${bm[1]}`);
  const parts: Buffer[] = [];
  let i = body.indexOf(delim);
  while (i >= 0) {
    const start = i + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delim, start);
    if (next < 0) break;
    parts.push(body.subarray(start, next));
    i = next;
  }
  if (parts.length < 2) return undefined;
  const split = (p: Buffer): { headers: string; content: Buffer } => {
    const h = p.indexOf('\r\n\r\n');
    let content = p.subarray(h + 4);
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    return { headers: p.subarray(0, h).toString(), content };
  };
  const metaPart = split(parts[0]!);
  const mediaPart = split(parts[1]!);
  const ct = /content-type:\s*([^\r\n]+)/i.exec(mediaPart.headers)?.[1];
  return { meta: JSON.parse(metaPart.content.toString() || '{}') as Record<string, unknown>, data: mediaPart.content, ...(ct ? { contentType: ct } : {}) };
}
