import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jpegIccProfile, profileActsAsSrgb, profilesMeasured } from '../../src/tflite/icc-profile.js';
import { preprocessImage } from '../../src/tflite/preprocess.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ew-icc-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 96;
const H = 64;
/** Saturated and pale colours side by side: where colour profiles differ most. */
function swatches(): Buffer {
  const px = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      px[o] = (x * 255) / (W - 1);
      px[o + 1] = y < H / 2 ? 255 - (x * 255) / (W - 1) : 0;
      px[o + 2] = (y * 255) / (H - 1);
    }
  return px;
}

/** A JPEG of the swatches with `profile` embedded (sharp converts the pixels to it, then attaches it). */
async function jpegWith(profile: 'srgb' | 'p3', file: string): Promise<Buffer> {
  const bytes = await sharp(swatches(), { raw: { width: W, height: H, channels: 3 } }).withIccProfile(profile).jpeg({ quality: 95 }).toBuffer();
  writeFileSync(file, bytes);
  return bytes;
}

const decode = (src: string | Buffer, ignoreIcc: boolean, width = W, height = H) =>
  sharp(src, { ignoreIcc }).resize(width, height, { fit: 'fill', kernel: 'linear' }).removeAlpha().toColourspace('srgb').raw().toBuffer();

/** 18 levels per channel (0, 15, …, 255): 5,832 colours, a 72×81 image. */
function latticePixels(): Buffer {
  const px: number[] = [];
  for (let r = 0; r < 256; r += 15) for (let g = 0; g < 256; g += 15) for (let b = 0; b < 256; b += 15) px.push(r, g, b);
  return Buffer.from(px);
}

/** Where a tag's data starts in an ICC profile. */
function tagOffset(profile: Buffer, sig: string): number {
  for (let i = 0; i < profile.readUInt32BE(128); i++)
    if (profile.toString('latin1', 132 + i * 12, 136 + i * 12) === sig) return profile.readUInt32BE(136 + i * 12);
  throw new Error(`no ${sig} tag`);
}

