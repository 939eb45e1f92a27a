import { beforeAll, describe, expect, it } from 'vitest';
import type { LayersModel } from '@tensorflow/tfjs';
import { loadTf, type Tf } from '../../src/train/local/tf-runtime.js';
import { convertLayersModel } from '../../src/tflite/convert-layers.js';
import { readTfliteInfo } from '../../src/tflite/read-info.js';
import { loadTfliteModel } from '../../src/tflite/runner.js';
import { randomiseWeights, rng, tinyConvModel } from './tiny-models.js';

let tf: Tf;
beforeAll(async () => {
  process.env.EDGEWISE_TF_BACKEND = 'wasm';
  tf = (await loadTf()).tf;
});

function randomImages(n: number, size: number, seed: number): Float32Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: size * size * 3 }, () => r()));
}

function tfjsPredict(model: LayersModel, img: Float32Array, size: number): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor4d(img, [1, size, size, 3])) as import('@tensorflow/tfjs').Tensor).dataSync() as Float32Array);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('convertLayersModel → LiteRT runner', () => {
  it('matches the in-memory tfjs model within 1e-4 and reads back the structure', async () => {
    const size = 16;
    const model = tinyConvModel(tf, size, 4);
    randomiseWeights(tf, model, 7);
    const labels = ['ants', 'bees', 'wasps', 'flies'];
    const bytes = convertLayersModel(model, { labels, info: { backbone: 'tiny' } });

    const info = readTfliteInfo(bytes);
    expect(info.version).toBe(3);
    expect(info.identifier).toBe('TFL3');
    expect(info.labels).toEqual(labels);
    expect(info.edgewiseInfo?.backbone).toBe('tiny');
    expect(info.tensors[info.inputs[0]!]?.shape).toEqual([1, size, size, 3]);
    expect(info.tensors[info.outputs[0]!]?.shape).toEqual([1, 4]);
    const ops = info.operators.map((o) => o.op);
    // BatchNormalization folded, activations fused: no MUL/ADD-for-BN, no RELU ops.
    expect(ops).toEqual([
      'PAD',
      'CONV_2D',
      'DEPTHWISE_CONV_2D',
      'CONV_2D',
      'ADD',
      'MEAN',
      'REDUCE_MAX',
      'AVERAGE_POOL_2D',
      'RESHAPE',
      'CONCATENATION',
      'FULLY_CONNECTED',
      'FULLY_CONNECTED',
      'SOFTMAX',
    ]);
    // Conv kernels are OHWI, depthwise [1,kh,kw,C·m], dense [out,in].
    const conv1 = info.operators[1]!;
    expect(info.tensors[conv1.inputs[1]!]?.shape).toEqual([8, 3, 3, 3]);
    expect(info.tensors[info.operators[2]!.inputs[1]!]?.shape).toEqual([1, 3, 3, 16]);
    expect(info.tensors[info.operators[10]!.inputs[1]!]?.shape).toEqual([12, 8 + 8 + 4 * 4 * 8]);
    expect(info.buffers).toBeGreaterThan(1);
    expect(info.tensors.filter((t) => t.dataBytes > 0).length).toBeGreaterThan(5);

    const runner = await loadTfliteModel(bytes);
    expect(runner.input).toMatchObject({ width: size, height: size, channels: 3, dtype: 'float32', range: [0, 1], rangeSource: 'edgewise-metadata' });
    expect(runner.outputs[0]).toMatchObject({ classes: 4, probabilities: true, softmaxApplied: false });
    expect(runner.labels).toEqual(labels);
    const images = randomImages(5, size, 11);
    const got = await runner.predict(images);
    let worst = 0;
    images.forEach((img, i) => {
      worst = Math.max(worst, maxAbsDiff(got[i]!, tfjsPredict(model, img, size)));
    });
    expect(worst).toBeLessThanOrEqual(1e-4);
    // Outputs really depend on the input (not a constant graph).
    expect(maxAbsDiff(got[0]!, got[1]!)).toBeGreaterThan(1e-3);
    runner.dispose();
  });

  it('converts nested models (backbone + sequential head), dilated convolutions and unfused BatchNormalization', async () => {
    const L = tf.layers;
    const size = 12;
    const inp = tf.input({ shape: [size, size, 3] });
    let x = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'relu', name: 'c' }).apply(inp) as never;
    x = L.depthwiseConv2d({ kernelSize: 3, padding: 'valid', dilationRate: 2, activation: 'relu', name: 'dw_dilated' }).apply(x) as never;
    // BN after an activation cannot fold: it becomes MUL + ADD.
    x = L.batchNormalization({ name: 'bn_after_relu' }).apply(x) as never;
    x = L.globalAveragePooling2d({}).apply(x) as never;
    const backbone = tf.model({ inputs: inp, outputs: x, name: 'backbone' });
    const head = tf.sequential({ name: 'head', layers: [L.dense({ inputShape: [6], units: 3, activation: 'softmax' })] });
    const whole = tf.sequential({ layers: [backbone, head] });
    randomiseWeights(tf, backbone, 3);
    randomiseWeights(tf, head, 4);
    const bytes = convertLayersModel(whole, { labels: ['a', 'b', 'c'], inputRange: [-1, 1] });
    const info = readTfliteInfo(bytes);
    expect(info.operators.map((o) => o.op)).toEqual(['CONV_2D', 'DEPTHWISE_CONV_2D', 'MUL', 'ADD', 'MEAN', 'FULLY_CONNECTED', 'SOFTMAX']);
    expect(info.description).toContain('in [-1,1]');
    const runner = await loadTfliteModel(bytes);
    expect(runner.input.range).toEqual([-1, 1]);
    // Raw pixels are mapped into the recorded range: 0 → −1, 255 → 1.
    expect(Array.from(runner.toInput(Uint8Array.from([0, 255])))).toEqual([-1, 1]);
    const imgs = randomImages(3, size, 5);
    const got = await runner.predict(imgs);
    imgs.forEach((img, i) => expect(maxAbsDiff(got[i]!, tfjsPredict(whole, img, size))).toBeLessThanOrEqual(1e-4));
    runner.dispose();
  });

  it('names the unsupported layer when a model cannot be converted', () => {
    const inp = tf.input({ shape: [8, 8, 3] });
    const x = tf.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(inp) as never;
    const m = tf.model({ inputs: inp, outputs: x });
    expect(() => convertLayersModel(m)).toThrow(/UpSampling2D/);
  });

  it('refuses labels that do not match the output size', () => {
    const m = tinyConvModel(tf, 8, 3);
    expect(() => convertLayersModel(m, { labels: ['only', 'two'] })).toThrow(/2 labels given but the model has 3 outputs/);
    expect(() => convertLayersModel(m, { labels: ['a', 'b\nc', 'd'] })).toThrow(/Label 2/);
    expect(() => convertLayersModel(m, { labels: ['a', 'b', 'a'] })).toThrow(/Label 3/);
  });
});
