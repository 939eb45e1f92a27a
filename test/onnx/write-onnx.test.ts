import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';
import { layersModelSpec } from '../../src/tflite/convert-layers.js';
import { OnnxUnsupportedError, serializeOnnx, uint8Params } from '../../src/onnx/write-onnx.js';
import { calibrateActivations } from '../../src/tflite/calibrate.js';
import { makeTempDir } from '../helpers/tmp.js';
import { closeness } from '../helpers/vectors.js';
import { createOrtSession, loadOrt } from '../../src/train/local/onnx-runtime.js';
import { loadTf } from '../../src/train/local/tf-runtime.js';
import { ortMissingHere, ortSkipReason } from '../helpers/onnxruntime.js';

const tmp = makeTempDir('edgewise-onnx-int8-');
afterAll(() => tmp.cleanup());

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

/** Seeded uint8 images of `size` values each. */
function pixels(count: number, size: number, seed: number): Uint8Array[] {
  return Array.from({ length: count }, (_, k) => Uint8Array.from(seeded(size, seed + k), (v) => Math.floor((v + 1) * 127.99)));
}

describe('the int8 graph (QDQ form) for onnxruntime', () => {
  it.skipIf(here.ortMissing !== undefined)(`is fused by onnxruntime into integer kernels and stays close to the float graph on images it was not calibrated on${ortSkipReason(here)}`, async () => {
    const model = await oddModel();
    const spec = layersModelSpec(model, { inputRange: [0, 1] });
    const size = 11 * 9 * 3;
    const ranges = await calibrateActivations(spec, pixels(24, size, 100), { inputRange: [0, 1] });
    const float = serializeOnnx(spec, { uint8Input: [0, 1] });
    const int8 = serializeOnnx(spec, { uint8Input: [0, 1], int8: { ranges } });
    const ort = await loadOrt();
    // What onnxruntime made of it: its optimised graph, written out.
    const optimised = join(tmp.dir, 'int8-optimised.onnx');
    const q = await ort.InferenceSession.create(int8, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, logSeverityLevel: 3, optimizedModelFilePath: optimised } as never);
    const f = await createOrtSession(ort, float, 1);
    try {
      expect(existsSync(optimised)).toBe(true);
      const ops = readFileSync(optimised).toString('latin1');
      // Both convolutions before the pooling (c1, dw, c2, c3) and the residual add run on integers.
      expect(ops.match(/QLinearConv/g)?.length).toBe(4);
      expect(ops).toContain('QLinearAdd');
      let worstCos = 1;
      let worstRel = 0;
      let maxDiff = 0;
      for (const px of pixels(12, size, 900)) {
        const run = async (s: typeof f) => (await s.run({ [s.inputNames[0]!]: new ort.Tensor('uint8', px, [1, 11, 9, 3]) }))[s.outputNames[0]!]!.data as Float32Array;
        const a = await run(f);
        const b = await run(q);
        const c = closeness(a, b);
        worstCos = Math.min(worstCos, c.cos);
        worstRel = Math.max(worstRel, c.rel);
        maxDiff = Math.max(maxDiff, c.maxDiff);
      }
      console.log(`int8 vs float graph: worst cosine ${worstCos.toFixed(5)}, worst max |Δ| / max |x| ${worstRel.toFixed(4)}`);
      expect(worstCos).toBeGreaterThanOrEqual(0.995);
      expect(worstRel).toBeLessThanOrEqual(0.05);
      // Quantized for real: not the float graph under another name.
      expect(maxDiff).toBeGreaterThan(0);
    } finally {
      await q.release();
      await f.release();
    }
  }, 120_000);

  it('needs uint8 pixels standing for p/255, and a range for every activation before the pooling', async () => {
    const spec = layersModelSpec(await oddModel(), { inputRange: [0, 1] });
    const ranges = await calibrateActivations(spec, pixels(2, 11 * 9 * 3, 5), { inputRange: [0, 1] });
    expect(() => serializeOnnx(spec, { int8: { ranges } })).toThrow(/uint8Input: \[0, 1\]/);
    expect(() => serializeOnnx(spec, { uint8Input: [-1, 1], int8: { ranges } })).toThrow(OnnxUnsupportedError);
    const c2 = spec.tensors.findIndex((t) => t.name.startsWith('c2'));
    const partial = new Map(ranges);
    partial.delete([...ranges.keys()].find((k) => k >= c2 && spec.tensors[k]!.name.includes('c2'))!);
    expect(() => serializeOnnx(spec, { uint8Input: [0, 1], int8: { ranges: partial } })).toThrow(/c2.*no calibrated range/);
  });

  it('uint8 parameters cover the range and 0, with zero mapped exactly', () => {
    for (const r of [{ min: 0, max: 6 }, { min: -3, max: 5 }, { min: 0.5, max: 2 }, { min: -4, max: -1 }, { min: 0, max: 0 }]) {
      const { scale, zeroPoint } = uint8Params(r);
      expect(Number.isInteger(zeroPoint) && zeroPoint >= 0 && zeroPoint <= 255).toBe(true);
      expect(scale).toBeGreaterThan(0);
      // The ends of the range are representable within half a step.
      expect((0 - zeroPoint) * scale).toBeLessThanOrEqual(Math.min(0, r.min) + scale / 2);
      expect((255 - zeroPoint) * scale).toBeGreaterThanOrEqual(Math.max(0, r.max) - scale / 2);
    }
    expect(uint8Params({ min: 0, max: 6 })).toEqual({ scale: 6 / 255, zeroPoint: 0 });
  });
});
