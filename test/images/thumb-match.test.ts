import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { findClusters, NEAR_CONFIRM, type DedupeItem } from '../../src/validate/clusters.js';
import { measureBuffer } from '../../src/images/image-measure.js';
import { hammingHex } from '../../src/images/perceptual-hash.js';
import { generateSyntheticDataset } from '../../src/synthetic/synthetic.js';
import { decodeFingerprint, isSamePhoto, matchFingerprints, passes, type Fingerprint } from '../../src/images/thumb-match.js';
import { makeTempDir } from '../helpers/tmp.js';
import { scene, SCENE_H as H, SCENE_W as W } from '../validate/validate-fixtures.js';

const LIMITS = { maxPixels: 50_000_000, maxReadBytes: 50_000_000 };

async function item(buf: Buffer, image: string, line: number, label = 'toy'): Promise<DedupeItem & { fp: Fingerprint }> {
  const m = await measureBuffer(buf, LIMITS);
  const fp = decodeFingerprint(m.fingerprint!);
  return { image, label, sha256: image, phash: m.hashes!.phash, dhash: m.hashes!.dhash, line, pixels: m.width! * m.height!, bytes: m.bytes, fingerprint: fp, fp };
}

const RULE = { nearRadius: 8, nearDhashRadius: 6, confirm: NEAR_CONFIRM };

