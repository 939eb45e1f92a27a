import { popcount32 } from '../images/perceptual-hash.js';

/**
 * All pairs of 64-bit hashes within a Hamming radius, without comparing all pairs: multi-index hashing.
 *
 * The 64 bits are cut into 3 chunks (21, 21, 22 bits). If two hashes differ in at most r bits, one chunk
 * differs in at most s = floor(r/3) bits (pigeonhole). Each chunk has a table from chunk value to the items
 * holding it (counting sort: an offsets array and an id array, no per-bucket objects). For every XOR mask
 * of at most s bits, every non-empty bucket k is joined with bucket k^mask; the full distance of each
 * item pair from the two buckets is then checked. Looping masks outside and buckets (in key order) inside
 * walks the tables nearly sequentially, which keeps a million-item search in cache-friendly order. A pair is
 * reported from the first chunk where it matches only, so each pair comes out exactly once.
 */
const CHUNK_BITS = [21, 21, 22] as const;

function chunk(c: number, hi: number, lo: number): number {
  if (c === 0) return lo & 0x1fffff;
  if (c === 1) return ((lo >>> 21) | ((hi & 0x3ff) << 11)) >>> 0;
  return hi >>> 10;
}

/** Every XOR mask of `bits` bits with at most `radius` bits set (0 first). */
export function masksWithin(bits: number, radius: number): Int32Array {
  const out: number[] = [0];
  const rec = (start: number, mask: number, left: number): void => {
    if (left === 0) return;
    for (let b = start; b < bits; b++) {
      const m = mask | (1 << b);
      out.push(m);
      rec(b + 1, m, left - 1);
    }
  };
  rec(0, 0, radius);
  return Int32Array.from(out);
}

/** `auto`: all pairs when that is less work than the index (small sets); `index`: always the index. */
export type Search = 'auto' | 'index';

export interface PairSink {
  (i: number, j: number, distance: number): void;
}

export class NearDupIndex {
  readonly size: number;
  private readonly offsets: Uint32Array[] = [];
  private readonly ids: Uint32Array[] = [];
  /** Non-empty bucket keys per chunk, ascending. */
  private readonly keys: Uint32Array[] = [];

  /** `hi`/`lo`: the upper and lower 32 bits of each hash (item i is hi[i], lo[i]). */
  constructor(
    private readonly hi: Uint32Array,
    private readonly lo: Uint32Array,
  ) {
    if (hi.length !== lo.length) throw new RangeError('hi and lo must have the same length');
    this.size = hi.length;
    const n = this.size;
    for (let c = 0; c < 3; c++) {
      const buckets = 1 << CHUNK_BITS[c]!;
      const offsets = new Uint32Array(buckets + 1);
      for (let i = 0; i < n; i++) offsets[chunk(c, hi[i]!, lo[i]!) + 1]!++;
      for (let k = 0; k < buckets; k++) offsets[k + 1]! += offsets[k]!;
      const fill = offsets.slice(0, buckets);
      const ids = new Uint32Array(n);
      // Ascending ids within each bucket: the j > i test below can stop scanning early.
      for (let i = 0; i < n; i++) ids[fill[chunk(c, hi[i]!, lo[i]!)]!++] = i;
      let used = 0;
      for (let k = 0; k < buckets; k++) if (offsets[k + 1]! > offsets[k]!) used++;
      const keys = new Uint32Array(used);
      for (let k = 0, u = 0; k < buckets; k++) if (offsets[k + 1]! > offsets[k]!) keys[u++] = k;
      this.offsets.push(offsets);
      this.ids.push(ids);
      this.keys.push(keys);
    }
  }

  /**
   * Calls `sink(i, j, d)` for every pair i < j with Hamming distance d <= radius (in no particular order).
   * `onProgress(done)` reports progress scaled to the number of items, so a caller can report it and check
   * for cancellation.
   */
  pairs(radius: number, sink: PairSink, onProgress?: (done: number) => void, search: Search = 'auto'): void {
    for (const done of this.pairSteps(radius, sink, search)) onProgress?.(done);
  }

