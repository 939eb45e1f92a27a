import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { findClusters, type DedupeItem } from '../../src/dataset/clusters.js';
import { measureBuffer } from '../../src/dataset/image-measure.js';
import { hammingHex } from '../../src/dataset/perceptual-hash.js';
import { NEAR_CONFIRM } from '../../src/dataset/clusters.js';
import { decodeFingerprint, isSamePhoto, matchFingerprints } from '../../src/dataset/thumb-match.js';

const LIMITS = { maxPixels: 50_000_000, maxReadBytes: 50_000_000 };
const W = 480;
const H = 360;

/**
 * A textured scene: a background of smooth waves and a subject (discs of fixed colours) placed by `pose`.
 * Two poses are two photos of one subject on one backdrop; one pose re-cropped is the same photo.
 */
function scene(pose: string): Promise<Buffer> {
  const place = seededRandom(pose);
  const noise = seededRandom(`${pose}-noise`);
  const colours = [[220, 40, 40], [30, 160, 60], [240, 200, 30], [40, 60, 200]];
  const discs = colours.map((c) => ({ x: place() * W, y: place() * H, r: 30 + place() * 60, c }));
  const data = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const v = 120 + 50 * Math.sin(x / 23) * Math.cos(y / 31) + 40 * Math.sin((x + 2 * y) / 57);
      let rgb = [v, v * 0.9, v * 0.8];
      for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r ** 2) rgb = d.c;
      for (let k = 0; k < 3; k++) data[i + k] = Math.max(0, Math.min(255, rgb[k]! + (noise() - 0.5) * 10));
    }
  }
  return sharp(data, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}

async function item(buf: Buffer, image: string, line: number): Promise<DedupeItem & { fp: Uint8Array }> {
  const m = await measureBuffer(buf, LIMITS);
  const fp = decodeFingerprint(m.fingerprint!);
  return { image, label: 'toy', sha256: image, phash: m.hashes!.phash, dhash: m.hashes!.dhash, line, pixels: m.width! * m.height!, bytes: m.bytes, fingerprint: fp, fp };
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
    const flat = new Uint8Array(48 * 48).fill(200);
    expect(matchFingerprints(flat, flat)).toBeUndefined();
  });
});
