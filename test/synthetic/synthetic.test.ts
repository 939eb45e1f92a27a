import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset, type SyntheticDataset } from '../../src/synthetic/synthetic.js';
import { sha256 } from '../../src/core/hash.js';
import { makeTempDir } from '../helpers/tmp.js';

describe('synthetic dataset generator', () => {
  const tmp = makeTempDir();
  let ds: SyntheticDataset;
  beforeAll(async () => {
    ds = await generateSyntheticDataset({ root: tmp.dir, classes: 3, perClass: 12, seed: 's1' });
  });
  afterAll(() => tmp.cleanup());

  it('writes a manifest listing every clean image and every planted fault', () => {
    const lines = readFileSync(ds.manifestPath, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('image,label');
    expect(lines.length - 1).toBe(3 * 12 + ds.faults.length);
    expect(ds.labels).toEqual(['circle', 'triangle', 'star']);
  });

  it('plants one fault of each kind, recorded in ground_truth.json', () => {
    const gt = JSON.parse(readFileSync(ds.groundTruthPath, 'utf8')) as { faults: Array<{ kind: string }> };
    const kinds = new Set(gt.faults.map((f) => f.kind));
    for (const k of ['exact_duplicate', 'near_duplicate', 'label_conflict', 'corrupt', 'not_an_image', 'too_small', 'missing_file']) {
      expect(kinds.has(k), k).toBe(true);
    }
    expect(gt.faults.filter((f) => f.kind === 'near_duplicate').map((f) => (f as { transform?: string }).transform).sort()).toEqual([
      'cropped',
      'exif_rotated',
      'reencoded',
      'resized',
    ]);
  });

  it('makes the faults really what the ground truth says', async () => {
    const file = (p: string): Buffer => readFileSync(join(ds.imagesDir, p));
    for (const f of ds.faults) {
      if (f.kind === 'exact_duplicate' || f.kind === 'label_conflict') {
        expect(sha256(file(f.image))).toBe(sha256(file(f.of!)));
        const orig = ds.images.find((i) => i.image === f.of)!;
        if (f.kind === 'label_conflict') expect(f.label).not.toBe(orig.label);
        else expect(f.label).toBe(orig.label);
      }
      if (f.kind === 'missing_file') expect(existsSync(join(ds.imagesDir, f.image))).toBe(false);
      if (f.kind === 'not_an_image') await expect(sharp(file(f.image)).metadata()).rejects.toThrow();
      if (f.kind === 'corrupt') await expect(sharp(file(f.image)).raw().toBuffer()).rejects.toThrow();
      if (f.kind === 'too_small') expect((await sharp(file(f.image)).metadata()).width).toBeLessThan(32);
      if (f.transform === 'exif_rotated') {
        const meta = await sharp(file(f.image)).metadata();
        const orig = await sharp(file(f.of!)).metadata();
        expect(meta.orientation).toBe(6);
        // Stored sideways: width and height swap until orientation is applied.
        expect([meta.width, meta.height]).toEqual([orig.height, orig.width]);
      }
    }
  });

  it('is reproducible from its seed', async () => {
    const again = makeTempDir();
    try {
      const ds2 = await generateSyntheticDataset({ root: again.dir, classes: 3, perClass: 12, seed: 's1' });
      for (const im of ds.images.slice(0, 5)) {
        expect(sha256(readFileSync(join(ds2.imagesDir, im.image)))).toBe(sha256(readFileSync(join(ds.imagesDir, im.image))));
      }
    } finally {
      again.cleanup();
    }
  });
});
