import protobuf from 'protobufjs/minimal.js';
import { ActivationFunctionType as Activation, BuiltinOperator, TensorType } from '../tflite/schema/model-subset_generated.js';
import type { ModelSpec, OperatorSpec, TensorSpec } from '../tflite/write-model.js';
import { POOLING } from '../tflite/quantize-model.js';
import {
  AttributeField,
  AttributeType,
  DataType,
  DimensionField,
  GraphField,
  ModelField,
  NodeField,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  OperatorSetIdField,
  StringStringEntryField,
  TensorField,
  TensorShapeField,
  TypeField,
  TypeTensorField,
  ValueInfoField,
  Wire,
} from './onnx-ids.js';

/**
 * Writes a float32 model description (the ModelSpec that src/tflite/convert-layers.ts builds from a tfjs
 * LayersModel, the same one serializeModel turns into a .tflite) as an ONNX model (IR 7, opset 13), encoded
 * with protobufjs' Writer and the field numbers in onnx-ids.ts. So onnxruntime can run the exact network
 * LiteRT runs.
 *
 * Layout: the input stays NHWC like the .tflite's (a Transpose to NCHW is the first node); convolutions,
 * pooling and everything between run in ONNX's NCHW; a tensor goes back to TFLite's layout only where an op
 * needs it (Reshape, reductions that keep the channels apart from H/W, the output).
 * The batch dimension is symbolic ("N"): the graph takes any number of images per run.
 *
 * Ops written (TFLite → ONNX): CONV_2D → Conv, DEPTHWISE_CONV_2D → Conv (group = input channels),
 * fused RELU/RELU6/RELU_N1_TO_1 → Relu/Clip, PAD (zeros) → folded into the next Conv's pads (else Pad),
 * AVERAGE_POOL_2D / MAX_POOL_2D → AveragePool (padding excluded, as TFLite) / MaxPool, MEAN / REDUCE_MAX →
 * ReduceMean / ReduceMax, ADD / MUL / SUB → Add / Mul / Sub, CONCATENATION → Concat, RESHAPE → Reshape,
 * RELU / RELU6 → Relu / Clip. TFLite's SAME padding becomes explicit pads (the extra row/column at the end, as
 * TensorFlow pads). Anything else, or a non-float32 tensor, throws: callers fall back to another runtime.
 */

const { Writer } = protobuf;
type W = protobuf.Writer;

export class OnnxUnsupportedError extends Error {}

type Layout = 'nchw' | 'plain';
interface Value {
  name: string;
  /** TFLite (NHWC) shape of the tensor. */
  shape: number[];
  layout: Layout;
  /** int8 graphs: the uint8 scale of the QuantizeLinear/DequantizeLinear pair this value comes out of. */
  scale?: number;
}

interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Attr[];
}
type Attr = { name: string; int: number } | { name: string; ints: number[] } | { name: string; float: number };

interface Initializer {
  name: string;
  dims: number[];
  type: 'float32' | 'int64' | 'uint8' | 'int8' | 'int32';
  data: Uint8Array;
}

/** Initializer element types → ONNX TensorProto.DataType. */
const INIT_TYPE = { float32: DataType.FLOAT, int64: DataType.INT64, uint8: DataType.UINT8, int8: DataType.INT8, int32: DataType.INT32 } as const;

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** Where an NHWC axis lives in NCHW. */
const AXIS_IN_NCHW = [0, 2, 3, 1];

function floats(t: TensorSpec): Float32Array {
  if (!t.data) throw new OnnxUnsupportedError(`tensor ${t.name} has no constant data`);
  return new Float32Array(t.data.slice().buffer);
}

function ints(t: TensorSpec): number[] {
  if (!t.data || t.type !== TensorType.INT32) throw new OnnxUnsupportedError(`tensor ${t.name} is not a constant int32 tensor`);
  return Array.from(new Int32Array(t.data.slice().buffer));
}

