/**
 * A small grey thumbnail straight from a JPEG's entropy-coded data, for hashing and quality measures.
 *
 * Why not a decoder: a general decoder (libjpeg through sharp) Huffman-decodes every coefficient,
 * dequantises, runs an inverse DCT and converts colour, then libvips adds its own per-call cost. The
 * thumbnail needs none of that. The mean of a block, or of each 4x4 quadrant of it, is a fixed linear
 * function of a few low-frequency coefficients, so this walks the entropy-coded data, keeps the luma DC (and
 * a few low AC values for the quadrant means) and skips every other code with a table that consumes several
 * codes per lookup.
 *
 *   scale 8: one pixel per 8x8 luma block, its exact mean (DC only).
 *   scale 4: one pixel per 4x4 quadrant, its mean from the coefficients at zig-zag positions 0..QUAD_TERMS
 *            (the even frequencies average to zero over a half block; the rest are small).
 *
 * Progressive files give scale 8 from their DC scans alone (first scan and successive-approximation
 * refinements); their AC scans are stepped over to the next marker unread, so they cost a fraction of a
 * sequential file.
 *
 * Only plain files take this path: 8-bit Huffman (baseline, extended, progressive), 1 or 3 components
 * (YCbCr or grey).
 * Anything else, and anything abnormal (bad code, data ending early, bytes left over, a missing restart
 * marker or EOI), returns `undefined` so the caller decodes with libvips and reports what it says: this
 * file never decides that an image is corrupt.
 */
import { JPEG_WALK_WASM } from './jpeg-walk-wasm.js';
import { lazyWasm } from './wasm-module.js';
import type { GreyImage } from './perceptual-hash.js';

/** Last zig-zag position whose value feeds the quadrant means: (0,1) (1,0) (1,1) (0,3) (3,0) and the evens between. */
const QUAD_TERMS = 9;
/** Bits per single-code lookup. */
const LOOK = 9;
/** Bits per multi-code skip lookup. */
const SKIP = 12;
/** Skip-table flag: the codes end with an end-of-block. */
const EOB = 1 << 12;
/** Skip-table entry for "no whole code here": its advance never fits a block, so the slow path runs. */
const NONE = 127 << 5;

// Zig-zag position -> row (vertical frequency) and column (horizontal frequency).
const ZZ_ROW = new Uint8Array(64);
const ZZ_COL = new Uint8Array(64);
{
  let r = 0;
  let c = 0;
  for (let i = 0; i < 64; i++) {
    ZZ_ROW[i] = r;
    ZZ_COL[i] = c;
    if ((r + c) % 2 === 0) {
      if (c === 7) r++;
      else if (r === 0) c++;
      else { r--; c++; }
    } else if (r === 7) c++;
    else if (c === 0) r++;
    else { r++; c--; }
  }
}

/** Mean of cos((2x+1)uπ/16) over x in the half block `half` (0: x 0-3, 1: x 4-7), times C(u). */
function halfMean(u: number, half: number): number {
  let s = 0;
  for (let x = half * 4; x < half * 4 + 4; x++) s += Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  return ((u === 0 ? Math.SQRT1_2 : 1) * s) / 4;
}

/** QUAD_W[z*4 + qy*2 + qx]: a coefficient's contribution per unit to the mean of quadrant (qx, qy). */
const QUAD_W = new Float64Array(64 * 4);
for (let z = 0; z < 64; z++) {
  for (let q = 0; q < 4; q++) QUAD_W[z * 4 + q] = halfMean(ZZ_COL[z]!, q & 1) * halfMean(ZZ_ROW[z]!, q >> 1) / 4;
}

export interface Huffman {
  /** (length << 8) | symbol for codes of up to LOOK bits, indexed by the next LOOK bits; 0 = longer code. */
  look: Int32Array;
  maxcode: Int32Array;
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
  /** AC only: bits used | positions advanced << 5 | EOB, for the whole codes (with extra bits) in the next SKIP bits. */
  skip?: Int32Array;
}

export function buildHuffman(counts: Uint8Array, values: Uint8Array, ac: boolean): Huffman | undefined {
  const look = new Int32Array(1 << LOOK);
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    valptr[len] = k;
    mincode[len] = code;
    for (let i = 0; i < counts[len - 1]!; i++) {
      if (len <= LOOK) {
        const shift = LOOK - len;
        for (let f = code << shift, e = (code + 1) << shift; f < e; f++) look[f] = (len << 8) | values[k]!;
      }
      code++;
      k++;
    }
    if (code >= 1 << len) return undefined; // over-subscribed, or the all-ones code used: libjpeg refuses both
    maxcode[len] = counts[len - 1]! > 0 ? code - 1 : -1;
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  const h: Huffman = { look, maxcode, valptr, mincode, values };
  if (ac) h.skip = skipWindows(look).subarray(1 << SKIP);
  return h;
}

