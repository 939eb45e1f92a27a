import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { InputError } from './errors.js';
import { fsErrorDetails } from './fs-errors.js';

/** What a path is, in words a user knows ("is a named pipe (FIFO), not a file"). */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export interface RegularFileOptions {
  /** How messages name the file, e.g. `the manifest ml/dataset/manifest.csv`. */
  name: string;
  /** Error code prefix, e.g. `manifest` gives `manifest.not_a_file`, `manifest.too_large`. */
  code: string;
  /** Refuse files larger than this (bytes). */
  maxBytes?: number;
  /** The setting that raises maxBytes, named in the hint. */
  maxBytesSetting?: string;
}

/**
 * Opens a path for reading only when it is a regular file (a symlink to one is fine). Opened
 * non-blocking and checked on the open descriptor: a FIFO would block the read forever and a device such
 * as /dev/zero never ends, and checking the path first would leave a window to swap it.
 */
export async function openRegularFile(path: string, opts: RegularFileOptions): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError(`${capitalise(opts.name)} does not exist.`, { code: `${opts.code}.not_found`, item: path, hint: 'Check the path (and where a symbolic link in it points).', cause: e });
    }
    // A socket cannot be opened (ENXIO): name what is there instead of the errno.
    const st = await stat(path).catch(() => undefined);
    if (st && !st.isFile()) throw notAFile(path, st, opts);
    const fs = fsErrorDetails(e, capitalise(opts.name));
    if (fs) throw new InputError(fs.message, { code: `${opts.code}.${fs.code.replace(/^fs\./, '')}`, item: path, hint: fs.hint, cause: e });
    throw e;
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw notAFile(path, st, opts);
  }
  if (opts.maxBytes !== undefined && st.size > opts.maxBytes) {
    await fh.close();
    throw tooLarge(path, opts);
  }
  return { fh, size: st.size };
}

/** The whole content of a regular file, at most maxBytes (a file still growing is cut off there and refused). */
export async function readRegularFile(path: string, opts: RegularFileOptions): Promise<Buffer> {
  const { fh, size } = await openRegularFile(path, opts);
  try {
    const cap = opts.maxBytes ?? Number.MAX_SAFE_INTEGER;
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(Math.min(Math.max(size, 1), 1 << 20, cap + 1));
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, cap + 1 - total), null);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
      total += bytesRead;
      if (total > cap) throw tooLarge(path, opts);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await fh.close();
  }
}

function notAFile(path: string, st: Stats, opts: RegularFileOptions): InputError {
  return new InputError(`${capitalise(opts.name)} is ${fileKind(st)}, not a file.`, {
    code: `${opts.code}.not_a_file`,
    item: path,
    hint: 'Point it at a regular file written to disk; pipes, devices, sockets and folders are not read.',
  });
}

function tooLarge(path: string, opts: RegularFileOptions): InputError {
  const mb = (n: number): string => `${Math.round(n / (1024 * 1024))} MB`;
  return new InputError(`${capitalise(opts.name)} is larger than ${mb(opts.maxBytes!)}; it is not read.`, {
    code: `${opts.code}.too_large`,
    item: path,
    hint: opts.maxBytesSetting ? `Check it is the right file; if it is, raise ${opts.maxBytesSetting} in edgewise.json.` : 'Check it is the right file.',
  });
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
