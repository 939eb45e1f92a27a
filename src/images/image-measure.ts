import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { isMainThread } from 'node:worker_threads';
import type { Sharp } from 'sharp';
import { decodableFormats, sniffFormat, type SniffedFormat } from './image-format.js';
import { loadSharp, whenSharpLoads } from './lazy-sharp.js';
import { readJpegHeader } from './jpeg-header.js';
import { measureQuality, type QualityMeasures } from './image-quality.js';
import { jpegThumbnail } from './jpeg-thumbnail.js';
import { fingerprintOf } from './thumb-match.js';
import { applyOrientation, perceptualHashes, toGrey, type GreyImage, type PerceptualHashes } from './perceptual-hash.js';

/**
 * Everything validation measures about one file, before any threshold is applied: cached by path, size
 * and mtime so a rerun only reads changed files. JSON-serialisable.
 */
export interface ImageMeasure {
  bytes: number;
  sha256?: string;
  /** Format by content (first bytes). */
  sniffed?: SniffedFormat;
  width?: number;
  height?: number;
  /** Frames (animated GIF/WebP). */
  pages?: number;
  /** libvips colour space name (srgb, b-w, cmyk, rgb16, grey16...) or `cmyk`/`ycck` from a JPEG header. */
  space?: string;
  /** Bits per sample. */
  bitDepth?: number;
  orientation?: number;
  /** Lossless/arithmetic JPEG. */
  unusualCoding?: boolean;
  /** Why the pixels were not decoded on purpose (never decoded, so not `corrupt`). */
  refused?: 'too_many_pixels' | 'too_large_to_read' | 'not_decodable_here';
  /** The header could not be read although the first bytes looked like an image. */
  headerError?: string;
  /** Decoding failed: truncated or corrupt data. */
  decodeError?: string;
  hashes?: PerceptualHashes;
  /** 48×48 grey thumbnail and aspect ratio (base64) that confirm near duplicates the hashes only suggest (thumb-match.ts). */
  fingerprint?: string;
  quality?: QualityMeasures;
}

export interface MeasureLimits {
  maxPixels: number;
  maxReadBytes: number;
}

/**
 * The short side of the decoded thumbnail that hashes and quality measures are computed from. Measured on
 * the 398 hymenoptera photos against the Python reference (pHash identical / within 2 bits, sequential
 * ms per image): 32 px 58% / 93%, 3.97 ms; 64 px 76% / 99%, 4.17 ms; 128 px 90% / 99.7%, 7.95 ms.
 */
const WORK_SIDE = 64;

// One libvips thread per image: images run in parallel instead (less per-call overhead); no cache of
// decoded inputs (every file is read once). Both are process-wide. Set when the main thread first measures
// (it has sharp imported already), and in a worker thread when it first needs sharp.
let sharpReady = false;
function setUpSharp(): void {
  if (sharpReady) return;
  sharpReady = true;
  whenSharpLoads((sharp) => {
    sharp.concurrency(1);
    sharp.cache(false);
  });
  if (isMainThread) void loadSharp();
}

/**
 * The scale at which a JPEG's thumbnail is read straight from its coefficients (jpeg-thumbnail.ts): the
 * reduction shrink-on-load used before, so the thumbnail keeps WORK_SIDE px on its short side: 1/8 (block
 * means, DC only) or 1/4 (quadrant means). Smaller images go through libvips. The quality measures are
 * computed on this thumbnail, and blur needs the detail: reading every photo at 1/8 (30% faster) made the
 * Laplacian variance of 40 photos blurred with sigma 8 / 16 px fall below the default threshold in 0 / 11
 * of 40 cases, against 14 / 40 and 40 / 40 with thumbnails of this size. Against the Python reference on
 * the 398 hymenoptera photos (pHash identical / within 2 bits): 1/8 84% / 99.5%, 1/4 91% / 100%, the
 * libvips 1/4 decode before it 76% / 99%.
 */
export function thumbnailScale(width: number, height: number): 4 | 8 | undefined {
  const s = shrinkFactor(width, height);
  return s === 8 || s === 4 ? s : undefined;
}

/**
 * Largest power-of-two reduction (JPEG shrink-on-load: 1/2, 1/4, 1/8 decode in the DCT domain, so an
 * 8x reduction skips most of the inverse DCT) that keeps the short side at WORK_SIDE or more.
 */
export function shrinkFactor(width: number, height: number): number {
  const short = Math.min(width, height);
  let s = 8;
  while (s > 1 && short / s < WORK_SIDE) s /= 2;
  return s;
}

function jpegSpace(components: number, adobeTransform: number | undefined): string {
  if (components === 1) return 'b-w';
  if (components === 4) return adobeTransform === 2 ? 'ycck' : 'cmyk';
  return 'srgb';
}

/** Measures one file. Never throws for a bad image: problems are recorded in the result. */
export async function measureImage(path: string, bytes: number, limits: MeasureLimits): Promise<ImageMeasure> {
  const m: ImageMeasure = { bytes };
  if (bytes > limits.maxReadBytes) {
    m.refused = 'too_large_to_read';
    return m;
  }
  // Read synchronously: an async readFile is several trips through the libuv pool (open, stat, read,
  // close), each queued behind the decodes running there; a sync read of a photo takes well under 1 ms.
  const borrowed = bytes <= KEEP_SCRATCH;
  const buf = borrowed ? readIntoScratch(path, bytes) : readFileSync(path);
  m.bytes = buf.length;
  m.sha256 = createHash('sha256').update(buf).digest('hex');
  return measureBuffer(buf, limits, m, borrowed);
}

