import { describe, expect, it } from 'vitest';
import { chooseKeep, findClustersAndGroups, type DedupeItem } from '../../src/validate/clusters.js';

/** A 64-bit hex hash with the first `bits` bits flipped from all zeros. */
const flip = (bits: number, offset = 0): string => {
  let v = 0n;
  for (let b = 0; b < bits; b++) v |= 1n << BigInt(63 - offset - b);
  return v.toString(16).padStart(16, '0');
};

let line = 1;
const item = (image: string, phash: string, dhash: string, extra: Partial<DedupeItem> = {}): DedupeItem => ({
  image,
  label: 'x',
  sha256: image.padEnd(64, '0'),
  phash,
  dhash,
  line: ++line,
  pixels: 100,
  bytes: 100,
  ...extra,
});

describe('keep rule', () => {
  it('prefers the majority label, then more pixels, then more bytes, then the earlier line', () => {
    const a = item('a', flip(0), flip(0), { label: 'cat', pixels: 10, line: 5 });
    const b = item('b', flip(0), flip(0), { label: 'dog', pixels: 1000, line: 1 });
    const c = item('c', flip(0), flip(0), { label: 'cat', pixels: 20, bytes: 5, line: 9 });
    expect(chooseKeep([a, b, c]).image).toBe('c');
    const d = item('d', flip(0), flip(0), { label: 'cat', pixels: 20, bytes: 50, line: 12 });
    expect(chooseKeep([a, b, c, d]).image).toBe('d');
    const e = item('e', flip(0), flip(0), { label: 'cat', pixels: 20, bytes: 50, line: 3 });
    expect(chooseKeep([a, b, c, d, e]).image).toBe('e');
    // A 1:1 tie between labels goes to the label seen first in the manifest.
    expect(chooseKeep([item('x', flip(0), flip(0), { label: 'late', line: 50, pixels: 999 }), item('y', flip(0), flip(0), { label: 'early', line: 2 })]).image).toBe('y');
  });
});

describe('clusters and similar groups', () => {
  const items = [
    item('c1', flip(0), flip(0)),
    item('c2', flip(2), flip(3)), // near duplicate of c1
    item('s1', 'ffffffff00000000', 'ffffffff00000000'),
    item('s2', 'ffffffff000003ff', 'ffffffff000003ff'), // 10 bits from s1: similar, not a duplicate
    item('far', flip(30, 10), flip(30, 10)),
    item('c1copy', flip(0), flip(0), { sha256: 'c1'.padEnd(64, '0') }), // byte copy of c1
  ];
  const base = { nearRadius: 8, nearDhashRadius: 6 };

  it('clusters duplicates only; dHash must agree too', () => {
    const { clusters, groups } = findClustersAndGroups(items, base);
    expect(clusters.map((c) => [c.kind, c.members.map((m) => m.image).sort()])).toEqual([['near', ['c1', 'c1copy', 'c2']]]);
    expect(groups).toEqual([]);
    const strict = findClustersAndGroups(items, { ...base, nearDhashRadius: 2 }).clusters;
    expect(strict.map((c) => [c.kind, c.members.map((m) => m.image).sort()])).toEqual([['exact', ['c1', 'c1copy']]]);
  });

  it('groups similar images (for the split) without dropping them, when asked', () => {
    const { clusters, groups } = findClustersAndGroups(items, { ...base, similarRadius: 12, similarDhashRadius: 12 });
    expect(clusters.length).toBe(1);
    expect(groups.map((g) => g.members)).toEqual([['s1', 's2']]);
    expect(groups[0]!.id).toMatch(/^sim-[0-9a-f]{12}$/);
  });

  it('honours keep/drop overrides and reports distances to the kept image', () => {
    const [c] = findClustersAndGroups(items, { ...base, overrides: { c2: 'keep', c1: 'drop' } }).clusters;
    expect(c!.keep).toBe('c2');
    expect(c!.members.filter((m) => m.kept).map((m) => m.image)).toEqual(['c2']);
    expect(c!.members.find((m) => m.image === 'c1')!.distance).toBe(2);
  });
});
