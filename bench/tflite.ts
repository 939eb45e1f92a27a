/**
 * The .tflite runner's speed and fidelity on real photos.
 *
 *   node dist/bench/tflite.js [DATA] [--n 20] [--layer block_15_add]
 *
 * Builds the local classifier shape (nsfwjs MobileNetV2 truncated at --layer, global average pooling, a dense
 * softmax head with seeded random weights, 2 classes), exports it with convertLayersModel and runs the SAME
 * preprocessed images through:
 *   baseline  the in-memory tfjs model on the wasm backend (model.predict, batch 1)
 *   tflite    the exported .tflite through loadTfliteModel (LiteRT.js wasm, batch 1)
 *   tflite+io runBatches on the image files (decode + resize overlapped with inference)
 *   pool      loadTflitePool with 2 worker threads, runBatches on the image files
 * and prints images/s, the ratio tflite/baseline, and the max |Δp| between the two on those photos (the
 * issue's ≤ 1e-4 criterion). DATA defaults to ../shared/data/hymenoptera_data (val/<class>/*.jpg used).
 * Numbers come from a shared 2-core machine: read the ratio, not the absolute figures.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SymbolicTensor, Tensor } from '@tensorflow/tfjs';
import { loadTf } from '../src/train/local/tf-runtime.js';
import { nsfwjsMobileNetV2 } from '../src/train/local/nsfwjs-backbone.js';
import { convertLayersModel } from '../src/tflite/convert-layers.js';
import { loadTfliteModel } from '../src/tflite/runner.js';
import { loadTflitePool } from '../src/tflite/runner-pool.js';
import { pixelsToFloat, preprocessImage } from '../src/tflite/preprocess.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = args[i + 1] ?? dflt;
  args.splice(i, 2);
  return v;
};
const n = Number(flag('n', '20'));
const layer = flag('layer', 'block_15_add');
const data = resolve(args[0] ?? '../shared/data/hymenoptera_data');

function listImages(root: string, count: number): string[] {
  const val = join(root, 'val');
  const classes = readdirSync(val).sort();
  const per = classes.map((c) => readdirSync(join(val, c)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().map((f) => join(val, c, f)));
  const out: string[] = [];
  for (let i = 0; out.length < count && i < 10_000; i++) {
    const list = per[i % per.length]!;
    const f = list[Math.floor(i / per.length)];
    if (f) out.push(f);
    if (per.every((l) => Math.floor(i / per.length) >= l.length)) break;
  }
  return out;
}

async function main(): Promise<void> {
  process.env.EDGEWISE_TF_BACKEND ??= 'wasm';
  const { tf, backend } = await loadTf();
  const base = await nsfwjsMobileNetV2.load(tf);
  const feats = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(base.getLayer(layer).output as SymbolicTensor) as SymbolicTensor;
  const dense = tf.layers.dense({ units: 2, activation: 'softmax', name: 'probabilities' });
  const model = tf.model({ inputs: base.inputs, outputs: dense.apply(feats) as SymbolicTensor });
  const dim = feats.shape[1] as number;
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.3;
  dense.setWeights([tf.tensor2d(Float32Array.from({ length: dim * 2 }, rnd), [dim, 2]), tf.tensor1d([0.1, -0.1])]);

  const t0 = performance.now();
  const bytes = convertLayersModel(model, { labels: ['ants', 'bees'] });
  const convertMs = performance.now() - t0;
  const runner = await loadTfliteModel(bytes);

  const files = listImages(data, n);
  const pixels = await Promise.all(files.map((f) => preprocessImage(f, { width: 224, height: 224 })));
  const floats = pixels.map((p) => pixelsToFloat(p));

  // Warm-up both (first runs compile kernels / allocate).
  tf.tidy(() => model.predict(tf.tensor4d(floats[0]!, [1, 224, 224, 3])));
  await runner.predict([floats[0]!]);

  const tb = performance.now();
  const ref = floats.map((x) => tf.tidy(() => (model.predict(tf.tensor4d(x, [1, 224, 224, 3])) as Tensor).dataSync() as Float32Array));
  const baseMs = performance.now() - tb;

  const tr = performance.now();
  const got = await runner.predict(floats);
  const tfliteMs = performance.now() - tr;

  const ti = performance.now();
  const gotFiles = await runner.runBatches(files);
  const ioMs = performance.now() - ti;

  const pool = await loadTflitePool(bytes, { threads: 2 });
  await pool.predict([floats[0]!, floats[1]!, floats[2]!, floats[3]!]);
  const tp = performance.now();
  const gotPool = await pool.runBatches(files);
  const poolMs = performance.now() - tp;
  pool.dispose();

  let maxDiff = 0;
  let maxDiffFiles = 0;
  for (let i = 0; i < files.length; i++) {
    for (let k = 0; k < 2; k++) {
      maxDiff = Math.max(maxDiff, Math.abs(ref[i]![k]! - got[i]![k]!));
      maxDiffFiles = Math.max(maxDiffFiles, Math.abs(ref[i]![k]! - gotFiles[i]![k]!), Math.abs(ref[i]![k]! - gotPool[i]![k]!));
    }
  }
  const rate = (ms: number) => (files.length / ms) * 1000;
  console.log(`bench/tflite: nsfwjs MobileNetV2 → ${layer} + mean pooling + dense softmax; ${files.length} photos from ${data}`);
  console.log(`  tfjs backend ${backend}; .tflite ${(bytes.byteLength / 1e6).toFixed(2)} MB, ${runner.info.operators.length} ops, converted in ${convertMs.toFixed(0)} ms`);
  console.log(`  baseline  tfjs ${backend} predict      ${rate(baseMs).toFixed(1)} img/s`);
  console.log(`  tflite    LiteRT.js predict          ${rate(tfliteMs).toFixed(1)} img/s   ratio ${(rate(tfliteMs) / rate(baseMs)).toFixed(2)}× baseline`);
  console.log(`  tflite+io runBatches(files)           ${rate(ioMs).toFixed(1)} img/s   ratio ${(rate(ioMs) / rate(baseMs)).toFixed(2)}× baseline`);
  console.log(`  tflite pool (${pool.threads} threads) runBatches(files) ${rate(poolMs).toFixed(1)} img/s   ratio ${(rate(poolMs) / rate(baseMs)).toFixed(2)}× baseline`);
  console.log(`  max |p_tflite − p_tfjs| over ${files.length} photos: ${maxDiff.toExponential(2)} (files + pool paths: ${maxDiffFiles.toExponential(2)}; criterion ≤ 1e-4: ${maxDiff <= 1e-4 && maxDiffFiles <= 1e-4 ? 'PASS' : 'FAIL'})`);
  runner.dispose();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
