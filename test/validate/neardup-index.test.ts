import { describe, expect, it } from 'vitest';
import { masksWithin, naivePairs, NearDupIndex } from '../../src/validate/neardup-index.js';
import { seededRandom } from '../../src/core/random.js';

function randomHashes(n: number, seed: string): { hi: Uint32Array; lo: Uint32Array } {
  const rand = seededRandom(seed);
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    hi[i] = (rand() * 2 ** 32) >>> 0;
    lo[i] = (rand() * 2 ** 32) >>> 0;
  }
  return { hi, lo };
}

function flipBits(hi: number, lo: number, bits: number[]): [number, number] {
  for (const b of bits) {
    if (b < 32) lo = (lo ^ (1 << b)) >>> 0;
    else hi = (hi ^ (1 << (b - 32))) >>> 0;
  }
  return [hi, lo];
}

const key = (i: number, j: number, d: number): string => `${i}-${j}-${d}`;

describe('NearDupIndex', () => {
  it('enumerates masks within a radius', () => {
    expect(masksWithin(21, 0).length).toBe(1);
    expect(masksWithin(21, 2).length).toBe(1 + 21 + 210);
    expect(new Set(masksWithin(22, 2)).size).toBe(1 + 22 + 231);
  });

  it('finds exactly the pairs the naive scan finds, each once, on clustered hashes', () => {
    // Many hashes close to a few centres: lots of pairs at every distance, including exact repeats.
    const rand = seededRandom('clustered');
    const n = 600;
    const hi = new Uint32Array(n);
    const lo = new Uint32Array(n);
    const centres = randomHashes(5, 'centres');
    for (let i = 0; i < n; i++) {
      const c = i % 5;
      const flips = Array.from({ length: Math.floor(rand() * 7) }, () => Math.floor(rand() * 64));
      [hi[i], lo[i]] = flipBits(centres.hi[c]!, centres.lo[c]!, flips);
    }
    for (const radius of [0, 3, 8, 10]) {
      const got: string[] = [];
      new NearDupIndex(hi, lo).pairs(radius, (i, j, d) => got.push(key(i, j, d)), undefined, 'index');
      const auto: string[] = [];
      new NearDupIndex(hi, lo).pairs(radius, (i, j, d) => auto.push(key(i, j, d)));
      expect(auto.sort()).toEqual(got.sort());
      const want: string[] = [];
      naivePairs(hi, lo, radius, (i, j, d) => want.push(key(i, j, d)));
      expect(new Set(got).size).toBe(got.length);
      expect(got.sort()).toEqual(want.sort());
      expect(want.length).toBeGreaterThan(radius === 0 ? 0 : 100);
    }
  });

  it('finds every planted pair at distances 0-8 among 50,000 random hashes', () => {
    const n = 50_000;
    const { hi, lo } = randomHashes(n, 'planted');
    const rand = seededRandom('flips');
    const planted = new Map<string, number>();
    for (let p = 0; p < 900; p++) {
      const i = p * 50;
      const j = i + 1;
      const d = p % 9;
      const bits = new Set<number>();
      while (bits.size < d) bits.add(Math.floor(rand() * 64));
      [hi[j], lo[j]] = flipBits(hi[i]!, lo[i]!, [...bits]);
      planted.set(`${i}-${j}`, d);
    }
    const found = new Map<string, number>();
    let progressCalls = 0;
    new NearDupIndex(hi, lo).pairs(8, (i, j, d) => found.set(`${i}-${j}`, d), () => progressCalls++);
    for (const [k, d] of planted) expect(found.get(k)).toBe(d);
    expect(progressCalls).toBeGreaterThanOrEqual(5);
  });
});
