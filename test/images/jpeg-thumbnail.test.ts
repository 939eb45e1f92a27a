import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegThumbnail, useWasmWalker, type JpegThumbnail } from '../../src/images/jpeg-thumbnail.js';
import { prng } from '../helpers/crafted-images.js';
import { ZIGZAG, encodeTinyJpeg, jpegFrame, jpegMarkers, scanData, type TinyJpegOptions } from '../helpers/tiny-jpeg.js';

/** Photo-like RGB: gradients, texture, noise and hard-edged shapes (edges make AC codes long and varied). */
function photo(w: number, h: number, seed = 1): Uint8Array {
  const rand = prng(seed);
  const rects = Array.from({ length: 6 }, () => ({
    x: rand() * w, y: rand() * h, w: rand() * w * 0.4, h: rand() * h * 0.4,
    c: [rand() * 200 + 20, rand() * 200 + 20, rand() * 200 + 20],
  }));
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const px = [
        60 + (120 * x) / w + 30 * Math.sin(x / 7 + y / 11),
        50 + (140 * y) / h + 25 * Math.cos(x / 5 - y / 9),
        90 + 60 * Math.sin((x + y) / 23) + 20 * Math.sin(x / 3),
      ];
      for (const r of rects) if (x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h) for (let c = 0; c < 3; c++) px[c] = r.c[c]!;
      for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(px[c]! + (rand() - 0.5) * 30)));
    }
  }
  return out;
}

function greyOf(rgb: Uint8Array): Uint8Array {
  const g = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < g.length; i++) g[i] = Math.round(0.299 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! + 0.114 * rgb[3 * i + 2]!);
  return g;
}

const sharpRgb = (rgb: Uint8Array, w: number, h: number): Sharp => sharp(rgb, { raw: { width: w, height: h, channels: 3 } });
/** `.greyscale()` alone still writes three components; 'b-w' writes one. */
const sharpGrey = (g: Uint8Array, w: number, h: number): Sharp => sharp(g, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w');

interface Luma { luma: Float64Array; width: number; height: number }

/** Full decode by sharp (libjpeg) to float luma: one channel as is, three by the JFIF weights. */
async function decodeLuma(jpeg: Uint8Array): Promise<Luma> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const luma = new Float64Array(info.width * info.height);
  for (let i = 0; i < luma.length; i++) {
    luma[i] = info.channels === 1 ? data[i]! : 0.299 * data[3 * i]! + 0.587 * data[3 * i + 1]! + 0.114 * data[3 * i + 2]!;
  }
  return { luma, width: info.width, height: info.height };
}

/**
 * Means of cell x cell squares. A partial edge cell is averaged over the cell with the edge pixels
 * replicated, as the encoder padded the block before its DCT (the thumbnail reads that padded block).
 */
function cellMeans(img: Luma, cell: number): Float64Array {
  const w = Math.ceil(img.width / cell);
  const h = Math.ceil(img.height / cell);
  const means = new Float64Array(w * h);
  for (let cy = 0; cy < h; cy++) {
    for (let cx = 0; cx < w; cx++) {
      let s = 0;
      for (let y = cy * cell; y < cy * cell + cell; y++) {
        for (let x = cx * cell; x < cx * cell + cell; x++) s += img.luma[Math.min(y, img.height - 1) * img.width + Math.min(x, img.width - 1)]!;
      }
      means[cy * w + cx] = s / (cell * cell);
    }
  }
  return means;
}

/**
 * The scale-4 reference: each quadrant's mean from the block's DCT coefficients at zig-zag positions 0-9
 * only (the reader's documented approximation), the coefficients taken by a forward DCT of sharp's decode
 * (edges replicated). The reader should reproduce this up to rounding, whatever the image's detail.
 */
function lowPassQuadrantMeans(img: Luma): Float64Array {
  const bw = Math.ceil(img.width / 8);
  const bh = Math.ceil(img.height / 8);
  const w = Math.ceil(img.width / 4);
  const h = Math.ceil(img.height / 4);
  const out = new Float64Array(w * h);
  const cos = (u: number, x: number): number => ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  const halfMean = (u: number, half: number): number => (cos(u, 4 * half) + cos(u, 4 * half + 1) + cos(u, 4 * half + 2) + cos(u, 4 * half + 3)) / 4;
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const px = (x: number, y: number): number => img.luma[Math.min(by * 8 + y, img.height - 1) * img.width + Math.min(bx * 8 + x, img.width - 1)]!;
      for (let z = 0; z <= 9; z++) {
        const [v, u] = ZIGZAG[z]!;
        let f = 0;
        for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) f += cos(v, y) * cos(u, x) * px(x, y);
        for (let qy = 0; qy < 2; qy++) {
          for (let qx = 0; qx < 2; qx++) {
            const ox = bx * 2 + qx;
            const oy = by * 2 + qy;
            if (ox < w && oy < h) out[oy * w + ox] = out[oy * w + ox]! + f * halfMean(u, qx) * halfMean(v, qy);
          }
        }
      }
    }
  }
  return out;
}

