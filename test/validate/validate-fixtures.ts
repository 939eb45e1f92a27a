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

export const SCENE_W = 480;
export const SCENE_H = 360;

/**
 * A textured scene: a background of smooth waves and a subject (discs of fixed colours) placed by `pose`.
 * Two poses are two photos of one subject on one backdrop; one pose re-cropped is the same photo.
 */
export function scene(pose: string): Promise<Buffer> {
  const place = seededRandom(pose);
  const noise = seededRandom(`${pose}-noise`);
  const colours = [[220, 40, 40], [30, 160, 60], [240, 200, 30], [40, 60, 200]];
  const discs = colours.map((c) => ({ x: place() * SCENE_W, y: place() * SCENE_H, r: 30 + place() * 60, c }));
  const data = Buffer.alloc(SCENE_W * SCENE_H * 3);
  for (let y = 0; y < SCENE_H; y++) {
    for (let x = 0; x < SCENE_W; x++) {
      const i = (y * SCENE_W + x) * 3;
      const v = 120 + 50 * Math.sin(x / 23) * Math.cos(y / 31) + 40 * Math.sin((x + 2 * y) / 57);
      let rgb = [v, v * 0.9, v * 0.8];
      for (const d of discs) if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r ** 2) rgb = d.c;
      for (let k = 0; k < 3; k++) data[i + k] = Math.max(0, Math.min(255, rgb[k]! + (noise() - 0.5) * 10));
    }
  }
  return sharp(data, { raw: { width: SCENE_W, height: SCENE_H, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}
