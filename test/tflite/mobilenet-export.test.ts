import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LayersModel, SymbolicTensor, Tensor } from '@tensorflow/tfjs';
import { loadTf, type Tf } from '../../src/train/local/tf-runtime.js';
import { nsfwjsMobileNetV2 } from '../../src/train/local/nsfwjs-backbone.js';
import { convertLayersModel } from '../../src/tflite/convert-layers.js';
import { readTfliteInfo } from '../../src/tflite/read-info.js';
import { loadTfliteModel } from '../../src/tflite/runner.js';
import { pixelsToFloat, preprocessImage } from '../../src/tflite/preprocess.js';
import { rng } from './tiny-models.js';

/**
 * The real thing: nsfwjs' MobileNetV2 (from the installed package) truncated at two block outputs, mean+max
 * pooled, concatenated, a dense head and softmax, exported and run through LiteRT on a few generated photos.
 */
let tf: Tf;
let dir: string;
beforeAll(async () => {
  process.env.EDGEWISE_TF_BACKEND = 'wasm';
  tf = (await loadTf()).tf;
  dir = mkdtempSync(join(tmpdir(), 'ew-tflite-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function makeImages(n: number): Promise<string[]> {
  const r = rng(42);
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = 180 + i * 37;
    const h = 140 + i * 23;
    const px = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const k = (y * w + x) * 3;
        px[k] = (x * (i + 1) * 3) & 255;
        px[k + 1] = (y * 2 + Math.floor(r() * 60)) & 255;
        px[k + 2] = ((x ^ y) * (i + 2)) & 255;
      }
    const file = join(dir, `img${i}.jpg`);
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 90 }).toFile(file);
    files.push(file);
  }
  return files;
}

function buildClassifier(base: LayersModel, classes: number): LayersModel {
  const L = tf.layers;
  const parts: SymbolicTensor[] = [];
  for (const name of ['block_12_add', 'block_15_add']) {
    const out = base.getLayer(name).output as SymbolicTensor;
    parts.push(L.globalAveragePooling2d({ name: `${name}_gap` }).apply(out) as SymbolicTensor);
    parts.push(L.globalMaxPooling2d({ name: `${name}_gmp` }).apply(out) as SymbolicTensor);
  }
  const feats = L.concatenate({ name: 'features' }).apply(parts) as SymbolicTensor;
  const dense = L.dense({ units: classes, activation: 'softmax', name: 'probabilities' });
  const out = dense.apply(feats) as SymbolicTensor;
  const model = tf.model({ inputs: base.inputs, outputs: out, name: 'classifier' });
  const [inDim] = (feats.shape.slice(1) as number[]);
  const r = rng(9);
  const k = Float32Array.from({ length: inDim! * classes }, () => (r() - 0.5) * 0.2);
  dense.setWeights([tf.tensor2d(k, [inDim!, classes]), tf.tensor1d(Float32Array.from({ length: classes }, () => r() - 0.5))]);
  return model;
}

describe('nsfwjs MobileNetV2 truncated + head → .tflite', () => {
  it('runs in LiteRT with the same probabilities as tfjs (≤ 1e-4)', async () => {
    const base = await nsfwjsMobileNetV2.load(tf);
    const labels = ['ants', 'bees', 'cats', 'dogs', 'eels'];
    const model = buildClassifier(base, labels.length);
    const bytes = convertLayersModel(model, { labels, info: { backbone: 'nsfwjs-mobilenet_v2' } });

    const info = readTfliteInfo(bytes);
    expect(info.labels).toEqual(labels);
    expect(info.tensors[info.inputs[0]!]?.shape).toEqual([1, 224, 224, 3]);
    const ops = new Set(info.operators.map((o) => o.op));
    expect([...ops].sort()).toEqual(['ADD', 'CONCATENATION', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'MEAN', 'PAD', 'REDUCE_MAX', 'SOFTMAX']);
    expect(info.tensors.filter((t) => t.dataBytes > 0).every((t) => t.dataOffset % 16 === 0)).toBe(true);
    // Every BatchNormalization folded, every ReLU6 fused: conv ops only.
    expect(info.operators.filter((o) => o.op === 'CONV_2D' || o.op === 'DEPTHWISE_CONV_2D').length).toBeGreaterThan(40);

    const runner = await loadTfliteModel(bytes);
    const files = await makeImages(3);
    const got = await runner.runBatches(files);
    let worst = 0;
    for (let i = 0; i < files.length; i++) {
      const px = await preprocessImage(files[i]!, { width: 224, height: 224 });
      const ref = tf.tidy(() => (model.predict(tf.tensor4d(pixelsToFloat(px), [1, 224, 224, 3])) as Tensor).dataSync() as Float32Array);
      for (let k = 0; k < ref.length; k++) worst = Math.max(worst, Math.abs(ref[k]! - got[i]![k]!));
    }
    // The comparison means something only if the outputs are not saturated one-hots.
    expect(got.some((g) => Array.from(g).some((v) => v > 0.05 && v < 0.95))).toBe(true);
    expect(worst).toBeLessThanOrEqual(1e-4);
    runner.dispose();
  });

  it('exports the whole nsfwjs network too (AveragePooling2D, Flatten, Dense relu, Dropout) with matching outputs', async () => {
    const base = await nsfwjsMobileNetV2.load(tf);
    const bytes = convertLayersModel(base);
    const info = readTfliteInfo(bytes);
    const ops = info.operators.map((o) => o.op);
    expect(ops.slice(-6)).toEqual(['AVERAGE_POOL_2D', 'RESHAPE', 'FULLY_CONNECTED', 'FULLY_CONNECTED', 'FULLY_CONNECTED', 'SOFTMAX']);
    const runner = await loadTfliteModel(bytes);
    expect(runner.outputs[0]).toMatchObject({ classes: 5, probabilities: true });
    const r = rng(77);
    const imgs = [0, 1].map(() => Float32Array.from({ length: 224 * 224 * 3 }, () => r()));
    const got = await runner.predict(imgs);
    imgs.forEach((img, i) => {
      const ref = tf.tidy(() => (base.predict(tf.tensor4d(img, [1, 224, 224, 3])) as Tensor).dataSync() as Float32Array);
      ref.forEach((v, k) => expect(Math.abs(v - got[i]![k]!)).toBeLessThanOrEqual(1e-4));
    });
    runner.dispose();
  });
});
