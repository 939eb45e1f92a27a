import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * File-system failures a user can act on (a read-only or full disk, a permission, a symlink loop, a name
 * too long), in words: the reporters show these as named errors instead of "an unexpected error".
 */
export interface FsErrorDetails {
  code: string;
  message: string;
  hint: string;
  /** The path the system call failed on, when Node says. */
  path?: string;
}

const KNOWN: Record<string, { code: string; what: string; hint: string }> = {
  EROFS: { code: 'fs.read_only', what: 'is on a read-only file system', hint: 'Run edgewise in a workspace it can write to (or remount the disk read-write); nothing was changed.' },
  EACCES: { code: 'fs.permission', what: 'is not accessible (permission denied)', hint: 'Check the owner and permissions of the workspace folders, or run as the user who owns them.' },
  EPERM: { code: 'fs.permission', what: 'cannot be changed (operation not permitted)', hint: 'Check the permissions and attributes (chattr) of the workspace folders.' },
  ENOSPC: { code: 'fs.disk_full', what: 'could not be written: the disk is full', hint: 'Free some space on that disk and run the command again; files already in place were kept.' },
  EDQUOT: { code: 'fs.disk_full', what: 'could not be written: the disk quota is used up', hint: 'Free some space (or raise the quota) and run the command again; files already in place were kept.' },
  ELOOP: { code: 'fs.symlink_loop', what: 'is a symbolic link loop', hint: 'Fix or remove the symbolic link.' },
  ENAMETOOLONG: { code: 'fs.name_too_long', what: 'has a name too long for the file system', hint: 'Use shorter file or folder names (most file systems allow 255 bytes per name).' },
  EISDIR: { code: 'fs.is_folder', what: 'is a folder, not a file', hint: 'Point it at a file.' },
  ENOTDIR: { code: 'fs.not_a_folder', what: 'has a part that is a file where a folder is expected', hint: 'Check the path: one of its parent names is a file.' },
  EMFILE: { code: 'fs.too_many_open', what: 'could not be opened: too many open files', hint: 'Raise the open-file limit (ulimit -n) and run again.' },
  EIO: { code: 'fs.io', what: 'could not be read or written (input/output error)', hint: 'The disk may be failing or disconnected: check it, then run again.' },
};

/** The nearest existing folder above `p`, when it is on a read-only file system. */
function readOnlyParent(p: string): string | undefined {
  let d = dirname(p);
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  try {
    accessSync(d, constants.W_OK);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EROFS' ? d : undefined;
  }
}

/** Details for a Node file-system error with a code a user can act on, else undefined. */
export function fsErrorDetails(e: unknown, name?: string): FsErrorDetails | undefined {
  if (!(e instanceof Error)) return undefined;
  const err = e as NodeJS.ErrnoException;
  // A recursive mkdir on a read-only disk says ENOENT (Node gives up on the first folder it cannot create).
  if (err.code === 'ENOENT' && err.syscall === 'mkdir' && err.path) {
    const ro = readOnlyParent(String(err.path));
    if (ro) return { code: 'fs.read_only', message: `${ro} is on a read-only file system (EROFS): cannot create ${String(err.path)}.`, hint: KNOWN.EROFS!.hint, path: ro };
  }
  const known = err.code ? KNOWN[err.code] : undefined;
  if (!known) return undefined;
  const subject = name ?? (err.path ? String(err.path) : 'a file');
  return { code: known.code, message: `${subject} ${known.what} (${err.code}).`, hint: known.hint, ...(err.path ? { path: String(err.path) } : {}) };
}