function bytesOf(a: Float32Array | BigInt64Array | Int8Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** TensorFlow's SAME padding along one axis: [before, after]. */
function samePads(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const k = (kernel - 1) * dilation + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

class Builder {
  readonly nodes: Node[] = [];
  readonly inits: Initializer[] = [];
  private readonly names = new Set<string>();
  private count = 0;

  constructor(readonly spec: ModelSpec) {}

  fresh(base: string): string {
    let n = base || `t${this.count}`;
    while (this.names.has(n)) n = `${base || 't'}_${this.count++}`;
    this.names.add(n);
    return n;
  }

  node(op: string, inputs: string[], attrs: Attr[] = [], outName = op.toLowerCase()): string {
    const out = this.fresh(outName);
    this.nodes.push({ op, inputs, outputs: [out], attrs });
    return out;
  }

  floatInit(base: string, dims: number[], data: Float32Array): string {
    const name = this.fresh(base);
    this.inits.push({ name, dims, type: 'float32', data: bytesOf(data) });
    return name;
  }

  init(base: string, dims: number[], type: Initializer['type'], data: Float32Array | Int8Array | Int32Array | Uint8Array): string {
    const name = this.fresh(base);
    this.inits.push({ name, dims, type, data: bytesOf(data) });
    return name;
  }

  /**
   * x through QuantizeLinear → DequantizeLinear with uint8 parameters covering [min, max] ∪ {0}: the pattern
   * onnxruntime's QDQ optimiser fuses with the ops around it into integer kernels (QLinearConv, QLinearAdd…).
   */
  qdq(x: string, range: { min: number; max: number }, name: string): { name: string; scale: number } {
    const { scale, zeroPoint } = uint8Params(range);
    const s = this.init(`${name}/scale`, [], 'float32', Float32Array.of(scale));
    const z = this.init(`${name}/zero_point`, [], 'uint8', Uint8Array.of(zeroPoint));
    const q = this.node('QuantizeLinear', [x, s, z], [], `${name}/q`);
    return { name: this.node('DequantizeLinear', [q, s, z], [], name), scale: Math.fround(scale) };
  }

  /**
   * Convolution weights [O, …] as int8, symmetric, one scale per output channel, dequantized in the graph.
   * quantizeWeights/quantizeBias do the same for the .tflite, but round with float64 scales; these round with
   * the float32 scales the graph stores (sharing theirs moved 3,982 of the feature model's 787,437 bytes).
   */
  int8Weights(name: string, dims: number[], w: Float32Array): { name: string; scales: Float32Array } {
    const channels = dims[0]!;
    const per = w.length / channels;
    const scales = new Float32Array(channels);
    const q = new Int8Array(w.length);
    for (let c = 0; c < channels; c++) {
      let m = 0;
      for (let i = c * per; i < (c + 1) * per; i++) m = Math.max(m, Math.abs(w[i]!));
      scales[c] = m > 0 ? m / 127 : 1;
      for (let i = c * per; i < (c + 1) * per; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / scales[c]!)));
    }
    const s = this.init(`${name}/scale`, [channels], 'float32', scales);
    const z = this.init(`${name}/zero_point`, [channels], 'int8', new Int8Array(channels));
    const wq = this.init(`${name}/quantized`, dims, 'int8', q);
    return { name: this.node('DequantizeLinear', [wq, s, z], [{ name: 'axis', int: 0 }], name), scales };
  }

  /** A convolution's bias as int32 with scale inputScale·weightScale[c] (what QLinearConv adds), dequantized. */
  int32Bias(name: string, b: Float32Array, inputScale: number, weightScales: Float32Array): string {
    const scales = Float32Array.from(weightScales, (ws) => inputScale * ws);
    const q = Int32Array.from(b, (v, c) => Math.max(-2147483647, Math.min(2147483647, Math.round(v / scales[c]!))));
    const s = this.init(`${name}/scale`, [b.length], 'float32', scales);
    const z = this.init(`${name}/zero_point`, [b.length], 'int32', new Int32Array(b.length));
    const bq = this.init(`${name}/quantized`, [b.length], 'int32', q);
    return this.node('DequantizeLinear', [bq, s, z], [{ name: 'axis', int: 0 }], name);
  }

  int64Init(base: string, values: number[]): string {
    const name = this.fresh(base);
    this.inits.push({ name, dims: [values.length], type: 'int64', data: bytesOf(BigInt64Array.from(values.map(BigInt))) });
    return name;
  }

  toNchw(v: Value): Value {
    if (v.layout === 'nchw' || v.shape.length !== 4) return v;
    return { name: this.node('Transpose', [v.name], [{ name: 'perm', ints: NHWC_TO_NCHW }], `${v.name}_nchw`), shape: v.shape, layout: 'nchw' };
  }

  toPlain(v: Value): Value {
    if (v.layout === 'plain') return v;
    return { name: this.node('Transpose', [v.name], [{ name: 'perm', ints: NCHW_TO_NHWC }], `${v.name}_nhwc`), shape: v.shape, layout: 'plain' };
  }

  activation(x: string, act: number, name: string): string {
    if (act === Activation.NONE) return x;
    if (act === Activation.RELU) return this.node('Relu', [x], [], name);
    if (act === Activation.RELU6 || act === Activation.RELU_N1_TO_1) {
      const lo = act === Activation.RELU6 ? 0 : -1;
      const hi = act === Activation.RELU6 ? 6 : 1;
      return this.node('Clip', [x, this.floatInit(`${name}/min`, [], Float32Array.of(lo)), this.floatInit(`${name}/max`, [], Float32Array.of(hi))], [], name);
    }
    throw new OnnxUnsupportedError(`fused activation ${act} is not written to ONNX`);
  }
}