/**
 * Files are read into one buffer per thread, reused: a fresh buffer per file is memory outside V8's heap,
 * and ≈ 45 MB of it per 400 photos made V8 run a full mark-compact every ≈ 100 files on each measuring
 * thread (docs/notes/hashing.md). What this returns is valid until the next call: measureBuffer copies it
 * before anything asynchronous.
 */
let scratch = Buffer.allocUnsafe(1 << 20);
/** Larger files get a buffer of their own, so that one huge file does not stay in memory for the whole run. */
const KEEP_SCRATCH = 32 << 20;
function readIntoScratch(path: string, sizeHint: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    if (scratch.length <= sizeHint) scratch = Buffer.allocUnsafe(sizeHint + (1 << 16));
    let n = 0;
    // Until a read returns nothing: the file may have grown since it was listed.
    for (let got; (got = readSync(fd, scratch, n, scratch.length - n, null)) > 0; ) {
      n += got;
      if (n === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, n);
        scratch = bigger;
      }
    }
    return scratch.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * libvips keeps one error buffer for the whole process and sharp clears it as every pipeline ends, so a
 * failing decode that runs beside others often finds it empty and reports "Unknown error" (measured: 164 of
 * 420 truncated JPEGs decoded 40 at a time). The reason goes into the report and the measurement cache, so it
 * must not depend on timing: such a decode is tried again, one retry at a time on this thread.
 */
let retries: Promise<unknown> = Promise.resolve();
async function withReason<T>(decode: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await (attempt === 0 ? decode() : (retries = retries.then(decode, decode)) as Promise<T>);
    } catch (e) {
      if ((e as Error).message !== 'Unknown error' || attempt === 4) throw e;
    }
  }
}

/**
 * `borrowed`: `buf` is only valid until this function first waits (measureImage's reused buffer), so it is
 * copied before libvips gets it. Plain JPEGs never wait: they are read from the coefficients, synchronously.
 */
export async function measureBuffer(buf: Buffer, limits: MeasureLimits, m: ImageMeasure = { bytes: buf.length }, borrowed = false): Promise<ImageMeasure> {
  if (buf.length === 0) return m;
  const sniffed = sniffFormat(buf);
  if (sniffed) m.sniffed = sniffed;
  if (!sniffed) return m;
  // Anything but a JPEG goes to sharp, asynchronously: a borrowed buffer is copied before the first wait.
  if (borrowed && sniffed !== 'jpeg') {
    buf = Buffer.from(buf);
    borrowed = false;
  }
  // JPEG is in every build of sharp (libjpeg-turbo), so a JPEG does not need sharp loaded to know that.
  if (sniffed !== 'jpeg' && !(await decodableFormats()).has(sniffed)) {
    m.refused = 'not_decodable_here';
    return m;
  }
  setUpSharp();
  // Header first: sizes are checked before a single pixel is decoded (decompression bombs).
  if (sniffed === 'jpeg') {
    const h = readJpegHeader(buf);
    if (!h) {
      m.headerError = 'the JPEG markers before the first frame are broken';
      return m;
    }
    Object.assign(m, { width: h.width, height: h.height, pages: 1, space: jpegSpace(h.components, h.adobeTransform), bitDepth: h.precision, orientation: h.orientation });
    if (h.unusualCoding) m.unusualCoding = true;
  } else {
    try {
      const md = await (await loadSharp())(buf, { limitInputPixels: false }).metadata();
      Object.assign(m, {
        width: md.width,
        height: md.height,
        pages: md.pages ?? 1,
        space: md.space,
        bitDepth: md.bitsPerSample ?? (md.depth === 'ushort' ? 16 : 8),
        orientation: md.orientation ?? 1,
      });
    } catch (e) {
      m.headerError = (e as Error).message;
      return m;
    }
  }
  const w = m.width ?? 0;
  const h = m.height ?? 0;
  if (!(w > 0 && h > 0)) {
    m.headerError = 'the header gives no image size';
    return m;
  }
  if (w * h > limits.maxPixels) {
    m.refused = 'too_many_pixels';
    return m;
  }
  let grey: GreyImage | undefined;
  const scale = sniffed === 'jpeg' ? thumbnailScale(w, h) : undefined;
  // Plain JPEGs (nearly every photo): the thumbnail straight from the coefficients, no decode. Anything
  // it does not read, or finds abnormal, goes through libvips below, which also decides what is corrupt.
  if (scale) grey = jpegThumbnail(buf, scale);
  if (!grey) {
    if (borrowed) buf = Buffer.from(buf);
    const s = shrinkFactor(w, h);
    const sharp = await loadSharp();
    const decode = () => {
      let pipeline: Sharp = sharp(buf, { failOn: 'error', limitInputPixels: limits.maxPixels, pages: 1 });
      if (s > 1) pipeline = pipeline.resize(Math.max(1, Math.round(w / s)), Math.max(1, Math.round(h / s)), { fit: 'fill', kernel: 'linear' });
      return pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    };
    let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
    try {
      raw = await withReason(decode);
    } catch (e) {
      m.decodeError = (e as Error).message.split('\n')[0]!;
      return m;
    }
    // Not marked as cells: libjpeg's reduced inverse DCT is not a cell mean, and weighing it as one agreed
    // less with the reference (pHash identical 51% against 76% sampled as pixels: bench/hash.ts).
    grey = toGrey(raw.data, raw.info.width, raw.info.height, raw.info.channels);
  }
  grey = applyOrientation(grey, m.orientation);
  m.hashes = perceptualHashes(grey);
  // The aspect from the header (exact), upright: the thumbnail's own is rounded to whole blocks.
  const upright = (m.orientation ?? 1) >= 5 && (m.orientation ?? 1) <= 8;
  m.fingerprint = fingerprintOf(grey, upright ? h / w : w / h);
  m.quality = measureQuality(grey);
  return m;
}