interface Diff { fullMax: number; fullMean: number; edgeMax: number }

/** |thumbnail - cell means of sharp's decode|, for full cells and for partial edge cells. */
async function compare(jpeg: Uint8Array, scale: 4 | 8, lowPass = false): Promise<Diff> {
  const img = await decodeLuma(jpeg);
  const t = jpegThumbnail(jpeg, scale);
  expect(t).toBeDefined();
  const means = lowPass ? lowPassQuadrantMeans(img) : cellMeans(img, scale);
  const w = Math.ceil(img.width / scale);
  const h = Math.ceil(img.height / scale);
  expect([t!.width, t!.height]).toEqual([w, h]);
  let fullMax = 0;
  let fullSum = 0;
  let fullN = 0;
  let edgeMax = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d = Math.abs(t!.data[y * w + x]! - means[y * w + x]!);
      if ((x + 1) * scale <= img.width && (y + 1) * scale <= img.height) {
        fullMax = Math.max(fullMax, d);
        fullSum += d;
        fullN++;
      } else edgeMax = Math.max(edgeMax, d);
    }
  }
  // MEASURE=1 prints the differences the bounds in the tests were set from.
  if (process.env.MEASURE) console.log(`M s${scale}${lowPass ? 'lp' : ''} ${img.width}x${img.height} fullMax ${fullMax.toFixed(3)} fullMean ${(fullSum / fullN).toFixed(3)} edgeMax ${edgeMax.toFixed(3)}`);
  return { fullMax, fullMean: fullN ? fullSum / fullN : 0, edgeMax };
}

/** The four quadrants of each block average to its DC mean exactly, so 2x2 of scale 4 ~ scale 8 (rounding only). */
function expectQuadrantsAverageToBlocks(t4: JpegThumbnail, t8: JpegThumbnail): void {
  let max = 0;
  for (let y = 0; y < t8.height; y++) {
    for (let x = 0; x < t8.width; x++) {
      if (2 * x + 1 >= t4.width || 2 * y + 1 >= t4.height) continue;
      const q = (dx: number, dy: number): number => t4.data[(2 * y + dy) * t4.width + 2 * x + dx]!;
      max = Math.max(max, Math.abs((q(0, 0) + q(1, 0) + q(0, 1) + q(1, 1)) / 4 - t8.data[y * t8.width + x]!));
    }
  }
  expect(max).toBeLessThanOrEqual(1);
}

const splice = (file: Uint8Array, at: number, remove: number, insert: number[] = []): Uint8Array =>
  Uint8Array.from([...file.subarray(0, at), ...insert, ...file.subarray(at + remove)]);

const rsts = (file: Uint8Array): number[] => jpegMarkers(file).filter((m) => m.marker >= 0xd0 && m.marker <= 0xd7).map((m) => m.offset);

/** libjpeg through sharp (failing on warnings, its default) rejects the file. */
async function sharpRejects(file: Uint8Array): Promise<boolean> {
  try {
    await sharp(file).raw().toBuffer();
    return false;
  } catch {
    return true;
  }
}

describe('tiny-jpeg (the test encoder)', () => {
  it('writes JPEGs that sharp decodes close to the input', async () => {
    const rgb = photo(45, 37);
    const grey = greyOf(rgb);
    // quant 1: only the DCT's rounding is lost (measured max 1).
    const g = await decodeLuma(encodeTinyJpeg(grey, 45, 37, { restartInterval: 3 }));
    expect(Math.max(...g.luma.map((v, i) => Math.abs(v - grey[i]!)))).toBeLessThanOrEqual(1.001);

    // Three components, 1x1, quant 2 (measured max 4, mean 0.82 per channel).
    const { data } = await sharp(encodeTinyJpeg(rgb, 45, 37, { components: 3, quant: 2 })).raw().toBuffer({ resolveWithObject: true });
    let max = 0;
    let sum = 0;
    for (let i = 0; i < rgb.length; i++) {
      max = Math.max(max, Math.abs(data[i]! - rgb[i]!));
      sum += Math.abs(data[i]! - rgb[i]!);
    }
    expect(max).toBeLessThanOrEqual(6);
    expect(sum / rgb.length).toBeLessThan(1.2);

    // Luma 2x2: chroma is subsampled, so check luma only (measured max 1.36).
    const y22 = await decodeLuma(encodeTinyJpeg(rgb, 45, 37, { components: 3, lumaSampling: [2, 2], quant: 1 }));
    const yIn = rgb.length / 3;
    let ymax = 0;
    for (let i = 0; i < yIn; i++) ymax = Math.max(ymax, Math.abs(y22.luma[i]! - (0.299 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! + 0.114 * rgb[3 * i + 2]!)));
    expect(ymax).toBeLessThanOrEqual(2);
    expect(jpegFrame(encodeTinyJpeg(rgb, 45, 37, { components: 3, lumaSampling: [2, 2] })).components.map((c) => [c.h, c.v])).toEqual([[2, 2], [1, 1], [1, 1]]);
  });

  it('writes DRI and cycling RST0-7 markers, none after the last interval', () => {
    const grey = greyOf(photo(45, 37));
    const file = encodeTinyJpeg(grey, 45, 37, { restartInterval: 1 }); // 6 x 5 = 30 MCUs
    const markers = jpegMarkers(file).map((m) => m.marker);
    expect(markers.filter((m) => m === 0xdd)).toHaveLength(1);
    const restarts = markers.filter((m) => m >= 0xd0 && m <= 0xd7);
    expect(restarts).toEqual(Array.from({ length: 29 }, (_, i) => 0xd0 + (i % 8)));
    expect(markers.at(-1)).toBe(0xd9);
    expect(rsts(encodeTinyJpeg(grey, 45, 37, { restartInterval: 7 }))).toHaveLength(4); // 7+7+7+7+2
    // Near-lossless data is dense enough to need 0xFF stuffing, so the reader's unstuffing is exercised.
    const [start, end] = scanData(file);
    expect(file.subarray(start, end).some((b, i, a) => b === 0xff && a[i + 1] === 0x00)).toBe(true);
  });
});

