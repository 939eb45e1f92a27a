import type { GreyImage } from './perceptual-hash.js';

/**
 * A finer look at two images the hash index put close together: are they the same photo, re-cropped,
 * resized or re-encoded? pHash and dHash are computed on the whole frame, so cutting a few % of rows moves
 * dHash past its radius while the picture is the same. Here the small grey thumbnail of one image is
 * matched against crops of the other's (scales and offsets along each axis), and the best normalised
 * cross-correlation decides. Different photos of one subject do not line up pixel for pixel; a re-crop does.
 */

/** Side of the stored fingerprint thumbnail (bytes per image: SIDE²). */
export const FINGERPRINT_SIDE = 48;
/** Side of the coarse copy the alignment is searched on (2×2 box means of the fingerprint). */
const COARSE = FINGERPRINT_SIDE / 2;

/** The thumbnail validate keeps for this comparison: SIDE×SIDE grey box means of the whole frame, base64. */
export function fingerprintOf(grey: GreyImage): string {
  const S = FINGERPRINT_SIDE;
  const { data, width: w, height: h } = grey;
  const out = new Uint8Array(S * S);
  // Each box's columns, the same for every row of boxes.
  const xa = new Int32Array(S);
  const xb = new Int32Array(S);
  for (let x = 0; x < S; x++) {
    xa[x] = Math.floor((x * w) / S);
    xb[x] = Math.max(xa[x]! + 1, Math.floor(((x + 1) * w) / S));
  }
  for (let y = 0; y < S; y++) {
    const y0 = Math.floor((y * h) / S);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * h) / S));
    for (let x = 0; x < S; x++) {
      const x0 = xa[x]!;
      const x1 = xb[x]!;
      let sum = 0;
      for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += data[yy * w + xx]!;
      out[y * S + x] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
    }
  }
  return Buffer.from(out).toString('base64');
}

export function decodeFingerprint(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** Crops tried along each axis: the share of the other image's side kept, and where that window starts. */
const SCALES = [1, 0.97, 0.94, 0.91, 0.88];
/** Offsets also reach a little outside the frame: a small shift or rotation moves content past the edge. */
const SLACK = 0.03;
const OFFSET_STEP = 0.03;

interface Window {
  scale: number;
  offset: number;
}

function windows(): Window[] {
  const out: Window[] = [];
  for (const scale of SCALES) {
    for (let o = -SLACK; o <= 1 - scale + SLACK + 1e-9; o += OFFSET_STEP) out.push({ scale, offset: o });
  }
  return out;
}
const WINDOWS = windows();

/** Linear interpolation weights for sampling a window of a SIDE-long axis at SIDE points. */
function taps(win: Window, S: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const i0 = new Int32Array(S);
  const i1 = new Int32Array(S);
  const f = new Float32Array(S);
  for (let k = 0; k < S; k++) {
    // Pixel centres: k+0.5 of S in the window, mapped into the source's pixel coordinates.
    const p = (win.offset + (win.scale * (k + 0.5)) / S) * S - 0.5;
    const c = Math.min(S - 1, Math.max(0, p));
    const lo = Math.min(S - 2, Math.floor(c));
    i0[k] = lo;
    i1[k] = lo + 1;
    f[k] = c - lo;
  }
  return { i0, i1, f };
}
const TAPS = WINDOWS.map((w) => taps(w, COARSE));

/** Grey-level variance below which a thumbnail counts as flat (a blank wall, a white backdrop). */
const FLAT_VARIANCE = 4;

/** Zero-mean, unit-norm copy (the correlation of two such vectors is their dot product); undefined if flat. */
function normalised(v: Float32Array): Float32Array | undefined {
  let mean = 0;
  for (let i = 0; i < v.length; i++) mean += v[i]!;
  mean /= v.length;
  let ss = 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const d = v[i]! - mean;
    out[i] = d;
    ss += d * d;
  }
  // A nearly flat thumbnail (a blank wall, a white backdrop) correlates with anything: no evidence.
  if (ss / v.length < FLAT_VARIANCE) return undefined;
  const inv = 1 / Math.sqrt(ss);
  for (let i = 0; i < out.length; i++) out[i]! *= inv;
  return out;
}

/** 2×2 box means: the coarse copy the alignment is searched on. */
function coarse(fp: Uint8Array): Float32Array {
  const S = FINGERPRINT_SIDE;
  const out = new Float32Array(COARSE * COARSE);
  for (let y = 0; y < COARSE; y++) {
    for (let x = 0; x < COARSE; x++) {
      const i = 2 * y * S + 2 * x;
      out[y * COARSE + x] = (fp[i]! + fp[i + 1]! + fp[i + S]! + fp[i + S + 1]!) / 4;
    }
  }
  return out;
}

interface Alignment {
  correlation: number;
  x: number;
  y: number;
}

