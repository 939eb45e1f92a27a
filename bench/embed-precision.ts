import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { seededRandom } from '../src/core/random.js';
import { featureTflite, featureTfliteInt8 } from '../src/train/local/feature-tflite.js';
import { featureOnnxInt8 } from '../src/train/local/feature-onnx.js';
import { createOrtSession, loadOrt } from '../src/train/local/onnx-runtime.js';
import { defaultHeadOptions, headAccuracy, trainHead, type FeatureSet } from '../src/train/local/head.js';
import { nsfwjsMobileNetV2 } from '../src/train/local/nsfwjs-backbone.js';
import { loadTf, type Tf } from '../src/train/local/tf-runtime.js';
import { loadTfliteModel } from '../src/tflite/runner.js';
import { pixelsToFloat, preprocessImage } from '../src/tflite/preprocess.js';
import { imageFolder } from './embed-layers.js';

/**
 * Does the int8 feature model cost accuracy? On an ImageFolder (default clothing-dataset-small: train → test),
 * both production feature models (float32 and int8, the default spec: block_13_expand_relu, 2×2 grid) embed
 * the same decoded pixels; heads (the production trainer, early stopping on a fifth of train, R seeds) are
 * scored on the grid and on the global mean derived from it, for:
 *   float → float, int8 → int8 (embeddings and head both from int8), and
 *   int8 → float (head trained on int8 embeddings, applied to float features: what the exported float
 *   model.tflite computes on the device), for both int8 models: LiteRT's .tflite and onnxruntime's QDQ .onnx.
 */