/**
 * Built window by window: the entry for a w-bit window is its first code (and extra bits) followed by the
 * entry for the bits left over, so each entry costs one lookup (optimised encoders write a fresh table for
 * every photo, so this runs twice per file). Positions advanced count an EOB as one more, so "fits in the
 * block" is always k + advance <= 64. Every window size is kept (window w at offset 1 << w): the walker
 * reads the 12-bit ones; test/images/jpeg-walk-tables.test.ts checks the WebAssembly walker's against all.
 */
export function skipWindows(look: Int32Array): Int32Array {
  const all = new Int32Array(1 << (SKIP + 1)).fill(NONE); // window w at offset 1 << w
  const mask = (1 << LOOK) - 1;
  for (let w = 1; w <= SKIP; w++) {
    const base = 1 << w;
    for (let p = 0; p < base; p++) {
      const e = look[w >= LOOK ? p >>> (w - LOOK) : (p << (LOOK - w)) & mask]!;
      if (e === 0) continue;
      const sym = e & 255;
      const size = sym & 15;
      const used = (e >> 8) + size;
      if (used > w) continue;
      if (size === 0 && sym !== 0xf0) {
        all[base + p] = used | (1 << 5) | EOB;
        continue;
      }
      const adv = size === 0 ? 16 : (sym >> 4) + 1;
      const rest = w - used;
      const r = rest > 0 ? all[(1 << rest) + (p & ((1 << rest) - 1))]! : NONE;
      const radv = (r >> 5) & 127;
      all[base + p] = r === NONE || adv + radv > 100 ? used | (adv << 5) : (used + (r & 31)) | ((adv + radv) << 5) | (r & EOB);
    }
  }
  return all;
}

/** Markers libjpeg reads or steps over; any other stops it with "Unsupported marker type". */
const KNOWN_MARKER = new Uint8Array(256);
for (let m = 0xc0; m <= 0xcf; m++) KNOWN_MARKER[m] = 1; // SOFn, DHT, DAC (unsupported SOFs are refused later)
for (let m = 0xd0; m <= 0xef; m++) KNOWN_MARKER[m] = 1; // RSTn, SOI, EOI, SOS, DQT, DNL, DRI, APPn
KNOWN_MARKER[0xde] = 0; // DHP
KNOWN_MARKER[0xdf] = 0; // EXP
KNOWN_MARKER[0xfe] = 1; // COM
KNOWN_MARKER[0x01] = 1; // TEM

/**
 * The checks libjpeg makes when it builds a decoding table (jdhuff.c, jpeg_make_d_derived_tbl): at most 256
 * codes, every code length's codes fit without using the all-ones code, and a DC table's symbols are
 * magnitude categories 0-15.
 */
export function libjpegAcceptsTable(counts: Uint8Array, values: Uint8Array, dc: boolean): boolean {
  let n = 0;
  for (let i = 0; i < 16; i++) n += counts[i]!;
  if (n > 256) return false;
  for (let code = 0, len = 1; len <= 16; len++, code <<= 1) if ((code += counts[len - 1]!) >= 1 << len && counts[len - 1]! > 0) return false;
  if (dc) for (const v of values) if (v > 15) return false;
  return true;
}

// Cameras and non-optimising encoders write the same tables into every photo: build those once. (Optimising
// encoders write a table of their own per photo: 772 distinct AC tables in the 398 hymenoptera photos.)
const tableCache = new Map<string, Huffman | undefined>();
function huffman(counts: Uint8Array, values: Uint8Array, ac: boolean): Huffman | undefined {
  // The table's bytes as a string (one char per byte): a cheap exact key.
  const key = (ac ? 'a' : 'd') + String.fromCharCode.apply(null, counts as unknown as number[]) + String.fromCharCode.apply(null, values as unknown as number[]);
  if (tableCache.has(key)) return tableCache.get(key);
  const h = buildHuffman(counts, values, ac);
  if (tableCache.size > 256) tableCache.clear();
  tableCache.set(key, h);
  return h;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
}

/** The entropy-coded bytes of one scan with stuffing removed, and where each restart interval ends. */
interface ScanData {
  bytes: Uint8Array;
  length: number;
  restarts: number[];
  /** Offset in the file of the marker that ended the scan. */
  next: number;
}

let scratch = new Uint8Array(1 << 20);
/** A buffer for the JavaScript walker's unstuffed scan: at least `bytes` long. */
function jsScratch(bytes: number): Uint8Array {
  if (scratch.length < bytes) scratch = new Uint8Array(bytes + (1 << 16));
  return scratch;
}

