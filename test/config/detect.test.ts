import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectImageFolders } from '../../src/config/detect.js';
import { makeTempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTempDir> | undefined;
afterEach(() => tmp?.cleanup());

function tree(root: string, files: string[]): void {
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), f.endsWith('.csv') ? '' : 'x');
  }
}

describe('the images folder Configure proposes', () => {
  it("is the folder the manifest's paths resolve in (the README's layout: ml/dataset/images), not its parent", () => {
    tmp = makeTempDir('edgewise-detect-');
    tree(tmp.dir, ['ml/dataset/images/a1.jpg', 'ml/dataset/images/a2.jpg', 'ml/dataset/images/b1.jpg']);
    writeFileSync(join(tmp.dir, 'ml/dataset/manifest.csv'), 'image,label\na1.jpg,ant\na2.jpg,ant\nb1.jpg,bee\n');
    const found = detectImageFolders(tmp.dir);
    expect(found[0]).toMatchObject({ path: 'ml/dataset/images', images: 3 });
    expect(found[0]!.note).toMatch(/resolve here/);
  });

  it('is the folder above train|validation|test, not each split folder', () => {
    tmp = makeTempDir('edgewise-detect-');
    tree(tmp.dir, ['photos/train/cat/1.jpg', 'photos/train/dog/2.jpg', 'photos/validation/cat/3.jpg', 'photos/test/dog/4.jpg']);
    const found = detectImageFolders(tmp.dir);
    expect(found).toEqual([{ path: 'photos', images: 4, note: 'split folders train, validation, test' }]);
  });

  it('is a plain folder per label', () => {
    tmp = makeTempDir('edgewise-detect-');
    tree(tmp.dir, ['shop/pics/cat/1.jpg', 'shop/pics/dog/2.png']);
    expect(detectImageFolders(tmp.dir)).toEqual([{ path: 'shop/pics', images: 2 }]);
  });
});