export interface OnnxOptions {
  producer?: string;
  metadata?: Record<string, string>;
  /**
   * Take uint8 pixels p instead of the float input, and compute lo + p·(hi − lo)/255 in the graph (p/255 for
   * [0, 1]), the value pixelsToFloat gives: 4× fewer bytes in, no conversion loop in JavaScript.
   */
  uint8Input?: [number, number];
  /**
   * Write the int8 graph instead (QDQ form, for onnxruntime): every activation the spec computes, up to the
   * first pooling op, goes through a uint8 QuantizeLinear/DequantizeLinear pair with the calibrated range
   * from `ranges` (tensor index → [min, max], from calibrateActivations); convolution weights are int8 per
   * output channel, biases int32. Pooling and everything after it stay float32, as quantizeFullInteger's
   * floatPooling does for the .tflite. Needs `uint8Input: [0, 1]` (the pixels are then exactly p/255).
   */
  int8?: { ranges: ReadonlyMap<number, { min: number; max: number }> };
}

/**
 * uint8 asymmetric parameters covering [min, max] ∪ {0}: the uint8 twin of asymmetricParams. Not derived from it
 * (its zero point + 128): rounding −128 − lo/scale loses low bits, and 3 bytes of the feature model moved.
 */
export function uint8Params(r: { min: number; max: number }): { scale: number; zeroPoint: number } {
  const lo = Math.min(0, r.min);
  const hi = Math.max(0, r.max);
  const scale = Math.max((hi - lo) / 255, 1e-9);
  return { scale, zeroPoint: Math.max(0, Math.min(255, Math.round(-lo / scale))) };
}

