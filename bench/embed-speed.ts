import { availableParallelism, loadavg } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs';
import { nsfwjsMobileNetV2 } from '../src/train/local/nsfwjs-backbone.js';
import { DEFAULT_EMBED_PRECISION, EmbedPool, FEATURE_CALIBRATION_IMAGES, type EmbedPrecision, type PrecisionChoice } from '../src/train/local/embed-pool.js';
import { featureModel } from '../src/train/local/backbone.js';
import { featureTflite, featureTfliteInt8 } from '../src/train/local/feature-tflite.js';
import { featureOnnx, featureOnnxInt8 } from '../src/train/local/feature-onnx.js';
import { createOrtSession, loadOrt } from '../src/train/local/onnx-runtime.js';
import { defaultHeadOptions, trainHead, type FeatureSet } from '../src/train/local/head.js';
import { decodeResize } from '../src/train/local/preprocess.js';
import { pixelsToFloat } from '../src/tflite/preprocess.js';
import { loadTf } from '../src/train/local/tf-runtime.js';
import { loadTfliteModel } from '../src/tflite/runner.js';
import { loadTflitePool } from '../src/tflite/runner-pool.js';
import { imageFolder } from './embed-layers.js';

type Embed = (file: string) => Promise<Float32Array>;

/** Embeds all files with `window` requests in flight; seconds and vectors in file order. */
async function embedAll(embed: Embed, files: string[], window: number): Promise<{ seconds: number; cpuMs: number; vecs: Float32Array[] }> {
  const vecs: Float32Array[] = new Array(files.length);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      vecs[i] = await embed(files[i]!);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  const c = process.cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, cpuMs: (c.user + c.system) / 1000 / files.length, vecs };
}

interface Config {
  name: string;
  /** Ready to time (warmed up); close() after. */
  open(): Promise<{ embed: Embed; window: number; close(): Promise<void> | void; note: string }>;
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((v, i) => v.forEach((x, j) => (m = Math.max(m, Math.abs(x - b[i]![j]!)))));
  return m;
}

/**
 * Embedding img/s end to end (decode + resize + forward + pooling) on the same images, in one process:
 *   tfjs-wasm, 1 thread (this thread: THE BASELINE), tfjs-wasm 2 worker threads,
 *   LiteRT 1 thread, LiteRT 2 worker threads (EmbedPool), the same two on the int8 feature .tflite
 *   (calibrated on 32 of these photos), onnxruntime float32 in several thread layouts (the default before
 *   session 7), onnxruntime int8 (the QDQ .onnx, same calibration), THE DEFAULT (EmbedPool with runtime and
 *   precision auto: onnxruntime int8 here) and the tflite runner pool (loadTflitePool, 2 threads) for
 *   comparison; BENCH_ROUNDS rounds interleave the configurations so load swings hit all of them; the
 *   last line is THE RATIO of the default path to the baseline. Then the per-image breakdown on this thread
 *   (decode+resize, float conversion, forward per engine, a worker's round trip), the max |Δ| between
 *   engines' embeddings, and head training samples/s (wasm vs the cpu backend baseline).
 */
