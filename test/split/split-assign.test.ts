import { describe, expect, it } from 'vitest';
import { seededRandom, randomInt } from '../../src/core/random.js';
import { assignSplits, preferredSplit, SPLITS, type SplitItem, type SplitName, type SplitRatios } from '../../src/split/split-assign.js';
import { InputError } from '../../src/core/errors.js';

const R80: SplitRatios = { train: 0.8, validation: 0.1, test: 0.1 };

/** Random classes with planted clusters: mostly singletons, some pairs, a few big clusters, rare mixed labels. */
function plantedData(seed: number, opts: { classes?: number; minPer?: number; maxPer?: number; prefix?: string } = {}): SplitItem[] {
  const rand = seededRandom(seed);
  const nClasses = opts.classes ?? randomInt(rand, 2, 6);
  const items: SplitItem[] = [];
  const prefix = opts.prefix ?? '';
  let g = 0;
  for (let c = 0; c < nClasses; c++) {
    const label = `class_${c}`;
    const n = randomInt(rand, opts.minPer ?? 6, opts.maxPer ?? 150);
    let made = 0;
    while (made < n) {
      const r = rand();
      // The first three clusters of a class are single photos so every class can be split.
      const size = made < 3 ? 1 : Math.min(n - made, r < 0.7 ? 1 : r < 0.9 ? 2 : r < 0.98 ? randomInt(rand, 3, 5) : randomInt(rand, 6, 12));
      const group = `${prefix}g${g++}`;
      for (let k = 0; k < size; k++) {
        // A rare near-duplicate labelled differently: the cluster must still stay together.
        const mixed = k === 1 && size >= 3 && rand() < 0.2;
        items.push({ image: `${prefix}${label}/${group}_${k}.jpg`, label: mixed ? `class_${(c + 1) % nClasses}` : label, group });
      }
      made += size;
    }
  }
  return items;
}

function groupSplits(items: readonly SplitItem[], splits: readonly SplitName[]): Map<string, Set<SplitName>> {
  const m = new Map<string, Set<SplitName>>();
  items.forEach((it, i) => {
    const s = m.get(it.group) ?? new Set();
    s.add(splits[i]!);
    m.set(it.group, s);
  });
  return m;
}

function perClass(items: readonly SplitItem[], splits: readonly SplitName[]): Map<string, Record<SplitName, number>> {
  const m = new Map<string, Record<SplitName, number>>();
  items.forEach((it, i) => {
    const c = m.get(it.label) ?? { train: 0, validation: 0, test: 0 };
    c[splits[i]!]++;
    m.set(it.label, c);
  });
  return m;
}

