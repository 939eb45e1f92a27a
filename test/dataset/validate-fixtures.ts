import sharp, { type Sharp } from 'sharp';
import { seededRandom } from '../../src/core/random.js';

/** A photo-like RGB image: a gradient, a few coloured discs and noise; deterministic per seed. */
export function photo(w: number, h: number, seed = 'photo'): { data: Buffer; width: number; height: number } {
  const rand = seededRandom(seed);
  const blobs = Array.from({ length: 6 }, () => ({ x: rand() * w, y: rand() * h, r: 10 + rand() * w * 0.3, c: [rand() * 255, rand() * 255, rand() * 255] }));
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      let rgb = [(x / w) * 200, (y / h) * 200, 80];
      for (const b of blobs) if ((x - b.x) ** 2 + (y - b.y) ** 2 < b.r ** 2) rgb = b.c;
      for (let k = 0; k < 3; k++) data[i + k] = Math.max(0, Math.min(255, rgb[k]! + (rand() - 0.5) * 12));
    }
  }
  return { data, width: w, height: h };
}

export function raw(p: { data: Buffer; width: number; height: number }): Sharp {
  return sharp(p.data, { raw: { width: p.width, height: p.height, channels: 3 } });
}

export function photoJpeg(seed: string, w = 160, h = 120): Promise<Buffer> {
  return raw(photo(w, h, seed)).jpeg({ quality: 90 }).toBuffer();
}
