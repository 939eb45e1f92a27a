import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { EdgewiseError, ExitCode } from './errors.js';

/**
 * Paths that come from a file edgewise did not necessarily write itself (a cloned or shared workspace's
 * journal, pending files, CSVs, a downloaded manifest) are checked before anything is deleted, renamed or
 * written there: the path's real location (symlinks followed) must be inside the folder the operation owns.
 * docs/notes/threat-model.md lists every place that does this.
 */

/** True when `p` is strictly inside `root` (lexically; both absolute or both relative to the same folder). */
export function isInside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r !== '' && r !== '..' && !r.startsWith('..' + sep) && !isAbsolute(r);
}

/** The real path of `p`, following symlinks; for a path that does not exist yet, its nearest existing ancestor's real path plus the rest. */
export function realpathOrAncestor(p: string): string {
  let cur = resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(cur), ...rest.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      const parent = dirname(cur);
      if (parent === cur) return join(cur, ...rest.reverse());
      rest.push(basename(cur));
      cur = parent;
    }
  }
}

/** A path taken from a workspace file that points outside what the operation may touch: nothing was changed. */
export class UntrustedPathError extends EdgewiseError {
  constructor(what: string, path: string, area: string, source: string) {
    super(`Refusing to ${what} ${JSON.stringify(path)}, named in ${source}: it is not inside ${area}.`, {
      code: 'workspace.untrusted_path',
      item: source,
      exitCode: ExitCode.badInput,
      hint: `edgewise never writes such a path there itself, so ${source} was edited or comes from another machine. Nothing was touched; check the file, then delete or fix it and run the command again.`,
    });
    this.name = 'UntrustedPathError';
  }
}

/**
 * Returns `p` resolved when its real location is strictly inside `area`'s real location; otherwise throws
 * UntrustedPathError (nothing is touched). `what` says the operation ("delete", "rename"), `source` the
 * file the path came from, for the message.
 */
export function confinedPath(area: string, p: string, what: string, source: string, areaName = area): string {
  const abs = resolve(area, p);
  if (!isInside(realpathOrAncestor(area), realpathOrAncestor(abs))) throw new UntrustedPathError(what, p, areaName, source);
  return abs;
}