describe('near duplicates that are re-crops', () => {
  it('catches a copy with 7 % of its rows cut, resized to 50 % and saved at JPEG quality 40, which the hashes alone miss', async () => {
    const original = await scene('pose-a');
    const recrop = await sharp(original).extract({ left: 0, top: Math.round(H * 0.07), width: W, height: H - Math.round(H * 0.07) }).resize(W / 2).jpeg({ quality: 40 }).toBuffer();
    const a = await item(original, 'a.jpg', 2);
    const b = await item(recrop, 'a_recrop.jpg', 3);
    // The case the old rule (pHash ≤ 8 AND dHash ≤ 6) misses.
    const p = hammingHex(a.phash, b.phash);
    const d = hammingHex(a.dhash, b.dhash);
    expect(p <= 8 && d <= 6, `pHash ${p}, dHash ${d}`).toBe(false);
    expect(p).toBeLessThanOrEqual(12);
    expect(findClusters([a, b], { ...RULE, confirm: false })).toEqual([]);
    expect(isSamePhoto(a.fp, b.fp, NEAR_CONFIRM)).toBe(true);
    const clusters = findClusters([a, b], RULE);
    expect(clusters.map((c) => c.members.map((m) => m.image))).toEqual([['a.jpg', 'a_recrop.jpg']]);
    // The report says which member only the thumbnails joined.
    expect(clusters[0]!.members.map((m) => m.recrop ?? false)).toEqual([false, true]);
  });

  it('marks no member of a cluster the hashes found as a re-crop', async () => {
    const original = await scene('pose-e');
    const a = await item(original, 'e.jpg', 2);
    const b = await item(await sharp(original).jpeg({ quality: 60 }).toBuffer(), 'e_q60.jpg', 3);
    const clusters = findClusters([a, b], RULE);
    expect(clusters).toHaveLength(1);
    expect(clusters[0]!.members.every((m) => m.recrop === undefined)).toBe(true);
  });

  it('confirms re-crops, resizes, re-encodes and small turns of a textured photo', async () => {
    const original = await scene('pose-f');
    const a = await item(original, 'f.jpg', 2);
    const cut = (top: number, left: number, right = 0, bottom = 0) =>
      sharp(original).extract({ left: Math.round(W * left), top: Math.round(H * top), width: W - Math.round(W * left) - Math.round(W * right), height: H - Math.round(H * top) - Math.round(H * bottom) });
    const copies: Record<string, Promise<Buffer>> = {
      'crop 3% top': cut(0.03, 0).jpeg({ quality: 90 }).toBuffer(),
      'crop 8% bottom': cut(0, 0, 0, 0.08).jpeg({ quality: 90 }).toBuffer(),
      'crop 5% top and 5% left': cut(0.05, 0.05).jpeg({ quality: 90 }).toBuffer(),
      'crop 6% right, resized to 50%, JPEG 40': cut(0, 0, 0.06).resize(Math.round((W * 0.94) / 2)).jpeg({ quality: 40 }).toBuffer(),
      'resized to 50%': sharp(original).resize(W / 2).jpeg({ quality: 90 }).toBuffer(),
      'JPEG quality 40': sharp(original).jpeg({ quality: 40 }).toBuffer(),
      'turned 1°': sharp(original).rotate(1).resize(W, H, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer(),
      'turned -2°': sharp(original).rotate(-2).resize(W, H, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer(),
    };
    for (const [how, bytes] of Object.entries(copies)) {
      const b = await item(await bytes, `f_${how}.jpg`, 3);
      const m = matchFingerprints(a.fp, b.fp);
      expect(m && passes(m, NEAR_CONFIRM), `${how}: ${JSON.stringify(m && { ...m, alignment: undefined })}`).toBe(true);
      expect(findClusters([a, b], RULE), how).toHaveLength(1);
    }
  });

  describe('distinct drawings of one shape (the synthetic set every test and the demo use)', () => {
    const tmp = makeTempDir();
    afterAll(() => tmp.cleanup());

    it('are never confirmed, though layout and detail alone line some of them up', async () => {
      // The set validate-step.test.ts checks end to end; 5 of its pairs passed the rule of layout and detail alone.
      const ds = await generateSyntheticDataset({ root: tmp.dir, faults: false });
      const items = await Promise.all(ds.images.map((im, i) => item(readFileSync(join(ds.imagesDir, im.image)), im.image, i + 2, im.label)));
      let layoutAndDetail = 0;
      let candidates = 0;
      for (let i = 0; i < items.length; i++) {
        for (let j = i + 1; j < items.length; j++) {
          const a = items[i]!;
          const b = items[j]!;
          if (a.label !== b.label || hammingHex(a.phash, b.phash) > NEAR_CONFIRM.radius) continue;
          candidates++;
          const m = matchFingerprints(a.fp, b.fp);
          if (!m) continue;
          if (passes(m, { ...NEAR_CONFIRM, maxToneShift: 255, maxShading: 255 })) layoutAndDetail++;
          expect(passes(m, NEAR_CONFIRM), `${a.image} ${b.image}: ${JSON.stringify({ ...m, alignment: undefined })}`).toBe(false);
        }
      }
      expect(candidates).toBeGreaterThan(10);
      // What the tone and shading checks are for: without them, drawings of one shape pass.
      expect(layoutAndDetail).toBeGreaterThan(0);
    }, 120_000);
  });

  it('catches crops on two sides and a small rotation', async () => {
    const original = await scene('pose-b');
    const a = await item(original, 'b.jpg', 2);
    const twoSides = await item(await sharp(original).extract({ left: 24, top: 0, width: W - 24, height: H - 25 }).jpeg({ quality: 80 }).toBuffer(), 'b_cut.jpg', 3);
    const rotated = await item(await sharp(original).rotate(2).resize(W, H, { fit: 'cover' }).jpeg({ quality: 80 }).toBuffer(), 'b_rot.jpg', 4);
    expect(findClusters([a, twoSides], RULE)).toHaveLength(1);
    expect(findClusters([a, rotated], RULE)).toHaveLength(1);
  });

  it('keeps two photos of the same subject on the same backdrop apart', async () => {
    const a = await item(await scene('pose-c'), 'c1.jpg', 2);
    const b = await item(await scene('pose-d'), 'c2.jpg', 3);
    // The layout lines up (one backdrop, one subject), the detail does not.
    const m = matchFingerprints(a.fp, b.fp)!;
    expect(m.detail).toBeLessThan(NEAR_CONFIRM.minDetail);
    // Even when the hash index proposes the pair (every pair is a candidate at radius 64).
    expect(findClusters([a, b], { ...RULE, confirm: { ...NEAR_CONFIRM, radius: 64 } })).toEqual([]);
  });

  it('takes no evidence from flat thumbnails', () => {
    const flat = { pixels: new Uint8Array(48 * 48).fill(200), aspect: 1.3 };
    expect(matchFingerprints(flat, flat)).toBeUndefined();
  });

  it('needs the aspect ratios to fit a crop: the same thumbnail from frames of very different shapes is no copy', async () => {
    const a = await item(await scene('pose-g'), 'g.jpg', 2);
    expect(matchFingerprints(a.fp, a.fp)).toBeDefined();
    // A 4:3 frame and the same 48×48 box means from a 4:3 × 1.3 frame: no crop of one gives the other.
    expect(matchFingerprints(a.fp, { ...a.fp, aspect: a.fp.aspect! * 1.3 })).toBeUndefined();
    // An old cache entry without the aspect: the hashes alone decide.
    expect(matchFingerprints(a.fp, { pixels: a.fp.pixels })).toBeUndefined();
  });

  it('keeps the aspect ratio in the fingerprint, upright (from the header, EXIF orientation applied)', async () => {
    const landscape = await sharp(await scene('pose-h')).jpeg().toBuffer();
    const m = await measureBuffer(landscape, LIMITS);
    expect(decodeFingerprint(m.fingerprint!).aspect).toBeCloseTo(W / H, 5);
    // Stored turned a quarter, with orientation 6: shown as the same landscape frame.
    const stored = await sharp(landscape).rotate(270).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const r = await measureBuffer(stored, LIMITS);
    expect(decodeFingerprint(r.fingerprint!).aspect).toBeCloseTo(W / H, 5);
  });
});