/** Unstuffs the scan from `start` into `out` (at least the rest of the file + 16 bytes long). */
function unstuff(file: Uint8Array, start: number, out: Uint8Array): ScanData | undefined {
  const restarts: number[] = [];
  let o = 0;
  let i = start;
  for (;;) {
    const ff = file.indexOf(0xff, i);
    const end = ff < 0 ? file.length : ff;
    out.set(file.subarray(i, end), o);
    o += end - i;
    if (ff < 0 || ff + 1 >= file.length) return undefined; // no marker after the data: truncated
    const m = file[ff + 1]!;
    if (m === 0x00) {
      out[o++] = 0xff;
      i = ff + 2;
    } else if (m >= 0xd0 && m <= 0xd7) {
      if (m !== 0xd0 + (restarts.length & 7)) return undefined; // out of sequence: data is missing
      restarts.push(o);
      i = ff + 2;
    } else if (m === 0xff) {
      i = ff + 1; // fill byte before a marker
    } else {
      out.fill(0, o, o + 16); // read-ahead past the end sees zeros
      return { bytes: out, length: o, restarts, next: ff };
    }
  }
}

/** Where the entropy-coded data from `start` ends (the offset of the next marker), without reading it. */
function skipEntropy(file: Uint8Array, start: number): number | undefined {
  for (let i = start; ;) {
    const ff = file.indexOf(0xff, i);
    if (ff < 0 || ff + 1 >= file.length) return undefined;
    const m = file[ff + 1]!;
    if (m === 0x00 || (m >= 0xd0 && m <= 0xd7)) i = ff + 2;
    else if (m === 0xff) i = ff + 1;
    else return ff;
  }
}

interface Frame {
  width: number;
  height: number;
  comps: Component[];
  hmax: number;
  vmax: number;
}

/** A scan's MCUs: a scan of one component has one block per MCU over that component's own block grid. */
function mcuLayout(frame: Frame, sel: { comp: number }[]): { single: boolean; mcusX: number; total: number } {
  const single = sel.length === 1;
  const c = frame.comps[sel[0]!.comp]!;
  const mcusX = single ? Math.ceil(Math.ceil((frame.width * c.h) / frame.hmax) / 8) : Math.ceil(frame.width / (8 * frame.hmax));
  const mcusY = single ? Math.ceil(Math.ceil((frame.height * c.v) / frame.vmax) / 8) : Math.ceil(frame.height / (8 * frame.vmax));
  return { single, mcusX, total: mcusX * mcusY };
}

/** The bit where restart interval `i` of the scan ends. */
const intervalEnd = (scan: ScanData, i: number): number => (i < scan.restarts.length ? scan.restarts[i]! : scan.length) * 8;

/** What a scan holds: every coefficient (sequential), or a progressive file's DC values or DC refinement bits. */
const enum Kind {
  Sequential,
  DcFirst,
  DcRefine,
}

/** Where a scan's results go: luma means (sequential) or luma DC coefficients (progressive). */
interface ScanOut {
  grid: Float64Array;
  coef: Int32Array | undefined;
  gridW: number;
  gridH: number;
}

/**
 * Decodes one scan. Sequential: each luma block's mean (or quadrant means) into `out.grid`. Progressive DC
 * scans: luma DC coefficients into `out.coef`, scaled by 2^al (the first scan) or one more bit of each
 * (a refinement). False when anything is off. The bit reader is a position: every read takes the 32 bits
 * there (big-endian) and shifts; no refill branch, which a predictor cannot guess and which cost more than
 * the table lookups.
 */