/** Serialises `spec` as ONNX model bytes. */
export function serializeOnnx(spec: ModelSpec, opts: OnnxOptions = {}): Uint8Array {
  if (spec.inputs.length !== 1 || spec.outputs.length !== 1) throw new OnnxUnsupportedError('only one input and one output are written');
  for (const t of spec.tensors) {
    if (t.type !== TensorType.FLOAT32 && !(t.type === TensorType.INT32 && t.data)) throw new OnnxUnsupportedError(`tensor ${t.name}: only float32 tensors (and int32 constants) are written`);
    if (t.quantization) throw new OnnxUnsupportedError(`tensor ${t.name} is quantized`);
  }
  const b = new Builder(spec);
  const values = new Map<number, Value>();
  const consumers = new Map<number, OperatorSpec[]>();
  for (const o of spec.operators) for (const i of o.inputs) if (i >= 0) consumers.set(i, [...(consumers.get(i) ?? []), o]);

  const inIdx = spec.inputs[0]!;
  const inT = spec.tensors[inIdx]!;
  const inputName = b.fresh(inT.name || 'input');
  let inputValue = inputName;
  const q = opts.int8;
  if (q && !(opts.uint8Input && opts.uint8Input[0] === 0 && opts.uint8Input[1] === 1)) throw new OnnxUnsupportedError('an int8 graph needs uint8 pixels standing for p/255 (uint8Input: [0, 1])');
  if (q) {
    // The pixels are already the first quantized tensor: scale 1/255, zero point 0. Transposed as bytes.
    const nchw = b.node('Transpose', [inputName], [{ name: 'perm', ints: NHWC_TO_NCHW }], 'pixels_nchw');
    const s = b.init('pixels/scale', [], 'float32', Float32Array.of(1 / 255));
    const z = b.init('pixels/zero_point', [], 'uint8', Uint8Array.of(0));
    values.set(inIdx, { name: b.node('DequantizeLinear', [nchw, s, z], [], 'pixels_scaled'), shape: inT.shape, layout: 'nchw', scale: Math.fround(1 / 255) });
  } else if (opts.uint8Input) {
    const [lo, hi] = opts.uint8Input;
    const asFloat = b.node('Cast', [inputName], [{ name: 'to', int: DataType.FLOAT }], 'pixels_float');
    inputValue =
      lo === 0 && hi === 1
        ? b.node('Div', [asFloat, b.floatInit('pixels/255', [], Float32Array.of(255))], [], 'pixels_scaled')
        : b.node('Add', [b.node('Mul', [asFloat, b.floatInit('pixels/k', [], Float32Array.of((hi - lo) / 255))], [], 'pixels_mul'), b.floatInit('pixels/lo', [], Float32Array.of(lo))], [], 'pixels_scaled');
  }
  if (!q) values.set(inIdx, { name: inputValue, shape: inT.shape, layout: 'plain' });
  /** int8 graphs: tensors computed in float32 (pooling, and whatever reads a float tensor). */
  const floatTail = new Set<number>();
  /** PAD ops folded into their consumer: output tensor → [top, bottom, left, right]. */
  const foldedPads = new Map<number, { source: number; pads: [number, number, number, number] }>();

  const value = (i: number): Value => {
    const v = values.get(i);
    if (v) return v;
    const t = spec.tensors[i]!;
    if (!t.data) throw new OnnxUnsupportedError(`tensor ${t.name} is used before it is computed`);
    // A constant operand of an elementwise op: TFLite shape, TFLite layout.
    const c: Value = { name: b.floatInit(t.name, t.shape, floats(t)), shape: t.shape, layout: 'plain' };
    values.set(i, c);
    return c;
  };

  for (const o of spec.operators) {
    const outIdx = o.outputs[0]!;
    const outT = spec.tensors[outIdx]!;
    const name = outT.name;
    const tail = !!q && (POOLING.has(o.op) || o.inputs.some((i) => floatTail.has(i)));
    if (tail) for (const t of o.outputs) floatTail.add(t);
    const set = (n: string, layout: Layout): void => {
      const range = q && !tail && !spec.outputs.includes(outIdx) ? q.ranges.get(outIdx) : undefined;
      if (q && !tail && !range && !spec.outputs.includes(outIdx)) throw new OnnxUnsupportedError(`${name}: no calibrated range for an int8 activation`);
      const v = range ? b.qdq(n, range, name) : { name: n };
      values.set(outIdx, { ...v, shape: outT.shape, layout });
    };
    switch (o.op) {
      case BuiltinOperator.PAD: {
        const p = ints(spec.tensors[o.inputs[1]!]!);
        const uses = consumers.get(outIdx) ?? [];
        const zeroNC = p[0] === 0 && p[1] === 0 && p[6] === 0 && p[7] === 0;
        const intoConv = uses.length === 1 && (uses[0]!.op === BuiltinOperator.CONV_2D || uses[0]!.op === BuiltinOperator.DEPTHWISE_CONV_2D) && o.inputs.length === 2;
        if (zeroNC && intoConv && !spec.outputs.includes(outIdx)) {
          foldedPads.set(outIdx, { source: o.inputs[0]!, pads: [p[2]!, p[3]!, p[4]!, p[5]!] });
          break;
        }
        if (o.inputs.length > 2) throw new OnnxUnsupportedError('PAD with a constant value is not written');
        const x = value(o.inputs[0]!);
        const pads = x.layout === 'nchw' && p.length === 8 ? [p[0]!, p[6]!, p[2]!, p[4]!, p[1]!, p[7]!, p[3]!, p[5]!] : [...p.filter((_, k) => k % 2 === 0), ...p.filter((_, k) => k % 2 === 1)];
        set(b.node('Pad', [x.name, b.int64Init(`${name}/pads`, pads)], [], name), x.layout);
        break;
      }
      case BuiltinOperator.CONV_2D:
      case BuiltinOperator.DEPTHWISE_CONV_2D: {
        const opt = o.options;
        if (!opt || (opt.kind !== 'Conv2D' && opt.kind !== 'DepthwiseConv2D')) throw new OnnxUnsupportedError(`${name}: convolution without options`);
        const folded = foldedPads.get(o.inputs[0]!);
        const x = b.toNchw(value(folded ? folded.source : o.inputs[0]!));
        const wT = spec.tensors[o.inputs[1]!]!;
        const w = floats(wT);
        const [d0, kh, kw, d3] = wT.shape as [number, number, number, number];
        let weights: Float32Array;
        let dims: number[];
        let group = 1;
        if (opt.kind === 'Conv2D') {
          // [O, kh, kw, I] → [O, I, kh, kw]
          weights = new Float32Array(w.length);
          for (let oc = 0; oc < d0; oc++) for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) for (let ic = 0; ic < d3; ic++) weights[((oc * d3 + ic) * kh + y) * kw + xx] = w[((oc * kh + y) * kw + xx) * d3 + ic]!;
          dims = [d0, d3, kh, kw];
        } else {
          // [1, kh, kw, C·m] → [C·m, 1, kh, kw], one group per input channel
          weights = new Float32Array(w.length);
          for (let oc = 0; oc < d3; oc++) for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) weights[(oc * kh + y) * kw + xx] = w[(y * kw + xx) * d3 + oc]!;
          dims = [d3, 1, kh, kw];
          group = d3 / opt.depthMultiplier;
        }
        const dh = opt.dilationH ?? 1;
        const dw = opt.dilationW ?? 1;
        const inShape = spec.tensors[folded ? folded.source : o.inputs[0]!]!.shape;
        let pads = [0, 0, 0, 0];
        if (opt.padding === 'same') {
          // Sizes after any folded PAD.
          const h = inShape[1]! + (folded ? folded.pads[0] + folded.pads[1] : 0);
          const wd = inShape[2]! + (folded ? folded.pads[2] + folded.pads[3] : 0);
          const [t, bo] = samePads(h, kh, opt.strideH, dh);
          const [l, r] = samePads(wd, kw, opt.strideW, dw);
          pads = [t, l, bo, r];
        }
        if (folded) pads = [pads[0]! + folded.pads[0], pads[1]! + folded.pads[2], pads[2]! + folded.pads[1], pads[3]! + folded.pads[3]];
        const hasBias = o.inputs.length > 2 && o.inputs[2]! >= 0;
        const inputs = [x.name];
        if (q) {
          if (x.scale === undefined) throw new OnnxUnsupportedError(`${name}: an int8 convolution reads a float32 tensor`);
          const wq = b.int8Weights(`${name}/W`, dims, weights);
          inputs.push(wq.name);
          if (hasBias) inputs.push(b.int32Bias(`${name}/B`, floats(spec.tensors[o.inputs[2]!]!), x.scale, wq.scales));
        } else {
          inputs.push(b.floatInit(`${name}/W`, dims, weights));
          if (hasBias) inputs.push(b.floatInit(`${name}/B`, [dims[0]!], floats(spec.tensors[o.inputs[2]!]!)));
        }
        const attrs: Attr[] = [
          { name: 'kernel_shape', ints: [kh, kw] },
          { name: 'strides', ints: [opt.strideH, opt.strideW] },
          { name: 'dilations', ints: [dh, dw] },
          { name: 'pads', ints: pads },
          { name: 'group', int: group },
        ];
        const act = opt.activation;
        const conv = b.node('Conv', inputs, attrs, act === Activation.NONE ? name : `${name}/conv`);
        set(b.activation(conv, act, name), 'nchw');
        break;
      }
      case BuiltinOperator.AVERAGE_POOL_2D:
      case BuiltinOperator.MAX_POOL_2D: {
        const opt = o.options;
        if (opt?.kind !== 'Pool2D') throw new OnnxUnsupportedError(`${name}: pooling without options`);
        const x = b.toNchw(value(o.inputs[0]!));
        let pads = [0, 0, 0, 0];
        if (opt.padding === 'same') {
          const [t, bo] = samePads(x.shape[1]!, opt.filterH, opt.strideH, 1);
          const [l, r] = samePads(x.shape[2]!, opt.filterW, opt.strideW, 1);
          pads = [t, l, bo, r];
        }
        const op = o.op === BuiltinOperator.AVERAGE_POOL_2D ? 'AveragePool' : 'MaxPool';
        const pool = b.node(op, [x.name], [
          { name: 'kernel_shape', ints: [opt.filterH, opt.filterW] },
          { name: 'strides', ints: [opt.strideH, opt.strideW] },
          { name: 'pads', ints: pads },
        ], opt.activation === Activation.NONE ? name : `${name}/pool`);
        set(b.activation(pool, opt.activation, name), 'nchw');
        break;
      }
      case BuiltinOperator.MEAN:
      case BuiltinOperator.REDUCE_MAX: {
        const keep = o.options?.kind === 'Reducer' ? o.options.keepDims : false;
        const axes = ints(spec.tensors[o.inputs[1]!]!).map((a) => (a < 0 ? a + spec.tensors[o.inputs[0]!]!.shape.length : a));
        let x = value(o.inputs[0]!);
        // Reducing H and W of an NCHW tensor without keeping dims leaves [N, C] either way: reduce in place.
        const inPlace = x.layout === 'nchw' && (keep || (axes.includes(1) && axes.includes(2)));
        if (!inPlace) x = b.toPlain(x);
        const onnxAxes = x.layout === 'nchw' ? axes.map((a) => AXIS_IN_NCHW[a]!) : axes;
        const op = o.op === BuiltinOperator.MEAN ? 'ReduceMean' : 'ReduceMax';
        set(b.node(op, [x.name], [{ name: 'axes', ints: onnxAxes }, { name: 'keepdims', int: keep ? 1 : 0 }], name), keep ? x.layout : 'plain');
        break;
      }
      case BuiltinOperator.ADD:
      case BuiltinOperator.MUL:
      case BuiltinOperator.SUB: {
        const act = o.options && 'activation' in o.options ? o.options.activation : Activation.NONE;
        const ins = o.inputs.map((i) => ({ i, v: value(i), constant: !!spec.tensors[i]!.data }));
        const nchw = ins.some((e) => !e.constant && e.v.layout === 'nchw');
        const names = ins.map((e) => {
          if (!nchw) return b.toPlain(e.v).name;
          if (!e.constant) return b.toNchw(e.v).name;
          // A constant broadcast against an NHWC tensor: give it NCHW's axes.
          const t = spec.tensors[e.i]!;
          const s = [...Array(4 - t.shape.length).fill(1), ...t.shape] as number[];
          if (s.length !== 4) throw new OnnxUnsupportedError(`${name}: constant of rank ${t.shape.length} against a 4-D tensor`);
          const src = floats(t);
          const [n, h, w, c] = s as [number, number, number, number];
          const dst = new Float32Array(src.length);
          for (let a = 0; a < n; a++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let ch = 0; ch < c; ch++) dst[((a * c + ch) * h + y) * w + xx] = src[((a * h + y) * w + xx) * c + ch]!;
          return b.floatInit(`${t.name}/nchw`, [n, c, h, w], dst);
        });
        const op = o.op === BuiltinOperator.ADD ? 'Add' : o.op === BuiltinOperator.MUL ? 'Mul' : 'Sub';
        const y = b.node(op, names, [], act === Activation.NONE ? name : `${name}/${op.toLowerCase()}`);
        set(b.activation(y, act, name), nchw ? 'nchw' : 'plain');
        break;
      }
      case BuiltinOperator.RELU:
      case BuiltinOperator.RELU6: {
        const x = value(o.inputs[0]!);
        set(b.activation(x.name, o.op === BuiltinOperator.RELU ? Activation.RELU : Activation.RELU6, name), x.layout);
        break;
      }
      case BuiltinOperator.CONCATENATION: {
        const opt = o.options;
        if (opt?.kind !== 'Concatenation') throw new OnnxUnsupportedError(`${name}: concatenation without options`);
        const ins = o.inputs.map((i) => value(i));
        const rank = outT.shape.length;
        const axis = opt.axis < 0 ? opt.axis + rank : opt.axis;
        const nchw = rank === 4;
        const names = ins.map((v) => (nchw ? b.toNchw(v) : b.toPlain(v)).name);
        const y = b.node('Concat', names, [{ name: 'axis', int: nchw ? AXIS_IN_NCHW[axis]! : axis }], opt.activation === Activation.NONE ? name : `${name}/concat`);
        set(b.activation(y, opt.activation, name), nchw ? 'nchw' : 'plain');
        break;
      }
      case BuiltinOperator.RESHAPE: {
        const x = b.toPlain(value(o.inputs[0]!));
        const target = [...outT.shape];
        // The batch dimension follows the input's ("0" copies it in ONNX Reshape).
        if (target[0] === 1 && x.shape[0] === 1) target[0] = 0;
        set(b.node('Reshape', [x.name, b.int64Init(`${name}/shape`, target)], [], name), 'plain');
        break;
      }
      default:
        throw new OnnxUnsupportedError(`TFLite operator ${o.op} (${spec.tensors[outIdx]?.name ?? '?'}) is not written to ONNX`);
    }
  }

  const outIdx = spec.outputs[0]!;
  const outV = b.toPlain(values.get(outIdx) ?? value(outIdx));
  // The graph output must be a node output named once: an Identity gives it a clean name.
  const outputName = b.node('Identity', [outV.name], [], 'output');
  return encodeModel(b, spec, { name: inputName, shape: inT.shape, type: opts.uint8Input || q ? DataType.UINT8 : DataType.FLOAT }, { name: outputName, shape: outV.shape, type: DataType.FLOAT }, opts);
}

