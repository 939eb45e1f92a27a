import { BuiltinOperator, TensorType } from './schema/model-subset_generated.js';
import { toBytes, type ModelSpec, type OperatorSpec, type QuantizationSpec, type TensorSpec } from './write-model.js';

/**
 * Post-training quantization of a float32 model description (the `ModelSpec` convert-layers.ts builds), written
 * by the same flatbuffers writer. Two variants, following the TFLite int8 quantization spec
 * (tensorflow.org/lite/performance/quantization_spec):
 *
 * - `int8-weights` (dynamic range): the weights of CONV_2D and DEPTHWISE_CONV_2D are stored as int8, symmetric
 *   (zero point 0), one scale per output channel (conv: axis 0, depthwise: axis 3); the head stays float32. Each op reads its int8 weights directly ("hybrid" kernels: float input and
 *   output, int8 weights), so activations stay float32 and no calibration is needed. Input and output: float32.
 * - `int8` (full integer): the same int8 weights, int32 biases (scale = input scale × weight scale, zero point
 *   0), and every activation int8 asymmetric per tensor with the [min, max] measured on calibration images
 *   (0 always inside the range). The input is uint8 RGB pixels (scale 1/255, zero point 0: exactly p/255, the
 *   float model's [0, 1] input), requantized to int8 by a QUANTIZE op, because LiteRT.js exchanges only float32,
 *   int32 and uint8 tensors. The pooled features are dequantized and the head (FULLY_CONNECTED + SOFTMAX) runs
 *   in float, so the probabilities keep float precision (an int8 softmax would round them to 1/256) and the
 *   output is float32.
 *   PAD, RESHAPE, pooling and REDUCE_MAX outputs share their input's parameters, and CONCATENATION inputs are
 *   requantized to its output's, as the int8 kernels require.
 */

export type QuantizationMode = 'int8-weights' | 'int8';

/** Calibrated [min, max] per tensor index (the float model's activations). */
export type ActivationRanges = Map<number, { min: number; max: number }>;

/**
 * Quantized weights: the convolutions. FULLY_CONNECTED (the classifier head) stays float32 in both variants:
 * the head has the feature standardisation folded in, so its weights span two orders of magnitude (measured on
 * the clothing model: max |w| 106, median 1.25) and int8 with one scale per tensor rounded 20 % of them to 0,
 * costing 8 points of top-1; the head is ≈ 1 % of the file.
 */
const WEIGHTED = new Set<number>([BuiltinOperator.CONV_2D, BuiltinOperator.DEPTHWISE_CONV_2D]);
/** Ops run on int8 tensors in the full-integer model. Anything else (FULLY_CONNECTED, SOFTMAX, …) stays float. */
const INT8_OPS = new Set<number>([
  BuiltinOperator.CONV_2D,
  BuiltinOperator.DEPTHWISE_CONV_2D,
  BuiltinOperator.ADD,
  BuiltinOperator.SUB,
  BuiltinOperator.MUL,
  BuiltinOperator.PAD,
  BuiltinOperator.MEAN,
  BuiltinOperator.REDUCE_MAX,
  BuiltinOperator.AVERAGE_POOL_2D,
  BuiltinOperator.MAX_POOL_2D,
  BuiltinOperator.RESHAPE,
  BuiltinOperator.CONCATENATION,
  BuiltinOperator.RELU,
  BuiltinOperator.RELU6,
]);
/** int8 kernels that need the output to carry exactly the input's scale and zero point. */
const SAME_PARAMS = new Set<number>([
  BuiltinOperator.PAD,
  BuiltinOperator.RESHAPE,
  BuiltinOperator.AVERAGE_POOL_2D,
  BuiltinOperator.MAX_POOL_2D,
  BuiltinOperator.REDUCE_MAX,
]);
/** Op versions of the int8 kernels (tensorflow/lite/tools/versioning/op_version.cc). */
const INT8_VERSION: Partial<Record<BuiltinOperator, number>> = {
  [BuiltinOperator.CONV_2D]: 3,
  [BuiltinOperator.DEPTHWISE_CONV_2D]: 3,
  [BuiltinOperator.FULLY_CONNECTED]: 4,
  [BuiltinOperator.ADD]: 2,
  [BuiltinOperator.SUB]: 2,
  [BuiltinOperator.MUL]: 2,
  [BuiltinOperator.PAD]: 2,
  [BuiltinOperator.MEAN]: 2,
  [BuiltinOperator.REDUCE_MAX]: 2,
  [BuiltinOperator.AVERAGE_POOL_2D]: 2,
  [BuiltinOperator.MAX_POOL_2D]: 2,
  [BuiltinOperator.CONCATENATION]: 2,
  [BuiltinOperator.RELU]: 2,
  [BuiltinOperator.RELU6]: 2,
  [BuiltinOperator.QUANTIZE]: 2,
  [BuiltinOperator.DEQUANTIZE]: 2,
};
/** Hybrid (float activations, int8 weights, per-channel) kernel versions. */
const HYBRID_VERSION: Partial<Record<BuiltinOperator, number>> = {
  [BuiltinOperator.CONV_2D]: 5,
  [BuiltinOperator.DEPTHWISE_CONV_2D]: 6,
  [BuiltinOperator.FULLY_CONNECTED]: 3,
};

