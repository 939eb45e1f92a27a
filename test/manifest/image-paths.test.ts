import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveImagePath } from '../../src/manifest/image-paths.js';
import { makeTempDir } from '../helpers/tmp.js';

describe('resolveImagePath', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let images: string;
  beforeEach(() => {
    tmp = makeTempDir();
    images = join(tmp.dir, 'images');
    mkdirSync(join(images, 'sub'), { recursive: true });
    writeFileSync(join(images, 'sub', 'a.jpg'), 'x');
    writeFileSync(join(tmp.dir, 'outside.jpg'), 'secret');
    mkdirSync(join(tmp.dir, 'elsewhere'));
    writeFileSync(join(tmp.dir, 'elsewhere', 'b.jpg'), 'secret');
    images = realpathSync(images);
  });
  afterEach(() => tmp.cleanup());

  it('resolves a plain file inside the folder', async () => {
    expect(await resolveImagePath(images, 'sub/a.jpg')).toEqual({ abs: join(images, 'sub', 'a.jpg') });
  });

  it('follows a symlink that stays inside', async () => {
    symlinkSync(join(images, 'sub', 'a.jpg'), join(images, 'link.jpg'));
    expect(await resolveImagePath(images, 'link.jpg')).toEqual({ abs: join(images, 'sub', 'a.jpg') });
  });

  it('refuses a file symlink escaping the folder', async () => {
    symlinkSync(join(tmp.dir, 'outside.jpg'), join(images, 'evil.jpg'));
    const r = await resolveImagePath(images, 'evil.jpg');
    expect(r).toMatchObject({ code: 'path.escape' });
  });

  it('refuses a directory symlink escaping the folder', async () => {
    symlinkSync(join(tmp.dir, 'elsewhere'), join(images, 'dirlink'));
    expect(await resolveImagePath(images, 'dirlink/b.jpg')).toMatchObject({ code: 'path.escape' });
  });

  it('reports missing files and dangling links as missing', async () => {
    symlinkSync(join(tmp.dir, 'nothing.jpg'), join(images, 'dangling.jpg'));
    expect(await resolveImagePath(images, 'nope.jpg')).toEqual({ missing: true });
    expect(await resolveImagePath(images, 'dangling.jpg')).toEqual({ missing: true });
  });
});
