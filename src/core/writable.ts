import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EdgewiseError } from './errors.js';
import type { Workspace } from './workspace.js';

/** The nearest folder of `dir` (itself included) that exists: where a missing folder would be created. */
function nearestExisting(dir: string): string {
  let p = dir;
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  return p;
}

/**
 * Checks, before a step starts, that every folder it writes to can be written: each folder that exists,
 * or the nearest existing parent of one that does not (a recursive mkdir on a read-only disk says ENOENT,
 * not EROFS, so the failure would otherwise be misnamed and come half-way through the work).
 * Throws `workspace.read_only` (EROFS) or `workspace.not_writable` (EACCES, EPERM) naming the folder;
 * nothing has been written when it throws.
 */
export async function assertWritable(ws: Workspace, dirs: readonly string[], title: string): Promise<void> {
  const wanted = [...new Set(dirs.map((d) => ws.abs(d)))];
  for (const dir of wanted) {
    const probe = nearestExisting(dir);
    try {
      await access(probe, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') throw e;
      const where = ws.rel(dir) || '.';
      const at = probe === dir ? where : `${where} (to be created in ${ws.rel(probe) || '.'})`;
      const folders = wanted.map((d) => ws.rel(d) || '.').join(', ');
      const readOnly = code === 'EROFS';
      throw new EdgewiseError(
        readOnly
          ? `The workspace is read-only: ${at} is on a read-only file system (EROFS). ${title} writes to ${folders}; nothing was changed.`
          : `The workspace is not writable: ${at} cannot be written by this user (${code}). ${title} writes to ${folders}; nothing was changed.`,
        {
          code: readOnly ? 'workspace.read_only' : 'workspace.not_writable',
          item: ws.rel(probe) || '.',
          hint: readOnly
            ? 'Remount the disk read-write, or copy the workspace to a writable folder and run there (-w DIR).'
            : 'Check the owner and permissions of that folder (ls -ld), or run as the user who owns the workspace.',
        },
      );
    }
  }
}