function decodeScan(
  scan: ScanData,
  frame: Frame,
  sel: { comp: number; dc: Huffman | undefined; ac: Huffman | undefined }[],
  restartInterval: number,
  kind: Kind,
  al: number,
  yq: Float64Array,
  quad: boolean,
  out: ScanOut,
): boolean {
  const { grid, coef, gridW, gridH } = out;
  const dv = new DataView(scan.bytes.buffer, scan.bytes.byteOffset, scan.length + 8);
  const { single, mcusX, total } = mcuLayout(frame, sel);
  const nsel = sel.length;
  const pred = new Int32Array(nsel);
  const per = quad ? 4 : 1;
  const q0 = yq[0]! / 8;
  let p = 0; // bit position
  let end = intervalEnd(scan, 0);
  let interval = 0;
  for (let mcu = 0; mcu < total; mcu++) {
    if (restartInterval > 0 && mcu > 0 && mcu % restartInterval === 0) {
      // The interval's data must be used up to its padding, then the decoder starts afresh.
      if (p > end || end - p >= 8) return false;
      p = end;
      end = intervalEnd(scan, ++interval);
      pred.fill(0);
    }
    const mx = mcu % mcusX;
    const my = (mcu - mx) / mcusX;
    for (let s = 0; s < nsel; s++) {
      const { comp } = sel[s]!;
      // Sequential scans have both tables; a progressive DC scan no AC table; a refinement neither.
      const dc = sel[s]!.dc!;
      const ac = sel[s]!.ac!;
      const acLook = ac?.look;
      const acSkip = ac?.skip;
      const bh = single ? 1 : frame.comps[comp]!.h;
      const nb = single ? 1 : bh * frame.comps[comp]!.v;
      for (let b = 0; b < nb; b++) {
        const bx = single ? mx : mx * bh + (b % bh);
        const by = single ? my : my * (nb / bh) + ((b / bh) | 0);
        if (comp === 0 && (bx >= gridW || by >= gridH)) return false;
        if (kind === Kind.DcRefine) {
          // One raw bit per block, the next bit down of its DC.
          if (comp === 0 && (dv.getUint32(p >>> 3) << (p & 7)) < 0) coef![by * gridW + bx]! |= 1 << al;
          p += 1;
          continue;
        }
        // DC: a category code, then that many bits of difference from the previous block's DC.
        let w = dv.getUint32(p >>> 3) << (p & 7);
        let e = dc.look[w >>> (32 - LOOK)]!;
        if (e === 0 && (e = slowSymbol(dc, w)) < 0) return false;
        p += e >> 8;
        let sym = e & 255;
        if (sym > 11) return false;
        let diff = 0;
        if (sym !== 0) {
          diff = (dv.getUint32(p >>> 3) << (p & 7)) >>> (32 - sym);
          p += sym;
          if (diff < 1 << (sym - 1)) diff -= (1 << sym) - 1;
        }
        pred[s] = pred[s]! + diff;
        if (kind === Kind.DcFirst) {
          if (comp === 0) coef![by * gridW + bx] = pred[s]! * (1 << al);
          continue;
        }
        let k = 1;
        if (comp === 0) {
          const g = (by * gridW + bx) * per;
          const mean = pred[s]! * q0;
          grid[g] = mean;
          if (quad) {
            let m1 = mean;
            let m2 = mean;
            let m3 = mean;
            let m0 = mean;
            // The low AC values, one code at a time, while they can still reach a position that counts.
            while (k <= QUAD_TERMS) {
              w = dv.getUint32(p >>> 3) << (p & 7);
              e = acLook![w >>> (32 - LOOK)]!;
              if (e === 0 && (e = slowSymbol(ac, w)) < 0) return false;
              p += e >> 8;
              sym = e & 255;
              const size = sym & 15;
              if (size === 0) {
                if (sym === 0xf0) { k += 16; continue; }
                k = 64;
                break;
              }
              k += sym >> 4;
              if (k > 63) return false;
              let val = (dv.getUint32(p >>> 3) << (p & 7)) >>> (32 - size);
              p += size;
              if (val < 1 << (size - 1)) val -= (1 << size) - 1;
              if (k <= QUAD_TERMS) {
                const f = val * yq[k]!;
                m0 += f * QUAD_W[k * 4]!;
                m1 += f * QUAD_W[k * 4 + 1]!;
                m2 += f * QUAD_W[k * 4 + 2]!;
                m3 += f * QUAD_W[k * 4 + 3]!;
              }
              k++;
            }
            if (k > 64) return false;
            grid[g] = m0;
            grid[g + 1] = m1;
            grid[g + 2] = m2;
            grid[g + 3] = m3;
          }
        }
        // Everything else in the block is skipped, several codes per lookup where the block allows.
        while (k < 64) {
          w = dv.getUint32(p >>> 3) << (p & 7);
          const t = acSkip![w >>> (32 - SKIP)]!;
          if (k + ((t >> 5) & 127) <= 64) {
            p += t & 31;
            k = (k + ((t >> 5) & 127)) | ((t >> 6) & 64); // an EOB ends the block
            continue;
          }
          // One code the slow way: long codes, or a span that would run past the block's end.
          e = acLook![w >>> (32 - LOOK)]!;
          if (e === 0 && (e = slowSymbol(ac, w)) < 0) return false;
          sym = e & 255;
          p += (e >> 8) + (sym & 15);
          if ((sym & 15) === 0) {
            if (sym !== 0xf0) break;
            k += 16;
          } else k += (sym >> 4) + 1;
          if (k > 64) return false; // a run past the block's end: corrupt
        }
      }
    }
    if (p > end) return false; // read into the zeros past the data: it ended early
  }
  if (interval !== scan.restarts.length) return false;
  return p <= end && end - p < 8;
}

/**
 * The sequential walk compiled to WebAssembly (jpeg-walk.c, built by scripts/build-wasm.sh): a port of
 * decodeScan's sequential case, 1.5–3.5× faster (docs/notes/hashing.md). decodeScan stays the fallback
 * where WebAssembly cannot run, and the reference the port is tested against (jpeg-walk-wasm.test.ts).
 *
 * Memory from the module's heap base: the file's luma grid (it stays there for all the file's scans, and
 * the thumbnail is made from it in place: no copies in or out), then the unstuffed scan (with a zeroed
 * tail that reads past the end see, as the JavaScript walker's DataView does; corrupt data reads at most a
 * few KB further before the per-MCU check stops it, inside PAD), then the restart offsets.
 */
const PAD = 8192;