/** The window of `source` (coarse) that best matches `target` (coarse, normalised), and its correlation. */
function bestWindow(source: Float32Array, target: Float32Array): Alignment {
  const S = COARSE;
  // Horizontal pass per x-window, vertical pass per y-window: separable, so the work is |W|·S² per pair of windows.
  const rowsResampled = TAPS.map(({ i0, i1, f }) => {
    const out = new Float32Array(S * S);
    for (let y = 0; y < S; y++) {
      const r = y * S;
      for (let x = 0; x < S; x++) out[r + x] = source[r + i0[x]!]! * (1 - f[x]!) + source[r + i1[x]!]! * f[x]!;
    }
    return out;
  });
  let best: Alignment = { correlation: -1, x: 0, y: 0 };
  const n = S * S;
  for (let wx = 0; wx < rowsResampled.length; wx++) {
    const h = rowsResampled[wx]!;
    for (let wy = 0; wy < TAPS.length; wy++) {
      const { i0, i1, f } = TAPS[wy]!;
      // The target is zero-mean and unit-norm, so the correlation is dot(window, t) / |window - mean|.
      let sum = 0;
      let sumSq = 0;
      let dot = 0;
      for (let y = 0; y < S; y++) {
        const a = i0[y]! * S;
        const b = i1[y]! * S;
        const w = f[y]!;
        const r = y * S;
        for (let x = 0; x < S; x++) {
          const v = h[a + x]! * (1 - w) + h[b + x]! * w;
          sum += v;
          sumSq += v * v;
          dot += v * target[r + x]!;
        }
      }
      const ss = sumSq - (sum * sum) / n;
      if (ss / n < FLAT_VARIANCE) continue;
      dot /= Math.sqrt(ss);
      if (dot > best.correlation) best = { correlation: dot, x: wx, y: wy };
    }
  }
  return best;
}

/** The fingerprint's detail: each pixel minus the mean of its 5×5 neighbourhood (edges, texture, print). */
function detail(img: Float32Array, S: number): Float32Array {
  const out = new Float32Array(S * S);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      let sum = 0;
      let n = 0;
      for (let dy = -2; dy <= 2; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= S) continue;
        for (let dx = -2; dx <= 2; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= S) continue;
          sum += img[yy * S + xx]!;
          n++;
        }
      }
      out[y * S + x] = img[y * S + x]! - sum / n;
    }
  }
  return out;
}

/** `source` resampled through window (wx, wy) at full fingerprint resolution. */
function resampled(source: Uint8Array, wx: Window, wy: Window): Float32Array {
  const S = FINGERPRINT_SIDE;
  const tx = taps(wx, S);
  const ty = taps(wy, S);
  const out = new Float32Array(S * S);
  for (let y = 0; y < S; y++) {
    const a = ty.i0[y]! * S;
    const b = ty.i1[y]! * S;
    const w = ty.f[y]!;
    for (let x = 0; x < S; x++) {
      const top = source[a + tx.i0[x]!]! * (1 - tx.f[x]!) + source[a + tx.i1[x]!]! * tx.f[x]!;
      const bottom = source[b + tx.i0[x]!]! * (1 - tx.f[x]!) + source[b + tx.i1[x]!]! * tx.f[x]!;
      out[y * S + x] = top * (1 - w) + bottom * w;
    }
  }
  return out;
}

function correlation(a: Float32Array, b: Float32Array): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= a.length;
  mb /= b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/** Detail correlation at an alignment, refined by half a step each way (finer than the coarse search). */
function detailAt(source: Uint8Array, targetDetail: Float32Array, at: Alignment): number {
  let best = -1;
  const wx = WINDOWS[at.x]!;
  const wy = WINDOWS[at.y]!;
  const half = OFFSET_STEP / 2;
  for (const dx of [-half, 0, half]) {
    for (const dy of [-half, 0, half]) {
      const c = correlation(detail(resampled(source, { scale: wx.scale, offset: wx.offset + dx }, { scale: wy.scale, offset: wy.offset + dy }), FINGERPRINT_SIDE), targetDetail);
      if (c > best) best = c;
    }
  }
  return best;
}

export interface Match {
  /** Best correlation of the coarse thumbnails over crops and shifts: the picture's layout lines up. */
  layout: number;
  /** Correlation of the fine detail at that alignment: the same photo, not the same pose of a like subject. */
  detail: number;
}

/**
 * How well two fingerprints line up when either may be a crop (up to 12 % per axis, at any position) or a
 * small shift of the other. Undefined when either thumbnail is too flat to tell (the hashes alone decide).
 * Two product shots of like garments on one backdrop share their layout (0.98 on the clothing set) but not
 * their detail; a re-crop shares both (bench/neardup-recrop.ts, docs/notes/hashing.md).
 */
export function matchFingerprints(a: Uint8Array, b: Uint8Array): Match | undefined {
  const ca = coarse(a);
  const cb = coarse(b);
  const na = normalised(ca);
  const nb = normalised(cb);
  if (!na || !nb) return undefined;
  // Either image may be the crop of the other: search windows of each in turn.
  const ab = bestWindow(ca, nb);
  const ba = bestWindow(cb, na);
  const S = FINGERPRINT_SIDE;
  if (ab.correlation >= ba.correlation) {
    return { layout: ab.correlation, detail: detailAt(a, detail(Float32Array.from(b), S), ab) };
  }
  return { layout: ba.correlation, detail: detailAt(b, detail(Float32Array.from(a), S), ba) };
}

/** Thresholds on both correlations for calling two images the same photo. */
export interface MatchRule {
  minLayout: number;
  minDetail: number;
}

export function isSamePhoto(a: Uint8Array, b: Uint8Array, rule: MatchRule): boolean {
  const m = matchFingerprints(a, b);
  return m !== undefined && m.layout >= rule.minLayout && m.detail >= rule.minDetail;
}
