import { availableParallelism, loadavg } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs';
import { nsfwjsMobileNetV2 } from '../src/train/local/nsfwjs-backbone.js';
import { EmbedPool } from '../src/train/local/embed-pool.js';
import { featureModel } from '../src/train/local/backbone.js';
import { featureTflite } from '../src/train/local/feature-tflite.js';
import { defaultHeadOptions, trainHead, type FeatureSet } from '../src/train/local/head.js';
import { preprocessImage } from '../src/train/local/preprocess.js';
import { loadTf } from '../src/train/local/tf-runtime.js';
import { loadTfliteModel } from '../src/tflite/runner.js';
import { loadTflitePool } from '../src/tflite/runner-pool.js';
import { imageFolder } from './embed-layers.js';

type Embed = (file: string) => Promise<Float32Array>;

/** Embeds all files with `window` requests in flight; seconds and vectors in file order. */
async function embedAll(embed: Embed, files: string[], window: number): Promise<{ seconds: number; vecs: Float32Array[] }> {
  const vecs: Float32Array[] = new Array(files.length);
  const t0 = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      vecs[i] = await embed(files[i]!);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return { seconds: (performance.now() - t0) / 1000, vecs };
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
 *   LiteRT 1 thread, LiteRT 2 worker threads (EmbedPool, the production path), and the tflite runner pool
 *   (loadTflitePool, 2 threads) for comparison; BENCH_ROUNDS rounds interleave the configurations so load
 *   swings hit all of them. Then the per-image breakdown on this thread (decode+resize vs forward), the max
 *   |Δ| between LiteRT and tfjs embeddings, and head training samples/s (wasm vs the cpu backend baseline).
 */
export async function runSpeed(data: string, n = Number(process.env.BENCH_IMAGES ?? 80)): Promise<void> {
  const files = [...imageFolder(data, 'train').files, ...imageFolder(data, 'val').files].slice(0, n);
  const spec = nsfwjsMobileNetV2.defaultFeatures;
  // A private cache dir: the first conversion is timed separately, the bench never touches a workspace.
  const cacheDir = mkdtempSync(join(tmpdir(), 'edgewise-bench-embed-'));
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
  console.log(`images: ${files.length} from ${data}; cores: ${availableParallelism()}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; features ${spec.layers.join('+')} (${spec.pooling})`);

  const tc = performance.now();
  const { bytes, converted } = await featureTflite(nsfwjsMobileNetV2, spec, cacheDir);
  console.log(`feature .tflite: ${(bytes.byteLength / 1e6).toFixed(1)} MB, ${converted ? 'converted' : 'cached'} in ${((performance.now() - tc) / 1000).toFixed(1)} s (incl. loading tfjs + backbone; once per feature key)`);

  const pool = (workers: number, runtime: 'tfjs' | 'litert'): Config['open'] => async () => {
    const p = await EmbedPool.create({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, workers, runtime });
    const embed: Embed = async (f) => (await p.embed(f, ['orig']))[0]!;
    await Promise.all(Array.from({ length: p.threads }, () => embed(files[0]!))); // warm-up
    return { embed, window: p.window, close: () => p.close(), note: `${p.backend}, ${p.threads} thread(s), window ${p.window}` };
  };
  const configs: Config[] = [
    { name: 'tfjs-wasm 1 thread (baseline)', open: pool(0, 'tfjs') },
    { name: 'tfjs-wasm 2 workers', open: pool(2, 'tfjs') },
    { name: 'LiteRT 1 thread', open: pool(0, 'litert') },
    { name: 'LiteRT 2 workers (EmbedPool)', open: pool(2, 'litert') },
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

  const rates = new Map<string, number[]>();
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
      vecs.set(c.name, res.vecs);
      line.push(`  ${c.name.padEnd(36)} ${rate.toFixed(1).padStart(6)} img/s  ratio ${(rate / base).toFixed(2)}×  [${o.note}]`);
    }
    console.log(`round ${r + 1}/${rounds} (load average ${loadavg()[0]!.toFixed(1)}):\n${line.join('\n')}`);
  }
  const tfjsVecs = vecs.get(configs[0]!.name)!;
  console.log(`max |Δ| LiteRT vs tfjs embeddings over ${files.length} photos: ${maxDiff(tfjsVecs, vecs.get(configs[3]!.name)!).toExponential(2)} (EmbedPool), ${maxDiff(tfjsVecs, vecs.get(configs[4]!.name)!).toExponential(2)} (runner pool)`);

  // Per-image breakdown on this thread, one image at a time: decode + resize (sharp) vs the forward pass.
  const k = Math.min(30, files.length);
  let t0 = performance.now();
  const pixels: Float32Array[] = [];
  for (const f of files.slice(0, k)) pixels.push(await preprocessImage(f, nsfwjsMobileNetV2.input));
  const decodeMs = (performance.now() - t0) / k;
  const lite = await loadTfliteModel(bytes, { softmax: 'never' });
  await lite.runPrepared(pixels[0]!);
  t0 = performance.now();
  for (const p of pixels) await lite.runPrepared(p);
  const liteMs = (performance.now() - t0) / k;
  lite.dispose();
  const { tf } = await loadTf();
  const fm = featureModel(tf, await nsfwjsMobileNetV2.load(tf), spec);
  const fwd = async (p: Float32Array) => {
    const y = tf.tidy(() => fm.predict(tf.tensor4d(p, [1, 224, 224, 3])) as Tensor);
    await y.data();
    y.dispose();
  };
  await fwd(pixels[0]!);
  t0 = performance.now();
  for (const p of pixels) await fwd(p);
  const tfjsMs = (performance.now() - t0) / k;
  console.log(`per image, 1 thread, serial (${k} images): decode+resize ${decodeMs.toFixed(1)} ms; forward tfjs-wasm ${tfjsMs.toFixed(1)} ms (baseline), LiteRT ${liteMs.toFixed(1)} ms  ratio ${(tfjsMs / liteMs).toFixed(2)}× faster`);

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
  rmSync(cacheDir, { recursive: true, force: true });
}
