import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { checkImage } from '../../src/validate/image-checks.js';
import { measureBuffer, measureImage, thumbnailScale, type ImageMeasure } from '../../src/images/image-measure.js';
import { readJpegHeader } from '../../src/images/jpeg-header.js';
import { jpegThumbnail } from '../../src/images/jpeg-thumbnail.js';
import { hammingHex, perceptualHashes, toGrey } from '../../src/images/perceptual-hash.js';
import { parseConfig } from '../../src/config/load.js';
import { preprocessImage } from '../../src/tflite/preprocess.js';
import { bmp, bogusHuffmanTable, ico, netpbm, unknownMarker } from '../helpers/crafted-images.js';
import { photo as photoSync, raw } from '../validate/validate-fixtures.js';

const limits = { maxPixels: 100_000_000, maxReadBytes: 200 * 1024 * 1024 };
const settings = parseConfig({}, 'edgewise.json').validate;
const photo = async (w: number, h: number, seed = 'photo'): Promise<ReturnType<typeof photoSync>> => photoSync(w, h, seed);

function chunk(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const tb = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(tb) >>> 0);
  return Buffer.concat([len, tb, crc]);
}

/** A 300-byte PNG that claims 50,000 x 50,000 pixels: decoding it would need 7.5 GB. */
function bombPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(50_000, 0);
  ihdr.writeUInt32BE(50_000, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1000))), chunk('IEND', Buffer.alloc(0))]);
}

const codes = (image: string, m: ImageMeasure, backend: 'local' | 'vertex' = 'local'): string[] => checkImage(image, 2, m, settings, backend).map((f) => `${f.severity}:${f.code}`);

