/**
 * Which features of the bundled network classify real multi-class photos best, and what each costs on the
 * device. Re-measures the choice made on ants/bees (docs/notes/local-backbone.md) on a 10-class set.
 *
 *   node dist/bench/features.js [DATA] [--per-class N] [--rounds R] [--sizes 224,288,320] [--test-split test]
 *
 * DATA: an ImageFolder with train/<class>/* and test/<class>/* (default ../shared/data/clothing-dataset-small).
 * --per-class: train images per class (default: all); the test folder is always used whole.
 *
 * One LiteRT feature model per input size (the nsfwjs MobileNetV2 cut at block_13_expand_relu, converted by
 * edgewise's own converter) outputs the global mean AND a 2×2 grid of means in one pass, so pooling variants
 * cost no extra forward pass. Train views: original, mirror, two random crops (85–95 % of each side, seeded by
 * file name). Heads: the production trainer, early stopping on a held-out fifth of train, R seeds.
 * ms/img: LiteRT forward of each feature model on this machine (a relative device cost; decode excluded).
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import sharp from 'sharp';
import type { LayersModel, SymbolicTensor, io } from '@tensorflow/tfjs';
import { seededRandom } from '../src/core/random.js';
import { convertLayersModel } from '../src/tflite/convert-layers.js';
import { loadTfliteModel } from '../src/tflite/runner.js';
import { pixelsToFloat, preprocessImage } from '../src/tflite/preprocess.js';
import { defaultHeadOptions, headAccuracy, trainHead, type FeatureSet } from '../src/train/local/head.js';
import { featureModel } from '../src/train/local/backbone.js';
import { nsfwjsMobileNetV2, nsfwjsModelsDir } from '../src/train/local/nsfwjs-backbone.js';
import { loadTf, type Tf } from '../src/train/local/tf-runtime.js';
import { imageFolder } from './embed-layers.js';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv.splice(i, 2)[1] : undefined;
};
const perClass = Number(flag('--per-class') ?? Infinity);
const rounds = Number(flag('--rounds') ?? 3);
const sizesArg = flag('--sizes');
const testSplit = flag('--test-split') ?? 'test';
const data = resolve(argv[0] ?? '../shared/data/clothing-dataset-small');
const LAYER = 'block_13_expand_relu';
const require = createRequire(import.meta.url);

/** The bundled MobileNetV2 cut at `layer`, rebuilt for a square input of `size` px (the net is convolutional up to there). */
async function truncatedBackbone(tf: Tf, layer: string, size: number): Promise<LayersModel> {
  const dir = join(nsfwjsModelsDir(), 'mobilenet_v2');
  const json = structuredClone(require(join(dir, 'model.min.js'))) as {
    modelTopology: { model_config: { config: { layers: Array<{ name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[][][] }>; input_layers: unknown; output_layers: unknown } } };
    weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
  };
  const cfg = json.modelTopology.model_config.config;
  const byName = new Map(cfg.layers.map((l) => [l.name, l]));
  const keep = new Set<string>();
  const stack = [layer];
  while (stack.length) {
    const n = stack.pop()!;
    if (keep.has(n)) continue;
    keep.add(n);
    for (const node of byName.get(n)!.inbound_nodes) for (const inb of node) stack.push(inb[0] as string);
  }
  cfg.layers = cfg.layers.filter((l) => keep.has(l.name));
  const input = cfg.layers.find((l) => l.class_name === 'InputLayer')!;
  input.config.batch_input_shape = [null, size, size, 3];
  cfg.output_layers = [[layer, 0, 0]];
  const group = json.weightsManifest[0]!;
  const shards = group.paths.map((_p, i) => Buffer.from(require(join(dir, `group1-shard${i + 1}of${group.paths.length}.min.js`)) as string, 'base64'));
  const bytes = Buffer.concat(shards);
  // Keep only the kept layers' weights, slicing their bytes out of the concatenated shards.
  const specs: io.WeightsManifestEntry[] = [];
  const parts: Buffer[] = [];
  let off = 0;
  for (const w of group.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1) * (w.quantization ? 1 : 4);
    if (keep.has(w.name.split('/')[0]!)) {
      specs.push(w);
      parts.push(bytes.subarray(off, off + n));
    }
    off += n;
  }
  const wd = Buffer.concat(parts);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: wd.buffer.slice(wd.byteOffset, wd.byteOffset + wd.byteLength) }));
}

