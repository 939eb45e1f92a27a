import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { perceptualHashes, type GreyImage } from '../../src/dataset/perceptual-hash.js';

/**
 * edgewise's hashes against values published from the real Python imagehash 4.3.2 (Pillow 10.4.0, scipy
 * 1.14.1): wmetcalf/rosetta-squint hash/spec/goldens.json @1a29194c. Its fixture PNGs are binary, so the
 * images are rebuilt here and proven to be the same pixels by the SHA-256 the file publishes for each
 * decoded image (uint32le width, uint32le height, RGB bytes). bench/python/check_published.py checks the
 * Python reference against the same values.
 */
type Build = (x: number, y: number) => number;
const CASES: { name: string; size: number; px: Build; sha256: string; phash: string; ahash: string; dhash: string }[] = [
  { name: 'all-black-32', size: 32, px: () => 0, sha256: 'f65cfa25205ec99da4f25147d8beb1843196243b3af224b4df79ac80046b6697', phash: '0000000000000000', ahash: '0000000000000000', dhash: '0000000000000000' },
  { name: 'all-white-32', size: 32, px: () => 255, sha256: 'f6045313d059fce65f0b79eac2c50ccb518192b878a9e83963e3843233fb01d2', phash: '8000000000000000', ahash: '0000000000000000', dhash: '0000000000000000' },
  { name: 'all-black-256', size: 256, px: () => 0, sha256: 'e67b11fc3f9cfe0404624ad844022d43a77d2fecbd1333e9eadd506aa0b49d8f', phash: '0000000000000000', ahash: '0000000000000000', dhash: '0000000000000000' },
  { name: 'all-white-256', size: 256, px: () => 255, sha256: '33e72205b80b497434a33e1570368827cb0fa61f2b345f20df1a8d3cdd9443d1', phash: '8000000000000000', ahash: '0000000000000000', dhash: '0000000000000000' },
  { name: 'mid-gray-256', size: 256, px: () => 128, sha256: '65d5abff8077d27b1fcb1d77d3b44ff49ab62470c72f08671bce5cef762f897e', phash: '8000000000000000', ahash: '0000000000000000', dhash: '0000000000000000' },
  { name: 'gradient-h-256', size: 256, px: (x) => x, sha256: '510d3e853773cff854f07de1064a963fae8de52610f18e6f978089bb5b9227c2', phash: 'aa00000000000000', ahash: '0f0f0f0f0f0f0f0f', dhash: 'ffffffffffffffff' },
  { name: 'gradient-v-256', size: 256, px: (_x, y) => y, sha256: '00f90cf101aef93c24551fd89f90401056abde74d81b8908fa5784b5da3d64e4', phash: '8000800080008000', ahash: '00000000ffffffff', dhash: '0000000000000000' },
  { name: 'gradient-diag-256', size: 256, px: (x, y) => (x + y) >> 1, sha256: '6fb586f5df0a66e0f8d3dd49b3408290c5a5c2253820b4c795facd7b73bed61a', phash: 'aa2afe2afe28fa00', ahash: '0001030f1f1f3f7f', dhash: 'ffffffffffffffff' },
  { name: 'checker-32', size: 32, px: (x, y) => (((x >> 3) + (y >> 3)) % 2) * 255, sha256: '25d46e26449802c6d768e98184f874d573d433902573d11fab410b8fa2bd26e8', phash: '8005000500500050', ahash: '3333cccc3333cccc', dhash: '6666999966669918' },
  { name: 'checker-256', size: 256, px: (x, y) => (((x >> 3) + (y >> 3)) % 2) * 255, sha256: '4e70bc67f5ea0b62d11a52ba66e260bbfc38d51260d9b46c26ec7ce6c38e47b8', phash: '8000000000000000', ahash: '5dba5dffffba5dba', dhash: 'a552a5000052a552' },
];

function build(size: number, px: Build): GreyImage {
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
  for (const c of CASES) {
    it(c.name, () => {
      const img = build(c.size, c.px);
      // The same pixels imagehash hashed, or the comparison would mean nothing.
      expect(decodedSha256(img)).toBe(c.sha256);
      expect(perceptualHashes(img)).toEqual({ phash: c.phash, ahash: c.ahash, dhash: c.dhash });
    });
  }
});
