import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync, copyFileSync } from 'node:fs';
import { mkdir, open, rename, rm, copyFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/** The temp name sits beside the target so the rename never crosses a file system. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * The only way edgewise writes a file: write a temp file beside the target, fsync it, rename it over the
 * target. A crash leaves either the old file or the new one, never half of one.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data);
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

/** Copies a file so the target appears whole or not at all. */
export async function copyFileAtomic(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  const tmp = tempPathFor(to);
  try {
    await copyFile(from, tmp);
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, to);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export function copyFileAtomicSync(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  const tmp = tempPathFor(to);
  try {
    copyFileSync(from, tmp);
    renameSync(tmp, to);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