export async function runSpeed(data: string, n = Number(process.env.BENCH_IMAGES ?? 80)): Promise<void> {
  const files = [...imageFolder(data, 'train').files, ...imageFolder(data, 'val').files].slice(0, n);
  const spec = nsfwjsMobileNetV2.defaultFeatures;
  // A private cache dir: the first conversion is timed separately, the bench never touches a workspace.
  const cacheDir = mkdtempSync(join(tmpdir(), 'edgewise-bench-embed-'));
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
  console.log(`images: ${files.length} from ${data}; cores: ${availableParallelism()}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; features ${spec.layers.join('+')} (${spec.pooling})`);

  let tc = performance.now();
  const { bytes, converted } = await featureTflite(nsfwjsMobileNetV2, spec, cacheDir);
  console.log(`feature .tflite: ${(bytes.byteLength / 1e6).toFixed(1)} MB, ${converted ? 'converted' : 'cached'} in ${((performance.now() - tc) / 1000).toFixed(1)} s (incl. loading tfjs + backbone; once per feature key)`);
  tc = performance.now();
  const calibration = files.slice(0, FEATURE_CALIBRATION_IMAGES);
  const int8 = await featureTfliteInt8(nsfwjsMobileNetV2, spec, cacheDir, () => calibration);
  console.log(`int8 feature .tflite: ${(int8.bytes.byteLength / 1e6).toFixed(2)} MB, calibrated on ${calibration.length} of these photos in ${((performance.now() - tc) / 1000).toFixed(1)} s (once per feature key)`);

  tc = performance.now();
  const onnx = await featureOnnx(nsfwjsMobileNetV2, spec, cacheDir);
  console.log(`feature .onnx: ${(onnx.bytes.byteLength / 1e6).toFixed(1)} MB, ${onnx.converted ? 'written' : 'cached'} in ${((performance.now() - tc) / 1000).toFixed(1)} s (once per feature key)`);
  tc = performance.now();
  const onnx8 = await featureOnnxInt8(nsfwjsMobileNetV2, spec, cacheDir, () => calibration);
  console.log(`int8 feature .onnx: ${(onnx8.bytes.byteLength / 1e6).toFixed(2)} MB, calibrated on ${calibration.length} of these photos and written in ${((performance.now() - tc) / 1000).toFixed(1)} s (once per feature key)`);

  /** `env`: set while the pool starts (EDGEWISE_ORT_THREADS / EDGEWISE_ORT_WORKERS / EDGEWISE_EMBED_WINDOW are read then). */
  const pool = (workers: number, runtime: 'tfjs' | 'litert' | 'onnx' | 'auto', precision: PrecisionChoice = 'float32', env: Record<string, string> = {}, inFlight?: number): Config['open'] => async () => {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    let p: EmbedPool;
    let window: number;
    try {
      p = await EmbedPool.create({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, workers, runtime, precision, calibration: () => calibration });
      window = inFlight ?? p.window;
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (precision !== 'auto' && p.precision !== precision) throw new Error(`the pool runs ${p.precision}, not ${precision}: ${p.runtimeNote}`);
    if (runtime !== 'auto' && p.runtime !== runtime) throw new Error(`the pool runs ${p.runtime}, not ${runtime}: ${p.runtimeNote}`);
    const embed: Embed = async (f) => (await p.embed(f, ['orig']))[0]!;
    await Promise.all(Array.from({ length: p.threads }, () => embed(files[0]!))); // warm-up
    return { embed, window, close: () => p.close(), note: `${p.backend} (${p.runtime}), ${p.threads} thread(s), window ${window}${Object.keys(env).length ? `, ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}` };
  };
  // THE default path: what `edgewise train` resolves to on this machine (runtime auto, default precision).
  const DEFAULT = 'default: EmbedPool, runtime auto';
  const configs: Config[] = [
    { name: 'tfjs-wasm 1 thread (baseline)', open: pool(0, 'tfjs') },
    { name: 'tfjs-wasm 2 workers', open: pool(2, 'tfjs') },
    { name: 'LiteRT 1 thread', open: pool(0, 'litert') },
    { name: 'LiteRT 2 workers (EmbedPool)', open: pool(2, 'litert') },
    { name: 'LiteRT int8 1 thread', open: pool(0, 'litert', 'int8') },
    { name: 'LiteRT int8 2 workers (EmbedPool)', open: pool(2, 'litert', 'int8') },
    { name: 'ORT this thread, 1 in flight', open: pool(2, 'onnx', 'float32', {}, 1) },
    { name: 'ORT this thread, 1 intra-op thread', open: pool(2, 'onnx', 'float32', { EDGEWISE_ORT_THREADS: '1' }) },
    { name: 'ORT 2 workers, 1 session each', open: pool(2, 'onnx', 'float32', { EDGEWISE_ORT_WORKERS: '1' }) },
    { name: 'ORT float32 this thread (the default before)', open: pool(2, 'onnx', 'float32') },
    { name: 'ORT int8 2 workers, 1 session each', open: pool(2, 'onnx', 'int8', { EDGEWISE_ORT_WORKERS: '1' }) },
    { name: DEFAULT, open: pool(2, 'auto', DEFAULT_EMBED_PRECISION) },
    {
      name: 'LiteRT 2 threads (loadTflitePool)',
      open: async () => {
        const m = await loadTflitePool(bytes, { threads: 2, softmax: 'never' });
        await m.runBatches([files[0]!, files[1]!]);
        // runBatches deals the files out itself (two lanes per worker): one call for the whole list.
        let all: Promise<Float32Array[]> | undefined;
        const idx = new Map(files.map((f, i) => [f, i]));
        const embed: Embed = async (f) => (await (all ??= m.runBatches(files)))[idx.get(f)!]!;
        return { embed, window: 1, close: () => m.dispose(), note: `${m.threads} threads` };
      },
    },
  ];

  let defaultNote = '';
  const rates = new Map<string, number[]>();
  const ratios = new Map<string, number[]>();
  const vecs = new Map<string, Float32Array[]>();
  for (let r = 0; r < rounds; r++) {
    let base = 0;
    const line: string[] = [];
    for (const c of configs) {
      const o = await c.open();
      const res = await embedAll(o.embed, files, o.window);
      await o.close();
      const rate = files.length / res.seconds;
      if (!base) base = rate;
      rates.set(c.name, [...(rates.get(c.name) ?? []), rate]);
      ratios.set(c.name, [...(ratios.get(c.name) ?? []), rate / base]);
      vecs.set(c.name, res.vecs);
      if (c.name === DEFAULT) defaultNote = o.note;
      line.push(`  ${c.name.padEnd(36)} ${rate.toFixed(1).padStart(6)} img/s  ratio ${(rate / base).toFixed(2)}×  CPU ${res.cpuMs.toFixed(1)} ms/img (all threads)  [${o.note}]`);
    }
    console.log(`round ${r + 1}/${rounds} (load average ${loadavg()[0]!.toFixed(1)}):\n${line.join('\n')}`);
  }
  const tfjsVecs = vecs.get(configs[0]!.name)!;
  const byName = (name: string): Float32Array[] => vecs.get(name)!;
  console.log(`max |Δ| LiteRT vs tfjs embeddings over ${files.length} photos: ${maxDiff(tfjsVecs, byName('LiteRT 2 workers (EmbedPool)')).toExponential(2)} (EmbedPool), ${maxDiff(tfjsVecs, byName('LiteRT 2 threads (loadTflitePool)')).toExponential(2)} (runner pool); onnxruntime vs tfjs ${maxDiff(tfjsVecs, byName('ORT this thread, 1 in flight')).toExponential(2)}, vs LiteRT ${maxDiff(byName('LiteRT 2 workers (EmbedPool)'), byName('ORT this thread, 1 in flight')).toExponential(2)}, the default path (int8 where onnxruntime runs) vs tfjs ${maxDiff(tfjsVecs, byName(DEFAULT)).toExponential(2)}; int8 vs float: max |Δ| ${maxDiff(tfjsVecs, byName('LiteRT int8 2 workers (EmbedPool)')).toFixed(3)} (LiteRT), ${maxDiff(tfjsVecs, byName('ORT int8 2 workers, 1 session each')).toFixed(3)} (onnxruntime) of max |x| ${Math.max(...tfjsVecs.map((v) => Math.max(...v.map(Math.abs)))).toFixed(3)}`);

  // Per-image breakdown on this thread, one image at a time: where an image's time goes.
  const k = Math.min(30, files.length);
  // Wall ms/image, and CPU ms/image of the whole process (sharp's threads included): the CPU figure is
  // what a stage costs whatever the load; the wall one is inflated by waiting for a core under load.
  const cpuMs: number[] = [];
  const serial = async (f: (i: number) => Promise<unknown>): Promise<number> => {
    await f(0); // warm-up
    const c0 = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < k; i++) await f(i);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000 / k);
    return (performance.now() - t) / k;
  };
  const size = { width: nsfwjsMobileNetV2.input.width, height: nsfwjsMobileNetV2.input.height };
  const raw: Uint8Array[] = [];
  const decodeMs = await serial(async (i) => (raw[i] = await decodeResize(files[i]!, { ...size, fit: 'fill' })));
  const pixels: Float32Array[] = [];
  const floatMs = await serial(async (i) => (pixels[i] = pixelsToFloat(raw[i]!, nsfwjsMobileNetV2.input.range)));
  const lite = await loadTfliteModel(bytes, { softmax: 'never' });
  const liteMs = await serial((i) => lite.runPrepared(pixels[i]!));
  lite.dispose();
  const lite8 = await loadTfliteModel(int8.bytes, { softmax: 'never' });
  const lite8Ms = await serial((i) => lite8.runPrepared(raw[i]!));
  lite8.dispose();
  const ort = await loadOrt();
  const session = await createOrtSession(ort, onnx.bytes, 1);
  // The feature .onnx takes the uint8 pixels (it scales them itself).
  const ortRun = async (x: Uint8Array, n: number): Promise<unknown> => session.run({ [session.inputNames[0]!]: new ort.Tensor('uint8', x, [n, size.height, size.width, 3]) });
  const ortMs = await serial((i) => ortRun(raw[i]!, 1));
  // Batch 4 (the graph's batch is symbolic): per image.
  const quad = raw.slice(0, 4);
  const batch4 = new Uint8Array(quad.reduce((n, p) => n + p.length, 0));
  quad.forEach((p, j) => batch4.set(p, j * p.length));
  const ort4Ms = (await serial(() => ortRun(batch4, 4))) / 4;
  cpuMs[cpuMs.length - 1]! /= 4;
  await session.release();
  const session8 = await createOrtSession(ort, onnx8.bytes, 1);
  const ort8Ms = await serial((i) => session8.run({ [session8.inputNames[0]!]: new ort.Tensor('uint8', raw[i]!, [1, size.height, size.width, 3]) }));
  await session8.release();
  const { tf } = await loadTf();
  const fm = featureModel(tf, await nsfwjsMobileNetV2.load(tf), spec);
  const tfjsMs = await serial(async (i) => {
    const y = tf.tidy(() => fm.predict(tf.tensor4d(pixels[i]!, [1, 224, 224, 3])) as Tensor);
    await y.data();
    y.dispose();
  });
  // A worker round trip without the work: one EmbedPool thread, one request at a time, minus decode + forward.
  const one = async (precision: EmbedPrecision): Promise<number> => {
    const p = await EmbedPool.create({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, workers: 1, runtime: 'litert', precision });
    const ms = await serial((i) => p.embed(files[i]!, ['orig']));
    await p.close();
    return ms;
  };
  const poolMs = await one('float32');
  const pool8Ms = await one('int8');
  const [cDecode, cFloat, cLite, cLite8, cOrt, cOrt4, cOrt8, cTfjs, cPool, cPool8] = cpuMs.map((x) => x.toFixed(2));
  console.log(`per image, 1 thread, serial (${k} images; load average ${loadavg()[0]!.toFixed(1)}):
| stage | wall ms/image | CPU ms/image |
|---|---|---|
| decode + EXIF rotate + resize to 224 (sharp, uint8) | ${decodeMs.toFixed(2)} | ${cDecode} |
| uint8 → float32 in [0, 1] | ${floatMs.toFixed(2)} | ${cFloat} |
| forward + pooling, tfjs-wasm (baseline) | ${tfjsMs.toFixed(2)} | ${cTfjs} |
| forward + pooling, LiteRT float32 | ${liteMs.toFixed(2)} (${(tfjsMs / liteMs).toFixed(2)}× faster than tfjs-wasm) | ${cLite} |
| forward + pooling, LiteRT int8 (uint8 pixels in) | ${lite8Ms.toFixed(2)} (${(liteMs / lite8Ms).toFixed(2)}× faster than float32) | ${cLite8} |
| forward + pooling, onnxruntime float32 (uint8 pixels in), 1 intra-op thread | ${ortMs.toFixed(2)} (${(liteMs / ortMs).toFixed(2)}× faster than LiteRT float32) | ${cOrt} |
| forward + pooling, onnxruntime, batch 4 (per image) | ${ort4Ms.toFixed(2)} | ${cOrt4} |
| forward + pooling, onnxruntime int8 (QDQ), 1 intra-op thread | ${ort8Ms.toFixed(2)} (${(ortMs / ort8Ms).toFixed(2)}× faster than onnxruntime float32) | ${cOrt8} |
| one EmbedPool worker, whole image, float32 | ${poolMs.toFixed(2)} (over the stages: ${(poolMs - decodeMs - floatMs - liteMs).toFixed(2)}) | ${cPool} |
| one EmbedPool worker, whole image, int8 | ${pool8Ms.toFixed(2)} (over the stages: ${(pool8Ms - decodeMs - lite8Ms).toFixed(2)}) | ${cPool8} |`);

  // Head training throughput on the embeddings (labels: folder classes; 30 epochs, no early stop).
  const labels = [...imageFolder(data, 'train').labels, ...imageFolder(data, 'val').labels].slice(0, n);
  const dim = tfjsVecs[0]!.length;
  const x = new Float32Array(files.length * dim);
  tfjsVecs.forEach((v, i) => x.set(v, i * dim));
  const set: FeatureSet = { x, y: Int32Array.from(labels), n: files.length, dim };
  const opts = { ...defaultHeadOptions, epochs: 30, patience: 1000 };
  const wasm = await trainHead(tf, set, undefined, 2, opts);
  await tf.setBackend('cpu');
  const cpu = await trainHead(tf, set, undefined, 2, opts);
  await tf.setBackend('wasm');
  console.log(`head cpu backend (baseline): ${cpu.samplesPerSecond.toFixed(0)} samples/s; wasm backend ${wasm.samplesPerSecond.toFixed(0)} samples/s  ratio ${(wasm.samplesPerSecond / cpu.samplesPerSecond).toFixed(2)}×  (dim ${dim}, batch ${opts.batchSize})`);

  const best = configs.map((c) => ({ name: c.name, max: Math.max(...rates.get(c.name)!) }));
  console.log(`best of ${rounds} round(s): ${best.map((b) => `${b.name} ${b.max.toFixed(1)}`).join('; ')} img/s`);
  const r = ratios.get(DEFAULT)!;
  console.log(`THE RATIO: the default embedding path (${DEFAULT}: ${defaultNote}) vs the tfjs-wasm 1-thread baseline, same round: ${r.map((x) => `${x.toFixed(2)}×`).join(', ')} (goal ≥ 9×)`);
  rmSync(cacheDir, { recursive: true, force: true });
}