describe('scale 8: the exact 8x8 block means', () => {
  it('grey JPEGs (one component) from sharp match the block means of a full decode', async () => {
    // Measured: full blocks max 0.25 (q50) / 0.59 (q95: finer DC steps land between integers), mean <= 0.26;
    // partial edge blocks vs the replicated decode max 1.59 (q50 at 333x251: the decode's edge is not the
    // encoder's, so its replication differs).
    for (const [w, h] of [[333, 251], [257, 256], [1000, 17]] as const) {
      const g = greyOf(photo(w, h, w));
      for (const quality of [50, 95]) {
        for (const optimiseCoding of [false, true]) {
          const jpeg = await sharpGrey(g, w, h).jpeg({ quality, optimiseCoding }).toBuffer();
          expect(jpegFrame(jpeg).components).toHaveLength(1);
          const d = await compare(jpeg, 8);
          expect(d.fullMax, `${w}x${h} q${quality}`).toBeLessThanOrEqual(1);
          expect(d.fullMean).toBeLessThan(0.35);
          expect(d.edgeMax).toBeLessThanOrEqual(2);
        }
      }
    }
  });

  it('colour JPEGs from sharp (4:2:0 and 4:4:4, both Huffman codings, q50 and q95) match luma block means', async () => {
    // Measured: full blocks max 0.65, mean <= 0.26 (luma recomputed from rounded RGB); edge blocks max 1.71.
    for (const [w, h] of [[333, 251], [257, 256], [1000, 17], [17, 1000]] as const) {
      const rgb = photo(w, h, h);
      for (const chromaSubsampling of ['4:2:0', '4:4:4']) {
        const sizes: number[] = [];
        for (const quality of [50, 95]) {
          for (const optimiseCoding of [false, true]) {
            const jpeg = await sharpRgb(rgb, w, h).jpeg({ quality, optimiseCoding, chromaSubsampling }).toBuffer();
            sizes.push(jpeg.length);
            expect(jpegFrame(jpeg).components[0]).toMatchObject(chromaSubsampling === '4:2:0' ? { h: 2, v: 2 } : { h: 1, v: 1 });
            const d = await compare(jpeg, 8);
            expect(d.fullMax, `${w}x${h} ${chromaSubsampling} q${quality} opt ${optimiseCoding}`).toBeLessThanOrEqual(1);
            expect(d.fullMean).toBeLessThan(0.35);
            expect(d.edgeMax).toBeLessThanOrEqual(2);
          }
        }
        expect(sizes[0]).not.toBe(sizes[1]); // optimised coding really wrote other Huffman tables
      }
    }
  });

  it('stays in range for black and white blocks (DC at the extremes)', async () => {
    const w = 64;
    const h = 16;
    const g = new Uint8Array(w * h).map((_, i) => ((i % w) < 32 ? 0 : 255));
    const t = jpegThumbnail(await sharpGrey(g, w, h).jpeg({ quality: 90 }).toBuffer(), 8)!;
    expect(t.data).toHaveLength(16);
    expect(Math.max(...t.data.subarray(0, 4), ...t.data.subarray(8, 12))).toBeLessThanOrEqual(1);
    expect(Math.min(...t.data.subarray(4, 8), ...t.data.subarray(12, 16))).toBeGreaterThanOrEqual(254);
  });
});

