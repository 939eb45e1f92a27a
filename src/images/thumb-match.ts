import type { GreyImage } from './perceptual-hash.js';

/**
 * A finer look at two images the hash index put close together: are they the same photo, re-cropped,
 * resized, re-encoded or turned by a few degrees? pHash and dHash are computed on the whole frame, so
 * cutting a few % of rows moves dHash past its radius while the picture is the same. Here the small grey
 * thumbnail of one image is matched against crops of the other's, and the match must hold the way a copy
 * holds, not only the way two pictures of one subject can:
 *   - geometry: the crop's shares of width and height must give the other image's aspect ratio (a crop
 *     keeping shares sx, sy of a W×H photo is sx·W × sy·H, at any later size), at one of a few small angles;
 *   - layout: the coarse thumbnails correlate at that alignment;
 *   - detail (each pixel minus its local mean): correlates overall AND in most parts of the frame that have
 *     any, so one shared outline (a lone circle on a smooth backdrop) cannot carry the decision;
 *   - tone: the grey levels agree (a copy keeps them; two drawings of one shape rarely do).
 * Measured in bench/neardup-recrop.ts, written down in docs/notes/hashing.md.
 */

/** Side of the stored fingerprint thumbnail (bytes per image: SIDE², plus 4 for the aspect ratio). */
export const FINGERPRINT_SIDE = 48;
/** Side of the coarse copy the alignment is searched on (2×2 box means of the fingerprint). */
const COARSE = FINGERPRINT_SIDE / 2;

/** A fingerprint: SIDE×SIDE grey box means of the upright frame, and the frame's width / height. */
export interface Fingerprint {
  pixels: Uint8Array;
  /** Width / height of the upright image (from its header, so exact); undefined in old cache entries. */
  aspect?: number;
}

/** The thumbnail validate keeps for this comparison, base64: SIDE² grey box means, then the aspect (float32). */
export function fingerprintOf(grey: GreyImage, aspect: number): string {
  const S = FINGERPRINT_SIDE;
  const { data, width: w, height: h } = grey;
  const out = Buffer.alloc(S * S + 4);
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
  out.writeFloatLE(aspect, S * S);
  return out.toString('base64');
}

export function decodeFingerprint(b64: string): Fingerprint {
  const buf = Buffer.from(b64, 'base64');
  const n = FINGERPRINT_SIDE * FINGERPRINT_SIDE;
  const pixels = new Uint8Array(buf.subarray(0, n));
  const aspect = buf.length >= n + 4 ? buf.readFloatLE(n) : undefined;
  return aspect !== undefined && Number.isFinite(aspect) && aspect > 0 ? { pixels, aspect } : { pixels };
}

/** Shares of the other image's height kept by the crops tried (the width's share follows from the aspects). */
const SCALES = [1, 0.97, 0.94, 0.91, 0.88];
/** A width share outside [MIN_SHARE, MAX_SHARE] is no crop: the aspects are too far apart. */
const MIN_SHARE = 0.87;
const MAX_SHARE = 1.02;
/** Offsets also reach a little outside the frame: a small shift or rotation moves content past the edge. */
const SLACK = 0.03;
const OFFSET_STEP = 0.03;
/** Angles (degrees) the target is turned by before the crop search: a copy straightened or tilted a little. */
const ANGLES = [0, -1, 1, -2, 2];

interface Window {
  scale: number;
  offset: number;
}

function offsets(scale: number): Window[] {
  const out: Window[] = [];
  for (let o = -SLACK; o <= 1 - scale + SLACK + 1e-9; o += OFFSET_STEP) out.push({ scale, offset: o });
  return out;
}

interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  f: Float32Array;
}