describe('assignSplits', () => {
  it('never lets a cluster span two splits, over many random datasets and seeds', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const items = plantedData(seed);
      const res = assignSplits(items, { ratios: R80, seed: `s${seed}` });
      for (const [group, set] of groupSplits(items, res.splits)) {
        expect(set.size, `seed ${seed}, cluster ${group}`).toBe(1);
      }
      expect(res.leaks).toEqual([]);
      expect(res.sources.assigned).toBe(items.length);
    }
  });

  it('gives every class a train, a validation and a test image, and stays within a few images of the target', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const items = plantedData(seed);
      const res = assignSplits(items, { ratios: R80, seed: `m${seed}` });
      for (const [label, c] of perClass(items, res.splits)) {
        for (const s of SPLITS) expect(c[s], `seed ${seed} class ${label} ${s}`).toBeGreaterThanOrEqual(1);
      }
      // Within 1 image of the target, plus one per relabelled near-duplicate touching the class.
      for (const [label, c] of perClass(items, res.splits)) {
        const total = c.train + c.validation + c.test;
        const mixed = items.filter((it) => !it.image.startsWith(`${it.label}/`) && (it.label === label || it.image.startsWith(`${label}/`))).length;
        for (const s of SPLITS) {
          const dev = Math.abs(c[s] - R80[s] * total);
          expect(dev, `seed ${seed} class ${label} ${s}: ${JSON.stringify(c)}`).toBeLessThanOrEqual(1 + mixed);
        }
      }
    }
  });

  it('keeps singleton classes within 1 image of the target ratios', () => {
    for (const n of [10, 37, 100, 1000]) {
      const items: SplitItem[] = [];
      for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) items.push({ image: `c${c}/${i}.jpg`, label: `c${c}`, group: `c${c}/${i}` });
      const res = assignSplits(items, { ratios: R80, seed: 'x' });
      for (const [, counts] of perClass(items, res.splits)) {
        for (const s of SPLITS) expect(Math.abs(counts[s] - R80[s] * n)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('is deterministic for a seed, independent of row order, and depends on the seed', () => {
    const items = plantedData(7);
    const a = assignSplits(items, { ratios: R80, seed: 'alpha' });
    const b = assignSplits(items, { ratios: R80, seed: 'alpha' });
    expect(b.splits).toEqual(a.splits);
    const reversed = [...items].reverse();
    const r = assignSplits(reversed, { ratios: R80, seed: 'alpha' });
    expect([...r.splits].reverse()).toEqual(a.splits);
    const c = assignSplits(items, { ratios: R80, seed: 'beta' });
    expect(c.splits).not.toEqual(a.splits);
  });

  it('moves 0 existing images when 10% new images (new clusters and new members of old ones) are added', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const items = plantedData(seed);
      const first = assignSplits(items, { ratios: R80, seed: 'stable' });
      const previous = new Map(items.map((it, i) => [it.image, first.splits[i]!]));
      const rand = seededRandom(seed * 101);
      const classes = new Set(items.map((it) => it.label)).size;
      const extra = plantedData(seed + 1000, { classes, prefix: 'new_', minPer: 1, maxPer: Math.max(2, Math.ceil(items.length / 20)) });
      // Some new images join existing clusters (a new near-duplicate of an old photo).
      const joined: SplitItem[] = [];
      for (let k = 0; k < Math.ceil(items.length / 50); k++) {
        const host = items[Math.floor(rand() * items.length)]!;
        joined.push({ image: `new_dup_${k}.jpg`, label: host.label, group: host.group });
      }
      const grown = [...items, ...extra, ...joined];
      const second = assignSplits(grown, { ratios: R80, seed: 'stable', previous });
      let moved = 0;
      items.forEach((it, i) => {
        if (second.splits[i] !== first.splits[i]) moved++;
      });
      expect(moved, `seed ${seed}`).toBe(0);
      for (const [, set] of groupSplits(grown, second.splits)) expect(set.size).toBe(1);
      expect(second.sources.previous).toBe(items.length + joined.length);
    }
  });

  it('reunites a cluster that the new validation merged across splits, moving only the minority', () => {
    const items: SplitItem[] = [];
    for (let i = 0; i < 30; i++) items.push({ image: `a${i}.jpg`, label: 'a', group: `a${i}` });
    const previous = new Map<string, SplitName>(items.map((it, i) => [it.image, i < 24 ? 'train' : i < 27 ? 'validation' : 'test']));
    // Validation now says a0, a1 and a27 are the same photo.
    const merged = items.map((it) => (['a0.jpg', 'a1.jpg', 'a27.jpg'].includes(it.image) ? { ...it, group: 'dup' } : it));
    const res = assignSplits(merged, { ratios: R80, seed: 's', previous });
    const splitOf = (img: string): SplitName => res.splits[merged.findIndex((m) => m.image === img)]!;
    expect(splitOf('a0.jpg')).toBe('train');
    expect(splitOf('a27.jpg')).toBe('train');
    const moved = merged.filter((m, i) => previous.get(m.image) !== res.splits[i]);
    expect(moved.map((m) => m.image)).toEqual(['a27.jpg']);
  });

  it('respects a split column and reports clusters that leak across it', () => {
    const items: SplitItem[] = [
      { image: 'a1.jpg', label: 'a', group: 'g1', fixed: 'train' },
      { image: 'a2.jpg', label: 'a', group: 'g1', fixed: 'test' },
      { image: 'a3.jpg', label: 'a', group: 'g1' },
      { image: 'a4.jpg', label: 'a', group: 'g2', fixed: 'validation' },
      { image: 'a5.jpg', label: 'a', group: 'g3', fixed: 'train' },
      { image: 'a6.jpg', label: 'a', group: 'g4' },
      { image: 'a7.jpg', label: 'a', group: 'g5' },
    ];
    const res = assignSplits(items, { ratios: R80, seed: 's' });
    expect(res.splits.slice(0, 2)).toEqual(['train', 'test']);
    expect(res.splits[3]).toBe('validation');
    expect(res.splits[4]).toBe('train');
    // The unlabelled member of the leaking cluster follows its majority (train wins the tie by order).
    expect(res.splits[2]).toBe('train');
    expect(res.leaks).toHaveLength(1);
    expect(res.leaks[0]!.group).toBe('g1');
    expect(res.leaks[0]!.splits).toEqual({ train: 1, test: 1 });
    expect(res.sources.manifest).toBe(5);
  });

  it('moves a group into a held-out split a small class would otherwise lack, and reports it', () => {
    const items: SplitItem[] = Array.from({ length: 5 }, (_, i) => ({ image: `a${i}.jpg`, label: 'a', group: `a${i}` }));
    const res = assignSplits(items, { ratios: R80, seed: 's' });
    expect(perClass(items, res.splits).get('a')).toEqual({ train: 3, validation: 1, test: 1 });
    expect(res.minimums).toHaveLength(1);
    expect(res.minimums[0]).toMatchObject({ label: 'a', images: 1 });
    // A big cluster is never the one moved when a small one can go.
    const big: SplitItem[] = [
      ...Array.from({ length: 6 }, (_, k) => ({ image: `big${k}.jpg`, label: 'b', group: 'big' })),
      ...Array.from({ length: 3 }, (_, i) => ({ image: `s${i}.jpg`, label: 'b', group: `s${i}` })),
    ];
    for (let seed = 0; seed < 20; seed++) {
      const r = assignSplits(big, { ratios: R80, seed: `b${seed}` });
      const c = perClass(big, r.splits).get('b')!;
      expect(c.validation).toBeGreaterThanOrEqual(1);
      expect(c.test).toBeGreaterThanOrEqual(1);
      expect(c.train).toBeGreaterThanOrEqual(6);
      expect(r.minimums.every((m) => m.images === 1)).toBe(true);
    }
  });

  it('fails naming the class when it has too few clusters', () => {
    const items: SplitItem[] = [
      { image: 'a1.jpg', label: 'a', group: 'x' },
      { image: 'a2.jpg', label: 'a', group: 'x' },
      { image: 'a3.jpg', label: 'a', group: 'y' },
      ...Array.from({ length: 10 }, (_, i) => ({ image: `b${i}.jpg`, label: 'bees', group: `b${i}` })),
    ];
    let err: unknown;
    try {
      assignSplits(items, { ratios: R80, seed: 's' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain('Class "a"');
    expect((err as InputError).item).toBe('a');
    // With no test split, two clusters are enough.
    const ok = assignSplits(items, { ratios: { train: 0.9, validation: 0.1, test: 0 }, seed: 's' });
    expect(ok.splits.includes('test')).toBe(false);
  });

  it('maps hash points to splits by cumulative ratio, skipping zero ratios', () => {
    expect(preferredSplit(0.79, R80)).toBe('train');
    expect(preferredSplit(0.85, R80)).toBe('validation');
    expect(preferredSplit(0.95, R80)).toBe('test');
    expect(preferredSplit(0.95, { train: 0.9, validation: 0.1, test: 0 })).toBe('validation');
  });
});
