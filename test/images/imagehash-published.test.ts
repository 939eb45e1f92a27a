import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { perceptualHashes, type GreyImage } from '../../src/images/perceptual-hash.js';

/**
 * edgewise's hashes against values published from the real Python imagehash 4.3.2 (Pillow 10.4.0, scipy
 * 1.14.1): wmetcalf/rosetta-squint hash/spec/goldens.json @1a29194c. Its fixture PNGs are binary, so the
 * images are rebuilt here and proven to be the same pixels by the SHA-256 the file publishes for each
 * decoded image (uint32le width, uint32le height, RGB bytes). The values are in
 * test/fixtures/imagehash-published.json; bench/python/check_published.py checks the Python reference
 * against the same file.
 */
interface Published {
  source: string;
  images: { name: string; pattern: string; size: number; decoded_sha256: string; phash: string; ahash: string; dhash: string }[];
}
const published = JSON.parse(readFileSync(new URL('../fixtures/imagehash-published.json', import.meta.url), 'utf8')) as Published;

/** The fixture's patterns (grey value at x, y), as its "patterns" field describes them. */
const PATTERNS: Record<string, (x: number, y: number) => number> = {
  'all-black': () => 0,
  'all-white': () => 255,
  'mid-gray': () => 128,
  'gradient-h': (x) => x,
  'gradient-v': (_x, y) => y,
  'gradient-diag': (x, y) => (x + y) >> 1,
  checker: (x, y) => (((x >> 3) + (y >> 3)) % 2) * 255,
};

function build(size: number, px: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data[y * size + x] = px(x, y);
  return { data, width: size, height: size };
}

function decodedSha256(img: GreyImage): string {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(img.width, 0);
  head.writeUInt32LE(img.height, 4);
  const rgb = Buffer.alloc(img.data.length * 3);
  for (let i = 0; i < img.data.length; i++) rgb.fill(img.data[i]!, i * 3, i * 3 + 3);
  return createHash('sha256').update(head).update(rgb).digest('hex');
}

describe('hashes agree with values published from Python imagehash', () => {
  it('has the ten rebuildable images', () => {
    const patterns = published.images.map((c) => c.pattern).sort();
    expect(patterns).toEqual(['all-black', 'all-black', 'all-white', 'all-white', 'checker', 'checker', 'gradient-diag', 'gradient-h', 'gradient-v', 'mid-gray']);
  });
  for (const c of published.images) {
    it(c.name, () => {
      const img = build(c.size, PATTERNS[c.pattern]!);
      // The same pixels imagehash hashed, or the comparison would mean nothing.
      expect(decodedSha256(img)).toBe(c.decoded_sha256);
      expect(perceptualHashes(img)).toEqual({ phash: c.phash, ahash: c.ahash, dhash: c.dhash });
    });
  }
});