describe('scale 4: quadrant means from the low coefficients', () => {
  it('is close to the 4x4 means of a full decode, and consistent with scale 8', async () => {
    // Against true 4x4 means (the omitted terms matter at hard edges): measured mean 0.43-0.57, max 5.9, edges 3.6.
    // Against the same zig-zag 0-9 low-pass from the decode: max 0.92 on full cells, 3.8 on edges.
    for (const [w, h, q, sub] of [[333, 251, 50, '4:2:0'], [257, 256, 95, '4:4:4'], [1000, 17, 75, '4:2:0']] as const) {
      const rgb = photo(w, h, 7);
      for (const jpeg of [
        await sharpRgb(rgb, w, h).jpeg({ quality: q, chromaSubsampling: sub }).toBuffer(),
        await sharpGrey(greyOf(rgb), w, h).jpeg({ quality: q }).toBuffer(),
      ]) {
        const d = await compare(jpeg, 4);
        expect(d.fullMean, `${w}x${h} q${q}`).toBeLessThan(0.7);
        expect(d.fullMax).toBeLessThanOrEqual(7);
        expect(d.edgeMax).toBeLessThanOrEqual(5);
        const lp = await compare(jpeg, 4, true);
        expect(lp.fullMax).toBeLessThanOrEqual(1);
        expect(lp.edgeMax).toBeLessThanOrEqual(4.5);
        expectQuadrantsAverageToBlocks(jpegThumbnail(jpeg, 4)!, jpegThumbnail(jpeg, 8)!);
      }
    }
  });

  it('resolves detail inside a block that scale 8 averages away', async () => {
    // Each 8x8 block: left half 40, right half 200; the quadrants must show it (the block mean is 120).
    const w = 32;
    const h = 16;
    const g = new Uint8Array(w * h).map((_, i) => ((i % w) % 8 < 4 ? 40 : 200));
    const jpeg = await sharpGrey(g, w, h).jpeg({ quality: 95 }).toBuffer();
    const t4 = jpegThumbnail(jpeg, 4)!;
    const t8 = jpegThumbnail(jpeg, 8)!;
    for (const v of t8.data) expect(Math.abs(v - 120)).toBeLessThanOrEqual(1);
    for (let y = 0; y < t4.height; y++) {
      for (let x = 0; x < t4.width; x++) expect(Math.abs(t4.data[y * t4.width + x]! - (x % 2 === 0 ? 40 : 200))).toBeLessThanOrEqual(8);
    }
  });
});

describe('progressive JPEGs: block means from the DC scans alone', () => {
  /** The scans' (Ss, Se, Ah, Al), to show which progression a file uses. */
  const scans = (file: Uint8Array): number[][] =>
    jpegMarkers(file)
      .filter((m) => m.marker === 0xda)
      .map((m) => {
        const ns = file[m.offset + 4]!;
        const at = m.offset + 5 + 2 * ns;
        return [file[at]!, file[at + 1]!, file[at + 2]! >> 4, file[at + 2]! & 15];
      });

  it('equal the same image coded sequentially: same coefficients, DC refined by successive approximation', async () => {
    for (const [w, h, chromaSubsampling] of [[333, 251, '4:2:0'], [256, 200, '4:4:4']] as const) {
      const src = photo(w, h, w);
      const progressive = await sharpRgb(src, w, h).jpeg({ quality: 90, chromaSubsampling, progressive: true }).toBuffer();
      const sequential = await sharpRgb(src, w, h).jpeg({ quality: 90, chromaSubsampling }).toBuffer();
      expect(jpegFrame(progressive).marker).toBe(0xc2);
      // libjpeg's progression: a first DC scan with Al=1, then a refinement (Ah=1, Al=0), AC scans between.
      expect(scans(progressive)).toContainEqual([0, 0, 0, 1]);
      expect(scans(progressive)).toContainEqual([0, 0, 1, 0]);
      expect(jpegThumbnail(progressive, 8)).toEqual(jpegThumbnail(sequential, 8));
    }
  });

  it('mozjpeg output (its own scan script) matches the block means of a full decode', async () => {
    const jpeg = await sharpRgb(photo(96, 80, 5), 96, 80).jpeg({ mozjpeg: true }).toBuffer();
    expect(jpegFrame(jpeg).marker).toBe(0xc2);
    const d = await compare(jpeg, 8);
    expect(d.fullMax).toBeLessThanOrEqual(1);
  });

  it('refuses a progressive file cut short, anywhere after its first scan', async () => {
    const jpeg = await sharpRgb(photo(200, 160, 9), 200, 160).jpeg({ progressive: true }).toBuffer();
    const sos = jpegMarkers(jpeg).filter((m) => m.marker === 0xda).map((m) => m.offset);
    expect(sos.length).toBeGreaterThan(3);
    for (const at of [sos[1]! - 40, sos[2]! + 30, sos[sos.length - 1]! + 50, jpeg.length - 2]) {
      expect(jpegThumbnail(jpeg.subarray(0, at), 8), `cut at ${at}`).toBeUndefined();
    }
  });
});