/** Linear interpolation weights for sampling a window of an S-long axis at S points. */
function taps(win: Window, S: number): Taps {
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

/** Grey-level variance below which a thumbnail counts as flat (a blank wall, a white backdrop). */
const FLAT_VARIANCE = 4;

/** An image turned by a small angle: pixels, and which of them came from inside the original frame. */
interface View {
  img: Float32Array;
  mask: Uint8Array;
  valid: number;
}

/**
 * `img` (S×S samples of a frame whose width / height is `aspect`) turned by `deg` about its centre, in
 * the frame's true proportions. Pixels that come from outside the frame are masked out; `inside`, when
 * given, is that mask already known (frameAt: it depends on the aspect and angle only).
 */
function turned(img: Float32Array, S: number, aspect: number, deg: number, inside?: Uint8Array): View {
  const out = new Float32Array(S * S);
  const mask = inside ?? new Uint8Array(S * S);
  const c = Math.cos((deg * Math.PI) / 180);
  const s = Math.sin((deg * Math.PI) / 180);
  let valid = 0;
  for (let y = 0; y < S; y++) {
    const v = (y + 0.5) / S - 0.5;
    for (let x = 0; x < S; x++) {
      if (inside && !inside[y * S + x]) continue;
      const X = ((x + 0.5) / S - 0.5) * aspect;
      const u2 = (c * X + s * v) / aspect;
      const v2 = -s * X + c * v;
      const px = (u2 + 0.5) * S - 0.5;
      const py = (v2 + 0.5) * S - 0.5;
      if (px < -0.5 || py < -0.5 || px > S - 0.5 || py > S - 0.5) continue;
      const cx = Math.min(S - 1, Math.max(0, px));
      const cy = Math.min(S - 1, Math.max(0, py));
      const x0 = Math.min(S - 2, Math.floor(cx));
      const y0 = Math.min(S - 2, Math.floor(cy));
      const fx = cx - x0;
      const fy = cy - y0;
      const i = y0 * S + x0;
      out[y * S + x] = (img[i]! * (1 - fx) + img[i + 1]! * fx) * (1 - fy) + (img[i + S]! * (1 - fx) + img[i + S + 1]! * fx) * fy;
      mask[y * S + x] = 1;
      valid++;
    }
  }
  return { img: out, mask, valid };
}

/** Every pixel inside: the unturned frame. */
const WHOLE = new Uint8Array(FINGERPRINT_SIDE * FINGERPRINT_SIDE).fill(1);

/**
 * What a turn does to a frame, whatever is in it: which pixels stay inside, the coarse rows' valid spans
 * for the search, and the pixels the fine comparison uses. Depends on the aspect and angle only, so it is
 * built once per (aspect, angle) and shared by every pair (a set has few distinct aspects).
 */
interface Frame {
  mask: Uint8Array;
  spans: { from: Int32Array; to: Int32Array; mask?: Uint8Array };
  use: Uint8Array;
  n: number;
}

const frames = new Map<string, Frame>();

/**
 * Turned views of the images compared last: validate meets one image in several consecutive candidate pairs
 * (the index lists each image's neighbours together), and turning it is a tenth of a pair's work.
 */
const recentTurns = new Map<Fingerprint, Map<number, View>>();
const RECENT_IMAGES = 64;

function turnedOf(fp: Fingerprint, img: Float32Array, angle: number, frame: Frame): View {
  let views = recentTurns.get(fp);
  if (views) {
    recentTurns.delete(fp);
  } else {
    views = new Map();
    if (recentTurns.size >= RECENT_IMAGES) recentTurns.delete(recentTurns.keys().next().value!);
  }
  recentTurns.set(fp, views);
  let v = views.get(angle);
  if (!v) {
    v = turned(img, FINGERPRINT_SIDE, fp.aspect!, angle, frame.mask);
    views.set(angle, v);
  }
  return v;
}

function frameAt(aspect: number, angle: number): Frame {
  const key = angle === 0 ? '0' : `${aspect} ${angle}`;
  let f = frames.get(key);
  if (f) return f;
  const S = FINGERPRINT_SIDE;
  const mask = angle === 0 ? WHOLE : turned(new Float32Array(S * S), S, aspect, angle).mask;
  const c = coarse({ img: new Float32Array(S * S), mask, valid: 0 }).mask;
  const spans = rowSpans(c, COARSE) ?? { from: new Int32Array(COARSE), to: new Int32Array(COARSE).fill(COARSE), mask: c };
  f = { mask, spans, ...interior(mask) };
  // Bounded: a set with many distinct aspects must not grow this without end.
  if (frames.size > 4096) frames.clear();
  frames.set(key, f);
  return f;
}

/** 2×2 box means; a coarse pixel is valid when all four of its fine pixels are. */
function coarse(v: View): View {
  const S = FINGERPRINT_SIDE;
  const img = new Float32Array(COARSE * COARSE);
  const mask = new Uint8Array(COARSE * COARSE);
  let valid = 0;
  for (let y = 0; y < COARSE; y++) {
    for (let x = 0; x < COARSE; x++) {
      const i = 2 * y * S + 2 * x;
      img[y * COARSE + x] = (v.img[i]! + v.img[i + 1]! + v.img[i + S]! + v.img[i + S + 1]!) / 4;
      if (v.mask[i] && v.mask[i + 1] && v.mask[i + S] && v.mask[i + S + 1]) {
        mask[y * COARSE + x] = 1;
        valid++;
      }
    }
  }
  return { img, mask, valid };
}

/** Zero-mean, unit-norm over the valid pixels, 0 elsewhere; undefined if flat (no evidence either way). */
function normalised(v: View): Float32Array | undefined {
  let mean = 0;
  for (let i = 0; i < v.img.length; i++) if (v.mask[i]) mean += v.img[i]!;
  mean /= v.valid;
  let ss = 0;
  const out = new Float32Array(v.img.length);
  for (let i = 0; i < v.img.length; i++) {
    if (!v.mask[i]) continue;
    const d = v.img[i]! - mean;
    out[i] = d;
    ss += d * d;
  }
  // A nearly flat thumbnail (a blank wall, a white backdrop) correlates with anything: no evidence.
  if (ss / v.valid < FLAT_VARIANCE) return undefined;
  const inv = 1 / Math.sqrt(ss);
  for (let i = 0; i < out.length; i++) out[i]! *= inv;
  return out;
}

/** Where one image sits in the other: the window of the source, and the angle the target was turned by. */
export interface Alignment {
  /** Which image was cropped: the other is the target, matched against the window of this one. */
  source: 'a' | 'b';
  angle: number;
  x: Window;
  y: Window;
  /** Coarse correlation at this alignment. */
  layout: number;
}

/** A search window along one axis with its interpolation taps at coarse resolution. */
interface TappedWindow {
  w: Window;
  t: Taps;
}

/** Height windows per scale (fixed by SCALES): built once, shared by every pair. */
const Y_WINDOWS: TappedWindow[][] = SCALES.map((sy) => offsets(sy).map((w) => ({ w, t: taps(w, COARSE) })));

/** A width window with the source's rows resampled through it (the same at every angle: built once per pair). */
interface Column {
  w: Window;
  h: Float32Array;
}

/**
 * The crops of `source` (coarse) tried against a target whose aspect is `ratio` times the source's: per
 * height scale, its width windows with the source resampled through each. The window's width share is its
 * height share times `ratio`: a crop.
 */
function columnsOf(source: Float32Array, ratio: number): Array<Column[] | undefined> {
  const S = COARSE;
  return SCALES.map((sy) => {
    const sx = sy * ratio;
    if (sx < MIN_SHARE || sx > MAX_SHARE) return undefined;
    return offsets(Math.min(1, sx)).map((o) => {
      const w = { scale: sx, offset: o.offset };
      const { i0, i1, f } = taps(w, S);
      const h = new Float32Array(S * S);
      for (let y = 0; y < S; y++) {
        const r = y * S;
        for (let x = 0; x < S; x++) h[r + x] = source[r + i0[x]!]! * (1 - f[x]!) + source[r + i1[x]!]! * f[x]!;
      }
      return { w, h };
    });
  });
}

/** A coarse target ready for the search: normalised pixels, and each row's valid span [from, to). */
interface CoarseTarget {
  n: Float32Array;
  valid: number;
  from: Int32Array;
  to: Int32Array;
  /** Set only when some row's valid pixels are not contiguous: then each pixel is checked. */
  mask?: Uint8Array;
}

/**
 * The span of valid pixels per row; undefined when a row's valid pixels are not contiguous (never for a
 * turned frame, which is convex; kept as a guard so the sums below always see the pixels in the same order).
 */
function rowSpans(mask: Uint8Array, S: number): { from: Int32Array; to: Int32Array } | undefined {
  const from = new Int32Array(S);
  const to = new Int32Array(S);
  for (let y = 0; y < S; y++) {
    let x = 0;
    while (x < S && !mask[y * S + x]) x++;
    from[y] = x;
    while (x < S && mask[y * S + x]) x++;
    to[y] = x;
    for (let k = x; k < S; k++) if (mask[y * S + k]) return undefined;
  }
  return { from, to };
}

/** Most windows one direction searches: SCALES × up to 7 width offsets × up to 7 height offsets. */
const MAX_WINDOWS = SCALES.length * 7 * 7;

/**
 * Every window's resampled pixels, per direction, kept from the unturned search for the turned ones: a window
 * of the source is the same at every angle (only the target turns), so the turns read the very values the
 * unturned search computed instead of interpolating them again (the sums see the same numbers in the same
 * order: every result is unchanged, bit for bit).
 */
const WINDOW_PIXELS = { a: new Float64Array(MAX_WINDOWS * COARSE * COARSE), b: new Float64Array(MAX_WINDOWS * COARSE * COARSE) };

/**
 * The best window of the source (its columns) against the target, continuing from `best`. `pixels` is the
 * direction's store of window pixels: written when `fill` (the unturned target, whose frame is whole), read
 * otherwise.
 */
function bestWindow(columns: Array<Column[] | undefined>, target: CoarseTarget, best: Alignment, from: 'a' | 'b', angle: number, pixels: Float64Array, fill: boolean): Alignment {
  const S = COARSE;
  const { n: tgt, valid, from: x0s, to: x1s, mask } = target;
  let base = 0;
  for (let k = 0; k < SCALES.length; k++) {
    const xs = columns[k];
    if (!xs) continue;
    const ys = Y_WINDOWS[k]!;
    for (const { w: wx, h } of xs) {
      for (const { w: wy, t } of ys) {
        // The target is zero-mean and unit-norm over the mask: correlation = dot(window, t) / |window - mean|.
        let sum = 0;
        let sumSq = 0;
        let dot = 0;
        for (let y = 0; y < S; y++) {
          const r = y * S;
          const x1 = x1s[y]!;
          if (fill) {
            const a = t.i0[y]! * S;
            const b = t.i1[y]! * S;
            const wgt = t.f[y]!;
            const keep = 1 - wgt;
            for (let x = x0s[y]!; x < x1; x++) {
              const v = h[a + x]! * keep + h[b + x]! * wgt;
              pixels[base + r + x] = v;
              if (mask && !mask[r + x]) continue;
              sum += v;
              sumSq += v * v;
              dot += v * tgt[r + x]!;
            }
          } else {
            for (let x = x0s[y]!; x < x1; x++) {
              if (mask && !mask[r + x]) continue;
              const v = pixels[base + r + x]!;
              sum += v;
              sumSq += v * v;
              dot += v * tgt[r + x]!;
            }
          }
        }
        base += S * S;
        const ss = sumSq - (sum * sum) / valid;
        if (ss / valid < FLAT_VARIANCE) continue;
        dot /= Math.sqrt(ss);
        if (dot > best.layout) best = { source: from, angle, x: wx, y: wy, layout: dot };
      }
    }
  }
  return best;
}

/** Each pixel minus the mean of its 5×5 neighbourhood (edges, texture, print), from running box sums. */
function detail(img: Float32Array, S: number): Float32Array {
  const R = 2;
  // Column sums over the 5 rows around y, then a running sum along x over them.
  const col = new Float64Array(S);
  const out = new Float32Array(S * S);
  for (let y = 0; y < S; y++) {
    const y0 = Math.max(0, y - R);
    const y1 = Math.min(S - 1, y + R);
    for (let x = 0; x < S; x++) {
      let c = 0;
      for (let yy = y0; yy <= y1; yy++) c += img[yy * S + x]!;
      col[x] = c;
    }
    const rows = y1 - y0 + 1;
    let run = 0;
    for (let x = 0; x <= Math.min(S - 1, R); x++) run += col[x]!;
    for (let x = 0; x < S; x++) {
      if (x > 0) {
        if (x + R < S) run += col[x + R]!;
        if (x - R - 1 >= 0) run -= col[x - R - 1]!;
      }
      const n = (Math.min(S - 1, x + R) - Math.max(0, x - R) + 1) * rows;
      out[y * S + x] = img[y * S + x]! - run / n;
    }
  }
  return out;
}

/** `source` resampled through window (wx, wy) at full fingerprint resolution. */
function resampled(source: Float32Array, wx: Window, wy: Window): Float32Array {
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

/** Pixels this close to the frame (or to a masked pixel) are left out of the fine comparison. */
const BORDER = 2;

/** A target view ready for the fine comparison: its detail, and the pixels compared. */
interface Prepared extends View {
  detail: Float32Array;
  use: Uint8Array;
  n: number;
}

/** Inner pixels only: the 5×5 mean is one-sided at the frame, and a turned target's masked corners too. */
function interior(mask: Uint8Array): { use: Uint8Array; n: number } {
  const S = FINGERPRINT_SIDE;
  const use = new Uint8Array(S * S);
  let n = 0;
  for (let y = BORDER; y < S - BORDER; y++) {
    for (let x = BORDER; x < S - BORDER; x++) {
      let ok = 1;
      for (let dy = -BORDER; dy <= BORDER && ok; dy++) for (let dx = -BORDER; dx <= BORDER && ok; dx++) if (!mask[(y + dy) * S + x + dx]) ok = 0;
      use[y * S + x] = ok;
      n += ok;
    }
  }
  return { use, n };
}

function prepare(v: View, frame: Frame): Prepared {
  return { ...v, detail: detail(v.img, FINGERPRINT_SIDE), use: frame.use, n: frame.n };
}

/** The source seen through a window, at full resolution, with its detail and the detail correlation. */
interface Fine {
  img: Float32Array;
  detail: Float32Array;
  correlation: number;
}

function fineAt(src: Float32Array, target: Prepared, wx: Window, wy: Window): Fine {
  const img = resampled(src, wx, wy);
  const d = detail(img, FINGERPRINT_SIDE);
  const { use, detail: td, n } = target;
  let ds = 0;
  let dt = 0;
  for (let i = 0; i < use.length; i++) {
    if (!use[i]) continue;
    ds += d[i]!;
    dt += td[i]!;
  }
  ds /= n;
  dt /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < use.length; i++) {
    if (!use[i]) continue;
    const p = d[i]! - ds;
    const q = td[i]! - dt;
    ab += p * q;
    aa += p * p;
    bb += q * q;
  }
  return { img, detail: d, correlation: aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0 };
}

/** Tone and shading of the target against the aligned source (grey levels, 0-255). */
function toneAt(fine: Fine, target: Prepared): { toneShift: number; shading: number } {
  const diffs = new Float32Array(target.n);
  let k = 0;
  let mean = 0;
  for (let i = 0; i < target.use.length; i++) {
    if (!target.use[i]) continue;
    // The 5×5 means (pixel minus detail): light and shade, little moved by a sub-pixel misalignment.
    const low = target.img[i]! - target.detail[i]! - (fine.img[i]! - fine.detail[i]!);
    diffs[k++] = low;
    mean += low;
  }
  mean /= k;
  let ss = 0;
  for (let i = 0; i < k; i++) ss += (diffs[i]! - mean) ** 2;
  // The median: a turned copy's corners (filled black by the editor) must not move the tone.
  diffs.sort();
  return { toneShift: diffs[k >> 1]!, shading: Math.sqrt(ss / k) };
}

export interface Match {
  /** Best correlation of the coarse thumbnails over crops, shifts and small turns: the layout lines up. */
  layout: number;
  /** Correlation of the detail (each pixel minus its 5×5 mean) at the best alignment. */
  detail: number;
  /** Median grey difference of the 5×5 means, target minus source: a copy keeps its tone. */
  toneShift: number;
  /** RMS difference of the 5×5 means once the tone shift is removed: a copy keeps where light and shade fall. */
  shading: number;
  alignment: Alignment;
}

/** The turns are searched only when the layout unturned is within this of the bar (most pairs stop there). */
const TURN_LAYOUT_SLACK = 0.1;
/** Angles whose best layout is within this of the best are compared in detail (the layout barely sees 1°). */
const ANGLE_LAYOUT_SLACK = 0.02;

/**
 * How well two fingerprints line up when either may be a crop (down to 88 % of a side, anywhere, with the
 * aspect ratios agreeing), a small shift, or a turn of up to 2° of the other. Undefined when either is too
 * flat to tell, has no aspect ratio (the hashes alone decide), or the layout is below `minLayout` (the
 * detail is then not computed: most candidate pairs stop here).
 */
export function matchFingerprints(a: Fingerprint, b: Fingerprint, minLayout = -1): Match | undefined {
  if (a.aspect === undefined || b.aspect === undefined) return undefined;
  const S = FINGERPRINT_SIDE;
  const views = { a: { img: Float32Array.from(a.pixels), mask: WHOLE, valid: S * S }, b: { img: Float32Array.from(b.pixels), mask: WHOLE, valid: S * S } };
  const ca = coarse(views.a);
  const cb = coarse(views.b);
  if (!normalised(ca) || !normalised(cb)) return undefined;
  const aspects = { a: a.aspect, b: b.aspect };
  // The source resampled through each width window: the same at every angle, so built once per direction.
  const columns = {
    a: columnsOf(ca.img, b.aspect / a.aspect),
    b: columnsOf(cb.img, a.aspect / b.aspect),
  };
  const none: Alignment = { source: 'a', angle: 0, x: { scale: 1, offset: 0 }, y: { scale: 1, offset: 0 }, layout: -1 };
  const perAngle: Array<{ at: Alignment; target: View }> = [];
  const filled = { a: false, b: false };
  for (const angle of ANGLES) {
    // A turn of ≤ 2° costs the layout a few hundredths at most: far below the bar at 0°, no angle will reach it.
    if (angle !== 0 && (perAngle[0]?.at.layout ?? -1) < minLayout - TURN_LAYOUT_SLACK) break;
    let at = none;
    let target: View | undefined;
    for (const from of ['a', 'b'] as const) {
      const to = from === 'a' ? 'b' : 'a';
      const frame = frameAt(aspects[to], angle);
      const t = angle === 0 ? views[to] : turnedOf(to === 'a' ? a : b, views[to].img, angle, frame);
      const c = coarse(t);
      const n = normalised(c);
      if (!n) continue;
      // The unturned search fills the direction's window pixels and the turns read them. It always runs first in
      // both directions (neither thumbnail is flat: checked above); the guard keeps a change there from reading stale pixels.
      if (angle !== 0 && !filled[from]) throw new Error('thumb-match: a turned search before the unturned one');
      const found = bestWindow(columns[from], { n, valid: c.valid, ...frame.spans }, at, from, angle, WINDOW_PIXELS[from], angle === 0);
      if (angle === 0) filled[from] = true;
      if (found !== at) {
        at = found;
        target = t;
      }
    }
    if (target) perAngle.push({ at, target });
  }
  if (perAngle.length === 0) return undefined;
  const layout = Math.max(...perAngle.map((p) => p.at.layout));
  if (layout < minLayout) return undefined;
  // The angle: the best detail at each angle's coarse alignment, among those whose layout is near the best.
  let pick: { at: Alignment; target: Prepared; fine: Fine } | undefined;
  for (const { at, target } of perAngle) {
    if (at.layout < layout - ANGLE_LAYOUT_SLACK) continue;
    const prepared = prepare(target, frameAt(aspects[at.source === 'a' ? 'b' : 'a'], at.angle));
    const fine = fineAt(views[at.source].img, prepared, at.x, at.y);
    if (!pick || fine.correlation > pick.fine.correlation) pick = { at, target: prepared, fine };
  }
  // Then the offsets, refined by half a coarse step each way at full resolution.
  const { at, target } = pick!;
  const half = OFFSET_STEP / 2;
  for (const dx of [-half, 0, half]) {
    for (const dy of [-half, 0, half]) {
      if (dx === 0 && dy === 0) continue;
      const fine = fineAt(views[at.source].img, target, { scale: at.x.scale, offset: at.x.offset + dx }, { scale: at.y.scale, offset: at.y.offset + dy });
      if (fine.correlation > pick!.fine.correlation) pick = { at, target, fine };
    }
  }
  return { layout, detail: pick!.fine.correlation, ...toneAt(pick!.fine, target), alignment: at };
}

/** Thresholds for calling two images the same photo. */
export interface MatchRule {
  minLayout: number;
  minDetail: number;
  /** Largest |median grey difference| (0-255) between a copy and its original. */
  maxToneShift: number;
  /** Largest RMS difference of the 5×5 means (0-255), tone shift removed. */
  maxShading: number;
}

export function isSamePhoto(a: Fingerprint, b: Fingerprint, rule: MatchRule): boolean {
  const m = matchFingerprints(a, b, rule.minLayout);
  return m !== undefined && passes(m, rule);
}

export function passes(m: Match, rule: MatchRule): boolean {
  return m.layout >= rule.minLayout && m.detail >= rule.minDetail && Math.abs(m.toneShift) <= rule.maxToneShift && m.shading <= rule.maxShading;
}

/** Candidate pairs for a thread (measure-pool.ts): the fingerprints they name, each once, and the rule. */
export interface PairBatch {
  fingerprints: Fingerprint[];
  /**
   * Each fingerprint's image, as numbered in one comparison run (`run`): a thread keeps the fingerprints it
   * was sent, so an image met again in a later batch is the same object and its turned copies are reused.
   */
  images?: { run: string; ids: number[] };
  /** Indices into `fingerprints`. */
  pairs: Array<[number, number]>;
  rule: MatchRule;
}

/** This thread's fingerprints of the current run, by image id (bounded like the turned copies). */
const runFingerprints = { run: '', byId: new Map<number, Fingerprint>() };

/** isSamePhoto for each pair of the batch, in its order. */
export function samePhotoBatch(batch: PairBatch): boolean[] {
  let fps = batch.fingerprints;
  if (batch.images) {
    const { run, ids } = batch.images;
    if (runFingerprints.run !== run) runFingerprints.byId.clear();
    runFingerprints.run = run;
    const known = runFingerprints.byId;
    fps = ids.map((id, k) => {
      const fp = known.get(id) ?? batch.fingerprints[k]!;
      known.delete(id);
      known.set(id, fp);
      return fp;
    });
    while (known.size > RECENT_IMAGES * 4) known.delete(known.keys().next().value!);
  }
  return batch.pairs.map(([i, j]) => isSamePhoto(fps[i]!, fps[j]!, batch.rule));
}