  /**
   * The same search in steps: yields progress (scaled to the number of items, ending with the count) every
   * few XOR masks, so a caller can report it while the search runs and let other work in between.
   */
  *pairSteps(radius: number, sink: PairSink, search: Search = 'auto'): Generator<number, void> {
    const s = Math.floor(radius / 3);
    const masks = CHUNK_BITS.map((b) => masksWithin(b, s));
    const { hi, lo, size: n } = this;
    const totalSteps = masks.reduce((a, m) => a + m.length, 0);
    // Each mask visits every non-empty bucket: n·masks steps. For sets small enough that all n²/2 pairs cost
    // less (n below 3·masks: 4,600 at radius 8, 45,000 at radius 12), compare every pair instead.
    if (search === 'auto' && n / 2 <= totalSteps) {
      for (let i = 0; i < n; i++) {
        const a = hi[i]!;
        const b = lo[i]!;
        for (let j = i + 1; j < n; j++) {
          const d = popcount32((a ^ hi[j]!) >>> 0) + popcount32((b ^ lo[j]!) >>> 0);
          if (d <= radius) sink(i, j, d);
        }
        if ((i & 63) === 63) yield Math.floor(n - ((n - i - 1) * (n - i - 1)) / n);
      }
      yield n;
      return;
    }
    let step = 0;
    for (let c = 0; c < 3; c++) {
      const off = this.offsets[c]!;
      const ids = this.ids[c]!;
      const keys = this.keys[c]!;
      const mk = masks[c]!;
      const check = (i: number, j: number): void => {
        const hx = (hi[i]! ^ hi[j]!) >>> 0;
        const lx = (lo[i]! ^ lo[j]!) >>> 0;
        const d = popcount32(hx) + popcount32(lx);
        if (d > radius) return;
        // Found through an earlier chunk already?
        if (c > 0 && popcount32(lx & 0x1fffff) <= s) return;
        if (c > 1 && popcount32(((lx >>> 21) | ((hx & 0x3ff) << 11)) >>> 0) <= s) return;
        if (i < j) sink(i, j, d);
        else sink(j, i, d);
      };
      for (let mi = 0; mi < mk.length; mi++) {
        const m = mk[mi]!;
        for (let t = 0; t < keys.length; t++) {
          const k = keys[t]!;
          const a = off[k]!;
          const b = off[k + 1]!;
          if (m === 0) {
            // Pairs inside one bucket.
            for (let x = a; x < b; x++) for (let y = x + 1; y < b; y++) check(ids[x]!, ids[y]!);
            continue;
          }
          const k2 = (k ^ m) >>> 0;
          // Each unordered bucket pair once.
          if (k2 < k) continue;
          const a2 = off[k2]!;
          const b2 = off[k2 + 1]!;
          if (a2 === b2) continue;
          for (let x = a; x < b; x++) {
            const i = ids[x]!;
            for (let y = a2; y < b2; y++) check(i, ids[y]!);
          }
        }
        step++;
        if ((mi & 15) === 15) yield Math.floor((n * step) / totalSteps);
      }
    }
    yield n;
  }
}

/** The naive baseline: compares every pair (only for small sets and the benchmark's sample). */
export function naivePairs(hi: Uint32Array, lo: Uint32Array, radius: number, sink: PairSink, rows?: number): void {
  const n = hi.length;
  const upto = rows ?? n;
  for (let i = 0; i < upto; i++) {
    const a = hi[i]!;
    const b = lo[i]!;
    for (let j = i + 1; j < n; j++) {
      const d = popcount32((a ^ hi[j]!) >>> 0) + popcount32((b ^ lo[j]!) >>> 0);
      if (d <= radius) sink(i, j, d);
    }
  }
}