function tag(w: W, field: number, wire: number): W {
  return w.uint32((field << 3) | wire);
}

function str(w: W, field: number, s: string): void {
  tag(w, field, Wire.LEN).string(s);
}

function int(w: W, field: number, n: number): void {
  tag(w, field, Wire.VARINT).int64(n);
}

function message(w: W, field: number, body: (w: W) => void): void {
  tag(w, field, Wire.LEN).fork();
  body(w);
  w.ldelim();
}

interface GraphValue {
  name: string;
  shape: number[];
  type: number;
}

function valueInfo(w: W, field: number, v: GraphValue): void {
  message(w, field, (vi) => {
    str(vi, ValueInfoField.name, v.name);
    message(vi, ValueInfoField.type, (ty) =>
      message(ty, TypeField.tensorType, (tt) => {
        int(tt, TypeTensorField.elemType, v.type);
        message(tt, TypeTensorField.shape, (sh) => {
          v.shape.forEach((d, k) =>
            message(sh, TensorShapeField.dim, (dim) => {
              if (k === 0) str(dim, DimensionField.dimParam, 'N');
              else int(dim, DimensionField.dimValue, d);
            }),
          );
        });
      }),
    );
  });
}

function encodeModel(b: Builder, spec: ModelSpec, input: GraphValue, output: GraphValue, opts: OnnxOptions): Uint8Array {
  const w = Writer.create();
  int(w, ModelField.irVersion, ONNX_IR_VERSION);
  str(w, ModelField.producerName, opts.producer ?? 'edgewise');
  if (spec.description) str(w, ModelField.docString, spec.description);
  message(w, ModelField.opsetImport, (m) => {
    str(m, OperatorSetIdField.domain, '');
    int(m, OperatorSetIdField.version, ONNX_OPSET);
  });
  message(w, ModelField.graph, (g) => {
    for (const n of b.nodes) {
      message(g, GraphField.node, (m) => {
        for (const i of n.inputs) str(m, NodeField.input, i);
        for (const o of n.outputs) str(m, NodeField.output, o);
        str(m, NodeField.name, n.outputs[0]!);
        str(m, NodeField.opType, n.op);
        for (const a of n.attrs) {
          message(m, NodeField.attribute, (at) => {
            str(at, AttributeField.name, a.name);
            if ('int' in a) {
              int(at, AttributeField.type, AttributeType.INT);
              int(at, AttributeField.i, a.int);
            } else if ('ints' in a) {
              int(at, AttributeField.type, AttributeType.INTS);
              for (const v of a.ints) int(at, AttributeField.ints, v);
            } else {
              int(at, AttributeField.type, AttributeType.FLOAT);
              tag(at, AttributeField.f, Wire.FIXED32).float(a.float);
            }
          });
        }
      });
    }
    str(g, GraphField.name, spec.subgraphName ?? 'main');
    for (const t of b.inits) {
      message(g, GraphField.initializer, (m) => {
        for (const d of t.dims) int(m, TensorField.dims, d);
        int(m, TensorField.dataType, INIT_TYPE[t.type]);
        str(m, TensorField.name, t.name);
        tag(m, TensorField.rawData, Wire.LEN).bytes(t.data);
      });
    }
    valueInfo(g, GraphField.input, input);
    valueInfo(g, GraphField.output, output);
  });
  for (const [key, value] of Object.entries(opts.metadata ?? {})) {
    message(w, ModelField.metadataProps, (m) => {
      str(m, StringStringEntryField.key, key);
      str(m, StringStringEntryField.value, value);
    });
  }
  return w.finish();
}