/** A Huffman table as its DHT defines it: the 16 code counts and the symbols. */
interface TableDef {
  counts: Uint8Array;
  values: Uint8Array;
}

class WasmWalker {
  private readonly memory: WebAssembly.Memory;
  private readonly heap: number;
  private readonly run: (...args: number[]) => number;
  private readonly toImage: (...args: number[]) => void;
  private readonly build: (slot: number, ac: number) => number;
  private readonly srcPtr: (i: number) => number;
  private readonly selPtr: number;
  private readonly yqPtr: number;
  /**
   * Which table each of the module's 8 slots holds, as its bytes (kind, counts, values): camera files repeat
   * the same tables, and a slot holding them already is not rebuilt.
   */
  private readonly loaded: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(8);
  private next = 0;
  private scanCap = 0;
  /** Where this file's scans go: after its grid. */
  private scanAt = 0;

  constructor(instance: WebAssembly.Instance) {
    const x = instance.exports as Record<string, unknown>;
    this.memory = x.memory as WebAssembly.Memory;
    this.heap = ((x.__heap_base as WebAssembly.Global).value as number + 7) & ~7;
    this.run = x.decode_sequential as (...args: number[]) => number;
    this.toImage = x.to_image as (...args: number[]) => void;
    this.build = x.build_table as (slot: number, ac: number) => number;
    this.srcPtr = x.table_src as (i: number) => number;
    this.selPtr = (x.sel_ptr as () => number)();
    this.yqPtr = (x.yq_ptr as () => number)();
    new Float64Array(this.memory.buffer, (x.quad_w_ptr as () => number)(), 256).set(QUAD_W);
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }

  /** Starts a file: its luma grid of `values` doubles, zeroed (as a new Float64Array is). */
  beginFile(values: number): void {
    this.scanAt = this.heap + values * 8;
    this.ensure(this.scanAt);
    new Float64Array(this.memory.buffer, this.heap, values).fill(0);
  }

  /** Where to unstuff a scan of up to `bytes` bytes (valid until the next call). */
  scanBuffer(bytes: number): Uint8Array {
    this.scanCap = (bytes + PAD + 7) & ~7;
    this.ensure(this.scanAt + this.scanCap);
    return new Uint8Array(this.memory.buffer, this.scanAt, this.scanCap);
  }

  /** toImage on the grid the scans filled, in the module. */
  image(gridW: number, width: number, height: number, scale: 4 | 8): Uint8Array {
    this.ensure(this.scanAt + width * height);
    this.toImage(this.heap, gridW, width, height, scale, this.scanAt);
    return new Uint8Array(this.memory.buffer, this.scanAt, width * height).slice();
  }

  /** The slot holding `def` built (jpeg-walk.c's build_table), loading it into one not `busy`; -1 when it cannot be built. */
  private slot(def: TableDef, ac: boolean, busy: Set<number>): number {
    const n = def.values.length;
    for (let i = 0; i < 8; i++) {
      const have = this.loaded[i];
      if (!have || have.length !== 17 + n || have[0] !== (ac ? 1 : 0)) continue;
      let same = true;
      for (let j = 0; j < 16 && same; j++) same = have[1 + j] === def.counts[j];
      for (let j = 0; j < n && same; j++) same = have[17 + j] === def.values[j];
      if (same) return i;
    }
    let i = this.next;
    while (busy.has(i)) i = (i + 1) & 7;
    this.next = (i + 1) & 7;
    const src = new Uint8Array(this.memory.buffer, this.srcPtr(i), 16 + 256);
    src.set(def.counts);
    src.set(def.values, 16);
    const key = new Uint8Array(17 + n);
    key[0] = ac ? 1 : 0;
    key.set(def.counts, 1);
    key.set(def.values, 17);
    if (this.build(i, ac ? 1 : 0) !== 1) {
      this.loaded[i] = undefined;
      return -1;
    }
    this.loaded[i] = key;
    return i;
  }

  /** decodeScan for a sequential scan, on the scan `scanBuffer` returned, into the grid `beginFile` made. */
  decode(scan: ScanData, frame: Frame, sel: { comp: number; dc: TableDef; ac: TableDef }[], restartInterval: number, yq: Float64Array, quad: boolean, gridW: number, gridH: number): boolean {
    const { single, mcusX, total } = mcuLayout(frame, sel);
    const busy = new Set<number>();
    const sels = new Int32Array(this.memory.buffer, this.selPtr, 20);
    for (const [s, { comp, dc, ac }] of sel.entries()) {
      const dcSlot = this.slot(dc, false, busy);
      if (dcSlot < 0) return false;
      busy.add(dcSlot);
      const acSlot = this.slot(ac, true, busy);
      if (acSlot < 0) return false;
      busy.add(acSlot);
      const c = frame.comps[comp]!;
      const bh = single ? 1 : c.h;
      sels.set([comp, bh, single ? 1 : bh * c.v, dcSlot, acSlot], s * 5);
    }
    new Float64Array(this.memory.buffer, this.yqPtr, 64).set(yq);
    const restartsAt = this.scanAt + this.scanCap;
    this.ensure(restartsAt + 4 * scan.restarts.length);
    new Int32Array(this.memory.buffer, restartsAt, scan.restarts.length).set(scan.restarts);
    return this.run(this.scanAt, scan.length, restartsAt, scan.restarts.length, restartInterval, mcusX, total, single ? 1 : 0, sel.length, this.heap, gridW, gridH, quad ? 1 : 0) === 1;
  }
}

