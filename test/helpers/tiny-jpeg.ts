/**
 * A tiny baseline JPEG encoder for tests: it writes what sharp cannot (restart intervals, RGB-coded
 * components, an Adobe transform flag) so the reader's handling of those can be checked against sharp's
 * decoder. Slow and simple on purpose: naive float DCT, fixed-length Huffman codes.
 *
 * Huffman tables are canonical fixed-length codes, valid for any data and never all ones:
 *   DC: the 12 categories as 4-bit codes 0000..1011;
 *   AC: EOB, ZRL and every run 0-15 x size 1-10 (162 symbols) as 8-bit codes 0..161.
 * So a 1111 DC prefix or an 11111111 AC code is always invalid, which the corruption tests rely on.
 */

export interface TinyJpegOptions {
  /** 1: `pixels` is grey (w*h bytes); 3: RGB (w*h*3 bytes), stored as YCbCr unless `rgb`. Default 1. */
  components?: 1 | 3;
  /** Luma sampling factors [h, v] when 3 components (chroma is 1x1 and averaged down). Default [1, 1]. */
  lumaSampling?: [number, number];
  /** Every component's [h, v] (overrides lumaSampling), each 1 or a divisor of the largest; 3 components only. */
  sampling?: [number, number][];
  /** MCUs per restart interval; 0 or absent writes no DRI and no RST markers. */
  restartInterval?: number;
  /** One value for all 64 positions, or 64 values in zig-zag order. Default 1 (near-lossless). */
  quant?: number | ArrayLike<number>;
  /** SOF component ids. Default 1, 2, 3. */
  componentIds?: number[];
  /** Write an Adobe APP14 segment with this colour transform (0: RGB/CMYK, 1: YCbCr). */
  adobeTransform?: number;
  /** Store the three channels as they are, without the YCbCr transform (an RGB-coded JPEG). */
  rgb?: boolean;
}

/** Zig-zag position -> [row, col]. */
export const ZIGZAG: [number, number][] = [];
for (let s = 0; s <= 14; s++) {
  const rows: number[] = [];
  for (let r = Math.max(0, s - 7); r <= Math.min(s, 7); r++) rows.push(r);
  if (s % 2 === 0) rows.reverse(); // even diagonals run up and to the right
  for (const r of rows) ZIGZAG.push([r, s - r]);
}

/** COS[u][x] = C(u)/2 * cos((2x+1)uπ/16): F(v,u) = Σ COS[v][y] COS[u][x] f(y,x). */
const COS = Array.from({ length: 8 }, (_, u) =>
  Array.from({ length: 8 }, (_, x) => ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16)),
);

const AC_SYMBOLS: number[] = [0x00, 0xf0];
for (let r = 0; r < 16; r++) for (let s = 1; s <= 10; s++) AC_SYMBOLS.push((r << 4) | s);
const AC_CODE = new Map(AC_SYMBOLS.map((sym, i) => [sym, i]));

class BitWriter {
  readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;
  write(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.n === 8) this.emit();
    }
  }
  /** Pad the last byte with 1-bits, as the standard asks before a marker. */
  flush(): void {
    while (this.n !== 0) this.write(1, 1);
  }
  private emit(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0x00); // byte stuffing
    this.acc = 0;
    this.n = 0;
  }
}

const category = (v: number): number => (v === 0 ? 0 : 32 - Math.clz32(Math.abs(v)));
const magnitudeBits = (v: number, cat: number): number => (v >= 0 ? v : v + (1 << cat) - 1);

function segment(marker: number, body: number[]): number[] {
  const len = body.length + 2;
  return [0xff, marker, len >> 8, len & 255, ...body];
}