describe('measureBuffer + checkImage', () => {
  it('refuses a decompression bomb from its header, without decoding it', async () => {
    const bomb = bombPng();
    expect(bomb.length).toBeLessThan(400);
    const t = performance.now();
    const m = await measureBuffer(bomb, limits);
    expect(performance.now() - t).toBeLessThan(1000);
    expect(m).toMatchObject({ width: 50_000, height: 50_000, refused: 'too_many_pixels' });
    expect(m.hashes).toBeUndefined();
    expect(m.decodeError).toBeUndefined();
    expect(codes('bomb.png', m)).toEqual(['error:image.too_many_pixels']);
  });

  it('refuses a real image above a configured pixel limit, and decodes it under the default', async () => {
    const png = await sharp({ create: { width: 2000, height: 1500, channels: 3, background: '#8a4' } }).png().toBuffer();
    expect((await measureBuffer(png, { ...limits, maxPixels: 1_000_000 })).refused).toBe('too_many_pixels');
    expect((await measureBuffer(png, limits)).hashes).toBeDefined();
  });

  it('reports truncated JPEGs as corrupt, and text as not an image', async () => {
    const jpg = await raw(await photo(200, 150)).jpeg().toBuffer();
    const m = await measureBuffer(jpg.subarray(0, Math.floor(jpg.length / 2)), limits);
    expect(m.decodeError).toBeTruthy();
    expect(codes('t.jpg', m)).toEqual(['error:image.corrupt']);
    expect(codes('notes.jpg', await measureBuffer(Buffer.from('field notes, not a photo\n'), limits))).toEqual(['error:image.not_an_image']);
    expect(codes('empty.jpg', await measureBuffer(Buffer.alloc(0), limits))).toEqual(['error:image.corrupt']);
  });

  it('gives the same reason for a broken JPEG however many decodes run beside it', async () => {
    // libvips shares one error buffer across the process; without the retry about 4 in 10 of these read
    // "Unknown error" (sharp's text when the buffer was cleared by another pipeline first).
    const jpg = await raw(await photo(600, 400, 'noisy')).jpeg().toBuffer();
    const broken = jpg.subarray(0, jpg.length >> 1);
    const good = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#842' } }).png().toBuffer();
    const all = await Promise.all(Array.from({ length: 60 }, (_, i) => measureBuffer(i % 3 === 0 ? broken : good, limits)));
    const reasons = new Set(all.filter((_, i) => i % 3 === 0).map((m) => m.decodeError));
    expect([...reasons]).toEqual([expect.stringMatching(/premature end/)]);
    expect(all.filter((_, i) => i % 3 !== 0).every((m) => m.hashes && !m.decodeError)).toBe(true);
  });

  it('flags an extension that lies, and formats Vertex cannot train on (error only for the vertex backend)', async () => {
    const p = await photo(120, 90);
    const png = await raw(p).png().toBuffer();
    expect(codes('photo.jpg', await measureBuffer(png, limits))).toEqual(['warning:image.extension_mismatch']);
    const webp = await measureBuffer(await raw(p).webp().toBuffer(), limits);
    expect(codes('photo.webp', webp, 'local')).toEqual(['warning:image.unsupported_format']);
    expect(codes('photo.webp', webp, 'vertex')).toEqual(['error:image.unsupported_format']);
  });

  it('flags small, extreme-aspect, animated, CMYK and 16-bit images', async () => {
    expect(codes('tiny.png', await measureBuffer(await raw(await photo(20, 20)).png().toBuffer(), limits))).toEqual(['error:image.too_small']);
    expect(codes('strip.png', await measureBuffer(await raw(await photo(700, 60)).png().toBuffer(), limits))).toEqual(['warning:image.extreme_aspect']);
    const a = await raw(await photo(80, 60, 'a')).png().toBuffer();
    const b = await raw(await photo(80, 60, 'b')).png().toBuffer();
    const gif = await sharp([a, b], { join: { animated: true } }).gif().toBuffer();
    expect(codes('anim.gif', await measureBuffer(gif, limits))).toEqual(['warning:image.animated']);
    const cmyk = await raw(await photo(80, 60)).toColourspace('cmyk').jpeg().toBuffer();
    expect(codes('cmyk.jpg', await measureBuffer(cmyk, limits))).toEqual(['warning:image.colour_space']);
    const deep = await raw(await photo(80, 60)).toColourspace('rgb16').png().toBuffer();
    expect(codes('deep.png', await measureBuffer(deep, limits))).toEqual(['warning:image.bit_depth']);
  });

  it('gives quality warnings for dark, bright and flat images, none for a normal photo', async () => {
    const flat = (v: number): Promise<Buffer> => sharp({ create: { width: 100, height: 100, channels: 3, background: { r: v, g: v, b: v } } }).jpeg().toBuffer();
    expect(codes('dark.jpg', await measureBuffer(await flat(5), limits))).toEqual(['warning:quality.dark', 'warning:quality.low_information']);
    expect(codes('bright.jpg', await measureBuffer(await flat(250), limits))).toEqual(['warning:quality.bright', 'warning:quality.low_information']);
    const blurred = await raw(await photo(300, 200)).blur(12).jpeg().toBuffer();
    expect(codes('blurred.jpg', await measureBuffer(blurred, limits))).toEqual(['warning:quality.blurry']);
    expect(codes('photo.jpg', await measureBuffer(await raw(await photo(300, 200)).jpeg().toBuffer(), limits))).toEqual([]);
  });

  it('applies EXIF orientation before hashing: a rotated copy tagged to display upright hashes like the original', async () => {
    const p = await photo(320, 200, 'exif');
    const upright = await measureBuffer(await raw(p).jpeg({ quality: 92 }).toBuffer(), limits);
    const taggedBytes = await raw(p).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer();
    const tagged = await measureBuffer(taggedBytes, limits);
    const untagged = await measureBuffer(await raw(p).rotate(270).jpeg({ quality: 92 }).toBuffer(), limits);
    expect(tagged.orientation).toBe(6);
    expect([tagged.width, tagged.height]).toEqual([200, 320]);
    expect(hammingHex(upright.hashes!.phash, tagged.hashes!.phash)).toBeLessThanOrEqual(2);
    expect(hammingHex(upright.hashes!.dhash, tagged.hashes!.dhash)).toBeLessThanOrEqual(4);
    expect(hammingHex(upright.hashes!.phash, untagged.hashes!.phash)).toBeGreaterThan(12);
  });

  it('hashes like a full decode whichever way the thumbnail is read (coefficients at 1/8 and 1/4, or libvips)', async () => {
    const cases: [w: number, h: number, progressive: boolean, scale: 4 | 8 | undefined][] = [
      [800, 600, false, 8], // DC only
      [800, 600, true, 8], // DC scans only
      [400, 300, false, 4], // quadrant means
      [400, 300, true, 4], // progressive at 1/4: libvips
      [400, 200, false, undefined], // 1/4 would leave under 64 px: libvips at 1/2
      [200, 120, false, undefined], // small: libvips
    ];
    for (const [w, h, progressive, scale] of cases) {
      const bytes = await raw(photoSync(w, h, `full-${w}`)).jpeg({ quality: 90, progressive }).toBuffer();
      expect(thumbnailScale(w, h)).toBe(scale);
      expect(scale && jpegThumbnail(bytes, scale) !== undefined, `${w}x${h} progressive ${progressive}`).toBe(scale && !(progressive && scale === 4));
      const full = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
      const want = perceptualHashes(toGrey(full.data, full.info.width, full.info.height, full.info.channels));
      const got = (await measureBuffer(bytes, limits)).hashes!;
      expect(hammingHex(got.phash, want.phash), `${w}x${h} pHash`).toBeLessThanOrEqual(2);
      expect(hammingHex(got.ahash, want.ahash), `${w}x${h} aHash`).toBeLessThanOrEqual(2);
      expect(hammingHex(got.dhash, want.dhash), `${w}x${h} dHash`).toBeLessThanOrEqual(4);
    }
  });

  it('reads JPEG headers like libvips does', async () => {
    for (const [w, h, progressive] of [[321, 123, false], [64, 500, true]] as const) {
      const buf = await raw(await photo(w, h)).jpeg({ progressive }).toBuffer();
      const hdr = readJpegHeader(buf)!;
      const md = await sharp(buf).metadata();
      expect([hdr.width, hdr.height, hdr.components, hdr.precision, hdr.progressive]).toEqual([md.width, md.height, md.channels, 8, progressive]);
    }
    expect(readJpegHeader(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00]))).toBeUndefined();
  });

  // Train and evaluate decode with sharp (src/tflite/preprocess.ts): what validate keeps, they must read.
  const trainReads = (b: Buffer): Promise<boolean> => preprocessImage(b, { width: 224, height: 224 }).then(() => true, () => false);

  it('refuses BMP, ICO and Netpbm as formats the decoder cannot read (any backend), naming the format', async () => {
    const cases: [name: string, bytes: Buffer, format: string][] = [
      ['a.bmp', bmp(120, 90), 'BMP'],
      ['huge.bmp', bmp(60000, 60000, { pixels: false }), 'BMP'],
      ['a.ico', await ico(64), 'ICO'],
      ['a.ppm', netpbm('P6', 80, 60), 'PPM'],
      ['b.ppm', netpbm('P3', 40, 40), 'PPM'],
      ['a.pgm', netpbm('P5', 80, 60), 'PGM'],
    ];
    for (const [name, bytes, format] of cases) {
      expect(await trainReads(bytes), name).toBe(false);
      const m = await measureBuffer(bytes, limits);
      for (const backend of ['local', 'vertex'] as const) {
        const found = checkImage(name, 2, m, settings, backend);
        expect(found.map((f) => `${f.severity}:${f.code}`), `${name} ${backend}`).toEqual(['error:image.format_unreadable']);
        expect(found[0]!.message).toContain(`unsupported format: ${format}`);
      }
    }
  });

  it('hands JPEGs libjpeg refuses to the decoder, which calls them corrupt: the all-ones Huffman code, an unknown marker, a bad AC table in a progressive file', async () => {
    const p = photoSync(640, 512, 'libjpeg-rules');
    const cases: [string, Buffer][] = [
      ['all-ones code, 1/8', bogusHuffmanTable(await raw(p).jpeg({ quality: 85, optimiseCoding: false }).toBuffer())],
      ['all-ones code, 1/4', bogusHuffmanTable(await raw(photoSync(400, 300, 'q')).jpeg({ quality: 85 }).toBuffer())],
      ['unknown marker', unknownMarker(await raw(p).jpeg({ quality: 85 }).toBuffer())],
      ['progressive AC table', bogusHuffmanTable(await raw(p).jpeg({ quality: 85, progressive: true }).toBuffer(), 1)],
    ];
    for (const [name, bytes] of cases) {
      expect(await trainReads(bytes), name).toBe(false);
      const m = await measureBuffer(bytes, limits);
      expect(m.hashes, name).toBeUndefined();
      expect(codes('x.jpg', m), name).toEqual(['error:image.corrupt']);
    }
  });

  it('measures files read into the reused buffer as each alone, with libvips decodes (PNG, progressive at 1/4, broken) in flight beside plain JPEGs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgewise-measure-'));
    try {
      const files: { path: string; size: number }[] = [];
      for (let i = 0; i < 16; i++) {
        const p = raw(photoSync(400 + 8 * i, 300, `reuse-${i}`));
        const bytes = [
          () => p.png().toBuffer(),
          () => p.jpeg({ quality: 80, progressive: true }).toBuffer(), // 1/4: libvips decodes it
          () => p.jpeg({ quality: 80 }).toBuffer(), // read from the coefficients, synchronously
          async () => (await p.jpeg({ quality: 80 }).toBuffer()).subarray(0, 3000), // broken: libvips says why
        ][i % 4]!;
        const path = join(dir, `${i}.img`);
        writeFileSync(path, await bytes());
        files.push({ path, size: statSync(path).size });
      }
      const alone = [];
      for (const f of files) alone.push(await measureBuffer(readFileSync(f.path), limits, { bytes: f.size, sha256: createHash('sha256').update(readFileSync(f.path)).digest('hex') }));
      // All at once: each read overwrites the buffer the ones before it were read into.
      const together = await Promise.all(files.map((f) => measureImage(f.path, f.size, limits)));
      expect(together).toEqual(alone);
      expect(alone.filter((m) => m.hashes).length).toBe(12);
      expect(alone.filter((m) => m.decodeError).length).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads sharp in a measuring thread only when a file needs it (not for plain JPEGs)', async () => {
    // A fresh process stands in for a fresh worker thread: its first import of sharp is observable in the
    // CommonJS cache (sharp's native binding is loaded through require). Needs the compiled dist/ (npm test
    // builds it first).
    const compiled = resolve('dist/src/images/image-measure.js');
    expect(existsSync(compiled), 'run npm run build first').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'edgewise-lazy-sharp-'));
    try {
      const jpegs = [];
      for (let i = 0; i < 3; i++) {
        const path = join(dir, `${i}.jpg`);
        writeFileSync(path, await raw(photoSync(400, 300, `lazy-${i}`)).jpeg({ quality: 85 }).toBuffer());
        jpegs.push(path);
      }
      const png = join(dir, 'p.png');
      writeFileSync(png, await raw(photoSync(120, 90, 'lazy-png')).png().toBuffer());
      const script = `
        import { createRequire } from 'node:module';
        import { statSync } from 'node:fs';
        const { measureImage } = await import(${JSON.stringify(pathToFileURL(compiled).href)});
        const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('sharp'));
        const limits = { maxPixels: 1e8, maxReadBytes: 1 << 28 };
        const out = [];
        for (const f of ${JSON.stringify(jpegs)}) out.push(!!(await measureImage(f, statSync(f).size, limits)).hashes);
        out.push(loaded());
        out.push(!!(await measureImage(${JSON.stringify(png)}, statSync(${JSON.stringify(png)}).size, limits)).hashes);
        out.push(loaded());
        console.log(JSON.stringify(out));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      // Three JPEGs hashed without sharp; the PNG loads it.
      expect(JSON.parse(r.stdout)).toEqual([true, true, true, false, true, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps a configured pixel limit within what the decoder accepts', () => {
    expect(() => parseConfig({ validate: { maxPixels: 500_000_000 } }, 'edgewise.json')).toThrow(/validate\.maxPixels/);
    expect(parseConfig({ validate: { maxPixels: 268_402_689 } }, 'edgewise.json').validate.maxPixels).toBe(268_402_689);
  });
});

