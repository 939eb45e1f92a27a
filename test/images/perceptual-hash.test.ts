import { describe, expect, it } from 'vitest';
import {
  ahash8,
  applyOrientation,
  dhash9x8,
  hammingHex,
  hexToHalves,
  lanczosResizer,
  phash32,
  popcount32,
  resizeLanczos,
  toGrey,
  useWasmResize,
  type GreyImage,
} from '../../src/images/perceptual-hash.js';
import { seededRandom } from '../../src/core/random.js';

function image(w: number, h: number, f: (x: number, y: number) => number): GreyImage {
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  return { data, width: w, height: h };
}

/** Straight from the definition: numpy's dct(dct(px, axis=0), axis=1) with scipy's unnormalised type II. */
function referencePhash(px: Uint8Array): string {
  const N = 32;
  const a = Array.from({ length: N }, (_, y) => Array.from({ length: N }, (_, x) => px[y * N + x]!));
  const dct1 = (v: number[]): number[] => v.map((_, k) => 2 * v.reduce((s, xn, n) => s + xn * Math.cos((Math.PI * k * (2 * n + 1)) / (2 * N)), 0));
  const cols = Array.from({ length: N }, (_, x) => dct1(a.map((row) => row[x]!)));
  const afterAxis0 = Array.from({ length: N }, (_, k) => Array.from({ length: N }, (_, x) => cols[x]![k]!));
  const full = afterAxis0.map(dct1);
  const low = full.slice(0, 8).flatMap((row) => row.slice(0, 8));
  const sorted = [...low].sort((p, q) => p - q);
  const median = (sorted[31]! + sorted[32]!) / 2;
  let bits = '';
  for (const v of low) bits += v > median ? '1' : '0';
  return BigInt('0b' + bits).toString(16).padStart(16, '0');
}

describe('perceptual hashes (imagehash definitions)', () => {
  it('pHash matches a direct evaluation of the definition on random images', () => {
    const rand = seededRandom('phash');
    for (let t = 0; t < 5; t++) {
      const img = image(32, 32, () => Math.floor(rand() * 256));
      expect(phash32(img.data)).toBe(referencePhash(img.data));
    }
  });

  it('dHash: a left-to-right rising ramp sets every bit, a falling one none', () => {
    expect(dhash9x8(image(9, 8, (x) => x * 20).data)).toBe('ffffffffffffffff');
    expect(dhash9x8(image(9, 8, (x) => 200 - x * 20).data)).toBe('0000000000000000');
  });

  it('aHash: bits above the mean, row-major, first bit most significant', () => {
    // Top half bright, bottom half dark.
    expect(ahash8(image(8, 8, (_x, y) => (y < 4 ? 200 : 10)).data)).toBe('ffffffff00000000');
    // Only the first pixel bright.
    expect(ahash8(image(8, 8, (x, y) => (x === 0 && y === 0 ? 255 : 0)).data)).toBe('8000000000000000');
  });

  it('grey conversion uses Pillow\'s ITU-R 601-2 weights', () => {
    const g = toGrey(Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]), 4, 1, 3);
    expect([...g.data]).toEqual([76, 150, 29, 255]);
  });

  it('Lanczos resize keeps a flat image flat and antialiases a downscale', () => {
    const flat = resizeLanczos(image(100, 60, () => 77), 32, 32);
    expect(new Set(flat.data)).toEqual(new Set([77]));
    // A fine checkerboard averages to mid-grey when shrunk a lot.
    const checker = resizeLanczos(image(128, 128, (x, y) => ((x + y) % 2 ? 255 : 0)), 8, 8);
    for (const v of checker.data) expect(Math.abs(v - 128)).toBeLessThanOrEqual(2);
  });

  it('the WebAssembly SIMD resize gives the TypeScript resize\'s pixels, bit for bit', () => {
    expect(lanczosResizer()).toBe('wasm'); // Node 20 runs WebAssembly SIMD
    const rand = seededRandom(18);
    const cases: GreyImage[] = [];
    // Plain images (down- and upscaled, odd sizes) and cell thumbnails of 1/4 and 1/8 reductions with
    // partial last cells; noise, hard edges and flat areas (exact ties).
    for (const [w, h] of [[1, 1], [3, 5], [9, 8], [33, 31], [125, 94], [64, 200], [301, 17]] as const) {
      cases.push(image(w, h, (x, y) => ((x * 7 + y * 3) % 11 < 5 ? 0 : 255)));
      cases.push(image(w, h, () => Math.floor(rand() * 256)));
    }
    for (const [w, h, cell] of [[125, 94, 4], [64, 64, 8], [97, 70, 4], [81, 128, 8]] as const) {
      const img = image(w, h, (x, y) => (x < w / 3 ? 255 : Math.floor(rand() * 40) + y));
      cases.push({ ...img, cell, fullWidth: w * cell - 3, fullHeight: h * cell - 1 });
    }
    for (const img of cases) {
      for (const [ow, oh] of [[32, 32], [8, 8], [9, 8], [7, 3]] as const) {
        useWasmResize(false);
        const js = resizeLanczos(img, ow, oh).data;
        useWasmResize(true);
        expect(resizeLanczos(img, ow, oh).data, `${img.width}x${img.height} cell ${img.cell ?? 1} to ${ow}x${oh}`).toEqual(js);
      }
    }
  });

  it('EXIF orientations 1-8 undo the stored transform', () => {
    // A 3x2 stored image; orientation 6 = rotate 90° clockwise to view.
    const stored: GreyImage = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 3, height: 2 };
    const o6 = applyOrientation(stored, 6);
    expect([o6.width, o6.height, ...o6.data]).toEqual([2, 3, 4, 1, 5, 2, 6, 3]);
    const o8 = applyOrientation(stored, 8);
    expect([o8.width, o8.height, ...o8.data]).toEqual([2, 3, 3, 6, 2, 5, 1, 4]);
    expect([...applyOrientation(stored, 3).data]).toEqual([6, 5, 4, 3, 2, 1]);
    expect([...applyOrientation(stored, 2).data]).toEqual([3, 2, 1, 6, 5, 4]);
    expect([...applyOrientation(stored, 4).data]).toEqual([4, 5, 6, 1, 2, 3]);
    expect([...applyOrientation(stored, 5).data]).toEqual([1, 4, 2, 5, 3, 6]);
    expect([...applyOrientation(stored, 7).data]).toEqual([6, 3, 5, 2, 4, 1]);
    expect(applyOrientation(stored, 1)).toBe(stored);
  });

  it('Hamming distance and halves', () => {
    expect(hammingHex('ffffffffffffffff', '0000000000000000')).toBe(64);
    expect(hammingHex('8000000000000001', '0000000000000000')).toBe(2);
    expect(hexToHalves('80000000ffff0000')).toEqual([0x80000000, 0xffff0000]);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0x80000001)).toBe(2);
  });
});