/** Encodes `pixels` (grey or RGB, row-major) as a baseline JPEG. */
export function encodeTinyJpeg(pixels: Uint8Array, width: number, height: number, options: TinyJpegOptions = {}): Uint8Array {
  const n = options.components ?? 1;
  if (pixels.length !== width * height * n) throw new Error(`expected ${width * height * n} bytes, got ${pixels.length}`);
  const sampling: [number, number][] = n === 1
    ? [[1, 1]]
    : (options.sampling ?? [options.lumaSampling ?? [1, 1], [1, 1], [1, 1]]);
  const hmax = Math.max(...sampling.map((f) => f[0]));
  const vmax = Math.max(...sampling.map((f) => f[1]));
  const ids = options.componentIds ?? [1, 2, 3];
  const q = typeof options.quant === 'number' || options.quant === undefined
    ? new Array<number>(64).fill(options.quant ?? 1)
    : Array.from(options.quant);
  const ri = options.restartInterval ?? 0;

  // Full-resolution planes, level-shifted to -128..127.
  const planes: Float64Array[] = Array.from({ length: n }, () => new Float64Array(width * height));
  for (let i = 0; i < width * height; i++) {
    if (n === 1) {
      planes[0]![i] = pixels[i]! - 128;
      continue;
    }
    const r = pixels[3 * i]!;
    const g = pixels[3 * i + 1]!;
    const b = pixels[3 * i + 2]!;
    if (options.rgb) {
      planes[0]![i] = r - 128;
      planes[1]![i] = g - 128;
      planes[2]![i] = b - 128;
    } else {
      planes[0]![i] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
      planes[1]![i] = -0.168736 * r - 0.331264 * g + 0.5 * b;
      planes[2]![i] = 0.5 * r - 0.418688 * g - 0.081312 * b;
    }
  }
  // A component's sample at its own (x, y): the mean of the source pixels it covers, edges replicated.
  const sample = (c: number, x: number, y: number): number => {
    const [h, v] = sampling[c]!;
    const sx = hmax / h;
    const sy = vmax / v;
    const cw = Math.ceil((width * h) / hmax);
    const ch = Math.ceil((height * v) / vmax);
    const cx = Math.min(x, cw - 1);
    const cy = Math.min(y, ch - 1);
    let s = 0;
    for (let dy = 0; dy < sy; dy++) {
      for (let dx = 0; dx < sx; dx++) {
        s += planes[c]![Math.min(cy * sy + dy, height - 1) * width + Math.min(cx * sx + dx, width - 1)]!;
      }
    }
    return s / (sx * sy);
  };

  const coeffs = new Int32Array(64);
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  const bits = new BitWriter();
  const pred = new Int32Array(n);
  const encodeBlock = (c: number, bx: number, by: number): void => {
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) block[y * 8 + x] = sample(c, bx * 8 + x, by * 8 + y);
    // Rows then columns of the separable DCT.
    for (let y = 0; y < 8; y++) {
      for (let u = 0; u < 8; u++) {
        let s = 0;
        for (let x = 0; x < 8; x++) s += COS[u]![x]! * block[y * 8 + x]!;
        tmp[y * 8 + u] = s;
      }
    }
    for (let z = 0; z < 64; z++) {
      const [v, u] = ZIGZAG[z]!;
      let s = 0;
      for (let y = 0; y < 8; y++) s += COS[v]![y]! * tmp[y * 8 + u]!;
      const limit = z === 0 ? 1024 : 1023;
      coeffs[z] = Math.max(-limit, Math.min(limit, Math.round(s / q[z]!)));
    }
    const diff = coeffs[0]! - pred[c]!;
    pred[c] = coeffs[0]!;
    const dcCat = category(diff);
    bits.write(dcCat, 4);
    if (dcCat) bits.write(magnitudeBits(diff, dcCat), dcCat);
    let run = 0;
    for (let z = 1; z < 64; z++) {
      const v = coeffs[z]!;
      if (v === 0) {
        run++;
        continue;
      }
      for (; run >= 16; run -= 16) bits.write(AC_CODE.get(0xf0)!, 8);
      const cat = category(v);
      bits.write(AC_CODE.get((run << 4) | cat)!, 8);
      bits.write(magnitudeBits(v, cat), cat);
      run = 0;
    }
    if (run > 0) bits.write(AC_CODE.get(0x00)!, 8);
  };

  // One component: non-interleaved, one block per MCU. Three: interleaved, h x v blocks of each in turn.
  const mcusX = Math.ceil(width / (8 * hmax));
  const mcusY = Math.ceil(height / (8 * vmax));
  const total = mcusX * mcusY;
  let rst = 0;
  for (let m = 0; m < total; m++) {
    if (ri > 0 && m > 0 && m % ri === 0) {
      bits.flush();
      bits.bytes.push(0xff, 0xd0 + (rst++ % 8));
      pred.fill(0);
    }
    const mx = m % mcusX;
    const my = Math.floor(m / mcusX);
    for (let c = 0; c < n; c++) {
      const [h, v] = sampling[c]!;
      for (let by = 0; by < v; by++) for (let bx = 0; bx < h; bx++) encodeBlock(c, mx * h + bx, my * v + by);
    }
  }
  bits.flush();

  const out: number[] = [0xff, 0xd8];
  if (options.adobeTransform !== undefined) {
    // "Adobe", version 100, flags0, flags1, transform.
    out.push(...segment(0xee, [0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, options.adobeTransform]));
  }
  out.push(...segment(0xdb, [0x00, ...q]));
  const sof = [8, height >> 8, height & 255, width >> 8, width & 255, n];
  for (let c = 0; c < n; c++) sof.push(ids[c]!, (sampling[c]![0] << 4) | sampling[c]![1], 0);
  out.push(...segment(0xc0, sof));
  const dcCounts = new Array<number>(16).fill(0);
  dcCounts[3] = 12;
  const acCounts = new Array<number>(16).fill(0);
  acCounts[7] = AC_SYMBOLS.length;
  out.push(...segment(0xc4, [0x00, ...dcCounts, ...Array.from({ length: 12 }, (_, i) => i), 0x10, ...acCounts, ...AC_SYMBOLS]));
  if (ri > 0) out.push(...segment(0xdd, [ri >> 8, ri & 255]));
  const sos: number[] = [n];
  for (let c = 0; c < n; c++) sos.push(ids[c]!, 0x00);
  sos.push(0, 63, 0);
  out.push(...segment(0xda, sos));
  // Copied, not spread: a large scan would overflow push(...)'s argument limit.
  const result = new Uint8Array(out.length + bits.bytes.length + 2);
  result.set(out, 0);
  result.set(bits.bytes, out.length);
  result.set([0xff, 0xd9], out.length + bits.bytes.length);
  return result;
}