/** The pixel scale of the full-integer model's uint8 input: real value = pixel / 255. */
export const UINT8_INPUT_SCALE = 1 / 255;

/** Indices of the tensors an op computes at run time (not constants), i.e. what calibration must observe. */
export function activationTensors(spec: ModelSpec): number[] {
  const out = new Set<number>(spec.inputs);
  for (const o of spec.operators) for (const t of o.outputs) out.add(t);
  return [...out].filter((t) => spec.tensors[t]?.type === TensorType.FLOAT32 && !spec.tensors[t]?.data).sort((a, b) => a - b);
}

/** The same float model with every activation as a subgraph output: running it measures their ranges. */
export function calibrationProbe(spec: ModelSpec): { spec: ModelSpec; tensors: number[] } {
  const tensors = activationTensors(spec).filter((t) => !spec.inputs.includes(t));
  return { spec: { ...spec, outputs: tensors, metadata: [] }, tensors };
}

/** Dynamic-range variant: int8 weights read by hybrid kernels; float32 in, float32 out. */
export function quantizeWeightsOnly(spec: ModelSpec, opts: { denseWeights?: 'int8' | 'float32' } = {}): ModelSpec {
  const tensors = spec.tensors.map((t) => ({ ...t }));
  const operators = spec.operators.map((o) => {
    if (!WEIGHTED.has(o.op)) return { ...o };
    const w = o.inputs[1]!;
    tensors[w] = quantizeWeights(spec.tensors[w]!, o.op);
    return { ...o, version: Math.max(o.version ?? 1, HYBRID_VERSION[o.op] ?? 1) };
  });
  const out = { ...spec, description: describe(spec.description, 'int8-weights'), tensors, operators, metadata: retag(spec, 'int8-weights') };
  return opts.denseWeights === 'float32' ? out : int8DenseWeights(out);
}

/**
 * Full-integer variant. `ranges` must cover every activation the int8 part of the graph computes (from
 * `calibrationProbe` run on calibration images); a missing range is a caller bug and throws.
 */
