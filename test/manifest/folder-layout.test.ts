import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { saveConfiguration } from '../../src/config/configure-step.js';
import { planDatasetSource } from '../../src/manifest/dataset-source.js';
import { parseManifest } from '../../src/manifest/manifest.js';
import { folderWhereResolved, readClassFolders } from '../../src/manifest/folder-layout.js';
import { makeTempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTempDir> | undefined;
afterEach(() => tmp?.cleanup());

/** Empty files are enough: the layout is read from names, never from pixels. */
function tree(root: string, files: string[]): void {
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), '');
  }
}

describe('reading a folder-per-label tree', () => {
  it('takes train|valid|test folders as the split and the folder below as the label', () => {
    tmp = makeTempDir('edgewise-layout-');
    tree(tmp.dir, ['photos/train/cat/1.jpg', 'photos/train/dog/2.JPG', 'photos/valid/cat/3.png', 'photos/test/dog/deeper/4.jpeg', 'photos/test/notes.txt', 'photos/.hidden/x.jpg']);
    const f = readClassFolders(join(tmp.dir, 'photos'))!;
    expect(f.rows).toEqual([
      { image: 'train/cat/1.jpg', label: 'cat', split: 'train' },
      { image: 'train/dog/2.JPG', label: 'dog', split: 'train' },
      { image: 'valid/cat/3.png', label: 'cat', split: 'validation' },
      { image: 'test/dog/deeper/4.jpeg', label: 'dog', split: 'test' },
    ]);
    expect(f.labels).toEqual(['cat', 'dog']);
    expect(f.splitFolders).toEqual(['train', 'valid', 'test']);
  });

  it('reads photos/<label>/ without split folders, and lists photos that have no label folder', () => {
    tmp = makeTempDir('edgewise-layout-');
    tree(tmp.dir, ['photos/ant/a.jpg', 'photos/bee/b.jpg', 'photos/loose.jpg']);
    const f = readClassFolders(join(tmp.dir, 'photos'))!;
    expect(f.rows).toEqual([{ image: 'ant/a.jpg', label: 'ant' }, { image: 'bee/b.jpg', label: 'bee' }]);
    expect(f.splitFolders).toEqual([]);
    expect(f.unlabelled).toEqual(['loose.jpg']);
  });

  it('finds nothing in a flat folder', () => {
    tmp = makeTempDir('edgewise-layout-');
    tree(tmp.dir, ['photos/a.jpg', 'photos/b.jpg']);
    expect(readClassFolders(join(tmp.dir, 'photos'))).toBeUndefined();
  });
});

describe('where the manifest comes from (init and Configure)', () => {
  it('writes ml/dataset/manifest.csv from label folders, says what it found, and the manifest parses with its split column', async () => {
    tmp = makeTempDir('edgewise-layout-');
    tree(tmp.dir, ['photos/training/cat/1.jpg', 'photos/training/dog/2.jpg', 'photos/validation/cat/3.jpg', 'photos/test/dog/4.jpg']);
    const saved = await saveConfiguration(tmp.dir, { paths: { images: 'photos' } }, 'test');
    expect(saved.dataset.kind).toBe('folders');
    expect(saved.dataset.message).toContain('4 images, 2 labels, split folders training, validation, test');
    const text = readFileSync(join(tmp.dir, 'ml/dataset/manifest.csv'), 'utf8');
    const m = parseManifest(text, 'manifest.csv');
    expect(m.findings).toEqual([]);
    expect(m.rows.map((r) => [r.image, r.label, r.split])).toEqual([
      ['training/cat/1.jpg', 'cat', 'train'],
      ['training/dog/2.jpg', 'dog', 'train'],
      ['validation/cat/3.jpg', 'cat', 'validation'],
      ['test/dog/4.jpg', 'dog', 'test'],
    ]);
  });

  it('regenerates its own manifest when photos are added, but never overwrites one the user wrote or edited', async () => {
    tmp = makeTempDir('edgewise-layout-');
    tree(tmp.dir, ['photos/cat/1.jpg', 'photos/dog/2.jpg']);
    await saveConfiguration(tmp.dir, { paths: { images: 'photos' } }, 'test');
    tree(tmp.dir, ['photos/dog/3.jpg']);
    const again = await saveConfiguration(tmp.dir, { paths: { images: 'photos' } }, 'test');
    expect(again.dataset.kind).toBe('folders');
    expect(readFileSync(join(tmp.dir, 'ml/dataset/manifest.csv'), 'utf8')).toContain('dog/3.jpg');
    // An edit makes it the user's.
    writeFileSync(join(tmp.dir, 'ml/dataset/manifest.csv'), 'image,label\ncat/1.jpg,kitten\n');
    tree(tmp.dir, ['photos/dog/4.jpg']);
    const mine = await saveConfiguration(tmp.dir, { paths: { images: 'photos' } }, 'test');
    expect(mine.dataset.kind).toBe('manifest');
    expect(readFileSync(join(tmp.dir, 'ml/dataset/manifest.csv'), 'utf8')).toBe('image,label\ncat/1.jpg,kitten\n');
  });

  it('uses a labels CSV (filename, class) found beside a flat folder as the manifest', async () => {
    tmp = makeTempDir('edgewise-layout-');
    tree(tmp.dir, ['pics/a.jpg', 'pics/b.jpg', 'pics/c.jpg']);
    writeFileSync(join(tmp.dir, 'labels.csv'), 'Filename,Class\na.jpg,cat\nb.jpg,dog\nc.jpg,dog\n');
    const saved = await saveConfiguration(tmp.dir, { paths: { images: 'pics' } }, 'test');
    expect(saved.dataset.kind).toBe('csv');
    expect(saved.dataset.message).toContain('labels.csv (columns filename, class; 3 rows)');
    expect(saved.config.paths.manifest).toBe('labels.csv');
    expect(saved.config.paths.images).toBe('pics');
    const m = parseManifest(readFileSync(join(tmp.dir, 'labels.csv'), 'utf8'), 'labels.csv');
    expect(m.rows.map((r) => r.label)).toEqual(['cat', 'dog', 'dog']);
  });

  it('accepts a CSV whose paths include the folder (category column)', async () => {
    tmp = makeTempDir('edgewise-layout-');
    tree(tmp.dir, ['pics/a.jpg', 'pics/b.jpg']);
    writeFileSync(join(tmp.dir, 'pics', 'meta.csv'), 'path,category\na.jpg,x\nb.jpg,y\n');
    const plan = planDatasetSource(tmp.dir, parseConfig({ paths: { images: 'pics' } }, 'test'));
    expect(plan.paths).toEqual({ manifest: 'pics/meta.csv', images: 'pics' });
  });

  it('says plainly when nothing can label the photos', () => {
    tmp = makeTempDir('edgewise-layout-');
    tree(tmp.dir, ['pics/a.jpg']);
    const plan = planDatasetSource(tmp.dir, parseConfig({ paths: { images: 'pics' } }, 'test'));
    expect(plan.kind).toBe('none');
    expect(plan.message).toMatch(/no label folders and no labels CSV/);
  });

  it('finds the folder a manifest\'s paths resolve in', () => {
    tmp = makeTempDir('edgewise-layout-');
    tree(tmp.dir, ['ml/dataset/images/a.jpg', 'ml/dataset/images/b.jpg']);
    expect(folderWhereResolved(['a.jpg', 'b.jpg'], [join(tmp.dir, 'ml/dataset'), join(tmp.dir, 'ml/dataset/images')])).toBe(join(tmp.dir, 'ml/dataset/images'));
  });
});