const wasmWalker = lazyWasm(JPEG_WALK_WASM, (instance) => new WasmWalker(instance));
/** Turns the WebAssembly walker off (true: back on): for tests and benchmarks comparing the two. */
export function useWasmWalker(on: boolean): void {
  wasmWalker.allow(on);
}
/** Which walker reads sequential scans now. */
export function jpegWalker(): 'wasm' | 'js' {
  return wasmWalker.get() ? 'wasm' : 'js';
}

/** A code longer than LOOK bits at the top of `w`: (length << 8) | symbol, or -1 when none matches (corrupt data). */
function slowSymbol(h: Huffman, w: number): number {
  for (let len = LOOK + 1; len <= 16; len++) {
    const code = w >>> (32 - len);
    if (code <= h.maxcode[len]!) return (len << 8) | h.values[h.valptr[len]! + code - h.mincode[len]!]!;
  }
  return -1;
}

export interface JpegThumbnail extends GreyImage {
  /** 8: one pixel per 8x8 block; 4: one per 4x4 quadrant. */
  scale: 4 | 8;
}

/**
 * The luma thumbnail at `scale` (stored orientation, not EXIF-rotated), or undefined when the file is not
 * a plain baseline JPEG this reads, or anything about it is abnormal (the caller then decodes it properly).
 */
