import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';

export type PathProblem = { code: 'path.absolute' | 'path.escape' | 'path.url'; message: string; hint: string };

/**
 * A manifest path in canonical form (forward slashes, `.` and inner `..` resolved), or the reason it is
 * refused: absolute paths, URLs and paths that climb out of the images folder.
 */
export function normaliseManifestPath(raw: string): { path: string } | PathProblem {
  const p = raw.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
    return { code: 'path.url', message: `"${p}" is a URL; images must be files inside the images folder`, hint: 'Download the image into the images folder and list its path relative to that folder.' };
  }
  const slashed = p.replace(/\\/g, '/');
  if (isAbsolute(p) || slashed.startsWith('/') || /^[A-Za-z]:\//.test(slashed)) {
    return { code: 'path.absolute', message: `"${p}" is an absolute path; paths are relative to the images folder`, hint: 'Move the image into the images folder and list it relative to that folder.' };
  }
  const norm = posix.normalize(slashed);
  if (norm === '..' || norm.startsWith('../') || norm === '.' || norm === '') {
    return { code: 'path.escape', message: `"${p}" points outside the images folder`, hint: 'List images by their path inside the images folder, without "..".' };
  }
  return { path: norm.replace(/^\.\//, '') };
}

function inside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r !== '' && !r.startsWith('..' + sep) && r !== '..' && !isAbsolute(r);
}

/**
 * Where a (normalised) manifest path really leads: follows symlinks and refuses any that land outside the
 * images folder. `missing` when nothing is there (a dangling link counts as missing).
 */
export async function resolveImagePath(imagesDirReal: string, rel: string): Promise<{ abs: string } | { missing: true } | PathProblem> {
  const abs = resolve(imagesDirReal, rel);
  let real: string;
  try {
    real = await realpath(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return { missing: true };
    throw e;
  }
  if (!inside(imagesDirReal, real)) {
    return { code: 'path.escape', message: `"${rel}" is a symbolic link to ${real}, outside the images folder`, hint: 'Copy the image into the images folder instead of linking to it.' };
  }
  return { abs: real };
}

/** The same check, synchronously: the scan stats every listed file, and one pool trip per file adds up. */
export function resolveImagePathSync(imagesDirReal: string, rel: string): { abs: string } | { missing: true } | PathProblem {
  const abs = resolve(imagesDirReal, rel);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return { missing: true };
    throw e;
  }
  if (!inside(imagesDirReal, real)) {
    return { code: 'path.escape', message: `"${rel}" is a symbolic link to ${real}, outside the images folder`, hint: 'Copy the image into the images folder instead of linking to it.' };
  }
  return { abs: real };
}
