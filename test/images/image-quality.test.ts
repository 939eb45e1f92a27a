import { afterEach, describe, expect, it } from 'vitest';
import { measureQuality, useWasmQuality } from '../../src/images/image-quality.js';
import type { GreyImage } from '../../src/images/perceptual-hash.js';
import { prng } from '../helpers/crafted-images.js';

/** The definition, one value at a time into doubles: what both implementations must give bit for bit. */
function reference({ data, width: w, height: h }: GreyImage): { mean: number; entropy: number; blur: number } {
  const hist = new Float64Array(256);
  let sum = 0;
  for (const v of data) {
    hist[v]!++;
    sum += v;
  }
  const n = data.length || 1;
  let entropy = 0;
  for (let v = 0; v < 256; v++) {
    const p = hist[v]! / n;
    if (p > 0) entropy -= p * Math.log2(p);
  }
  let s = 0;
  let s2 = 0;
  let m = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap = data[i - 1]! + data[i + 1]! + data[i - w]! + data[i + w]! - 4 * data[i]!;
      s += lap;
      s2 += lap * lap;
      m++;
    }
  }
  return { mean: sum / n, entropy, blur: m > 0 ? s2 / m - (s / m) ** 2 : 0 };
}

const image = (width: number, height: number, f: (x: number, y: number) => number): GreyImage => {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { data, width, height };
};

function images(): [string, GreyImage][] {
  const rand = prng(18);
  return [
    ['noise 97x61', image(97, 61, () => Math.floor(rand() * 256))],
    ['flat', image(40, 30, () => 77)],
    // Every interior Laplacian at ±1020, the largest: 9,000 columns need the int32 sums in runs (of a row, and of each SIMD lane) to stay exact.
    ['checkerboard 0/255, 9000 wide', image(9000, 3, (x, y) => ((x + y) & 1 ? 255 : 0))],
    ['gradient and noise 2100x9', image(2100, 9, (x, y) => Math.min(255, (x * 3 + y * 11) % 256 + Math.floor(rand() * 8)))],
    ['one pixel', image(1, 1, () => 200)],
    ['two rows', image(9, 2, (x) => x * 20)],
    ['one column', image(1, 17, (_x, y) => y * 10)],
    ['3x3, one interior pixel', image(3, 3, (x, y) => (x === 1 && y === 1 ? 255 : 0))],
    ['width not a multiple of 8', image(13, 11, () => Math.floor(rand() * 256))],
  ];
}

describe('measureQuality', () => {
  afterEach(() => useWasmQuality(true));

  it('gives the definition\'s values bit for bit, in WebAssembly and in TypeScript', () => {
    for (const wasm of [true, false]) {
      useWasmQuality(wasm);
      for (const [name, img] of images()) expect(measureQuality(img), `${name}, ${wasm ? 'WebAssembly' : 'TypeScript'}`).toEqual(reference(img));
    }
  });

  it('measures blur: a sharp edge scores far above its blurred copy', () => {
    const sharp = image(64, 64, (x) => (x < 32 ? 20 : 220));
    const soft = image(64, 64, (x) => Math.round(20 + 200 / (1 + Math.exp(-(x - 31.5) / 4))));
    expect(measureQuality(sharp).blur).toBeGreaterThan(10 * measureQuality(soft).blur);
  });
});
