import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';

export type PathProblem = { code: 'path.absolute' | 'path.escape' | 'path.url' | 'path.unresolvable'; message: string; hint: string };

/**
 * A manifest path in canonical form (forward slashes, `.` and inner `..` resolved), or the reason it is
 * refused: absolute paths, URLs and paths that climb out of the images folder.
 */
export function normaliseManifestPath(raw: string): { path: string } | PathProblem {
  // Not trimmed: "photo .jpg" is a real file name (validate falls back to the trimmed name when only it exists).
  const p = raw;
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

/** What a path's realpath (or its failure) means: missing, escaping the images folder, or the file. */
function judgeRealpath(imagesDirReal: string, rel: string, found: { real: string } | { error: unknown }): { abs: string } | { missing: true } | PathProblem {
  if ('error' in found) {
    const code = (found.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    // A symlink loop, a name too long for the file system, a NUL byte: a problem of this row, not a crash.
    const why = code === 'ELOOP' ? 'it is a loop of symbolic links' : code === 'ENAMETOOLONG' ? 'the name is too long for the file system' : code === 'EACCES' ? 'a folder on the way is not readable' : (found.error as Error).message;
    return { code: 'path.unresolvable', message: `"${rel}" cannot be opened: ${why}`, hint: 'Fix the path (or the link) in the images folder, or remove the manifest line.' };
  }
  if (!inside(imagesDirReal, found.real)) {
    return { code: 'path.escape', message: `"${rel}" is a symbolic link to ${found.real}, outside the images folder`, hint: 'Copy the image into the images folder instead of linking to it.' };
  }
  return { abs: found.real };
}

/**
 * Where a (normalised) manifest path really leads: follows symlinks and refuses any that land outside the
 * images folder. `missing` when nothing is there (a dangling link counts as missing).
 */
export async function resolveImagePath(imagesDirReal: string, rel: string): Promise<{ abs: string } | { missing: true } | PathProblem> {
  const found = await realpath(resolve(imagesDirReal, rel)).then(
    (real) => ({ real }),
    (error: unknown) => ({ error }),
  );
  return judgeRealpath(imagesDirReal, rel, found);
}

/** The same check, synchronously: the scan stats every listed file, and one pool trip per file adds up. */
export function resolveImagePathSync(imagesDirReal: string, rel: string): { abs: string } | { missing: true } | PathProblem {
  let found: { real: string } | { error: unknown };
  try {
    found = { real: realpathSync(resolve(imagesDirReal, rel)) };
  } catch (error) {
    found = { error };
  }
  return judgeRealpath(imagesDirReal, rel, found);
}
