/**
 * Per-class deviation of the split from its target ratios, against a baseline in the same process: the
 * naive stable method (each cluster goes where the hash of (seed, cluster) falls, no balancing).
 *
 *   node dist/bench/split.js [../shared/data/hymenoptera_data]
 *
 * Datasets: the hymenoptera folders (train + val pooled, 2 classes, one cluster per distinct sha256), and
 * synthetic sets of 5 classes × ~20 / ~100 / ~1000 images (±10% per class) with planted clusters (70% single photos, 20%
 * pairs, 10% of 3–8), each over 20 seeds. Also checks stability: +10% images moves 0 existing ones.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sha256File } from '../src/core/hash.js';
import { randomInt, seededRandom } from '../src/core/random.js';
import { assignSplits, groupHash, preferredSplit, SPLITS, type SplitItem, type SplitName, type SplitRatios } from '../src/split/split-assign.js';

const RATIOS: SplitRatios = { train: 0.8, validation: 0.1, test: 0.1 };

interface Deviation {
  max: number;
  mean: number;
}

function deviation(items: readonly SplitItem[], splits: readonly SplitName[]): Deviation {
  const per = new Map<string, Record<SplitName, number>>();
  items.forEach((it, i) => {
    const c = per.get(it.label) ?? { train: 0, validation: 0, test: 0 };
    c[splits[i]!]++;
    per.set(it.label, c);
  });
  let max = 0;
  let sum = 0;
  let n = 0;
  for (const c of per.values()) {
    const total = c.train + c.validation + c.test;
    for (const s of SPLITS) {
      const d = Math.abs(c[s] - RATIOS[s] * total);
      max = Math.max(max, d);
      sum += d;
      n++;
    }
  }
  return { max, mean: sum / n };
}

function baseline(items: readonly SplitItem[], seed: string): SplitName[] {
  return items.map((it) => preferredSplit(groupHash(seed, it.group).u, RATIOS));
}

function synthetic(seed: number, classes: number, perClass: number, prefix = ''): SplitItem[] {
  const rand = seededRandom(seed);
  const items: SplitItem[] = [];
  let g = 0;
  for (let c = 0; c < classes; c++) {
    // Class sizes vary ±10% around perClass, so targets are rarely whole numbers.
    const n = Math.max(3, Math.round(perClass * (0.9 + 0.2 * rand())));
    let made = 0;
    while (made < n) {
      const r = rand();
      const size = made < 3 ? 1 : Math.min(n - made, r < 0.7 ? 1 : r < 0.9 ? 2 : randomInt(rand, 3, 8));
      const group = `${prefix}c${c}g${g++}`;
      for (let k = 0; k < size; k++) items.push({ image: `${group}_${k}`, label: `c${c}`, group });
      made += size;
    }
  }
  return items;
}

async function hymenoptera(root: string): Promise<SplitItem[]> {
  const items: SplitItem[] = [];
  for (const part of ['train', 'val']) {
    for (const label of (await readdir(join(root, part))).sort()) {
      for (const f of (await readdir(join(root, part, label))).sort()) {
        const path = join(root, part, label, f);
        items.push({ image: `${part}/${label}/${f}`, label, group: await sha256File(path) });
      }
    }
  }
  return items;
}

function row(name: string, images: number, ours: Deviation, base: Deviation, extra = ''): string {
  const ratio = base.max > 0 ? (ours.max / base.max).toFixed(2) : 'n/a';
  return `${name.padEnd(40)} ${String(images).padStart(6)}  ${ours.max.toFixed(2).padStart(6)} ${ours.mean.toFixed(2).padStart(6)}   ${base.max.toFixed(2).padStart(6)} ${base.mean.toFixed(2).padStart(6)}   ${ratio.padStart(5)}${extra}`;
}

function avg(ds: Deviation[]): Deviation {
  return { max: ds.reduce((n, d) => n + d.max, 0) / ds.length, mean: ds.reduce((n, d) => n + d.mean, 0) / ds.length };
}

async function main(): Promise<void> {
  const dataRoot = resolve(process.argv[2] ?? '../shared/data/hymenoptera_data');
  console.log('Per-class |count − target| in images, 80/10/10 (max over classes × splits, mean); baseline = pure hash threshold.');
  console.log(`${'dataset'.padEnd(40)} ${'images'.padStart(6)}  ${'max'.padStart(6)} ${'mean'.padStart(6)}   ${'b.max'.padStart(6)} ${'b.mean'.padStart(6)}   ratio`);

  try {
    const items = await hymenoptera(dataRoot);
    const res = assignSplits(items, { ratios: RATIOS, seed: 'edgewise' });
    const clusters = new Set(items.map((i) => i.group)).size;
    const perSeed = Array.from({ length: 20 }, (_, s) => deviation(items, assignSplits(items, { ratios: RATIOS, seed: `s${s}` }).splits));
    const perSeedBase = Array.from({ length: 20 }, (_, s) => deviation(items, baseline(items, `s${s}`)));
    console.log(row(`hymenoptera (seed "edgewise")`, items.length, deviation(items, res.splits), deviation(items, baseline(items, 'edgewise')), `  (${clusters} clusters)`));
    console.log(row(`hymenoptera (mean of 20 seeds)`, items.length, avg(perSeed), avg(perSeedBase)));
  } catch (e) {
    console.log(`hymenoptera: skipped (${(e as Error).message})`);
  }

  for (const perClass of [20, 100, 1000]) {
    const ours: Deviation[] = [];
    const base: Deviation[] = [];
    let moved = 0;
    let movedScratch = 0;
    let grownWorst = 0;
    let worst = 0;
    let sizes = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const items = synthetic(seed, 5, perClass);
      sizes += items.length;
      const first = assignSplits(items, { ratios: RATIOS, seed: `b${seed}` });
      const d = deviation(items, first.splits);
      ours.push(d);
      worst = Math.max(worst, d.max);
      base.push(deviation(items, baseline(items, `b${seed}`)));
      // +10% images in new clusters, with the previous split kept.
      const previous = new Map(items.map((it, i) => [it.image, first.splits[i]!]));
      const grown = [...items, ...synthetic(seed + 500, 5, Math.max(1, Math.round(perClass / 10)), 'new_')];
      const second = assignSplits(grown, { ratios: RATIOS, seed: `b${seed}`, previous });
      items.forEach((_, i) => {
        if (second.splits[i] !== first.splits[i]) moved++;
      });
      grownWorst = Math.max(grownWorst, deviation(grown, second.splits).max);
      // Without the previous splits.csv (e.g. it was deleted): how many would move.
      const scratch = assignSplits(grown, { ratios: RATIOS, seed: `b${seed}` });
      items.forEach((_, i) => {
        if (scratch.splits[i] !== first.splits[i]) movedScratch++;
      });
    }
    console.log(row(`synthetic 5 × ~${perClass} (mean of 20 seeds)`, Math.round(ours.length && sizes / 20), avg(ours), avg(base), `  worst ${worst.toFixed(2)}; +10%: moved ${moved}, worst dev ${grownWorst.toFixed(2)}; without splits.csv moved ${(100 * movedScratch / sizes).toFixed(1)}%`));
  }

  // Throughput, for scale: 100k images in 5 classes.
  const big = synthetic(99, 5, 20_000);
  const t0 = performance.now();
  assignSplits(big, { ratios: RATIOS, seed: 'speed' });
  const t1 = performance.now();
  baseline(big, 'speed');
  const t2 = performance.now();
  console.log(`\n100k images: ${(t1 - t0).toFixed(0)} ms (baseline hash-only ${(t2 - t1).toFixed(0)} ms, ratio ${((t1 - t0) / (t2 - t1)).toFixed(2)})`);
}

await main();