export function quantizeFullInteger(spec: ModelSpec, ranges: ActivationRanges, opts: FullIntegerOptions = {}): ModelSpec {
  if (spec.inputs.length !== 1) throw new Error('quantizeFullInteger: one input expected');
  const tensors: TensorSpec[] = spec.tensors.map((t) => ({ ...t }));
  const params = new Map<number, QuantizationSpec>();
  const rangeOf = (t: number): { min: number; max: number } => {
    const r = ranges.get(t);
    if (!r || !Number.isFinite(r.min) || !Number.isFinite(r.max)) throw new Error(`quantizeFullInteger: no calibrated range for tensor ${t} (${spec.tensors[t]?.name})`);
    return r;
  };
  const int8Ops = spec.operators.filter(int8OpsOf(spec, { floatPooling: true, ...opts }));
  const isInt8Op = new Set(int8Ops);
  // Which float tensors become int8: inputs and outputs of int8 ops (constants handled per op below).
  const isInt8 = new Set<number>();
  for (const o of int8Ops) for (const t of [...o.inputs.filter((i) => i >= 0 && !spec.tensors[i]!.data), ...o.outputs]) {
    if (spec.tensors[t]!.type === TensorType.FLOAT32) isInt8.add(t);
  }
  const input = spec.inputs[0]!;
  const paramsOf = (t: number): QuantizationSpec => {
    let p = params.get(t);
    if (!p) {
      p = t === input ? { scale: [UINT8_INPUT_SCALE], zeroPoint: [-128] } : asymmetricParams(rangeOf(t));
      params.set(t, p);
    }
    return p;
  };
  // Tied outputs take their input's parameters; ops are in execution order, so inputs are settled first.
  for (const o of int8Ops) {
    if (SAME_PARAMS.has(o.op) && o.inputs[0] !== undefined) params.set(o.outputs[0]!, paramsOf(o.inputs[0]));
  }

  const operators: OperatorSpec[] = [];
  const addTensor = (t: TensorSpec): number => tensors.push(t) - 1;
  // The uint8 pixel input, requantized to the int8 tensor the graph reads.
  const pixels = addTensor({ name: `${spec.tensors[input]!.name}/uint8`, shape: spec.tensors[input]!.shape, type: TensorType.UINT8, quantization: { scale: [UINT8_INPUT_SCALE], zeroPoint: [0] } });
  if (isInt8.has(input)) operators.push({ op: BuiltinOperator.QUANTIZE, inputs: [pixels], outputs: [input], version: INT8_VERSION[BuiltinOperator.QUANTIZE]! });
  else throw new Error('quantizeFullInteger: the input does not feed an int8 op');

  const floatTwin = new Map<number, number>();
  const dequantized = (t: number): number => {
    let f = floatTwin.get(t);
    if (f === undefined) {
      f = addTensor({ name: `${spec.tensors[t]!.name}/float`, shape: spec.tensors[t]!.shape, type: TensorType.FLOAT32 });
      operators.push({ op: BuiltinOperator.DEQUANTIZE, inputs: [t], outputs: [f], version: INT8_VERSION[BuiltinOperator.DEQUANTIZE]! });
      floatTwin.set(t, f);
    }
    return f;
  };

  for (const o of spec.operators) {
    if (!isInt8Op.has(o)) {
      // A float op: it reads the float twins of int8 tensors.
      operators.push({ ...o, inputs: o.inputs.map((i) => (isInt8.has(i) ? dequantized(i) : i)) });
      continue;
    }
    for (const t of o.outputs) tensors[t] = { ...tensors[t]!, type: TensorType.INT8, quantization: paramsOf(t) };
    const inputs = [...o.inputs];
    if (WEIGHTED.has(o.op)) {
      const inScale = paramsOf(o.inputs[0]!).scale[0]!;
      const wq = quantizeWeights(spec.tensors[o.inputs[1]!]!, o.op);
      tensors[o.inputs[1]!] = wq;
      if (o.inputs[2] !== undefined && o.inputs[2] >= 0) tensors[o.inputs[2]] = quantizeBias(spec.tensors[o.inputs[2]]!, inScale, wq.quantization!.scale);
    } else if (o.op === BuiltinOperator.CONCATENATION) {
      // The int8 kernel does not rescale: inputs quantized differently from the output are requantized first.
      const outP = paramsOf(o.outputs[0]!);
      inputs.forEach((i, k) => {
        const p = paramsOf(i);
        if (p.scale[0] === outP.scale[0] && p.zeroPoint[0] === outP.zeroPoint[0]) return;
        const r = addTensor({ name: `${spec.tensors[i]!.name}/requantized`, shape: spec.tensors[i]!.shape, type: TensorType.INT8, quantization: outP });
        operators.push({ op: BuiltinOperator.QUANTIZE, inputs: [i], outputs: [r], version: INT8_VERSION[BuiltinOperator.QUANTIZE]! });
        inputs[k] = r;
      });
    } else {
      inputs.forEach((i, k) => {
        const t = spec.tensors[i];
        if (t?.data && t.type === TensorType.FLOAT32) tensors[i] = quantizeConstant(t);
        else if (i >= 0 && !isInt8.has(i) && t?.type === TensorType.FLOAT32) throw new Error(`quantizeFullInteger: float input ${k} of ${o.op} is not int8`);
      });
    }
    operators.push({ ...o, inputs, version: Math.max(o.version ?? 1, INT8_VERSION[o.op] ?? 1) });
  }
  for (const t of isInt8) tensors[t] = { ...tensors[t]!, type: TensorType.INT8, quantization: paramsOf(t) };
  const outputs = spec.outputs.map((t) => (isInt8.has(t) ? dequantized(t) : t));
  const out = { ...spec, description: describe(spec.description, 'int8'), tensors, operators, inputs: [pixels], outputs, metadata: retag(spec, 'int8') };
  return opts.denseWeights === 'float32' ? out : int8DenseWeights(out);
}

