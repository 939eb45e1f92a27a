import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTf, type Tf } from '../../src/train/local/tf-runtime.js';
import { layersModelSpec } from '../../src/tflite/convert-layers.js';
import { calibrateActivations, collectActivationStats, rangesFrom } from '../../src/tflite/calibrate.js';
import { ByteBuffer } from 'flatbuffers';
import { quantizeFullInteger, quantizeWeightsOnly } from '../../src/tflite/quantize-model.js';
import { readTfliteInfo } from '../../src/tflite/read-info.js';
import { loadTfliteModel } from '../../src/tflite/runner.js';
import { BuiltinOptions, Model, TensorType } from '../../src/tflite/schema/model-subset_generated.js';
import { serializeModel, withoutInternalNames, type ModelSpec } from '../../src/tflite/write-model.js';
import { randomiseWeights, rng, tinyConvModel } from './tiny-models.js';

/**
 * Quantized variants of the same network, written by the same writer and run by the same runner as the float
 * model: int8 weights (hybrid kernels) and full integer (uint8 pixels in, int8 inside, float head and probabilities).
 * Tolerances stated here: |Δp| ≤ 0.02 for int8 weights, ≤ 0.05 for full integer, on generated pictures.
 */
let tf: Tf;
let spec: ModelSpec;
let ranges: Awaited<ReturnType<typeof calibrateActivations>>;
let stats: Awaited<ReturnType<typeof collectActivationStats>>;
const SIZE = 16;

/** Smooth generated pictures (gradients and a bright disc), closer to photos than uniform noise. */
function pictures(n: number, seed: number): Uint8Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const px = new Uint8Array(SIZE * SIZE * 3);
    const [a, b, cx, cy] = [r() * 6, r() * 6, r() * SIZE, r() * SIZE];
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) {
        const d = Math.hypot(x - cx, y - cy) / SIZE;
        const k = (y * SIZE + x) * 3;
        px[k] = 127 + 120 * Math.sin((a * x) / SIZE + d * 4);
        px[k + 1] = 127 + 120 * Math.cos((b * y) / SIZE);
        px[k + 2] = d < 0.25 ? 230 : 40 + 60 * r();
      }
    return px;
  });
}

beforeAll(async () => {
  process.env.EDGEWISE_TF_BACKEND = 'wasm';
  tf = (await loadTf()).tf;
  const model = tinyConvModel(tf, SIZE, 4);
  randomiseWeights(tf, model, 5);
  spec = layersModelSpec(model, { labels: ['a', 'b', 'c', 'd'] });
  stats = await collectActivationStats(spec, pictures(40, 1));
  ranges = rangesFrom(stats, 'minmax');
});
afterAll(() => undefined);

async function run(bytes: Uint8Array, imgs: Uint8Array[]): Promise<Float32Array[]> {
  const m = await loadTfliteModel(bytes);
  try {
    return await m.predict(imgs);
  } finally {
    m.dispose();
  }
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((p, i) => p.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i]![j]!)))));
  return worst;
}