describe('restart intervals', () => {
  const rgb = photo(45, 37, 3); // 6 x 5 blocks: intervals of 2 and 7 leave the last one partial
  const grey = greyOf(rgb);
  const cases: [string, Uint8Array, TinyJpegOptions][] = [
    ['grey', grey, { quant: 1 }],
    ['grey q12', grey, { quant: 12 }],
    ['colour 1x1', rgb, { components: 3, quant: 3 }],
    ['colour 2x2', rgb, { components: 3, lumaSampling: [2, 2], quant: 1 }], // 3 x 3 MCUs of 4 luma blocks
    ['colour 2x1', rgb, { components: 3, lumaSampling: [2, 1], quant: 5 }],
  ];

  for (const [name, pixels, options] of cases) {
    it(`${name}: same thumbnail as without restarts, and the block means of sharp's decode`, async () => {
      const plain = encodeTinyJpeg(pixels, 45, 37, options);
      expect(rsts(plain)).toHaveLength(0);
      for (const scale of [8, 4] as const) {
        const expected = jpegThumbnail(plain, scale);
        expect(expected).toBeDefined();
        // 1, 2, 7: the last interval is partial for most cases; 5 divides 30 MCUs exactly (grey, 1x1).
        for (const restartInterval of [1, 2, 7, 5]) {
          const file = encodeTinyJpeg(pixels, 45, 37, { ...options, restartInterval });
          expect(rsts(file).length).toBeGreaterThan(0);
          expect(jpegThumbnail(file, scale), `interval ${restartInterval}`).toEqual(expected);
        }
      }
      // Measured against the decode: scale 8 full max 0.56, edges 1.19; scale 4 low-pass full max 0.65, edges 3.0.
      // (True 4x4 means are off by up to 9.4 here: quant 1 keeps all the noise the low-pass leaves out.)
      const file = encodeTinyJpeg(pixels, 45, 37, { ...options, restartInterval: 2 });
      const d8 = await compare(file, 8);
      expect(d8.fullMax).toBeLessThanOrEqual(1);
      expect(d8.edgeMax).toBeLessThanOrEqual(2);
      const d4 = await compare(file, 4, true);
      expect(d4.fullMax).toBeLessThanOrEqual(1);
      expect(d4.edgeMax).toBeLessThanOrEqual(4.5);
    });
  }

  it('a one-component frame that declares 2x2 sampling is still one block per MCU', async () => {
    // Some encoders write 0x22 for grey; a single-component scan ignores it (T.81 A.2.2).
    const file = encodeTinyJpeg(grey, 45, 37, { restartInterval: 2 });
    const sof = jpegMarkers(file).find((m) => m.marker === 0xc0)!.offset;
    expect(file[sof + 11]).toBe(0x11);
    const declared22 = splice(file, sof + 11, 1, [0x22]);
    expect(Array.from((await decodeLuma(declared22)).luma)).toEqual(Array.from((await decodeLuma(file)).luma));
    for (const scale of [8, 4] as const) expect(jpegThumbnail(declared22, scale)).toEqual(jpegThumbnail(file, scale));
  });

  it('tolerates fill bytes (0xFF 0xFF) before a restart marker and before EOI', () => {
    const file = encodeTinyJpeg(grey, 45, 37, { restartInterval: 2 });
    const expected = jpegThumbnail(file, 8);
    const r = rsts(file)[3]!;
    const filled = splice(splice(file, file.length - 2, 0, [0xff, 0xff]), r, 0, [0xff]);
    expect(jpegThumbnail(filled, 8)).toEqual(expected);
  });
});