/**
 * The float head's weights stored as int8, computed in float: FULLY_CONNECTED(x, W) = FULLY_CONNECTED(x ⊙ s,
 * DEQUANTIZE(Q)) with s[j] = max over outputs of |W[·, j]| / 127 and Q = round(W / s), i.e. one scale per
 * input feature. Per input feature, because the folded feature standardisation (1/σ per feature) is what makes
 * the head's weights span two orders of magnitude; per output channel or per tensor would round most small
 * weights to 0. The int8 matrix is dequantized once (a constant) and the FC and softmax stay float.
 */
function int8DenseWeights(spec: ModelSpec): ModelSpec {
  const tensors = [...spec.tensors];
  const operators: OperatorSpec[] = [];
  const uses = new Map<number, number>();
  for (const o of spec.operators) for (const i of o.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of spec.operators) {
    const w = o.op === BuiltinOperator.FULLY_CONNECTED && uses.get(o.inputs[1]!) === 1 ? tensors[o.inputs[1]!] : undefined;
    if (!w?.data || w.type !== TensorType.FLOAT32 || w.shape.length !== 2) {
      operators.push(o);
      continue;
    }
    const [rows, cols] = w.shape as [number, number];
    const v = floatsOf(w);
    const exact = new Float32Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) exact[c] = Math.max(exact[c]!, Math.abs(v[r * cols + c]!) / 127);
    // The scales are stored as float16 (half the bytes; 9.2 → 4.6 KB for 2304 features). Q is computed from the
    // rounded scales, rounded up so that no weight clips: the product Q·s stays within half a step of W.
    const half = new Uint16Array(cols);
    const scale = new Float32Array(cols);
    for (let c = 0; c < cols; c++) {
      half[c] = float16Above(exact[c]! > 0 ? exact[c]! : 1);
      scale[c] = float16Value(half[c]!);
    }
    const q = new Int8Array(v.length);
    for (let i = 0; i < v.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(v[i]! / scale[i % cols]!)));
    const add = (t: TensorSpec): number => tensors.push(t) - 1;
    const x = o.inputs[0]!;
    const s16 = add({ name: `${w.name}/input_scale/fp16`, shape: [cols], type: TensorType.FLOAT16, data: new Uint8Array(half.buffer) });
    const s = add({ name: `${w.name}/input_scale`, shape: [cols], type: TensorType.FLOAT32 });
    const xs = add({ name: `${spec.tensors[x]!.name}/scaled`, shape: spec.tensors[x]!.shape, type: TensorType.FLOAT32 });
    const wq = add({ name: `${w.name}/int8`, shape: w.shape, type: TensorType.INT8, data: new Uint8Array(q.buffer), quantization: { scale: [1], zeroPoint: [0] } });
    // The float weights tensor becomes the DEQUANTIZE output (no data): indices hold, nothing is orphaned.
    const wf = o.inputs[1]!;
    tensors[wf] = { name: w.name, shape: w.shape, type: TensorType.FLOAT32 };
    operators.push({ op: BuiltinOperator.DEQUANTIZE, inputs: [s16], outputs: [s], version: FLOAT16_DEQUANTIZE_VERSION });
    operators.push({ op: BuiltinOperator.MUL, inputs: [x, s], outputs: [xs], options: { kind: 'Mul', activation: 0 } });
    operators.push({ op: BuiltinOperator.DEQUANTIZE, inputs: [wq], outputs: [wf], version: INT8_VERSION[BuiltinOperator.DEQUANTIZE]! });
    operators.push({ ...o, inputs: [xs, wf, ...o.inputs.slice(2)] });
  }
  return { ...spec, tensors, operators };
}

