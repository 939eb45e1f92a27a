import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';

export type PathProblem = { code: 'path.absolute' | 'path.escape' | 'path.url' | 'path.nul' | 'path.symlink_loop' | 'path.name_too_long' | 'path.unreadable' | 'path.unresolvable'; message: string; hint: string };

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
  if (p.includes('\0')) {
    // No file system allows a NUL in a name (Node refuses the path outright).
    return { code: 'path.nul', message: `"${p.replace(/\0/g, '\\0')}" contains a NUL byte, which no file name can hold`, hint: 'Fix the line: the manifest was probably written by a tool that left binary data in it.' };
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
    // The row names something the system cannot follow: a finding on that row, not a crash of the run.
    if (code === 'ELOOP') return { code: 'path.symlink_loop', message: `"${rel}" is a symbolic link loop`, hint: 'Fix or remove the symbolic link, or the manifest line.' };
    if (code === 'ENAMETOOLONG') return { code: 'path.name_too_long', message: `"${rel}" has a name too long for the file system`, hint: 'Rename the file (at most 255 bytes per name) and fix the manifest line.' };
    if (code === 'EACCES' || code === 'EPERM') return { code: 'path.unreadable', message: `"${rel}" cannot be reached (${code}: permission denied)`, hint: 'Check the permissions of the image and its folders.' };
    return { code: 'path.unresolvable', message: `"${rel}" cannot be opened: ${(found.error as Error).message}`, hint: 'Fix the path (or the link) in the images folder, or remove the manifest line.' };
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
