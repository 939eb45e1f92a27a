/**
 * aHash, dHash and pHash at 64 bits, defined as Python imagehash defines them so people's existing hash
 * lists stay meaningful:
 *   aHash: grey, resize 8x8 (Lanczos), bit = pixel > mean.
 *   dHash: grey, resize 9 wide x 8 high (Lanczos), bit = right neighbour > pixel, row by row.
 *   pHash: grey, resize 32x32 (Lanczos), 2-D DCT-II, top-left 8x8 (DC included), bit = coeff > median.
 * Bits are packed row-major, first bit most significant; hex is 16 lowercase digits.
 * Input is an 8-bit grey image (already EXIF-oriented by the caller).
 */

import { LANCZOS_RESIZE_WASM } from './lanczos-resize-wasm.js';
import { lazyWasm } from './wasm-module.js';

export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
  /**
   * A thumbnail whose pixels are each the mean of a cell x cell square of the original image (a DCT-domain
   * reduction): resizing then weighs each pixel by the filter summed over the original pixels it covers,
   * which is what a resize of the original computes, instead of sampling the filter once per cell.
   */
  cell?: number;
  /** The original's size (after orientation) when `cell` is set: the last row/column of cells may be partial. */
  fullWidth?: number;
  fullHeight?: number;
}

export interface PerceptualHashes {
  ahash: string;
  dhash: string;
  phash: string;
}

/** ITU-R 601-2 luma with Pillow's fixed-point rounding (what `convert("L")` computes). */
export function toGrey(data: Uint8Array, width: number, height: number, channels: number): GreyImage {
  const n = width * height;
  const out = new Uint8Array(n);
  if (channels === 1 || channels === 2) {
    for (let i = 0; i < n; i++) out[i] = data[i * channels]!;
  } else {
    for (let i = 0, j = 0; i < n; i++, j += channels) {
      out[i] = (data[j]! * 19595 + data[j + 1]! * 38470 + data[j + 2]! * 7471 + 0x8000) >>> 16;
    }
  }
  return { data: out, width, height };
}

/**
 * Applies an EXIF orientation (1-8) so the image is as a viewer shows it. Orientation 6 means "rotate
 * 90° clockwise to view".
 */
export function applyOrientation(img: GreyImage, orientation: number | undefined): GreyImage {
  const o = orientation ?? 1;
  if (o <= 1 || o > 8) return img;
  const { data, width: w, height: h } = img;
  const swap = o >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      // (sx, sy): the stored pixel shown at (x, y).
      let sx: number;
      let sy: number;
      switch (o) {
        case 2: sx = w - 1 - x; sy = y; break;
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;
        case 4: sx = x; sy = h - 1 - y; break;
        case 5: sx = y; sy = x; break;
        case 6: sx = y; sy = h - 1 - x; break;
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;
        default: sx = w - 1 - y; sy = x; break; // 8
      }
      out[y * ow + x] = data[sy * w + sx]!;
    }
  }
  const res: GreyImage = { data: out, width: ow, height: oh };
  if (img.cell !== undefined) {
    res.cell = img.cell;
    res.fullWidth = swap ? img.fullHeight! : img.fullWidth!;
    res.fullHeight = swap ? img.fullWidth! : img.fullHeight!;
  }
  return res;
}

