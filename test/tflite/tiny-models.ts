import type { LayersModel } from '@tensorflow/tfjs';
import type { Tf } from '../../src/train/local/tf-runtime.js';
import { seededRandom } from '../../src/core/random.js';

/** Deterministic pseudo-random numbers (mulberry32) so the test models are the same on every run. */
export const rng: (seed: number) => () => number = seededRandom;

/** Gives every weight of the model seeded random values (variances positive) so folding is really exercised. */
export function randomiseWeights(tf: Tf, model: LayersModel, seed: number): void {
  const r = rng(seed);
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    const names = layer.weights.map((w) => w.name);
    const next = ws.map((w, i) => {
      const n = w.size;
      const v = new Float32Array(n);
      const isVar = names[i]?.includes('moving_variance');
      const isGamma = names[i]?.includes('gamma');
      for (let k = 0; k < n; k++) v[k] = isVar ? 0.2 + r() : isGamma ? 0.5 + r() : (r() - 0.5) * 0.8;
      return tf.tensor(v, w.shape);
    });
    layer.setWeights(next);
  }
}

/**
 * A small functional network using every layer class the converter supports on the MobileNetV2 path:
 * ZeroPadding2D, Conv2D (no bias, valid, stride 2), BatchNormalization, ReLU(6), DepthwiseConv2D (multiplier 2,
 * same), Activation relu6, Conv2D 1×1 with bias, Add, GlobalAveragePooling2D, GlobalMaxPooling2D,
 * AveragePooling2D, Flatten, Concatenate, Dense relu, Dropout, Dense, Activation softmax.
 */
export function tinyConvModel(tf: Tf, size = 16, classes = 4): LayersModel {
  const L = tf.layers;
  const input = tf.input({ shape: [size, size, 3], name: 'image' });
  const p = L.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'pad' }).apply(input) as never;
  let x = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, name: 'conv1' }).apply(p) as never;
  x = L.batchNormalization({ name: 'bn1', epsilon: 1e-3 }).apply(x) as never;
  const r1 = L.reLU({ maxValue: 6, name: 'relu1' }).apply(x) as never;
  let d = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: false, name: 'dw' }).apply(r1) as never;
  d = L.batchNormalization({ name: 'bn_dw' }).apply(d) as never;
  d = L.activation({ activation: 'relu6', name: 'dw_relu' }).apply(d) as never;
  let e = L.conv2d({ filters: 8, kernelSize: 1, padding: 'same', useBias: true, name: 'project' }).apply(d) as never;
  e = L.batchNormalization({ name: 'bn_project' }).apply(e) as never;
  const a = L.add({ name: 'add' }).apply([e, r1]) as never;
  const g1 = L.globalAveragePooling2d({ name: 'gap' }).apply(a) as never;
  const g2 = L.globalMaxPooling2d({ name: 'gmp' }).apply(a) as never;
  let av = L.averagePooling2d({ poolSize: 2, name: 'avgpool' }).apply(a) as never;
  av = L.flatten({ name: 'flat' }).apply(av) as never;
  const cat = L.concatenate({ name: 'concat' }).apply([g1, g2, av]) as never;
  let h = L.dense({ units: 12, activation: 'relu', name: 'hidden' }).apply(cat) as never;
  h = L.dropout({ rate: 0.3, name: 'drop' }).apply(h) as never;
  h = L.dense({ units: classes, name: 'logits' }).apply(h) as never;
  const out = L.activation({ activation: 'softmax', name: 'probs' }).apply(h) as never;
  return tf.model({ inputs: input, outputs: out, name: 'tiny' });
}