export async function runPrecision(data: string, opts: { perClass: number; rounds: number; calibration: number; testSplit: string }): Promise<void> {
  const { tf } = await loadTf();
  const tr = imageFolder(data, 'train');
  const te = imageFolder(data, opts.testSplit);
  const count = new Map<number, number>();
  const trainSel = tr.files.map((_, i) => i).filter((i) => {
    const k = count.get(tr.labels[i]!) ?? 0;
    count.set(tr.labels[i]!, k + 1);
    return k < opts.perClass;
  });
  const files = [...trainSel.map((i) => tr.files[i]!), ...te.files];
  const labels = [...trainSel.map((i) => tr.labels[i]!), ...te.labels];
  const trainIdx = trainSel.map((_, k) => k);
  const testIdx = te.files.map((_, k) => trainSel.length + k);
  const classes = tr.classes.length;
  const spec = nsfwjsMobileNetV2.defaultFeatures;
  console.log(`${data}: ${trainIdx.length} train, ${testIdx.length} ${opts.testSplit} images, ${classes} classes; ${spec.layers.join('+')} (${spec.pooling}); ${opts.rounds} seeds; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);

  const cacheDir = mkdtempSync(join(tmpdir(), 'edgewise-bench-precision-'));
  // Calibration: a seeded sample of the train images (as training does).
  const rand = seededRandom('bench-precision');
  const calib = [...trainIdx].sort(() => rand() - 0.5).slice(0, opts.calibration).map((i) => files[i]!);
  let t0 = performance.now();
  const f32 = await featureTflite(nsfwjsMobileNetV2, spec, cacheDir);
  const i8 = await featureTfliteInt8(nsfwjsMobileNetV2, spec, cacheDir, () => calib);
  const o8 = await featureOnnxInt8(nsfwjsMobileNetV2, spec, cacheDir, () => calib);
  console.log(`feature models: float ${(f32.bytes.byteLength / 1e6).toFixed(2)} MB, int8 ${(i8.bytes.byteLength / 1e6).toFixed(2)} MB (calibrated on ${calib.length} train images) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  rmSync(cacheDir, { recursive: true, force: true });

  const key = createHash('sha256').update(JSON.stringify({ files, f: createHash('sha256').update(f32.bytes).digest('hex'), q: i8.id, o: o8.id })).digest('hex').slice(0, 16);
  const memo = join(tmpdir(), `edgewise-precision-${key}.bin`);
  let feats: { f: Float32Array[]; q: Float32Array[]; o: Float32Array[]; msF: number; msQ: number; msO: number };
  if (existsSync(memo)) feats = deserialize(readFileSync(memo)) as typeof feats;
  else {
    const mf = await loadTfliteModel(f32.bytes, { softmax: 'never' });
    const mq = await loadTfliteModel(i8.bytes, { softmax: 'never' });
    const ort = await loadOrt();
    const mo = await createOrtSession(ort, o8.bytes, 1);
    feats = { f: [], q: [], o: [], msF: 0, msQ: 0, msO: 0 };
    for (let i = 0; i < files.length; i++) {
      const px = await preprocessImage(files[i]!, { width: 224, height: 224 });
      t0 = performance.now();
      feats.f.push(await mf.runPrepared(pixelsToFloat(px)));
      feats.msF += performance.now() - t0;
      t0 = performance.now();
      feats.q.push(await mq.runPrepared(px));
      feats.msQ += performance.now() - t0;
      t0 = performance.now();
      const out = await mo.run({ [mo.inputNames[0]!]: new ort.Tensor('uint8', px, [1, 224, 224, 3]) });
      feats.o.push(new Float32Array(out[mo.outputNames[0]!]!.data as Float32Array));
      feats.msO += performance.now() - t0;
      if ((i + 1) % 200 === 0) process.stderr.write(`  ${i + 1}/${files.length} images (load ${loadavg()[0]!.toFixed(1)})\n`);
    }
    feats.msF /= files.length;
    feats.msQ /= files.length;
    feats.msO /= files.length;
    await mo.release();
    mf.dispose();
    mq.dispose();
    writeFileSync(memo, serialize(feats));
  }
  for (const k of ['q', 'o'] as const) {
    let maxD = 0;
    let cos = 0;
    feats.f.forEach((a, i) => {
      const b = feats[k][i]!;
      let d = 0, na = 0, nb = 0;
      for (let j = 0; j < a.length; j++) {
        maxD = Math.max(maxD, Math.abs(a[j]! - b[j]!));
        d += a[j]! * b[j]!;
        na += a[j]! * a[j]!;
        nb += b[j]! * b[j]!;
      }
      cos += d / Math.sqrt(na * nb);
    });
    const ms = k === 'q' ? feats.msQ : feats.msO;
    console.log(`${NAME[k]} vs float embeddings over ${files.length} photos: mean cosine ${(cos / files.length).toFixed(4)}, max |Δ| ${maxD.toFixed(3)}; forward ${feats.msF.toFixed(1)} (float, LiteRT) vs ${ms.toFixed(1)} ms/img (this thread, load ${loadavg()[0]!.toFixed(1)})`);
  }

  const table = ['| pooling | head trained on → tested on | top-1, mean (min–max) | vs float → float, same seed: mean (min to max), points |', '|---|---|---|---|'];
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  for (const pool of ['grid2', 'mean'] as const) {
    let base: number[] = [];
    for (const [trainOn, testOn] of [['f', 'f'], ['q', 'q'], ['q', 'f'], ['o', 'o'], ['o', 'f']] as const) {
      const s: number[] = [];
      for (let r = 0; r < opts.rounds; r++) s.push(await score(tf, feats[trainOn], feats[testOn], labels, classes, trainIdx, testIdx, pool, r));
      if (trainOn === 'f') base = s;
      // Same seed, same early-stopping fold: the paired difference is steadier than the two means.
      const d = s.map((v, r) => (v - base[r]!) * 100);
      const paired = trainOn === 'f' ? '' : `${mean(d) >= 0 ? '+' : ''}${mean(d).toFixed(1)} (${Math.min(...d).toFixed(1)} to ${Math.max(...d).toFixed(1)})`;
      const line = `| ${pool === 'grid2' ? '2×2 grid' : 'global mean'} | ${NAME[trainOn]} → ${NAME[testOn]} | ${(mean(s) * 100).toFixed(1)} % (${(Math.min(...s) * 100).toFixed(1)}–${(Math.max(...s) * 100).toFixed(1)}) | ${paired} |`;
      console.log(line);
      table.push(line);
    }
  }
  console.log('\n' + table.join('\n'));
}

const NAME = { f: 'float32', q: 'int8 (LiteRT)', o: 'int8 (onnxruntime)' } as const;

/** The global mean of a 2×2 grid embedding: the mean of its four cells (channels last, cells row-major). */
function meanOfGrid(v: Float32Array): Float32Array {
  const c = v.length / 4;
  const out = new Float32Array(c);
  for (let k = 0; k < 4; k++) for (let j = 0; j < c; j++) out[j]! += v[k * c + j]! / 4;
  return out;
}

function featureSet(vecs: Float32Array[], labels: number[], idx: number[], pool: 'grid2' | 'mean'): FeatureSet {
  const rows = idx.map((i) => (pool === 'mean' ? meanOfGrid(vecs[i]!) : vecs[i]!));
  const dim = rows[0]!.length;
  const x = new Float32Array(rows.length * dim);
  rows.forEach((r, k) => x.set(r, k * dim));
  return { x, y: Int32Array.from(idx.map((i) => labels[i]!)), n: rows.length, dim };
}

async function score(tf: Tf, trainVecs: Float32Array[], testVecs: Float32Array[], labels: number[], classes: number, trainIdx: number[], testIdx: number[], pool: 'grid2' | 'mean', round: number): Promise<number> {
  const fit = trainIdx.filter((_, k) => k % 5 !== round % 5);
  const stop = trainIdx.filter((_, k) => k % 5 === round % 5);
  const head = await trainHead(tf, featureSet(trainVecs, labels, fit, pool), featureSet(trainVecs, labels, stop, pool), classes, { ...defaultHeadOptions, seed: `precision-${round}` });
  const test = featureSet(testVecs, labels, testIdx, pool);
  return headAccuracy(head, test);
}