describe('returns undefined for what it does not read, or finds abnormal', () => {
  const rgb = photo(96, 80, 11);
  const grey = greyOf(rgb);
  const sharpJpeg = (): Promise<Buffer> => sharpRgb(rgb, 96, 80).jpeg({ quality: 80 }).toBuffer();

  it('progressive JPEGs at scale 4 (quadrant means would need the AC scans)', async () => {
    const jpeg = await sharpRgb(rgb, 96, 80).jpeg({ progressive: true }).toBuffer();
    expect(jpegFrame(jpeg).marker).toBe(0xc2);
    expect(jpegThumbnail(jpeg, 4)).toBeUndefined();
  });

  it('lossless, arithmetic and 12-bit frames; extended Huffman (SOF1) is read', () => {
    const file = encodeTinyJpeg(grey, 96, 80);
    const sof = jpegMarkers(file).find((m) => m.marker === 0xc0)!.offset;
    const withSof = (marker: number): Uint8Array => splice(file, sof + 1, 1, [marker]);
    for (const m of [0xc3, 0xc9, 0xca, 0xcb]) expect(jpegThumbnail(withSof(m), 8), m.toString(16)).toBeUndefined();
    expect(jpegThumbnail(withSof(0xc1), 8)).toEqual(jpegThumbnail(file, 8));
    expect(jpegThumbnail(splice(file, sof + 4, 1, [12]), 8)).toBeUndefined();
  });

  it('truncated files, cut anywhere in the entropy-coded data', async () => {
    for (const file of [await sharpJpeg(), encodeTinyJpeg(grey, 96, 80, { restartInterval: 3 })]) {
      const [start, end] = scanData(file);
      expect(jpegThumbnail(file, 8)).toBeDefined();
      for (const f of [0, 0.01, 0.25, 0.5, 0.9, 0.999]) {
        const cut = start + Math.floor(f * (end - start));
        expect(jpegThumbnail(file.subarray(0, cut), 8), `cut at ${cut}`).toBeUndefined();
        // Data ending early even with an EOI after it.
        expect(jpegThumbnail(Uint8Array.from([...file.subarray(0, cut), 0xff, 0xd9]), 4), `cut at ${cut} + EOI`).toBeUndefined();
      }
      expect(jpegThumbnail(file.subarray(0, end), 8)).toBeUndefined(); // no EOI
      expect(jpegThumbnail(file.subarray(0, end - 1), 8)).toBeUndefined();
    }
    // Right after a restart marker: the interval boundary is a tempting place to stop early.
    const file = encodeTinyJpeg(grey, 96, 80, { restartInterval: 3 });
    const r = rsts(file)[5]!;
    expect(jpegThumbnail(Uint8Array.from([...file.subarray(0, r + 2), 0xff, 0xd9]), 8)).toBeUndefined();
  });

  it('a missing EOI, or bytes left over before it', async () => {
    const file = await sharpJpeg();
    expect(jpegThumbnail(file.subarray(0, file.length - 2), 8)).toBeUndefined();
    expect(jpegThumbnail(Uint8Array.from([...file.subarray(0, file.length - 2), 0x12, 0x34]), 8)).toBeUndefined();
    const extra = splice(file, file.length - 2, 0, [0x00, 0x00, 0x00]);
    expect(jpegThumbnail(extra, 8)).toBeUndefined();
  });

  it('a restart marker removed, added, or out of place, or restarts the DRI does not announce', () => {
    const file = encodeTinyJpeg(grey, 96, 80, { restartInterval: 3 }); // 120 MCUs: 39 markers
    const markers = rsts(file);
    expect(markers).toHaveLength(39);
    expect(jpegThumbnail(file, 8)).toBeDefined();
    for (const i of [0, 5, 38]) expect(jpegThumbnail(splice(file, markers[i]!, 2), 8), `RST #${i} removed`).toBeUndefined();
    // An extra marker at the end, and one inside an interval.
    expect(jpegThumbnail(splice(file, file.length - 2, 0, [0xff, 0xd7]), 8)).toBeUndefined();
    expect(jpegThumbnail(splice(file, markers[4]! - 3, 0, [0xff, 0xd0]), 8)).toBeUndefined();
    // Bytes left over at the end of an interval (the reader must not just jump to the marker).
    expect(jpegThumbnail(splice(file, markers[7]!, 0, [0x00, 0x00]), 8)).toBeUndefined();
    // The DRI says 4 MCUs but the markers come every 3; or there is no DRI at all.
    const dri = jpegMarkers(file).find((m) => m.marker === 0xdd)!.offset;
    expect(jpegThumbnail(splice(file, dri + 5, 1, [4]), 8)).toBeUndefined();
    expect(jpegThumbnail(splice(file, dri, 6), 8)).toBeUndefined();
  });

  it('a restart marker with the wrong number (RSTn must cycle 0-7)', async () => {
    const file = encodeTinyJpeg(grey, 96, 80, { restartInterval: 3 });
    const r = rsts(file)[2]!;
    expect(file[r + 1]).toBe(0xd2);
    const wrong = splice(file, r + 1, 1, [0xd5]);
    // libjpeg: "found marker 0xd5 instead of RST2" (a warning, so sharp's default failOn rejects the file).
    expect(await sharpRejects(wrong)).toBe(true);
    expect(jpegThumbnail(wrong, 8)).toBeUndefined();
  });

  it('not a JPEG: PNG, empty, a bare SOI', async () => {
    expect(jpegThumbnail(await sharpRgb(rgb, 96, 80).png().toBuffer(), 8)).toBeUndefined();
    expect(jpegThumbnail(new Uint8Array(0), 8)).toBeUndefined();
    expect(jpegThumbnail(Uint8Array.from([0xff, 0xd8]), 8)).toBeUndefined();
    expect(jpegThumbnail(Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]), 8)).toBeUndefined();
  });

  it('CMYK (four components)', async () => {
    const cmyk = await sharpRgb(rgb, 96, 80).toColourspace('cmyk').jpeg().toBuffer();
    expect(jpegFrame(cmyk).components).toHaveLength(4);
    expect(jpegThumbnail(cmyk, 8)).toBeUndefined();
  });

  it('RGB-coded JPEGs: component ids R, G, B, or Adobe transform 0', async () => {
    const rgbIds = encodeTinyJpeg(rgb, 96, 80, { components: 3, rgb: true, componentIds: [0x52, 0x47, 0x42] });
    const adobe0 = encodeTinyJpeg(rgb, 96, 80, { components: 3, rgb: true, adobeTransform: 0 });
    // Sanity: libjpeg reads both as RGB (the red channel comes back as red).
    for (const f of [rgbIds, adobe0]) {
      const { data } = await sharp(f).raw().toBuffer({ resolveWithObject: true });
      expect(Math.abs(data[0]! - rgb[0]!)).toBeLessThanOrEqual(2);
      expect(jpegThumbnail(f, 8)).toBeUndefined();
    }
    // Adobe transform 1 is YCbCr: read.
    expect(jpegThumbnail(encodeTinyJpeg(rgb, 96, 80, { components: 3, adobeTransform: 1 }), 8)).toBeDefined();
  });

  it('luma below the maximum sampling factor', async () => {
    // Valid, but luma blocks are then 16 pixels wide: not cells of the image at this scale.
    const file = encodeTinyJpeg(rgb, 96, 80, { components: 3, sampling: [[1, 1], [2, 2], [1, 1]] });
    expect(jpegFrame(file).components.map((c) => c.h * 10 + c.v)).toEqual([11, 22, 11]);
    expect((await decodeLuma(file)).width).toBe(96); // libjpeg reads it
    expect(jpegThumbnail(file, 8)).toBeUndefined();
    expect(jpegThumbnail(file, 4)).toBeUndefined();
  });

  it('a sequential scan header with progressive parameters, or no scan at all', () => {
    const file = encodeTinyJpeg(grey, 96, 80);
    const sos = jpegMarkers(file).find((m) => m.marker === 0xda)!.offset;
    // SOS: FF DA len(2) Ns(1) [id, tables] Ss Se Ah/Al.
    expect([file[sos + 7], file[sos + 8], file[sos + 9]]).toEqual([0, 63, 0]);
    expect(jpegThumbnail(splice(file, sos + 8, 1, [62]), 8)).toBeUndefined();
    expect(jpegThumbnail(splice(file, sos + 9, 1, [0x01]), 8)).toBeUndefined();
    expect(jpegThumbnail(Uint8Array.from([...file.subarray(0, sos), 0xff, 0xd9]), 8)).toBeUndefined();
  });

  it('a bad Huffman code in the entropy-coded data', async () => {
    const restarting = encodeTinyJpeg(grey, 96, 80, { restartInterval: 4 });
    for (const file of [await sharpJpeg(), restarting]) {
      const [start, end] = scanData(file);
      // Mid-scan, and clear of restart markers so that only the codes are broken.
      const at = file === restarting ? rsts(file)[10]! + 4 : start + Math.floor((end - start) / 2);
      expect(rsts(file).every((r) => r + 2 <= at || r >= at + 16)).toBe(true);
      // 64 one-bits: whatever code boundary the run starts at, a code of all ones is reached, and neither
      // libjpeg's Annex K tables nor tiny-jpeg's have one. sharp rejects it too.
      const bad = splice(file, at, 16, Array.from({ length: 8 }, () => [0xff, 0x00]).flat());
      expect(await sharpRejects(bad)).toBe(true);
      expect(jpegThumbnail(bad, 8)).toBeUndefined();
      expect(jpegThumbnail(bad, 4)).toBeUndefined();
    }
  });

  it('a Huffman table that is not a prefix code', () => {
    const file = encodeTinyJpeg(grey, 96, 80);
    const dht = jpegMarkers(file).find((m) => m.marker === 0xc4)!.offset;
    // DC counts: 12 codes of length 4 -> 17 of length 4 (only 16 exist).
    expect(file[dht + 5 + 3]).toBe(12);
    const bad = splice(file, dht + 5 + 3, 1, [17]);
    expect(jpegThumbnail(bad, 8)).toBeUndefined();
  });
});