/** Pillow's Lanczos: sinc(x) * sinc(x/3) on [-3, 3), computed in the same order of operations. */
function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}
function lanczos3(x: number): number {
  return -3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

interface Coeffs {
  start: Int32Array;
  count: Int32Array;
  /** Fixed point, 22 fractional bits. */
  weights: Int32Array;
  taps: number;
}

/**
 * Pillow-style resampling weights for resizing `inSize` original pixels to `outSize`: the filter widens
 * with the scale factor so downscaling antialiases. With `cell` > 1 the input holds one pixel per `cell`
 * original pixels and a pixel's weight is the filter's integral over its cell (cells only come from 1/4 or
 * 1/8 reductions to at least 32 px, so the filter spans 8+ original pixels per unit and the integral is
 * the per-pixel sum to far below one grey level, at a tenth of the cost).
 */
function coeffs(inSize: number, outSize: number, cell: number): Coeffs {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 3 * filterScale;
  const ss = 1 / filterScale;
  const taps = Math.ceil(support / cell) * 2 + 2;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const w = new Float64Array(taps);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const first = Math.floor(lo / cell);
    const n = Math.min(Math.floor((hi - 1) / cell) - first + 1, taps);
    if (cell === 1) {
      for (let x = lo; x < hi; x++) w[x - lo] = lanczos3((x - center + 0.5) * ss);
    } else {
      for (let k = 0; k < n; k++) {
        const a = Math.max(lo, (first + k) * cell);
        const b = Math.min(hi, (first + k + 1) * cell);
        w[k] = lanczosIntegral((b - center) * ss) - lanczosIntegral((a - center) * ss);
      }
    }
    let sum = 0;
    for (let k = 0; k < n; k++) sum += w[k]!;
    // Normalised, then fixed point with 22 fractional bits, rounded away from zero (Pillow's 8-bit path).
    for (let k = 0; k < n; k++) {
      const v = sum !== 0 ? w[k]! / sum : w[k]!;
      weights[o * taps + k] = Math.trunc(v < 0 ? -0.5 + v * ONE : 0.5 + v * ONE);
    }
    start[o] = first;
    count[o] = n;
  }
  return { start, count, weights, taps };
}

// The Lanczos-3 kernel's running integral from -3, tabulated (trapezoids) for cell weights.
const STEPS = 1024; // per unit of x
const INTEGRAL = (() => {
  const t = new Float64Array(6 * STEPS + 1);
  for (let i = 1; i <= 6 * STEPS; i++) t[i] = t[i - 1]! + (lanczos3(-3 + (i - 1) / STEPS) + lanczos3(-3 + i / STEPS)) / (2 * STEPS);
  return t;
})();
function lanczosIntegral(x: number): number {
  const a = (x + 3) * STEPS;
  if (a <= 0) return 0;
  if (a >= 6 * STEPS) return INTEGRAL[6 * STEPS]!;
  const i = Math.floor(a);
  return INTEGRAL[i]! + (INTEGRAL[i + 1]! - INTEGRAL[i]!) * (a - i);
}

const coeffCache = new Map<string, Coeffs>();
function cachedCoeffs(inSize: number, outSize: number, cell: number): Coeffs {
  const key = `${inSize}:${outSize}:${cell}`;
  let c = coeffCache.get(key);
  if (!c) {
    c = coeffs(inSize, outSize, cell);
    if (coeffCache.size > 4096) coeffCache.clear();
    coeffCache.set(key, c);
  }
  return c;
}

const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = ONE / 2;

/**
 * Separable Lanczos-3 resize as Pillow computes it for 8-bit images: weights in fixed point, horizontal pass
 * then vertical, each rounded to 8 bits (exact ties decide hash bits on synthetic images, so the arithmetic
 * is Pillow's, not just the filter). A cell thumbnail (see GreyImage) is resized as its original would be.
 *
 * Integer arithmetic: a sum starts at one half (2^21) and adds pixel x weight; the weights (22-bit fixed
 * point, summing to ≈ 2^22, negative lobes ≈ 10 % of that) keep every partial sum within ±1.3e9, inside
 * int32, so `| 0` never wraps and `>> 22` is Pillow's floor.
 */
