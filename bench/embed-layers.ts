import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { deserialize, serialize } from 'node:v8';
import { join } from 'node:path';
import type { SymbolicTensor, Tensor } from '@tensorflow/tfjs';
import type { FeatureSet, HeadOptions } from '../src/train/local/head.js';
import { defaultHeadOptions, predictHead, trainHead } from '../src/train/local/head.js';
import { nsfwjsMobileNetV2 } from '../src/train/local/nsfwjs-backbone.js';
import { flipHorizontal, preprocessId, preprocessImage } from '../src/train/local/preprocess.js';
import type { Tf } from '../src/train/local/tf-runtime.js';

/**
 * Which backbone layer's pooled features classify real photos best: one forward pass per image (and its
 * mirror) yields mean- and max-pooled vectors of every candidate layer; heads are then trained per variant.
 */
export interface LabelledFiles {
  files: string[];
  labels: number[];
  classes: string[];
}

/** An ImageFolder layout: root/<split>/<class>/*.jpg */
export function imageFolder(root: string, split: string): LabelledFiles {
  const dir = join(root, split);
  const classes = readdirSync(dir).filter((d) => !d.startsWith('.')).sort();
  const files: string[] = [];
  const labels: number[] = [];
  classes.forEach((c, ci) => {
    for (const f of readdirSync(join(dir, c)).sort()) {
      files.push(join(dir, c, f));
      labels.push(ci);
    }
  });
  return { files, labels, classes };
}

/** Per image, per layer: [mean, max] vectors; for the original and the mirrored view. */
export type LayerFeatures = Map<string, { mean: Float32Array[]; max: Float32Array[]; meanFlip: Float32Array[]; maxFlip: Float32Array[] }>;

/** Like extractAll, memoised in a temp file (the search reruns heads many times; extraction is the slow part). */
export async function extractAllCached(tf: Tf, layers: string[], files: string[], onProgress?: (done: number) => void): Promise<LayerFeatures> {
  const key = createHash('sha256').update(JSON.stringify({ layers, files, preprocessId })).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `edgewise-layer-features-${key}.bin`);
  if (existsSync(file)) return deserialize(readFileSync(file)) as LayerFeatures;
  const f = await extractAll(tf, layers, files, onProgress);
  writeFileSync(file, serialize(f));
  return f;
}

export async function extractAll(tf: Tf, layers: string[], files: string[], onProgress?: (done: number) => void): Promise<LayerFeatures> {
  const bb = nsfwjsMobileNetV2;
  const base = await bb.load(tf);
  const outs = layers.map((l) => base.getLayer(l).output as SymbolicTensor);
  const multi = tf.model({ inputs: base.inputs, outputs: outs });
  const res: LayerFeatures = new Map(layers.map((l) => [l, { mean: [], max: [], meanFlip: [], maxFlip: [] }]));
  const { width, height } = bb.input;
  for (let i = 0; i < files.length; i++) {
    const px = await preprocessImage(files[i]!, bb.input);
    const both = new Float32Array(px.length * 2);
    both.set(px, 0);
    both.set(flipHorizontal(px, width, height), px.length);
    const pooled = tf.tidy(() => {
      const x = tf.tensor4d(both, [2, height, width, 3]);
      const ys = multi.predict(x) as Tensor[];
      return ys.map((y) => [tf.mean(y, [1, 2]), tf.max(y, [1, 2])] as const);
    });
    for (let li = 0; li < layers.length; li++) {
      const [m, x] = pooled[li]!;
      const md = (await m.data()) as Float32Array;
      const xd = (await x.data()) as Float32Array;
      const d = md.length / 2;
      const r = res.get(layers[li]!)!;
      r.mean.push(md.slice(0, d));
      r.meanFlip.push(md.slice(d));
      r.max.push(xd.slice(0, d));
      r.maxFlip.push(xd.slice(d));
      m.dispose();
      x.dispose();
    }
    onProgress?.(i + 1);
  }
  return res;
}

export interface Variant {
  name: string;
  layers: string[];
  pooling: 'mean' | 'meanmax';
  flipTrain: boolean;
  flipTest: boolean;
  hidden: number;
}

function rows(f: LayerFeatures, v: Variant, idx: number, flipped: boolean): Float32Array {
  const parts: Float32Array[] = [];
  for (const l of v.layers) {
    const r = f.get(l)!;
    parts.push((flipped ? r.meanFlip : r.mean)[idx]!);
    if (v.pooling === 'meanmax') parts.push((flipped ? r.maxFlip : r.max)[idx]!);
  }
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function toSet(f: LayerFeatures, v: Variant, labels: number[], idx: number[], withFlip: boolean): FeatureSet {
  const vecs: Float32Array[] = [];
  const ys: number[] = [];
  for (const i of idx) {
    vecs.push(rows(f, v, i, false));
    ys.push(labels[i]!);
    if (withFlip) {
      vecs.push(rows(f, v, i, true));
      ys.push(labels[i]!);
    }
  }
  const dim = vecs[0]!.length;
  const x = new Float32Array(vecs.length * dim);
  vecs.forEach((r, i) => x.set(r, i * dim));
  return { x, y: Int32Array.from(ys), n: vecs.length, dim };
}

/**
 * Trains on `trainIdx` (early stopping on a held-out slice of it: the validation images stay unseen) and
 * returns top-1 on `testIdx`.
 */
export async function scoreVariant(tf: Tf, f: LayerFeatures, labels: number[], classes: number, trainIdx: number[], testIdx: number[], v: Variant, round = 0): Promise<{ top1: number; dim: number; epochs: number }> {
  // Every 5th training image (a different fifth per round) held out for early stopping; seed per round.
  const fit = trainIdx.filter((_, i) => i % 5 !== round % 5);
  const stop = trainIdx.filter((_, i) => i % 5 === round % 5);
  const opts: HeadOptions = { ...defaultHeadOptions, hidden: v.hidden, seed: `layer-search-${round}` };
  const head = await trainHead(tf, toSet(f, v, labels, fit, v.flipTrain), toSet(f, v, labels, stop, false), classes, opts);
  const test = toSet(f, v, labels, testIdx, false);
  let probs = predictHead(head, test.x, test.n);
  if (v.flipTest) {
    const tf2 = toSet(f, { ...v }, labels, testIdx, true);
    // toSet with flip interleaves original and mirror; average the pair.
    const pf = predictHead(head, tf2.x, tf2.n);
    probs = new Float32Array(test.n * classes).map((_, k) => {
      const r = Math.floor(k / classes);
      const c = k % classes;
      return (pf[2 * r * classes + c]! + pf[(2 * r + 1) * classes + c]!) / 2;
    });
  }
  let correct = 0;
  for (let r = 0; r < test.n; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[r * classes + c]! > probs[r * classes + best]!) best = c;
    if (best === test.y[r]) correct++;
  }
  return { top1: correct / test.n, dim: test.dim, epochs: head.bestEpoch };
}