describe('robustness', () => {
  const rgb = photo(40, 32, 5);

  async function fuzz(file: Uint8Array, seed: number): Promise<{ defined: number; undef: number }> {
    const rand = prng(seed);
    const { width, height } = jpegFrame(file);
    const sof = jpegMarkers(file).find((m) => m.marker === 0xc0)!.offset;
    let defined = 0;
    let undef = 0;
    for (let i = 0; i < 300; i++) {
      let mutated: Uint8Array;
      let sofTouched = false;
      if (i % 4 === 3) {
        mutated = file.subarray(0, Math.floor(rand() * file.length));
      } else {
        mutated = Uint8Array.from(file);
        const at = Math.floor(rand() * file.length);
        mutated[at] = Math.floor(rand() * 256);
        sofTouched = at >= sof && at < sof + 19;
      }
      const scale = i % 2 === 0 ? 8 : 4;
      let t: JpegThumbnail | undefined;
      expect(() => (t = jpegThumbnail(mutated, scale)), `mutation ${i}`).not.toThrow();
      if (!t) {
        undef++;
        continue;
      }
      defined++;
      expect(t.scale).toBe(scale);
      expect(t.width).toBe(Math.ceil(t.fullWidth! / scale));
      expect(t.height).toBe(Math.ceil(t.fullHeight! / scale));
      expect(t.data.length).toBe(t.width * t.height);
      if (!sofTouched) expect([t.fullWidth, t.fullHeight]).toEqual([width, height]);
    }
    return { defined, undef };
  }

  it('never throws on 300 random byte mutations and truncations (sharp JPEG)', async () => {
    const r = await fuzz(await sharpRgb(rgb, 40, 32).jpeg({ quality: 75 }).toBuffer(), 12345);
    // Both outcomes occur (measured 129 read, 171 refused): header bytes and many entropy bytes can change.
    expect(r.defined).toBeGreaterThan(50);
    expect(r.undef).toBeGreaterThan(100);
  });

  it('never throws on 300 random byte mutations and truncations (restart intervals)', async () => {
    const r = await fuzz(encodeTinyJpeg(rgb, 40, 32, { components: 3, lumaSampling: [2, 2], restartInterval: 2, quant: 4 }), 777);
    // Measured 23 read, 277 refused: fixed-length codes desynchronise on almost any entropy byte change.
    expect(r.defined).toBeGreaterThan(10);
    expect(r.undef).toBeGreaterThan(200);
  });

  it('does not keep reading from a caller\'s buffer after it returns', async () => {
    // Optimised Huffman tables are unique to this image, so this call builds (and caches) them.
    const jpeg = await sharpRgb(photo(120, 90, 99), 120, 90).jpeg({ quality: 92, optimiseCoding: true }).toBuffer();
    const first = Uint8Array.from(jpeg);
    const expected = jpegThumbnail(first, 8);
    expect(expected).toBeDefined();
    first.fill(0); // the caller reuses its buffer for the next file
    expect(jpegThumbnail(Uint8Array.from(jpeg), 8)).toEqual(expected);
  });

  it('nor from a caller\'s Node Buffer (whose slice() is a view, not a copy), as measureImage reuses one per thread', async () => {
    const jpeg = await sharpRgb(photo(120, 90, 98), 120, 90).jpeg({ quality: 91, optimiseCoding: true }).toBuffer();
    // The TypeScript walker reads long codes' symbols from the cached table's values on every file (the
    // WebAssembly one copies them into its memory when a table is first used, which would hide a view).
    useWasmWalker(false);
    try {
      const reused = Buffer.from(jpeg);
      const expected = jpegThumbnail(reused, 4);
      expect(expected).toBeDefined();
      reused.fill(0);
      expect(jpegThumbnail(Buffer.from(jpeg), 4)).toEqual(expected);
    } finally {
      useWasmWalker(true);
    }
  });
});