describe('quantized export', () => {
  it('int8 weights: int8 per-channel weights, float in and out, probabilities within 0.02 of float', async () => {
    const test = pictures(20, 2);
    const q = serializeModel(quantizeWeightsOnly(spec));
    const info = readTfliteInfo(q);
    const conv = info.operators.find((o) => o.op === 'CONV_2D')!;
    const w = info.tensors[conv.inputs[1]!]!;
    expect(w.type).toBe('int8');
    expect(w.quantization!.scale.length).toBe(w.shape[0]);
    expect(info.tensors[info.inputs[0]!]!.type).toBe('float32');
    expect(info.edgewiseInfo?.quantization).toBe('int8-weights');
    const float = await run(serializeModel(spec), test);
    const got = await run(q, test);
    expect(got.some((p) => Array.from(p).some((v) => v > 0.05 && v < 0.95))).toBe(true);
    expect(maxDiff(got, float)).toBeLessThanOrEqual(0.02);
    expect(maxDiff(got, float)).toBeGreaterThan(0); // really quantized
    expect(q.byteLength).toBeLessThan(serializeModel(spec).byteLength);
  });

  it('full integer with int8 pooling and a float32 head: uint8 pixels in, int8 inside, float probabilities within 0.05 of float', async () => {
    const test = pictures(20, 3);
    const q = serializeModel(quantizeFullInteger(spec, ranges, { floatPooling: false, denseWeights: 'float32' }));
    const info = readTfliteInfo(q);
    const input = info.tensors[info.inputs[0]!]!;
    expect(input.type).toBe('uint8');
    expect(input.quantization).toMatchObject({ scale: [expect.closeTo(1 / 255, 9)], zeroPoint: [0] });
    expect(info.tensors[info.outputs[0]!]!.type).toBe('float32');
    // Every convolution runs on int8 activations with int32 biases; the head (dense layers, softmax) in float.
    for (const o of info.operators.filter((x) => x.op === 'CONV_2D' || x.op === 'DEPTHWISE_CONV_2D')) {
      expect([info.tensors[o.inputs[0]!]!.type, info.tensors[o.inputs[1]!]!.type, info.tensors[o.inputs[2]!]!.type, info.tensors[o.outputs[0]!]!.type]).toEqual(['int8', 'int8', 'int32', 'int8']);
    }
    for (const o of info.operators.filter((x) => x.op === 'FULLY_CONNECTED')) expect(info.tensors[o.inputs[1]!]!.type).toBe('float32');
    expect(info.operators[0]!.op).toBe('QUANTIZE');
    expect(info.operators.map((o) => o.op).slice(-4)).toEqual(['DEQUANTIZE', 'FULLY_CONNECTED', 'FULLY_CONNECTED', 'SOFTMAX']);
    const m = await loadTfliteModel(q);
    expect(m.input).toMatchObject({ dtype: 'uint8', range: [0, 1] });
    m.dispose();
    const float = await run(serializeModel(spec), test);
    const got = await run(q, test);
    expect(maxDiff(got, float)).toBeLessThanOrEqual(0.05);
    expect(maxDiff(got, float)).toBeGreaterThan(0);
  });

  it('full integer as exported (float pooling, int8 head weights): pooling and the head read dequantized features, probabilities within 0.05 of float', async () => {
    const test = pictures(20, 3);
    const q = serializeModel(quantizeFullInteger(spec, ranges));
    const info = readTfliteInfo(q);
    const pools = info.operators.filter((o) => ['MEAN', 'REDUCE_MAX', 'AVERAGE_POOL_2D'].includes(o.op));
    expect(pools.length).toBe(3);
    for (const o of pools) expect([info.tensors[o.inputs[0]!]!.type, info.tensors[o.outputs[0]!]!.type]).toEqual(['float32', 'float32']);
    // The add before pooling is still int8, dequantized once for its three readers; then per dense layer its float16 input scales and its int8 weights.
    const dq = info.operators.filter((o) => o.op === 'DEQUANTIZE');
    expect(dq.map((o) => info.tensors[o.inputs[0]!]!.type)).toEqual(['int8', 'float16', 'int8', 'float16', 'int8']);
    // Each dense layer: its input scaled per feature (MUL), int8 weights dequantized, a float FULLY_CONNECTED.
    for (const fc of info.operators.filter((o) => o.op === 'FULLY_CONNECTED')) {
      const w = info.tensors[fc.inputs[1]!]!;
      expect(w.type).toBe('float32');
      const src = info.operators.find((o) => o.outputs.includes(w.index))!;
      expect(src.op).toBe('DEQUANTIZE');
      expect(info.tensors[src.inputs[0]!]).toMatchObject({ type: 'int8', dataBytes: w.shape[0]! * w.shape[1]! });
      expect(info.operators.find((o) => o.outputs.includes(fc.inputs[0]!))!.op).toBe('MUL');
    }
    for (const o of info.operators.filter((x) => x.op === 'CONV_2D')) expect(info.tensors[o.outputs[0]!]!.type).toBe('int8');
    const float = await run(serializeModel(spec), test);
    const got = await run(q, test);
    expect(maxDiff(got, float)).toBeLessThanOrEqual(0.05);
    expect(maxDiff(got, float)).toBeGreaterThan(0);
  });

  it('the head\'s per-feature scales are a float16 constant behind a DEQUANTIZE (version 3); probabilities within 0.05 of float', async () => {
    const test = pictures(20, 5);
    const q = serializeModel(quantizeFullInteger(spec, ranges));
    const info = readTfliteInfo(q);
    const muls = info.operators.filter((o) => o.op === 'MUL' && info.operators.some((f) => f.op === 'FULLY_CONNECTED' && f.inputs[0] === o.outputs[0]));
    expect(muls.length).toBe(2);
    for (const mul of muls) {
      const s = info.tensors[mul.inputs[1]!]!;
      expect(s).toMatchObject({ type: 'float32', dataBytes: 0 });
      const src = info.operators.find((o) => o.outputs.includes(s.index))!;
      expect(src.op).toBe('DEQUANTIZE');
      expect(root(q).operatorCodes(src.opcodeIndex)!.version()).toBe(3);
      expect(info.tensors[src.inputs[0]!]).toMatchObject({ type: 'float16', dataBytes: 2 * s.shape[0]! });
    }
    // No float32 constant of the head larger than a bias is left.
    for (const t of info.tensors) if (t.type === 'float32' && t.dataBytes > 0) expect(t.dataBytes).toBeLessThanOrEqual(4 * 64);
    const float = await run(serializeModel(spec), test);
    expect(maxDiff(await run(q, test), float)).toBeLessThanOrEqual(0.05);
    // float16 scales (with Q recomputed from them) change the weights-only variant's probabilities by < 0.01 of a float head.
    const floatHead = await run(serializeModel(quantizeWeightsOnly(spec, { denseWeights: 'float32' })), test);
    expect(maxDiff(await run(serializeModel(quantizeWeightsOnly(spec)), test), floatHead)).toBeLessThan(0.01);
  });

  it('int8 head weights (one scale per input feature) alone move the probabilities by less than 0.01', async () => {
    const test = pictures(20, 4);
    const withFloatHead = await run(serializeModel(quantizeWeightsOnly(spec, { denseWeights: 'float32' })), test);
    const withInt8Head = await run(serializeModel(quantizeWeightsOnly(spec)), test);
    expect(maxDiff(withInt8Head, withFloatHead)).toBeLessThan(0.01);
    expect(maxDiff(withInt8Head, withFloatHead)).toBeGreaterThan(0);
  });

  it('percentile ranges lie inside the min/max ones and clip only the extreme tail', () => {
    const p = rangesFrom(stats, { percentile: 99 });
    let narrower = 0;
    for (const [t, r] of ranges) {
      const q = p.get(t)!;
      expect(q.min).toBeGreaterThanOrEqual(r.min);
      expect(q.max).toBeLessThanOrEqual(r.max);
      expect(q.min).toBeLessThanOrEqual(q.max);
      if (q.max < r.max * 0.98) narrower++;
    }
    expect(narrower).toBeGreaterThan(0);
    expect(rangesFrom(stats, { percentile: 100 })).toEqual(ranges);
  });

  it('refuses to quantize without a calibrated range for an activation', () => {
    const partial = new Map(ranges);
    partial.delete([...partial.keys()][3]!);
    expect(() => quantizeFullInteger(spec, partial)).toThrow(/no calibrated range/);
  });
});