export interface JpegMarker {
  /** The byte after 0xFF. */
  marker: number;
  /** Offset of the 0xFF. */
  offset: number;
  /** Segment length (after the marker) for markers with a length, else 0. */
  length: number;
}

/**
 * Every marker in a JPEG: header segments by their lengths, then inside entropy-coded data every 0xFF not
 * followed by 0x00 (so RSTn and EOI), for tests that edit files.
 */
export function jpegMarkers(file: Uint8Array): JpegMarker[] {
  const out: JpegMarker[] = [];
  let o = 2;
  while (o + 1 < file.length) {
    if (file[o] !== 0xff) throw new Error(`no marker at ${o}`);
    const marker = file[o + 1]!;
    if (marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7)) {
      out.push({ marker, offset: o, length: 0 });
      if (marker === 0xd9) return out;
      o += 2;
      continue;
    }
    const length = (file[o + 2]! << 8) | file[o + 3]!;
    out.push({ marker, offset: o, length });
    o += 2 + length;
    if (marker === 0xda) {
      // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or an RSTn.
      while (o + 1 < file.length) {
        if (file[o] === 0xff && file[o + 1] !== 0x00) {
          const m = file[o + 1]!;
          if (m >= 0xd0 && m <= 0xd7) {
            out.push({ marker: m, offset: o, length: 0 });
            o += 2;
            continue;
          }
          break;
        }
        o++;
      }
    }
  }
  return out;
}

/** The SOFn segment: its marker, precision, size and components (id, sampling, table). */
export function jpegFrame(file: Uint8Array): { marker: number; precision: number; width: number; height: number; components: { id: number; h: number; v: number }[] } {
  const sof = jpegMarkers(file).find((m) => m.marker >= 0xc0 && m.marker <= 0xcf && m.marker !== 0xc4 && m.marker !== 0xc8 && m.marker !== 0xcc);
  if (!sof) throw new Error('no SOF');
  const s = sof.offset + 4;
  const n = file[s + 5]!;
  return {
    marker: sof.marker,
    precision: file[s]!,
    height: (file[s + 1]! << 8) | file[s + 2]!,
    width: (file[s + 3]! << 8) | file[s + 4]!,
    components: Array.from({ length: n }, (_, i) => ({ id: file[s + 6 + 3 * i]!, h: file[s + 7 + 3 * i]! >> 4, v: file[s + 7 + 3 * i]! & 15 })),
  };
}

/** [start, end) of the (first) scan's entropy-coded data, RST markers included. */
export function scanData(file: Uint8Array): [number, number] {
  const ms = jpegMarkers(file);
  const i = ms.findIndex((m) => m.marker === 0xda);
  if (i < 0) throw new Error('no SOS');
  const sos = ms[i]!;
  const end = ms.slice(i + 1).find((m) => m.marker < 0xd0 || m.marker > 0xd7);
  return [sos.offset + 2 + sos.length, end ? end.offset : file.length];
}
