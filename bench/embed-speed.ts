import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { nsfwjsMobileNetV2 } from '../src/train/local/nsfwjs-backbone.js';
import { EmbedPool } from '../src/train/local/embed-pool.js';
import type { Tensor } from '@tensorflow/tfjs';
import { featureModel } from '../src/train/local/backbone.js';
import { defaultHeadOptions, trainHead, type FeatureSet } from '../src/train/local/head.js';
import { loadTf } from '../src/train/local/tf-runtime.js';
import { imageFolder } from './embed-layers.js';

async function embedAll(pool: EmbedPool, files: string[], window: number): Promise<{ seconds: number; vecs: Float32Array[] }> {
  const vecs: Float32Array[] = new Array(files.length);
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      vecs[i] = (await pool.embed(files[i]!, ['orig']))[0]!;
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  return { seconds: (performance.now() - t0) / 1000, vecs };
}

/**
 * Embedding img/s: 1 thread (this thread, the baseline) vs the worker pool (2 threads, each its own tfjs
 * wasm instance) on the same images, including JPEG decode + resize. Then head training samples/s on
 * those embeddings: wasm backend vs the pure-JS cpu backend (baseline).
 */
export async function runSpeed(data: string, n = Number(process.env.BENCH_IMAGES ?? 80)): Promise<void> {
  const files = [...imageFolder(data, 'train').files, ...imageFolder(data, 'val').files].slice(0, n);
  const spec = nsfwjsMobileNetV2.defaultFeatures;
  const common = { backboneId: nsfwjsMobileNetV2.id, cacheDir: join(process.cwd(), '.edgewise', 'cache'), spec };
  console.log(`images: ${files.length} from ${data}; cores: ${availableParallelism()}; features ${spec.layers.join('+')} (${spec.pooling})`);

  const single = await EmbedPool.create({ ...common, workers: 0 });
  await single.embed(files[0]!, ['orig']); // warm-up (wasm compile, first-call kernels)
  const base = await embedAll(single, files, single.window);
  await single.close();
  const baseRate = files.length / base.seconds;
  console.log(`embed 1 thread (baseline):  ${baseRate.toFixed(1)} img/s  [backend ${single.backend}]`);

  for (const workers of [2]) {
    const pool = await EmbedPool.create({ ...common, workers });
    await Promise.all(Array.from({ length: workers }, () => pool.embed(files[0]!, ['orig'])));
    const r = await embedAll(pool, files, pool.window);
    const threads = pool.threads;
    await pool.close();
    const rate = files.length / r.seconds;
    console.log(`embed ${workers} worker threads:      ${rate.toFixed(1)} img/s  ratio ${(rate / baseRate).toFixed(2)}×  [backend ${pool.backend}, ${threads} threads]`);
  }

  // Head training throughput on the embeddings (labels: folder classes; 30 epochs, no early stop).
  const labels = [...imageFolder(data, 'train').labels, ...imageFolder(data, 'val').labels].slice(0, n);
  const dim = base.vecs[0]!.length;
  const x = new Float32Array(files.length * dim);
  base.vecs.forEach((v, i) => x.set(v, i * dim));
  const set: FeatureSet = { x, y: Int32Array.from(labels), n: files.length, dim };
  const opts = { ...defaultHeadOptions, epochs: 30, patience: 1000 };
  const { tf } = await loadTf();
  const wasm = await trainHead(tf, set, undefined, 2, opts);
  await tf.setBackend('cpu');
  const cpu = await trainHead(tf, set, undefined, 2, opts);
  await tf.setBackend('wasm');
  console.log(`head cpu backend (baseline): ${cpu.samplesPerSecond.toFixed(0)} samples/s`);
  console.log(`head wasm backend:           ${wasm.samplesPerSecond.toFixed(0)} samples/s  ratio ${(wasm.samplesPerSecond / cpu.samplesPerSecond).toFixed(2)}×  (dim ${dim}, batch ${opts.batchSize})`);
  const hidden = await trainHead(tf, set, undefined, 2, { ...opts, hidden: 128 });
  console.log(`head wasm, hidden 128:       ${hidden.samplesPerSecond.toFixed(0)} samples/s`);

  // What truncating the backbone saves: forward passes only (no decode), batch 1, this thread.
  const base2 = await nsfwjsMobileNetV2.load(tf);
  const x1 = tf.randomUniform([1, 224, 224, 3]);
  const rates: Record<string, number> = {};
  for (const layer of ['out_relu', spec.layers[0]!]) {
    const fm = featureModel(tf, base2, { layers: [layer], pooling: 'mean' });
    (fm.predict(x1) as Tensor).dispose();
    const t0 = performance.now();
    const reps = 15;
    for (let i = 0; i < reps; i++) {
      const y = fm.predict(x1) as Tensor;
      await y.data();
      y.dispose();
    }
    rates[layer] = reps / ((performance.now() - t0) / 1000);
  }
  console.log(`forward to out_relu (baseline): ${rates.out_relu!.toFixed(1)} img/s; to ${spec.layers[0]}: ${rates[spec.layers[0]!]!.toFixed(1)} img/s  ratio ${(rates[spec.layers[0]!]! / rates.out_relu!).toFixed(2)}×`);
}