/** DEQUANTIZE from float16 is version 3 of the op (TFLite's op versioning: float16 and int16 inputs). */
const FLOAT16_DEQUANTIZE_VERSION = 3;

/** The smallest float16 (as its bits) ≥ x, for finite x > 0 (clamped to the largest finite float16, 65504). */
function float16Above(x: number): number {
  let h = float16Bits(x);
  if (float16Value(h) < x && h < 0x7bff) h++; // positive float16 bit patterns order like their values
  return Math.min(h, 0x7bff);
}

/** x (finite, ≥ 0) → float16 bits, rounded to nearest (ties away from zero; float16Above corrects upward), subnormals included. */
function float16Bits(x: number): number {
  if (x >= 65520) return 0x7c00;
  if (x < 2 ** -14) return Math.round(x / 2 ** -24); // subnormal: a multiple of 2^-24
  const e = Math.floor(Math.log2(x));
  const exp = x >= 2 ** (e + 1) ? e + 1 : x < 2 ** e ? e - 1 : e; // log2 may be off by one at powers of two
  const m = x / 2 ** exp - 1; // in [0, 1)
  let frac = Math.round(m * 1024);
  let biased = exp + 15;
  if (frac === 1024) {
    frac = 0;
    biased++;
  }
  return (biased << 10) | frac;
}

/** float16 bits (non-negative, finite) → value. */
function float16Value(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  return exp === 0 ? frac * 2 ** -24 : (1 + frac / 1024) * 2 ** (exp - 15);
}

export interface FullIntegerOptions {
  /**
   * Run pooling (MEAN, AVERAGE_POOL_2D, REDUCE_MAX, MAX_POOL_2D) and every op after it in float32: the pooled
   * features keep float precision instead of one int8 scale for all channels (the head's folded standardisation
   * multiplies small features' rounding error by up to ~100). Costs one DEQUANTIZE per pooled tensor.
   * Default true (+0.9 points of top-1 on the clothing validation split).
   */
  floatPooling?: boolean;
  /** The head's weights: int8 with one scale per input feature (default), or float32 as trained. */
  denseWeights?: 'int8' | 'float32';
}

/** Pooling ops: with floatPooling they and what follows run in float (the ONNX int8 writer stops there too). */
export const POOLING = new Set<number>([BuiltinOperator.MEAN, BuiltinOperator.AVERAGE_POOL_2D, BuiltinOperator.REDUCE_MAX, BuiltinOperator.MAX_POOL_2D]);

/** Which ops run on int8: INT8_OPS, minus (with `floatPooling`) pooling and whatever reads its results. */
function int8OpsOf(spec: ModelSpec, opts: FullIntegerOptions): (o: OperatorSpec) => boolean {
  const floatTensors = new Set<number>();
  const int8 = new Set<OperatorSpec>();
  for (const o of spec.operators) {
    const float =
      !INT8_OPS.has(o.op) || (opts.floatPooling === true && (POOLING.has(o.op) || o.inputs.some((i) => floatTensors.has(i))));
    if (float) {
      if (opts.floatPooling) for (const t of o.outputs) floatTensors.add(t);
    } else int8.add(o);
  }
  return (o) => int8.has(o);
}

