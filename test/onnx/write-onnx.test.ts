import { describe, expect, it } from 'vitest';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { layersModelSpec } from '../../src/tflite/convert-layers.js';
import { OnnxUnsupportedError, serializeOnnx } from '../../src/onnx/write-onnx.js';
import { createOrtSession, loadOrt } from '../../src/train/local/onnx-runtime.js';
import { loadTf } from '../../src/train/local/tf-runtime.js';
import { ortMissingHere, ortSkipReason } from '../helpers/onnxruntime.js';

// Where onnxruntime-node does not load (an optionalDependency), the writer's output cannot be run here.
const here = { ortMissing: await ortMissingHere() };

/** Seeded values in [-1, 1). */
function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 31 - 1;
  return out;
}

/**
 * A small network with every op the ONNX writer maps, at sizes that make TensorFlow's SAME padding
 * asymmetric (odd sizes, stride 2), per-channel constants that are not folded (BatchNormalization after an
 * Add), a depthwise conv with depth multiplier 2, a ZeroPadding2D folded into a valid conv, pooling,
 * concatenation and a flatten.
 */
async function oddModel(): Promise<LayersModel> {
  const { tf } = await loadTf();
  const L = tf.layers;
  const inp = tf.input({ shape: [11, 9, 3] });
  const c1 = L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'c1' }).apply(inp) as never;
  const r1 = L.reLU({ maxValue: 6, name: 'r1' }).apply(c1) as never;
  const dw = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'dw' }).apply(r1) as never;
  const zp = L.zeroPadding2d({ padding: [[1, 0], [0, 1]], name: 'zp' }).apply(dw) as never;
  const c2 = L.conv2d({ filters: 8, kernelSize: 2, strides: 2, padding: 'valid', activation: 'relu', name: 'c2' }).apply(zp) as never;
  const c3 = L.conv2d({ filters: 8, kernelSize: 1, padding: 'same', name: 'c3' }).apply(c2) as never;
  const add = L.add({ name: 'add' }).apply([c2, c3]) as never;
  const bn = L.batchNormalization({ name: 'bn' }).apply(add) as never;
  const mp = L.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'mp' }).apply(bn) as never;
  const ap = L.averagePooling2d({ poolSize: 2, strides: 1, padding: 'valid', name: 'ap' }).apply(bn) as never;
  const gmp = L.globalAveragePooling2d({ name: 'gmp' }).apply(mp) as never;
  const flat = L.flatten({ name: 'flat' }).apply(ap) as never;
  const cat = L.concatenate({ name: 'cat' }).apply([gmp, flat]) as never;
  const model = tf.model({ inputs: inp, outputs: cat });
  const bnLayer = model.getLayer('bn');
  bnLayer.setWeights(bnLayer.getWeights().map((w, k) => tf.tensor(k === 3 ? seeded(w.size, 40 + k).map((v) => 0.5 + Math.abs(v)) : seeded(w.size, 40 + k), w.shape)));
  return model;
}

describe('ModelSpec → ONNX (src/onnx/write-onnx.ts), run by onnxruntime-node', () => {
  it.skipIf(here.ortMissing !== undefined)(`computes what tfjs computes (≤ 1e-4), for any batch size${ortSkipReason(here)}`, async () => {
    const { tf } = await loadTf();
    const model = await oddModel();
    const onnx = serializeOnnx(layersModelSpec(model));
    const ort = await loadOrt();
    const session = await createOrtSession(ort, onnx, 1);
    try {
      const n = 3;
      const size = 11 * 9 * 3;
      const x = seeded(n * size, 7).map((v) => (v + 1) / 2);
      const want = (model.predict(tf.tensor4d(x, [n, 11, 9, 3])) as Tensor).dataSync();
      const got = (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x, [n, 11, 9, 3]) }))[session.outputNames[0]!]!;
      expect(got.dims).toEqual([n, want.length / n]);
      const data = got.data as Float32Array;
      let maxDiff = 0;
      for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(data[i]! - want[i]!));
      expect(Math.max(...Array.from(want, Math.abs))).toBeGreaterThan(0.1);
      expect(maxDiff).toBeLessThanOrEqual(1e-4);
      // One image alone gives its row of the batch.
      const one = (await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x.slice(size, 2 * size), [1, 11, 9, 3]) }))[session.outputNames[0]!]!;
      const row = data.slice(want.length / n, (2 * want.length) / n);
      expect(Math.max(...Array.from(one.data as Float32Array, (v, i) => Math.abs(v - row[i]!)))).toBeLessThanOrEqual(1e-5);
    } finally {
      await session.release();
    }
  }, 60_000);

  it('refuses what it does not write (a softmax head), naming the operator', async () => {
    const { tf } = await loadTf();
    const inp = tf.input({ shape: [4, 4, 3] });
    const out = tf.layers.dense({ units: 2, activation: 'softmax', name: 'head' }).apply(tf.layers.globalAveragePooling2d({}).apply(inp)) as never;
    const spec = layersModelSpec(tf.model({ inputs: inp, outputs: out }));
    expect(() => serializeOnnx(spec)).toThrow(OnnxUnsupportedError);
    expect(() => serializeOnnx(spec)).toThrow(/operator 9 \(head/);
  });
});
