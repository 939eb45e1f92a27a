/**
 * Benchmarks of the local backend's embedding and head training, and the layer search behind the
 * backbone's default feature layer.
 *
 *   node dist/bench/embed.js [speed] [DATA]   embedding img/s: tfjs-wasm 1 thread (baseline) vs tfjs-wasm 2 workers,
 *                                             LiteRT float32/int8 1 thread and 2 threads; per-image breakdown;
 *                                             head samples/s; THE RATIO of the default path to the baseline
 *   node dist/bench/embed.js layers [DATA]    top-1 per feature variant on DATA (train → val) and synthetic data
 *   node dist/bench/embed.js precision [DATA] [--per-class N] [--rounds R] [--calibration K] [--test-split S]
 *                                             int8 vs float32 feature model: head top-1 on DATA
 *                                             (default ../shared/data/clothing-dataset-small, 150/class, 3 seeds, K=32)
 *
 * DATA defaults to ../shared/data/hymenoptera_data (an ImageFolder: train/<class>/*, val/<class>/*).
 * Numbers are from a shared 2-core machine: compare the ratios, not the absolute figures.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateSyntheticDataset } from '../src/synthetic/synthetic.js';
import { loadTf } from '../src/train/local/tf-runtime.js';
import { extractAllCached, imageFolder, scoreVariant, type Variant } from './embed-layers.js';
import { runPrecision } from './embed-precision.js';
import { runSpeed } from './embed-speed.js';

const args = process.argv.slice(2);
const mode = args[0] === 'layers' || args[0] === 'speed' || args[0] === 'precision' ? args.shift()! : 'speed';
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1]! : dflt;
};
const precisionOpts = {
  perClass: Number(flag('--per-class', '150')),
  rounds: Number(flag('--rounds', '3')),
  calibration: Number(flag('--calibration', '32')),
  testSplit: flag('--test-split', 'test'),
};
const data = resolve(args[0] ?? (mode === 'precision' ? '../shared/data/clothing-dataset-small' : '../shared/data/hymenoptera_data'));

const LAYERS = [
  'block_9_add', 'block_12_add', 'block_12_expand_relu', 'block_12_depthwise_relu', 'block_13_expand_relu', 'block_13_depthwise_relu',
  'block_14_add', 'block_14_expand_relu', 'block_14_depthwise_relu', 'block_15_add', 'block_15_expand_relu', 'block_15_depthwise_relu',
  'block_16_expand_relu', 'block_16_depthwise_relu', 'block_16_project_BN', 'out_relu',
];

function variants(): Variant[] {
  const v: Variant[] = [];
  for (const l of LAYERS) {
    v.push({ name: `${l} mean`, layers: [l], pooling: 'mean', flipTrain: false, flipTest: false, hidden: 0 });
    v.push({ name: `${l} mean+max`, layers: [l], pooling: 'meanmax', flipTrain: false, flipTest: false, hidden: 0 });
  }
  return v;
}

function withExtras(best: Variant[]): Variant[] {
  const out: Variant[] = [];
  for (const b of best) {
    out.push({ ...b, name: `${b.name} +flip train`, flipTrain: true });
    out.push({ ...b, name: `${b.name} +flip train+test`, flipTrain: true, flipTest: true });
    out.push({ ...b, name: `${b.name} hidden 128`, hidden: 128 });
  }
  return out;
}

async function layerSearch(): Promise<void> {
  const { tf, backend } = await loadTf();
  console.log(`backend: ${backend}`);
  const tables: string[] = [];

  // Real photos: train → val.
  const tr = imageFolder(data, 'train');
  const va = imageFolder(data, 'val');
  const files = [...tr.files, ...va.files];
  const labels = [...tr.labels, ...va.labels];
  const t0 = performance.now();
  const feats = await extractAllCached(tf, LAYERS, files, (d) => {
    if (d % 50 === 0) process.stderr.write(`  embedded ${d}/${files.length}\n`);
  });
  console.log(`extracted ${files.length} images ×2 views in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const trainIdx = tr.files.map((_, i) => i);
  const testIdx = va.files.map((_, i) => tr.files.length + i);

  // Synthetic shapes: first half of each class trains, second half tests.
  // A fixed folder so the feature memo (keyed by file paths) survives reruns.
  const root = join(tmpdir(), 'edgewise-layer-search-synthetic');
  rmSync(root, { recursive: true, force: true });
  const syn = await generateSyntheticDataset({ root, classes: 4, perClass: 40, faults: false, seed: 'layer-search' });
  const sFiles = syn.images.map((i) => join(syn.imagesDir, i.image));
  const sLabels = syn.images.map((i) => syn.labels.indexOf(i.label));
  const sFeats = await extractAllCached(tf, LAYERS, sFiles);
  const seen = new Map<number, number>();
  const sTrain: number[] = [];
  const sTest: number[] = [];
  sLabels.forEach((l, i) => {
    const k = seen.get(l) ?? 0;
    seen.set(l, k + 1);
    (k % 2 === 0 ? sTrain : sTest).push(i);
  });

  // Heads are noisy on ~150 test images: every score is the mean over ROUNDS seeds (each with its own
  // early-stopping holdout); synthetic alternates the two halves as train/test.
  const rounds = Number(process.env.LAYER_ROUNDS ?? 3);
  const results: { v: Variant; real: number; syn: number; dim: number; realMin: number; realMax: number }[] = [];
  const run = async (vs: Variant[]): Promise<void> => {
    for (const v of vs) {
      const reals: number[] = [];
      const syns: number[] = [];
      let dim = 0;
      for (let k = 0; k < rounds; k++) {
        const r = await scoreVariant(tf, feats, labels, tr.classes.length, trainIdx, testIdx, v, k);
        const s = await scoreVariant(tf, sFeats, sLabels, syn.labels.length, k % 2 ? sTest : sTrain, k % 2 ? sTrain : sTest, v, k);
        reals.push(r.top1);
        syns.push(s.top1);
        dim = r.dim;
      }
      const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
      results.push({ v, real: mean(reals), syn: mean(syns), dim, realMin: Math.min(...reals), realMax: Math.max(...reals) });
      console.log(`${v.name.padEnd(48)} dim ${String(dim).padStart(5)}  real ${(mean(reals) * 100).toFixed(1)}% [${reals.map((x) => (x * 100).toFixed(1)).join(' ')}]  synthetic ${(mean(syns) * 100).toFixed(1)}%`);
    }
  };
  await run(variants());
  // Two-layer concatenations of the four best single layers (mean pooling).
  const bestLayers = [...results].filter((r) => r.v.pooling === 'mean').sort((a, b) => b.real - a.real).slice(0, 4).map((r) => r.v.layers[0]!);
  const pairs: Variant[] = [];
  for (let i = 0; i < bestLayers.length; i++) {
    for (let j = i + 1; j < bestLayers.length; j++) {
      const [a, b] = [bestLayers[i]!, bestLayers[j]!].sort((x, y) => LAYERS.indexOf(x) - LAYERS.indexOf(y));
      pairs.push({ name: `${a} + ${b} mean`, layers: [a!, b!], pooling: 'mean', flipTrain: false, flipTest: false, hidden: 0 });
    }
  }
  await run(pairs);
  const top = [...results].sort((a, b) => b.real - a.real).slice(0, 3).map((r) => r.v);
  await run(withExtras(top));
  tables.push(`| variant | dim | hymenoptera val top-1 (mean of ${rounds}; min–max) | synthetic test top-1 (mean) |`, '|---|---|---|---|');
  for (const r of results) tables.push(`| ${r.v.name} | ${r.dim} | ${(r.real * 100).toFixed(1)} % (${(r.realMin * 100).toFixed(1)}–${(r.realMax * 100).toFixed(1)}) | ${(r.syn * 100).toFixed(1)} % |`);
  console.log('\n' + tables.join('\n'));
}

if (mode === 'layers') await layerSearch();
else if (mode === 'precision') await runPrecision(data, precisionOpts);
else await runSpeed(data);
