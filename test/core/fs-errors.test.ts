import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeError } from '../../src/core/errors.js';
import { makeTempDir } from '../helpers/tmp.js';

/**
 * A recursive mkdir on a read-only file system fails with ENOENT, not EROFS (Node gives up on the first
 * parent it cannot create), which reached the user as "an unexpected error". On a real read-only bind mount
 * (root cannot write it either; the mount failing fails the test): named as the read-only disk it is.
 */
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).reverse().forEach((c) => c()));

describe('file-system errors in words', () => {
  it('mkdir -p on a read-only disk is fs.read_only naming the folder, not ENOENT', async () => {
    const tmp = makeTempDir('edgewise-fs-errors-');
    cleanups.push(tmp.cleanup);
    const dir = join(tmp.dir, 'ro');
    mkdirSync(dir);
    execFileSync('mount', ['--bind', dir, dir]);
    cleanups.push(() => execFileSync('umount', [dir]));
    execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
    const err = await mkdir(join(dir, '.edgewise', 'cache', 'embeddings'), { recursive: true }).then(() => undefined, (e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOENT');
    const d = describeError(err);
    expect(d.code).toBe('fs.read_only');
    expect(d.message).toBe(`${dir} is on a read-only file system (EROFS): cannot create ${join(dir, '.edgewise')}.`);
    expect(d.item).toBe(dir);
    // A plain missing parent (writable disk) stays what it is.
    const missing = await mkdir(join(tmp.dir, 'a', 'b'), { recursive: false }).then(() => undefined, (e: unknown) => e);
    expect(describeError(missing).code).toBe('internal');
  });
});