export function jpegThumbnail(file: Uint8Array, scale: 4 | 8): JpegThumbnail | undefined {
  const u16 = (o: number): number => (file[o]! << 8) | file[o + 1]!;
  if (file.length < 4 || file[0] !== 0xff || file[1] !== 0xd8) return undefined;
  const quant: (Float64Array | undefined)[] = [];
  // Tables as defined; built when a scan uses them (a progressive file defines one per AC scan, never read).
  const tables: ({ counts: Uint8Array; values: Uint8Array } | undefined)[] = [];
  const built = new Map<number, Huffman | undefined>();
  const table = (slot: number): Huffman | undefined => {
    const t = tables[slot];
    if (!t) return undefined;
    if (!built.has(slot)) built.set(slot, huffman(t.counts, t.values, slot >= 4));
    return built.get(slot);
  };
  let frame: Frame | undefined;
  let restartInterval = 0;
  /** The luma grid: in the WebAssembly walker's memory (sequential files where it runs), or here. */
  let grid: Float64Array | undefined;
  let walker: WasmWalker | undefined;
  let gridW = 0;
  let gridH = 0;
  let yWidth = 0;
  let yHeight = 0;
  let lumaScanned = false;
  let adobeRgb = false;
  let dcCoef = false;
  let coef: Int32Array | undefined;
  let yq: Float64Array | undefined;
  let o = 2;
  while (o + 4 <= file.length) {
    if (file[o] !== 0xff) return undefined;
    const marker = file[o + 1]!;
    if (marker === 0xff) { o++; continue; }
    if (marker === 0xd9) break;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { o += 2; continue; }
    const len = u16(o + 2);
    const seg = o + 4;
    const segEnd = o + 2 + len;
    if (len < 2 || segEnd > file.length) return undefined;
    if (marker === 0xdb) {
      for (let p = seg; p < segEnd;) {
        const pq = file[p]! >> 4;
        const id = file[p]! & 15;
        const n = pq ? 128 : 64;
        if (id > 3 || p + 1 + n > segEnd) return undefined;
        const q = new Float64Array(64);
        for (let z = 0; z < 64; z++) q[z] = pq ? u16(p + 1 + 2 * z) : file[p + 1 + z]!;
        quant[id] = q;
        p += 1 + n;
      }
    } else if (marker === 0xc4) {
      for (let p = seg; p < segEnd;) {
        const tc = file[p]! >> 4;
        const id = file[p]! & 15;
        if (tc > 1 || id > 3 || p + 17 > segEnd) return undefined;
        const counts = file.subarray(p + 1, p + 17);
        let n = 0;
        for (let i = 0; i < 16; i++) n += counts[i]!;
        if (n > 256 || p + 17 + n > segEnd) return undefined;
        // What libjpeg's jpeg_make_d_derived_tbl refuses ("Bogus Huffman table definition") goes to the
        // decoder, checked here when defined: a progressive file's AC tables are never built by this walker.
        if (!libjpegAcceptsTable(counts, file.subarray(p + 17, p + 17 + n), tc === 0)) return undefined;
        // Copies: built tables are cached across files, and the caller may reuse this buffer (a Node
        // Buffer's slice() is a view, hence the Uint8Array constructor).
        tables[tc * 4 + id] = { counts: new Uint8Array(file.subarray(p + 1, p + 17)), values: new Uint8Array(file.subarray(p + 17, p + 17 + n)) };
        built.delete(tc * 4 + id);
        p += 17 + n;
      }
    } else if (!KNOWN_MARKER[marker]) {
      return undefined; // libjpeg stops with "Unsupported marker type"
    } else if (marker === 0xdd) {
      if (len !== 4) return undefined;
      restartInterval = u16(seg);
    } else if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      if (frame || file[seg] !== 8) return undefined;
      // Progressive: the DC scans come whole and first-class, so the 1/8 thumbnail costs a fraction of
      // the file; quadrant means would need the AC scans.
      if (marker === 0xc2) {
        if (scale !== 8) return undefined;
        dcCoef = true;
      }
      const height = u16(seg + 1);
      const width = u16(seg + 3);
      const n = file[seg + 5]!;
      if (width === 0 || height === 0 || width > 65500 || height > 65500 || (n !== 1 && n !== 3) || len !== 8 + 3 * n) return undefined;
      const comps: Component[] = [];
      for (let i = 0; i < n; i++) {
        const b = seg + 6 + 3 * i;
        const c = { id: file[b]!, h: file[b + 1]! >> 4, v: file[b + 1]! & 15, tq: file[b + 2]! };
        if (c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3) return undefined;
        comps.push(c);
      }
      // Components named R, G, B hold RGB, not YCbCr: the first one is not luma.
      if (n === 3 && comps[0]!.id === 0x52 && comps[1]!.id === 0x47) return undefined;
      if (new Set(comps.map((c) => c.id)).size !== n) return undefined;
      frame = { width, height, comps, hmax: Math.max(...comps.map((c) => c.h)), vmax: Math.max(...comps.map((c) => c.v)) };
      // libjpeg's upsampling only handles whole ratios ("Fractional sampling not implemented yet").
      if (comps.some((c) => frame!.hmax % c.h !== 0 || frame!.vmax % c.v !== 0)) return undefined;
      const y = comps[0]!;
      // Luma must be stored at full resolution for its blocks to be cells of the image.
      if (y.h !== frame.hmax || y.v !== frame.vmax) return undefined;
      yWidth = Math.ceil((width * y.h) / frame.hmax);
      yHeight = Math.ceil((height * y.v) / frame.vmax);
      gridW = Math.ceil(width / (8 * frame.hmax)) * (n === 1 ? 1 : y.h);
      gridH = Math.ceil(height / (8 * frame.vmax)) * (n === 1 ? 1 : y.v);
      gridW = Math.max(gridW, Math.ceil(yWidth / 8));
      gridH = Math.max(gridH, Math.ceil(yHeight / 8));
      const values = gridW * gridH * (scale === 4 ? 4 : 1);
      walker = dcCoef ? undefined : wasmWalker.get();
      if (walker) walker.beginFile(values);
      else grid = new Float64Array(values);
      if (dcCoef) coef = new Int32Array(gridW * gridH);
    } else if (marker >= 0xc3 && marker <= 0xcf && marker !== 0xc4) {
      return undefined; // lossless, arithmetic (and their DAC tables), JPG: left to libvips
    } else if (marker === 0xee && len >= 14 && file[seg] === 0x41 && file[seg + 1] === 0x64 && file[seg + 11] === 0) {
      adobeRgb = true; // Adobe APP14 with transform 0: three components hold RGB
    } else if (marker === 0xda) {
      if (!frame || !(grid || walker)) return undefined;
      if (adobeRgb && frame.comps.length === 3) return undefined;
      const ns = file[seg]!;
      if (ns < 1 || ns > 4 || len !== 6 + 2 * ns) return undefined;
      // What libjpeg checks of every scan, the ones stepped over unread included: known, distinct components,
      // each with its quantisation table, at most 10 blocks per MCU, valid progression parameters.
      const ids = Array.from({ length: ns }, (_v, i) => file[seg + 1 + 2 * i]!);
      const scanComps = ids.map((id) => frame!.comps.find((c) => c.id === id));
      if (new Set(ids).size !== ns || scanComps.some((c) => !c || !quant[c.tq])) return undefined;
      if (ns > 1 && scanComps.reduce((sum, c) => sum + c!.h * c!.v, 0) > 10) return undefined;
      const ss = file[seg + 1 + 2 * ns]!;
      const se = file[seg + 2 + 2 * ns]!;
      const ah = file[seg + 3 + 2 * ns]! >> 4;
      const al = file[seg + 3 + 2 * ns]! & 15;
      if (coef && ss > 0) {
        // An AC scan of a progressive file: not needed for block means, skipped without decoding.
        if (ss > se || se > 63 || ns !== 1 || al > 13 || (ah !== 0 && al !== ah - 1)) return undefined;
        const acTable = file[seg + 2]! & 15;
        if (acTable > 3 || !tables[4 + acTable]) return undefined;
        const next = skipEntropy(file, segEnd);
        if (next === undefined) return undefined;
        o = next;
        continue;
      }
      const sel: { comp: number; dc: Huffman | undefined; ac: Huffman | undefined }[] = [];
      // The WebAssembly walker builds its tables itself, from their definitions.
      const wasmSel: { comp: number; dc: TableDef; ac: TableDef }[] = [];
      for (let i = 0; i < ns; i++) {
        const id = file[seg + 1 + 2 * i]!;
        const t = file[seg + 2 + 2 * i]!;
        const comp = frame.comps.findIndex((c) => c.id === id);
        if ((t >> 4) > 3 || (t & 15) > 3) return undefined;
        if (walker) {
          const dc = tables[t >> 4];
          const ac = tables[4 + (t & 15)];
          if (comp < 0 || !dc || !ac) return undefined;
          wasmSel.push({ comp, dc, ac });
          continue;
        }
        // A refinement scan reads raw bits: no table needed. A sequential scan needs both.
        const dc = coef && ah > 0 ? undefined : table(t >> 4);
        const ac = coef ? undefined : table(4 + (t & 15));
        if (comp < 0 || (!dc && !(coef && ah > 0)) || (!coef && !ac)) return undefined;
        sel.push({ comp, dc, ac });
      }
      if (coef ? se !== 0 || al > 13 || (ah !== 0 && ah !== al + 1) : ss !== 0 || se !== 63 || ah !== 0 || al !== 0) return undefined;
      const q = quant[frame.comps[0]!.tq];
      if (!q) return undefined;
      yq ??= q;
      const kind = !coef ? Kind.Sequential : ah > 0 ? Kind.DcRefine : Kind.DcFirst;
      const need = file.length - segEnd + 16;
      const scan = unstuff(file, segEnd, walker ? walker.scanBuffer(need) : jsScratch(need));
      if (!scan) return undefined;
      try {
        const ok = walker ? walker.decode(scan, frame, wasmSel, restartInterval, q, scale === 4, gridW, gridH) : decodeScan(scan, frame, sel, restartInterval, kind, al, q, scale === 4, { grid: grid!, coef, gridW, gridH });
        if (!ok) return undefined;
      } catch (e) {
        // Corrupt data sent a read past the buffer (the WebAssembly walker cannot: it fails the MCU instead).
        if (e instanceof RangeError || (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError)) return undefined;
        throw e;
      }
      if ((walker ? wasmSel : sel).some((s) => s.comp === 0) && !(coef && ah > 0)) lumaScanned = true;
      o = scan.next;
      continue;
    }
    o = segEnd;
  }
  if (!frame || !(grid || walker) || !lumaScanned || o + 2 > file.length || file[o + 1] !== 0xd9) return undefined;
  const width = Math.ceil(yWidth / scale);
  const height = Math.ceil(yHeight / scale);
  const image = (data: Uint8Array): JpegThumbnail => ({ data, width, height, scale, cell: scale, fullWidth: frame!.width, fullHeight: frame!.height });
  if (walker) return image(walker.image(gridW, width, height, scale));
  if (coef) for (let i = 0; i < coef.length; i++) grid![i] = (coef[i]! * yq![0]!) / 8;
  return image(toImage(grid!, gridW, width, height, scale));
}

/** The thumbnail's pixels from the grid of block means (or quadrant means): to_image in jpeg-walk.c does the same. */
function toImage(grid: Float64Array, gridW: number, width: number, height: number, scale: 4 | 8): Uint8Array {
  const data = new Uint8Array(width * height);
  // Uint8Array stores truncate: +0.5 rounds. One loop per scale (a per-pixel choice of index cost ≈ 5 % of
  // a small photo's measuring time).
  if (scale === 8) {
    for (let y = 0; y < height; y++) {
      const row = y * gridW;
      const o = y * width;
      for (let x = 0; x < width; x++) {
        const v = grid[row + x]! + 128.5;
        data[o + x] = v <= 0 ? 0 : v >= 255 ? 255 : v;
      }
    }
  } else {
    // Quadrants are stored per block: top-left, top-right, bottom-left, bottom-right.
    for (let y = 0; y < height; y++) {
      const row = (y >> 1) * gridW * 4 + (y & 1) * 2;
      const o = y * width;
      for (let x = 0; x < width; x++) {
        const v = grid[row + ((x >> 1) << 2) + (x & 1)]! + 128.5;
        data[o + x] = v <= 0 ? 0 : v >= 255 ? 255 : v;
      }
    }
  }
  return data;
}