describe('dimensions', () => {
  it('width/height are ceil(size / scale) in stored orientation, with cell and the full size', async () => {
    for (const [w, h] of [[1, 1], [7, 9], [8, 8], [9, 17], [16, 16], [17, 15], [33, 1], [1, 40], [250, 3]] as const) {
      const rgb = photo(w, h, w * 100 + h);
      const files = [
        await sharpRgb(rgb, w, h).jpeg({ chromaSubsampling: '4:2:0' }).toBuffer(),
        await sharpGrey(greyOf(rgb), w, h).jpeg().toBuffer(),
        encodeTinyJpeg(rgb, w, h, { components: 3, lumaSampling: [2, 1], restartInterval: 1 }),
      ];
      for (const file of files) {
        for (const scale of [4, 8] as const) {
          const t = jpegThumbnail(file, scale);
          expect(t, `${w}x${h} /${scale}`).toMatchObject({ width: Math.ceil(w / scale), height: Math.ceil(h / scale), scale, cell: scale, fullWidth: w, fullHeight: h });
          expect(t!.data.length).toBe(t!.width * t!.height);
        }
      }
    }
  });

  it('ignores EXIF orientation (the thumbnail is in stored orientation)', async () => {
    const jpeg = await sharpRgb(photo(40, 24), 40, 24).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    expect(jpegThumbnail(jpeg, 8)).toMatchObject({ width: 5, height: 3, fullWidth: 40, fullHeight: 24 });
  });

  it('a 1x1 grey image is its pixel', async () => {
    const t = jpegThumbnail(await sharpGrey(Uint8Array.of(200), 1, 1).jpeg({ quality: 90 }).toBuffer(), 8)!;
    expect(Math.abs(t.data[0]! - 200)).toBeLessThanOrEqual(1);
  });
});
