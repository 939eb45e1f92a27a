import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { jpegThumbnail, jpegWalker, useWasmWalker } from '../../src/images/jpeg-thumbnail.js';
import { prng } from '../helpers/crafted-images.js';
import { encodeTinyJpeg, scanData } from '../helpers/tiny-jpeg.js';

/** RGB with gradients, noise and hard edges, so AC codes are long and varied. */
function texture(w: number, h: number, seed: number): Uint8Array {
  const rand = prng(seed);
  const out = new Uint8Array(w * h * 3);
  const edge = Math.floor(rand() * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const v = 40 + (150 * x) / w + 40 * Math.sin((x + c * 7) / 5 + y / 9) + (x > edge ? 50 : 0) + (rand() - 0.5) * 60;
        out[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return out;
}

const grey = (rgb: Uint8Array): Uint8Array => rgb.filter((_v, i) => i % 3 === 0);

async function files(): Promise<{ name: string; file: Uint8Array }[]> {
  const rgb = texture(83, 61, 7);
  const big = texture(260, 200, 11);
  const raw = (px: Uint8Array, w: number, h: number) => sharp(px, { raw: { width: w, height: h, channels: 3 } });
  return [
    { name: 'sharp 4:2:0 q80', file: await raw(big, 260, 200).jpeg({ quality: 80 }).toBuffer() },
    { name: 'sharp 4:4:4 q95 optimised', file: await raw(big, 260, 200).jpeg({ quality: 95, chromaSubsampling: '4:4:4', optimiseCoding: true }).toBuffer() },
    { name: 'sharp grey q60', file: await raw(rgb, 83, 61).toColourspace('b-w').jpeg({ quality: 60 }).toBuffer() },
    { name: 'tiny grey, restarts every 3 MCUs, quant 1 (long codes)', file: encodeTinyJpeg(grey(rgb), 83, 61, { restartInterval: 3 }) },
    { name: 'tiny YCbCr 2x2 luma, restarts every MCU', file: encodeTinyJpeg(rgb, 83, 61, { components: 3, lumaSampling: [2, 2], restartInterval: 1, quant: 4 }) },
    { name: 'tiny YCbCr 2x1 luma', file: encodeTinyJpeg(rgb, 83, 61, { components: 3, lumaSampling: [2, 1], quant: 2 }) },
  ];
}

/** The thumbnail by one walker: its pixels, or undefined when that walker hands the file on. */
function read(file: Uint8Array, scale: 4 | 8, wasm: boolean): number[] | undefined {
  useWasmWalker(wasm);
  const t = jpegThumbnail(file, scale);
  return t && [t.width, t.height, ...t.data];
}

describe('the WebAssembly JPEG walker', () => {
  afterEach(() => useWasmWalker(true));

  it('is the walker used where WebAssembly runs (Node has it)', () => {
    expect(jpegWalker()).toBe('wasm');
  });

  it('reads the same thumbnails as the TypeScript walker, at 1/4 and 1/8', async () => {
    for (const { name, file } of await files()) {
      for (const scale of [4, 8] as const) {
        const js = read(file, scale, false);
        expect(js, name).toBeDefined();
        expect(read(file, scale, true), `${name} at 1/${scale}`).toEqual(js);
      }
    }
  });

  it('builds each file\'s Huffman tables, reusing a built one only for the same definition', async () => {
    // The module keeps 8 built tables across files and rebuilds one only when a file defines different
    // bytes: files with different tables in turn (optimised per image, standard, grey, hand-written), each
    // read twice, must each read as the TypeScript walker reads them alone.
    const all = await files();
    const expected = all.map(({ file }) => [read(file, 4, false), read(file, 8, false)]);
    for (let round = 0; round < 3; round++) {
      for (const [i, { name, file }] of [...all.entries()].reverse().concat([...all.entries()])) {
        expect(read(file, 4, true), `${name}, round ${round}`).toEqual(expected[i]![0]);
        expect(read(file, 8, true), `${name}, round ${round}`).toEqual(expected[i]![1]);
      }
    }
  });

  it('accepts and refuses exactly what the TypeScript walker does on corrupted scan data', async () => {
    const rand = prng(2026);
    let kept = 0;
    let refused = 0;
    for (const { name, file } of await files()) {
      const [start, end] = scanData(file);
      for (let i = 0; i < 60; i++) {
        const bad = Uint8Array.from(file);
        const at = start + Math.floor(rand() * (end - start));
        if (i % 3 === 0) {
          bad[at] = Math.floor(rand() * 256); // any byte, 0xff included
        } else {
          bad[at] = bad[at]! ^ (1 << Math.floor(rand() * 8));
        }
        const cut = i % 5 === 0 ? bad.subarray(0, at + 1) : bad; // some end early too
        for (const scale of [4, 8] as const) {
          const js = read(cut, scale, false);
          if (js) kept++;
          else refused++;
          expect(read(cut, scale, true), `${name}, mutation ${i} at byte ${at}, 1/${scale}`).toEqual(js);
        }
      }
    }
    // Both outcomes were exercised.
    expect(kept).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });
});
