/**
 * Near-duplicate index at scale: 1,000,000 random 64-bit hashes with planted pairs at distances 0-8, all
 * pairs within radius 8, against the naive all-pairs scan (timed on a sample of rows and extrapolated).
 *
 *   node dist/bench/neardup.js [n=1000000] [pairsPerDistance=100]
 *
 * Prints time, peak memory (RSS), planted pairs found, and the speed-up over the naive scan as a ratio.
 */
import { naivePairs, NearDupIndex } from '../src/validate/neardup-index.js';
import { seededRandom } from '../src/core/random.js';

const n = Number(process.argv[2] ?? 1_000_000);
const perDistance = Number(process.argv[3] ?? 100);
const RADIUS = 8;

let peakRss = process.memoryUsage().rss;
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

function main(): void {
  const rand = seededRandom('neardup-bench');
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    hi[i] = (rand() * 2 ** 32) >>> 0;
    lo[i] = (rand() * 2 ** 32) >>> 0;
  }
  // Planted pairs: item 2k+1 is a copy of item 2k with d bits flipped, for d = 0..8, spread over the set.
  const planted: Array<{ i: number; j: number; d: number }> = [];
  const stride = Math.floor(n / (9 * perDistance)) & ~1;
  let slot = 0;
  for (let d = 0; d <= RADIUS; d++) {
    for (let p = 0; p < perDistance; p++, slot++) {
      const i = slot * stride;
      const j = i + 1;
      const bits = new Set<number>();
      while (bits.size < d) bits.add(Math.floor(rand() * 64));
      let h = hi[i]!;
      let l = lo[i]!;
      for (const b of bits) {
        if (b < 32) l = (l ^ (1 << b)) >>> 0;
        else h = (h ^ (1 << (b - 32))) >>> 0;
      }
      hi[j] = h;
      lo[j] = l;
      planted.push({ i, j, d });
    }
  }
  sampleRss();

  const t0 = performance.now();
  const index = new NearDupIndex(hi, lo);
  const tBuild = performance.now() - t0;
  sampleRss();
  const found = new Map<number, number>();
  let pairs = 0;
  index.pairs(
    RADIUS,
    (i, j, d) => {
      pairs++;
      if (j === i + 1 && (i / stride) % 1 === 0) found.set(i, d);
    },
    () => sampleRss(),
  );
  const tTotal = performance.now() - t0;
  sampleRss();
  const missed = planted.filter((p) => found.get(p.i) !== p.d);

  // Naive scan on a sample of rows: each row compares with every later item; extrapolate to all rows.
  const sampleRows = 200;
  const offset = Math.floor(n / 2) - sampleRows;
  const sub = { hi: hi.subarray(offset), lo: lo.subarray(offset) };
  const t1 = performance.now();
  let naiveHits = 0;
  naivePairs(sub.hi, sub.lo, RADIUS, () => naiveHits++, sampleRows);
  const tSample = performance.now() - t1;
  // Row r (of n) compares with n-1-r items: the sample compared sum over its rows; all rows compare n(n-1)/2.
  let sampled = 0;
  for (let r = 0; r < sampleRows; r++) sampled += sub.hi.length - 1 - r;
  const naiveTotal = (tSample / sampled) * ((n * (n - 1)) / 2);

  console.log(`n=${n.toLocaleString('en')} hashes, radius ${RADIUS}, ${planted.length} planted pairs (${perDistance} at each distance 0-${RADIUS})`);
  console.log(`index build ${(tBuild / 1000).toFixed(2)} s, build + all pairs ${(tTotal / 1000).toFixed(2)} s, ${pairs} pairs reported (planted + chance)`);
  console.log(`planted pairs found: ${planted.length - missed.length}/${planted.length}${missed.length ? ` MISSED e.g. ${JSON.stringify(missed.slice(0, 3))}` : ''}`);
  console.log(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`);
  console.log(`naive all-pairs scan: ${sampleRows} rows in ${tSample.toFixed(0)} ms → ${(naiveTotal / 1000 / 60).toFixed(1)} min extrapolated for all ${((n * (n - 1)) / 2).toExponential(2)} pairs`);
  console.log(`RESULT ${(tTotal / 1000).toFixed(2)} s, ${(peakRss / 1024 / 1024).toFixed(0)} MB, speed-up over naive ${(naiveTotal / tTotal).toFixed(0)}x, ${missed.length === 0 ? 'all planted pairs found' : `${missed.length} planted pairs missed`}`);
  if (missed.length > 0) process.exitCode = 1;
}

main();