/** int8 asymmetric per-tensor parameters covering [min, max] ∪ {0}. */
export function asymmetricParams(r: { min: number; max: number }): QuantizationSpec {
  const lo = Math.min(0, r.min);
  const hi = Math.max(0, r.max);
  const scale = Math.max((hi - lo) / 255, 1e-9);
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
  return { scale: [scale], zeroPoint: [zeroPoint] };
}

/** Weights → int8 symmetric; per output channel for convolutions, per tensor for fully connected. */
export function quantizeWeights(t: TensorSpec, op: number): TensorSpec {
  const w = floatsOf(t);
  const perChannelAxis = op === BuiltinOperator.CONV_2D ? 0 : op === BuiltinOperator.DEPTHWISE_CONV_2D ? t.shape.length - 1 : -1;
  const channels = perChannelAxis < 0 ? 1 : t.shape[perChannelAxis]!;
  const channelOf =
    perChannelAxis < 0
      ? () => 0
      : perChannelAxis === 0
        ? (i: number) => Math.floor(i / (w.length / channels))
        : (i: number) => i % channels;
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(w[i]!));
  }
  const scale = Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / scale[channelOf(i)]!)));
  return {
    ...t,
    type: TensorType.INT8,
    data: new Uint8Array(q.buffer),
    quantization: { scale, zeroPoint: scale.map(() => 0), ...(perChannelAxis > 0 ? { quantizedDimension: perChannelAxis } : {}) },
  };
}

/** Bias → int32 with scale inputScale·weightScale[c] (per channel) and zero point 0. */
export function quantizeBias(t: TensorSpec, inputScale: number, weightScale: number[]): TensorSpec {
  const b = floatsOf(t);
  const scale = Array.from(b, (_v, c) => inputScale * weightScale[weightScale.length === 1 ? 0 : c]!);
  const q = new Int32Array(b.length);
  for (let c = 0; c < b.length; c++) q[c] = Math.max(-2147483647, Math.min(2147483647, Math.round(b[c]! / scale[c]!)));
  return { ...t, type: TensorType.INT32, data: toBytes(q), quantization: { scale, zeroPoint: scale.map(() => 0) } };
}

/** Any other float constant of an int8 op (e.g. an unfused batch-norm scale) → int8 asymmetric per tensor. */
function quantizeConstant(t: TensorSpec): TensorSpec {
  const v = floatsOf(t);
  let min = 0;
  let max = 0;
  for (const x of v) {
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const p = asymmetricParams({ min, max });
  const q = new Int8Array(v.length);
  for (let i = 0; i < v.length; i++) q[i] = Math.max(-128, Math.min(127, Math.round(v[i]! / p.scale[0]! + p.zeroPoint[0]!)));
  return { ...t, type: TensorType.INT8, data: new Uint8Array(q.buffer), quantization: p };
}

function floatsOf(t: TensorSpec): Float32Array {
  if (!t.data || t.type !== TensorType.FLOAT32) throw new Error(`quantize: ${t.name} is not a float32 constant`);
  const copy = t.data.slice();
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

function describe(description: string, mode: QuantizationMode): string {
  const what = mode === 'int8' ? 'full-integer int8 (uint8 RGB pixel input, float32 output)' : 'int8 weights (dynamic range; float32 input and output)';
  return `${description}; quantized: ${what}`;
}

/** Rewrites the `edgewise_info` entry so the file says which input it wants and how it was quantized. */
function retag(spec: ModelSpec, mode: QuantizationMode): ModelSpec['metadata'] {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return (spec.metadata ?? []).map((m) => {
    if (m.name !== 'edgewise_info') return m;
    const info = JSON.parse(dec.decode(m.data)) as Record<string, unknown> & { input?: Record<string, unknown> };
    const input =
      mode === 'int8'
        ? { ...info.input, dtype: 'uint8', range: [0, 1], quantization: { scale: UINT8_INPUT_SCALE, zero_point: 0 } }
        : info.input;
    return { name: m.name, data: enc.encode(JSON.stringify({ ...info, input, quantization: mode })) };
  });
}