/** The PNG (which has no profile) with `profile` in an iCCP chunk after its header. */
function pngWithProfile(png: Buffer, profile: Uint8Array): Buffer {
  const data = Buffer.concat([Buffer.from('icc\0\0', 'latin1'), deflateSync(profile)]);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write('iCCP', 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  const afterIhdr = 8 + 8 + 13 + 4;
  return Buffer.concat([png.subarray(0, afterIhdr), head, data, crc, png.subarray(afterIhdr)]);
}

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Splits a JPEG's single ICC APP2 segment into `n` segments, written in `order` (1-based sequence numbers). */
function splitProfile(jpeg: Buffer, n: number, order: number[]): Buffer {
  const profile = jpegIccProfile(jpeg)!;
  const start = jpeg.indexOf(Buffer.from('ICC_PROFILE\0', 'latin1')) - 4;
  const end = start + 2 + jpeg.readUInt16BE(start + 2);
  const size = Math.ceil(profile.length / n);
  const segs = order.map((seq) => {
    const body = profile.subarray((seq - 1) * size, seq * size);
    const head = Buffer.alloc(18);
    head.writeUInt16BE(0xffe2, 0);
    head.writeUInt16BE(16 + body.length, 2);
    head.write('ICC_PROFILE\0', 4, 'latin1');
    head[16] = seq;
    head[17] = n;
    return Buffer.concat([head, body]);
  });
  return Buffer.concat([jpeg.subarray(0, start), ...segs, jpeg.subarray(end)]);
}

describe('embedded colour profiles in the shared preprocessing', () => {
  it('reads a JPEG profile from its markers exactly as libvips does, in one or several segments', async () => {
    const jpeg = await jpegWith('srgb', join(dir, 'srgb.jpg'));
    const fromVips = (await sharp(jpeg).metadata()).icc!;
    expect(fromVips.length).toBeGreaterThan(100);
    expect(Buffer.from(jpegIccProfile(jpeg)!).equals(fromVips)).toBe(true);
    // Segments out of order are joined by sequence number; libvips reads the same profile.
    const split = splitProfile(jpeg, 3, [2, 3, 1]);
    expect(Buffer.from(jpegIccProfile(split)!).equals(fromVips)).toBe(true);
    expect((await sharp(split).metadata()).icc!.equals(fromVips)).toBe(true);
    // Incomplete or inconsistent segments: no profile from the markers (libvips then decides alone).
    expect(jpegIccProfile(splitProfile(jpeg, 3, [1, 3]))).toBeUndefined();
    expect(jpegIccProfile(splitProfile(jpeg, 3, [1, 1, 2, 3]))).toBeUndefined();
    // No profile.
    const plain = await sharp(swatches(), { raw: { width: W, height: H, channels: 3 } }).jpeg().toBuffer();
    expect(jpegIccProfile(plain)).toBeUndefined();
  });

  it('skips a profile that acts as sRGB: the pixels are the untransformed ones, within one level of the transform', async () => {
    // libvips' own sRGB profile with its red colorant nudged: lcms then moves some colours by exactly one level.
    const base = await jpegWith('srgb', join(dir, 'srgb2.jpg'));
    const nudged = (units: number) => {
      const p = Buffer.from(jpegIccProfile(base)!);
      const rXYZ = tagOffset(p, 'rXYZ');
      p.writeInt32BE(p.readInt32BE(rXYZ + 8) + units, rXYZ + 8);
      p.fill(0, 84, 100); // profile ID (an MD5 of the rest): 0 = not computed
      return p;
    };
    // A PNG keeps the lattice's exact colours (a JPEG's rounding happens to avoid the ones lcms moves).
    const lattice = await sharp(latticePixels(), { raw: { width: 72, height: 81, channels: 3 } }).png().toBuffer();
    const near = join(dir, 'near-srgb.png');
    writeFileSync(near, pngWithProfile(lattice, nudged(30)));
    expect(await profileActsAsSrgb(nudged(30))).toBe(true);
    const px = await preprocessImage(near, { width: 72, height: 81 });
    expect(maxDiff(px, await decode(near, true, 72, 81))).toBe(0);
    const transformed = await decode(near, false, 72, 81);
    expect(maxDiff(px, transformed)).toBe(1); // the transform was skipped, and it would have moved colours by one level
    // Bytes in memory are treated like a file.
    expect(maxDiff(await preprocessImage(readFileSync(near), { width: 72, height: 81 }), px)).toBe(0);
    // Nudged further, the profile moves colours by two levels: it is applied.
    const far = join(dir, 'far-srgb.png');
    writeFileSync(far, pngWithProfile(lattice, nudged(45)));
    expect(await profileActsAsSrgb(nudged(45))).toBe(false);
    const applied = await preprocessImage(far, { width: 72, height: 81 });
    expect(maxDiff(applied, await decode(far, false, 72, 81))).toBe(0);
    expect(maxDiff(applied, await decode(far, true, 72, 81))).toBe(2);
  });

  it('applies any other profile (Display P3): the colours come back to sRGB', async () => {
    const file = join(dir, 'p3.jpg');
    const jpeg = await jpegWith('p3', file);
    expect(await profileActsAsSrgb(jpegIccProfile(jpeg)!)).toBe(false);
    const px = await preprocessImage(file, { width: W, height: H });
    expect(maxDiff(px, await decode(file, false))).toBe(0);
    // Not applying it would move saturated colours far: that is what the transform is for.
    expect(maxDiff(px, await decode(file, true))).toBeGreaterThan(10);
  });

  it('measures each distinct profile once', async () => {
    const profile = Buffer.from(jpegIccProfile(await jpegWith('srgb', join(dir, 'srgb4.jpg')))!);
    profile.write('once', 48, 'latin1'); // device model field: same colours, other bytes
    const before = profilesMeasured();
    const a = await sharp(swatches(), { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
    const b = await sharp(Buffer.alloc(W * H * 3, 90), { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
    await preprocessImage(pngWithProfile(a, profile), { width: W, height: H });
    await preprocessImage(pngWithProfile(b, profile), { width: W, height: H });
    await preprocessImage(pngWithProfile(a, profile), { width: 8, height: 8 });
    expect(profilesMeasured()).toBe(before + 1);
    // Saved another day (creation date, profile ID): the same colours, not measured again.
    const resaved = Buffer.from(profile);
    resaved.writeUInt16BE(2031, 24);
    resaved.fill(7, 84, 100);
    expect(await profileActsAsSrgb(resaved)).toBe(true);
    expect(profilesMeasured()).toBe(before + 1);
    // A change that can move colours (the rendering intent, byte 64) is another profile.
    const other = Buffer.from(profile);
    other[67] = 1;
    await profileActsAsSrgb(other);
    expect(profilesMeasured()).toBe(before + 2);
  });

  it('never skips a profile it cannot judge: not RGB, or not a profile at all', async () => {
    const srgb = jpegIccProfile(await jpegWith('srgb', join(dir, 'srgb3.jpg')))!;
    expect(await profileActsAsSrgb(srgb)).toBe(true);
    const grey = Buffer.from(srgb);
    grey.write('GRAY', 16, 'latin1');
    expect(await profileActsAsSrgb(grey)).toBe(false);
    expect(await profileActsAsSrgb(Buffer.from('not a colour profile at all, but long enough to pass a length test '.repeat(3)))).toBe(false);
  });
});