function root(bytes: Uint8Array): Model {
  return Model.getRootAsModel(new ByteBuffer(bytes));
}

/** Where a typed-array view of a vector starts in the file. */
const startIn = (bytes: Uint8Array, view: ArrayBufferView | null | undefined): number => (view ? view.byteOffset - bytes.byteOffset : 0);

/** A ByteBuffer that remembers where its last int64 was read (flatc 2.0.8 generates no view of [long] vectors). */
class Int64Spy extends ByteBuffer {
  at = 0;
  override readInt64(offset: number): bigint {
    this.at = offset;
    return super.readInt64(offset);
  }
}

/** Start of each tensor's zero_point vector in the file (0 when it has none): where zeroPoint(0) reads. */
function zeroPointStarts(bytes: Uint8Array): { start: number; length: number }[] {
  const bb = new Int64Spy(bytes);
  const sg = Model.getRootAsModel(bb).subgraphs(0)!;
  return Array.from({ length: sg.tensorsLength() }, (_, i) => {
    const q = sg.tensors(i)!.quantization();
    if (!q || q.zeroPointLength() === 0) return { start: 0, length: 0 };
    q.zeroPoint(0);
    return { start: bb.at, length: q.zeroPointLength() };
  });
}

describe('shared quantization vectors', () => {
  it('one all-zero zero-point vector per channel count, read back as zeros, run by LiteRT', async () => {
    for (const bytes of [serializeModel(quantizeWeightsOnly(spec)), serializeModel(quantizeFullInteger(spec, ranges))]) {
      const info = readTfliteInfo(bytes);
      const starts = zeroPointStarts(bytes);
      const perChannel = info.tensors.filter((t) => (t.quantization?.scale.length ?? 0) > 1);
      expect(perChannel.length).toBeGreaterThan(2);
      const byCount = new Map<number, Set<number>>();
      for (const t of perChannel) {
        expect(t.quantization!.zeroPoint).toEqual(t.quantization!.scale.map(() => 0));
        const set = byCount.get(t.quantization!.scale.length) ?? new Set<number>();
        set.add(starts[t.index]!.start);
        byCount.set(t.quantization!.scale.length, set);
      }
      for (const set of byCount.values()) expect(set.size).toBe(1);
      // Several tensors really point at one vector (conv1 and project both have 8 output channels).
      expect(perChannel.length).toBeGreaterThan(byCount.size);
    }
    const m = await loadTfliteModel(serializeModel(quantizeFullInteger(spec, ranges)));
    expect((await m.predict(pictures(1, 9)))[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    m.dispose();
  });

  it('a corrupted shared zero point is caught, naming the first tensor that uses it', () => {
    const bytes = serializeModel(quantizeWeightsOnly(spec)).slice();
    const info = readTfliteInfo(bytes);
    const t = info.tensors.find((x) => (x.quantization?.scale.length ?? 0) === 8)!;
    const { start } = zeroPointStarts(bytes)[t.index]!;
    new DataView(bytes.buffer, bytes.byteOffset).setBigInt64(start + 8, 300n, true);
    expect(() => readTfliteInfo(bytes, 'm.tflite')).toThrow(new RegExp(`tensor ${t.index} ".*" has invalid quantization parameters: zero_point\\[1\\] is 300`));
  });
});

describe('compact quantized files (what the size target is met with)', () => {
  it('internal tensor names dropped: smaller file, same probabilities bit for bit, input/output names and labels still found', async () => {
    const named = quantizeFullInteger(spec, ranges);
    const full = serializeModel(named);
    const compact = serializeModel(withoutInternalNames(named));
    expect(compact.byteLength).toBeLessThan(full.byteLength - 8 * (named.tensors.length - 2));
    const info = readTfliteInfo(compact);
    const [inp, out] = [info.inputs[0]!, info.outputs[0]!];
    expect(info.tensors[inp]!.name).toBe(named.tensors[named.inputs[0]!]!.name);
    expect(info.tensors[out]!.name).toBe(named.tensors[named.outputs[0]!]!.name);
    expect(info.tensors[inp]!.name).not.toBe('');
    expect(info.tensors.filter((t) => t.index !== inp && t.index !== out).every((t) => t.name === '')).toBe(true);
    expect(info.labels).toEqual(['a', 'b', 'c', 'd']);
    expect(info.edgewiseInfo?.quantization).toBe('int8');
    const m = await loadTfliteModel(compact);
    expect(m.labels).toEqual(['a', 'b', 'c', 'd']);
    expect(m.input).toMatchObject({ dtype: 'uint8', range: [0, 1] });
    m.dispose();
    const test = pictures(10, 11);
    const [a, b] = [await run(full, test), await run(compact, test)];
    a.forEach((p, i) => expect(Array.from(b[i]!)).toEqual(Array.from(p)));
    // A corrupted unnamed tensor is still named by its index.
    const s = withoutInternalNames(named);
    const conv = s.operators.find((o) => o.op === 3)!;
    const w = s.tensors[conv.inputs[1]!]!;
    w.quantization = { ...w.quantization!, scale: w.quantization!.scale.map((v, i) => (i === 2 ? 0 : v)) };
    expect(() => readTfliteInfo(serializeModel(s), 'm.tflite')).toThrow(`m.tflite: tensor ${conv.inputs[1]} has invalid quantization parameters: scale[2] is 0`);
  });

  it('identical shapes, quantization tables and operator options are written once and shared', () => {
    const bytes = serializeModel(withoutInternalNames(quantizeFullInteger(spec, ranges)));
    const sg = root(bytes).subgraphs(0)!;
    const tensors = Array.from({ length: sg.tensorsLength() }, (_, i) => sg.tensors(i)!);
    const shapeKeys = new Map<string, Set<number>>();
    const quantStarts = new Map<string, Set<number>>();
    const info = readTfliteInfo(bytes);
    tensors.forEach((t, i) => {
      const key = info.tensors[i]!.shape.join('x');
      shapeKeys.set(key, (shapeKeys.get(key) ?? new Set()).add(startIn(bytes, t.shapeArray())));
      const q = info.tensors[i]!.quantization;
      const qt = t.quantization();
      if (q && qt) {
        const k = JSON.stringify(q);
        quantStarts.set(k, (quantStarts.get(k) ?? new Set()).add(qt.bb_pos));
      }
    });
    // One shape vector per distinct shape, though several tensors share most shapes.
    for (const starts of shapeKeys.values()) expect(starts.size).toBe(1);
    expect(tensors.length).toBeGreaterThan(shapeKeys.size + 5);
    // One quantization table per distinct set of parameters (e.g. an activation and the op that only reshapes it).
    for (const starts of quantStarts.values()) expect(starts.size).toBe(1);
    // Operators with the same options point at one options table.
    const ops = Array.from({ length: sg.operatorsLength() }, (_, i) => sg.operators(i)!);
    const withOptions = ops.filter((o) => o.builtinOptionsType() !== BuiltinOptions.NONE);
    // Any table object takes the union's position; the type does not matter for where it is.
    const optStarts = new Set(withOptions.map((o) => (o.builtinOptions({ bb: null, bb_pos: 0 }) as { bb_pos: number }).bb_pos));
    expect(optStarts.size).toBeLessThan(withOptions.length);
    // The runtime reads the shared tables: the file runs.
    expect(info.tensors.length).toBe(tensors.length);
  });
});

describe('the reader catches corrupted or mismatched quantization parameters', () => {
  const full = (): ModelSpec => quantizeFullInteger(spec, ranges);
  const firstConv = (s: ModelSpec) => s.operators.find((o) => o.op === 3)!;

  it('reads the intact file', () => {
    expect(() => readTfliteInfo(serializeModel(full()))).not.toThrow();
  });

  it('a zero or non-finite scale', () => {
    const s = full();
    const w = s.tensors[firstConv(s).inputs[1]!]!;
    w.quantization = { ...w.quantization!, scale: w.quantization!.scale.map((v, i) => (i === 2 ? 0 : v)) };
    expect(() => readTfliteInfo(serializeModel(s), 'm.tflite')).toThrow(/tensor \d+ ".*weights" has invalid quantization parameters: scale\[2\] is 0/);
    w.quantization = { ...w.quantization, scale: w.quantization.scale.map((v, i) => (i === 2 ? Number.NaN : v)) };
    expect(() => readTfliteInfo(serializeModel(s))).toThrow(/scale\[2\] is NaN/);
  });

  it('per-channel scales that do not match the channels', () => {
    const s = full();
    const w = s.tensors[firstConv(s).inputs[1]!]!;
    w.quantization = { ...w.quantization!, scale: w.quantization!.scale.slice(1), zeroPoint: w.quantization!.zeroPoint.slice(1) };
    expect(() => readTfliteInfo(serializeModel(s))).toThrow(/per-axis scales for \d+ slices of axis 0/);
  });

  it('a zero point outside the int8 range, or a count that differs from the scales', () => {
    const s = full();
    const a = s.tensors[firstConv(s).outputs[0]!]!;
    a.quantization = { ...a.quantization!, zeroPoint: [200] };
    expect(() => readTfliteInfo(serializeModel(s))).toThrow(/zero_point\[0\] is 200, outside -128…127 for int8/);
    a.quantization = { ...a.quantization, zeroPoint: [0, 0] };
    expect(() => readTfliteInfo(serializeModel(s))).toThrow(/1 scale\(s\) but 2 zero point\(s\)/);
  });

  it('a bias scale that is not input scale × weight scale', () => {
    const s = full();
    const b = s.tensors[firstConv(s).inputs[2]!]!;
    b.quantization = { ...b.quantization!, scale: b.quantization!.scale.map((v, i) => (i === 1 ? v * 1.01 : v)) };
    expect(() => readTfliteInfo(serializeModel(s))).toThrow(/bias scale\[1\] .* is not input scale × weight scale/);
  });

  it('an int8 tensor without any parameters', () => {
    const s = full();
    const a = s.tensors[firstConv(s).outputs[0]!]!;
    delete a.quantization;
    expect(a.type).toBe(TensorType.INT8);
    expect(() => readTfliteInfo(serializeModel(s))).toThrow(/it is int8 but has no scale and zero point/);
  });
});
