import { createHash } from 'node:crypto';
import { openRegularFile } from './regular-file.js';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hashes a regular file; a FIFO or device is refused (reading one would block forever or never end). */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  const { fh } = await openRegularFile(path, { name: path, code: 'file' });
  for await (const chunk of fh.createReadStream()) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** A stable hash of a JSON-able value (object keys sorted), used for step input fingerprints. */
export function hashValue(value: unknown): string {
  return sha256(stableStringify(value));
}

export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
}