export function resizeLanczos(img: GreyImage, outW: number, outH: number): GreyImage {
  const { data, width: w, height: h } = img;
  const cell = img.cell ?? 1;
  const cx = cachedCoeffs(cell === 1 ? w : img.fullWidth!, outW, cell);
  const cy = cachedCoeffs(cell === 1 ? h : img.fullHeight!, outH, cell);
  const simd = wasmResizer.get();
  if (simd) return { data: simd.resize(data, w, h, outW, outH, cx, cy), width: outW, height: outH };
  const tmp = new Uint8Array(outW * h);
  const xs = cx.start;
  const xn = cx.count;
  const xw = cx.weights;
  const xt = cx.taps;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const to = y * outW;
    for (let o = 0; o < outW; o++) {
      const s = row + xs[o]!;
      const n = xn[o]!;
      const base = o * xt;
      let acc = HALF;
      for (let k = 0; k < n; k++) acc = (acc + data[s + k]! * xw[base + k]!) | 0;
      const v = acc >> PRECISION_BITS;
      tmp[to + o] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  const out = new Uint8Array(outW * outH);
  const ys = cy.start;
  const yn = cy.count;
  const yw = cy.weights;
  const yt = cy.taps;
  for (let o = 0; o < outH; o++) {
    const s = ys[o]! * outW;
    const n = yn[o]!;
    const base = o * yt;
    for (let x = 0; x < outW; x++) {
      let acc = HALF;
      for (let k = 0, i = s + x; k < n; k++, i += outW) acc = (acc + tmp[i]! * yw[base + k]!) | 0;
      const v = acc >> PRECISION_BITS;
      out[o * outW + x] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { data: out, width: outW, height: outH };
}

/**
 * resizeLanczos's two passes in WebAssembly SIMD (lanczos-resize.c, built by scripts/build-wasm.sh): four
 * products at a time, the same integer sums. Memory from the module's heap base: the image (padded: a
 * row's last taps may read 7 bytes past it, at zero weight), the horizontal result, the output, then each
 * pass's starts, counts and weights (padded to 8 per output).
 */
class WasmResizer {
  private readonly memory: WebAssembly.Memory;
  private readonly heap: number;
  private readonly h: (...args: number[]) => void;
  private readonly v: (...args: number[]) => void;
  private readonly padded = new WeakMap<Coeffs, { n8: Int32Array; weights: Int32Array; stride: number }>();

  constructor(instance: WebAssembly.Instance) {
    const x = instance.exports as Record<string, unknown>;
    this.memory = x.memory as WebAssembly.Memory;
    this.heap = (((x.__heap_base as WebAssembly.Global).value as number) + 15) & ~15;
    this.h = x.resize_h as (...args: number[]) => void;
    this.v = x.resize_v as (...args: number[]) => void;
  }

  private pad(c: Coeffs): { n8: Int32Array; weights: Int32Array; stride: number } {
    let p = this.padded.get(c);
    if (!p) {
      const stride = (c.taps + 7) & ~7;
      const weights = new Int32Array(c.start.length * stride);
      for (let o = 0; o < c.start.length; o++) weights.set(c.weights.subarray(o * c.taps, o * c.taps + c.count[o]!), o * stride);
      p = { n8: c.count.map((n) => (n + 7) & ~7), weights, stride };
      this.padded.set(c, p);
    }
    return p;
  }

  resize(data: Uint8Array, w: number, h: number, outW: number, outH: number, cx: Coeffs, cy: Coeffs): Uint8Array {
    const px = this.pad(cx);
    const py = this.pad(cy);
    const at = (bytes: number, from: number): number => (from + bytes + 15) & ~15;
    const src = this.heap;
    const tmp = at(w * h + 8, src);
    const out = at(outW * h, tmp);
    const xs = at(outW * outH, out);
    const xn = at(4 * outW, xs);
    const xw = at(4 * outW, xn);
    const ys = at(4 * px.weights.length, xw);
    const yn = at(4 * outH, ys);
    const yw = at(4 * outH, yn);
    const end = yw + 4 * py.weights.length;
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
    const buf = this.memory.buffer;
    new Uint8Array(buf, src, w * h + 8).set(data.subarray(0, w * h));
    new Int32Array(buf, xs, outW).set(cx.start);
    new Int32Array(buf, xn, outW).set(px.n8);
    new Int32Array(buf, xw, px.weights.length).set(px.weights);
    new Int32Array(buf, ys, outH).set(cy.start);
    new Int32Array(buf, yn, outH).set(cy.count);
    new Int32Array(buf, yw, py.weights.length).set(py.weights);
    this.h(src, w, h, tmp, outW, xs, xn, xw, px.stride);
    this.v(tmp, outW, out, outH, ys, yn, yw, py.stride);
    return new Uint8Array(buf, out, outW * outH).slice();
  }
}

const wasmResizer = lazyWasm(LANCZOS_RESIZE_WASM, (instance) => new WasmResizer(instance));
/** Turns the WebAssembly resize off (true: back on): for tests and benchmarks comparing the two. */
export function useWasmResize(on: boolean): void {
  wasmResizer.allow(on);
}
/** Which resize runs now: WebAssembly SIMD, or the TypeScript loops where that cannot run. */
export function lanczosResizer(): 'wasm' | 'js' {
  return wasmResizer.get() ? 'wasm' : 'js';
}

// DCT-II basis for the 8 lowest frequencies over 32 samples (the scale factor does not change the bits).
const DCT = (() => {
  const m = new Float64Array(8 * 32);
  for (let k = 0; k < 8; k++) for (let n = 0; n < 32; n++) m[k * 32 + n] = Math.cos((Math.PI * k * (2 * n + 1)) / 64);
  return m;
})();

function bitsToHex(bits: ArrayLike<boolean>): string {
  let hex = '';
  for (let i = 0; i < bits.length; i += 4) {
    const v = (bits[i] ? 8 : 0) | (bits[i + 1] ? 4 : 0) | (bits[i + 2] ? 2 : 0) | (bits[i + 3] ? 1 : 0);
    hex += v.toString(16);
  }
  return hex;
}

/** pHash of a 32x32 grey image. */
export function phash32(px: Uint8Array): string {
  // Rows first (axis 0 in numpy terms: along y), then columns; only the 8x8 low corner is needed.
  // colT[k*32 + x] = sum_y C[k][y] * px[y][x], summed in y order (the bits depend on the order), each in a
  // local rather than read and written back to the array per term (a third of this function's time).
  const colT = new Float64Array(8 * 32);
  for (let k = 0; k < 8; k++) {
    const c = k * 32;
    for (let x = 0; x < 32; x++) {
      let acc = 0;
      for (let y = 0; y < 32; y++) acc += DCT[c + y]! * px[y * 32 + x]!;
      colT[c + x] = acc;
    }
  }
  const low = new Float64Array(64);
  for (let k = 0; k < 8; k++) {
    for (let l = 0; l < 8; l++) {
      let acc = 0;
      for (let x = 0; x < 32; x++) acc += colT[k * 32 + x]! * DCT[l * 32 + x]!;
      low[k * 8 + l] = acc;
    }
  }
  // What is exactly zero in exact arithmetic (flat or symmetric images) must be zero here too, as scipy's
  // FFT-based DCT gives it, not rounding noise whose sign would pick the bit.
  for (let i = 0; i < 64; i++) if (Math.abs(low[i]!) < 1e-7) low[i] = 0;
  const sorted = Float64Array.from(low).sort();
  const median = (sorted[31]! + sorted[32]!) / 2;
  return bitsToHex(Array.from(low, (v) => v > median));
}

export function ahash8(px: Uint8Array): string {
  let sum = 0;
  for (let i = 0; i < 64; i++) sum += px[i]!;
  const mean = sum / 64;
  return bitsToHex(Array.from(px.subarray(0, 64), (v) => v > mean));
}

/** dHash of a 9x8 (width x height) grey image. */
export function dhash9x8(px: Uint8Array): string {
  const bits: boolean[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) bits.push(px[y * 9 + x + 1]! > px[y * 9 + x]!);
  return bitsToHex(bits);
}

/** All three hashes of an (oriented) grey image of any size. */
export function perceptualHashes(img: GreyImage): PerceptualHashes {
  return {
    phash: phash32(resizeLanczos(img, 32, 32).data),
    ahash: ahash8(resizeLanczos(img, 8, 8).data),
    dhash: dhash9x8(resizeLanczos(img, 9, 8).data),
  };
}

const POP8 = (() => {
  const t = new Uint8Array(256);
  for (let i = 1; i < 256; i++) t[i] = (i & 1) + t[i >> 1]!;
  return t;
})();

export function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Hamming distance between two equal-length hex hashes. */
export function hammingHex(a: string, b: string): number {
  if (a.length !== b.length) throw new RangeError(`hashes differ in length: ${a.length} vs ${b.length}`);
  let d = 0;
  for (let i = 0; i < a.length; i += 2) d += POP8[parseInt(a.slice(i, i + 2), 16) ^ parseInt(b.slice(i, i + 2), 16)]!;
  return d;
}

/** A 64-bit hex hash as two unsigned 32-bit halves (for the near-duplicate index). */
export function hexToHalves(hex: string): [hi: number, lo: number] {
  return [parseInt(hex.slice(0, 8), 16) >>> 0, parseInt(hex.slice(8, 16), 16) >>> 0];
}
