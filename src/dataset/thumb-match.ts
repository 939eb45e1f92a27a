import type { GreyImage } from './perceptual-hash.js';

/**
 * A finer look at two images the hash index put close together: are they the same photo, re-cropped,
 * resized or re-encoded? pHash and dHash are computed on the whole frame, so cutting a few % of rows moves
 * dHash past its radius while the picture is the same. Here the small grey thumbnail of one image is
 * matched against crops of the other's (scales and offsets along each axis), and the best normalised
 * cross-correlation decides. Different photos of one subject do not line up pixel for pixel; a re-crop does.
 */

/** Side of the stored fingerprint thumbnail (bytes per image: SIDE²). */
export const FINGERPRINT_SIDE = 32;

/** The thumbnail validate keeps for this comparison: SIDE×SIDE grey box means of the whole frame, base64. */
export function fingerprintOf(grey: GreyImage): string {
  const S = FINGERPRINT_SIDE;
  const { data, width: w, height: h } = grey;
  const out = new Uint8Array(S * S);
  for (let y = 0; y < S; y++) {
    const y0 = Math.floor((y * h) / S);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * h) / S));
    for (let x = 0; x < S; x++) {
      const x0 = Math.floor((x * w) / S);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * w) / S));
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
const OFFSET_STEP = 0.015;

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
function taps(win: Window): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const S = FINGERPRINT_SIDE;
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
const TAPS = WINDOWS.map(taps);

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

/** Best correlation of `target` with any window (crop) of `source`. */
function bestOverWindows(source: Uint8Array, target: Float32Array): number {
  const S = FINGERPRINT_SIDE;
  // Horizontal pass per x-window, vertical pass per y-window: separable, so the work is |W|·S² per pair of windows.
  const rowsResampled = TAPS.map(({ i0, i1, f }) => {
    const out = new Float32Array(S * S);
    for (let y = 0; y < S; y++) {
      const r = y * S;
      for (let x = 0; x < S; x++) out[r + x] = source[r + i0[x]!]! * (1 - f[x]!) + source[r + i1[x]!]! * f[x]!;
    }
    return out;
  });
  let best = -1;
  const n = S * S;
  for (const h of rowsResampled) {
    for (const { i0, i1, f } of TAPS) {
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
      if (dot > best) best = dot;
    }
  }
  return best;
}

/**
 * How well two fingerprints line up when either may be a crop (up to 12 % per axis, at any position) or a
 * small shift of the other: the best normalised cross-correlation, -1..1. Undefined when either thumbnail is
 * too flat to tell (then the hashes alone decide).
 */
export function alignedCorrelation(a: Uint8Array, b: Uint8Array): number | undefined {
  const na = normalised(Float32Array.from(a));
  const nb = normalised(Float32Array.from(b));
  if (!na || !nb) return undefined;
  return Math.max(bestOverWindows(a, nb), bestOverWindows(b, na));
}