/** [global mean (C), 2×2 grid of means (4C)] of the cut layer, as one .tflite. */
async function featureTflite(tf: Tf, size: number): Promise<{ bytes: Uint8Array; channels: number }> {
  const base = await truncatedBackbone(tf, LAYER, size);
  const map = base.getLayer(LAYER).output as SymbolicTensor;
  const [, h, , c] = map.shape as number[];
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(map) as SymbolicTensor;
  const grid = tf.layers.averagePooling2d({ poolSize: Math.floor(h! / 2), strides: Math.floor(h! / 2), name: 'grid' }).apply(map) as SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'grid_flat' }).apply(grid) as SymbolicTensor;
  const out = tf.layers.concatenate({ axis: -1, name: 'feats' }).apply([gap, flat]) as SymbolicTensor;
  const model = tf.model({ inputs: base.inputs, outputs: out });
  return { bytes: convertLayersModel(model, { inputRange: [0, 1] }), channels: c! };
}

type View = 'orig' | 'flip' | 'crop1' | 'crop2';

/** A view's pixels at `size`: the production preprocessing for `orig`; a mirror or a seeded crop otherwise. */
async function viewPixels(file: string, size: number, view: View): Promise<Float32Array> {
  if (view === 'orig') return pixelsToFloat(await preprocessImage(file, { width: size, height: size }));
  let img = sharp(file, { failOn: 'error' }).rotate();
  if (view === 'flip') img = img.flop();
  else {
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    const rnd = seededRandom(`${basename(file)}-${view}`);
    const fw = 0.85 + 0.1 * rnd();
    const fh = 0.85 + 0.1 * rnd();
    const w = Math.max(1, Math.round(info.width * fw));
    const hgt = Math.max(1, Math.round(info.height * fh));
    const left = Math.floor(rnd() * (info.width - w + 1));
    const top = Math.floor(rnd() * (info.height - hgt + 1));
    img = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).extract({ left, top, width: w, height: hgt });
  }
  const { data, info } = await img.resize(size, size, { fit: 'fill', kernel: 'linear' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${file}: ${info.channels} channels`);
  return pixelsToFloat(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

interface Extracted {
  /** view → per image feature vector (gap then grid) */
  feats: Map<View, Float32Array[]>;
  msPerImage: number;
  channels: number;
}

async function extract(tf: Tf, size: number, files: string[], viewsOf: (i: number) => View[]): Promise<Extracted> {
  const key = createHash('sha256').update(JSON.stringify({ size, files, v: files.map((_, i) => viewsOf(i)), LAYER, fmt: 2 })).digest('hex').slice(0, 16);
  const memo = join(tmpdir(), `edgewise-features-${key}.bin`);
  if (existsSync(memo)) return deserialize(readFileSync(memo)) as Extracted;
  const { bytes, channels } = await featureTflite(tf, size);
  const model = await loadTfliteModel(bytes, { softmax: 'never', inputRange: [0, 1] });
  const feats = new Map<View, Float32Array[]>();
  let forwardMs = 0;
  let forwards = 0;
  for (let i = 0; i < files.length; i++) {
    for (const v of viewsOf(i)) {
      const px = await viewPixels(files[i]!, size, v);
      const t = performance.now();
      const out = await model.runPrepared(px);
      forwardMs += performance.now() - t;
      forwards++;
      if (!feats.has(v)) feats.set(v, []);
      feats.get(v)![i] = out.slice();
    }
    if ((i + 1) % 200 === 0) process.stderr.write(`  ${size}px: ${i + 1}/${files.length} images\n`);
  }
  model.dispose();
  const res: Extracted = { feats, msPerImage: forwardMs / forwards, channels };
  writeFileSync(memo, serialize(res));
  return res;
}

type Pool = 'gap' | 'grid' | 'gap+grid';
function vec(f: Float32Array, c: number, pool: Pool): Float32Array {
  return pool === 'gap' ? f.subarray(0, c) : pool === 'grid' ? f.subarray(c) : f;
}

function featureSet(ex: Extracted, labels: number[], idx: number[], views: View[], pool: Pool): FeatureSet {
  const rows: Float32Array[] = [];
  const ys: number[] = [];
  for (const i of idx) {
    for (const v of views) {
      rows.push(vec(ex.feats.get(v)![i]!, ex.channels, pool));
      ys.push(labels[i]!);
    }
  }
  const dim = rows[0]!.length;
  const x = new Float32Array(rows.length * dim);
  rows.forEach((r, k) => x.set(r, k * dim));
  return { x, y: Int32Array.from(ys), n: rows.length, dim };
}

async function score(tf: Tf, ex: Extracted, labels: number[], classes: number, trainIdx: number[], testIdx: number[], views: View[], pool: Pool, round: number): Promise<number> {
  const fit = trainIdx.filter((_, k) => k % 5 !== round % 5);
  const stop = trainIdx.filter((_, k) => k % 5 === round % 5);
  const head = await trainHead(tf, featureSet(ex, labels, fit, views, pool), featureSet(ex, labels, stop, ['orig'], pool), classes, { ...defaultHeadOptions, seed: `features-${round}` });
  const test = featureSet(ex, labels, testIdx, ['orig'], pool);
  return headAccuracy(head, test);
}

const { tf, backend } = await loadTf();
const tr = imageFolder(data, 'train');
const te = imageFolder(data, testSplit);
const count = new Map<number, number>();
const trainSel = tr.files.map((_, i) => i).filter((i) => {
  const k = count.get(tr.labels[i]!) ?? 0;
  count.set(tr.labels[i]!, k + 1);
  return k < perClass;
});
const files = [...trainSel.map((i) => tr.files[i]!), ...te.files];
const labels = [...trainSel.map((i) => tr.labels[i]!), ...te.labels];
const trainIdx = trainSel.map((_, k) => k);
const testIdx = te.files.map((_, k) => trainSel.length + k);
console.log(`${data}: ${trainIdx.length} train, ${testIdx.length} test images, ${tr.classes.length} classes; tfjs ${backend}; ${rounds} seeds per cell`);

// The rebuilt network must compute what the production feature model computes (same image, 224 px).
{
  const { bytes, channels } = await featureTflite(tf, 224);
  const lite = await loadTfliteModel(bytes, { softmax: 'never', inputRange: [0, 1] });
  const px = pixelsToFloat(await preprocessImage(te.files[0]!, { width: 224, height: 224 }));
  const ours = (await lite.runPrepared(px)).subarray(0, channels);
  const prod = (await (featureModel(tf, await nsfwjsMobileNetV2.load(tf), { layers: [LAYER], pooling: 'mean' }).predict(tf.tensor4d(px, [1, 224, 224, 3])) as import('@tensorflow/tfjs').Tensor).data()) as Float32Array;
  const diff = Math.max(...Array.from(prod, (v, k) => Math.abs(v - ours[k]!)));
  console.log(`check: rebuilt 224 px features vs the production feature model, max |Δ| ${diff.toExponential(2)}`);
  if (!(diff < 1e-3)) throw new Error('the rebuilt feature model does not match production');
  lite.dispose();
}

const sizes = (sizesArg ?? '224,288,320').split(',').map(Number);
const viewsFor = (size: number) => (i: number): View[] => (i >= trainIdx.length ? ['orig'] : size === 224 ? ['orig', 'flip', 'crop1', 'crop2'] : ['orig', 'flip']);
const table: string[] = ['| input | pooling | train views | dim | test top-1, mean (min–max) | LiteRT ms/img (feature model) |', '|---|---|---|---|---|---|'];
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
for (const size of sizes) {
  const t0 = performance.now();
  const ex = await extract(tf, size, files, viewsFor(size));
  console.log(`${size}px: features in ${((performance.now() - t0) / 1000).toFixed(0)} s; forward ${ex.msPerImage.toFixed(1)} ms/img`);
  const cells: Array<[Pool, View[]]> = [
    ['gap', ['orig']],
    ['gap', ['orig', 'flip']],
    ['grid', ['orig']],
    ['gap+grid', ['orig']],
  ];
  if (size === 224) cells.push(['gap', ['orig', 'flip', 'crop1', 'crop2']], ['gap+grid', ['orig', 'flip', 'crop1', 'crop2']]);
  for (const [pool, views] of cells) {
    const s: number[] = [];
    for (let r = 0; r < rounds; r++) s.push(await score(tf, ex, labels, tr.classes.length, trainIdx, testIdx, views, pool, r));
    const dim = vec(ex.feats.get('orig')![0]!, ex.channels, pool).length;
    const line = `| ${size} | ${pool} | ${views.join('+')} | ${dim} | ${(mean(s) * 100).toFixed(1)} % (${(Math.min(...s) * 100).toFixed(1)}–${(Math.max(...s) * 100).toFixed(1)}) | ${ex.msPerImage.toFixed(1)} |`;
    table.push(line);
    console.log(line);
  }
}
console.log('\n' + table.join('\n'));
