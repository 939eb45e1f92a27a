import type { LayersModel, SymbolicTensor, Tensor, layers } from '@tensorflow/tfjs';
import { InputError } from '../core/errors.js';
import { EDGEWISE_INFO_METADATA, EDGEWISE_LABELS_METADATA } from './format.js';
import { ActivationFunctionType, BuiltinOperator, TensorType } from './schema/model-subset_generated.js';
import { serializeModel, toBytes, type ModelSpec, type OperatorOptions, type OperatorSpec, type TensorSpec } from './write-model.js';

/**
 * Converts a tfjs Keras-style LayersModel (functional, Sequential, or models nested as layers) into a float32
 * TFLite flatbuffer that computes the same function, batch size 1.
 *
 * Layers supported (class name → TFLite):
 *   InputLayer → the subgraph input, float32 [1,H,W,C] (H, W, C must be known; other fixed shapes work too,
 *                but the runner only runs image inputs)
 *   Conv2D → CONV_2D (kernel HWIO → OHWI; bias, zero if absent; same/valid; strides; dilation; fused relu/relu6)
 *   DepthwiseConv2D → DEPTHWISE_CONV_2D (kernel [kh,kw,C,m] → [1,kh,kw,C·m], depth_multiplier m; undilated,
 *                     as tfjs-layers computes it even when dilation_rate is set)
 *   BatchNormalization → folded into the preceding Conv2D/DepthwiseConv2D/Dense when it is the sole consumer,
 *                        otherwise MUL + ADD with per-channel constants
 *   ReLU (max_value none or 6), Activation relu/relu6 → fused into the preceding op when possible, else RELU/RELU6
 *   Activation softmax / Softmax layer / Dense(activation softmax) → SOFTMAX (beta 1, last axis)
 *   Activation sigmoid/tanh → LOGISTIC/TANH; linear → nothing
 *   Add / Multiply / Subtract → ADD / MUL / SUB;  Concatenate → CONCATENATION
 *   ZeroPadding2D → PAD;  AveragePooling2D / MaxPooling2D → AVERAGE_POOL_2D / MAX_POOL_2D
 *   GlobalAveragePooling2D → MEAN over axes 1,2 (keep_dims false);  GlobalMaxPooling2D → REDUCE_MAX
 *   Dense (rank-2 input) → FULLY_CONNECTED (kernel [in,out] → [out,in])
 *   Flatten / Reshape → RESHAPE;  Rescaling → MUL + ADD
 *   Dropout / SpatialDropout / GaussianNoise / GaussianDropout / AlphaDropout → nothing (inference identity)
 * Anything else raises an InputError naming the layer.
 */
export interface ConvertOptions {
  /** Labels in output order: stored in the file (metadata `edgewise_labels`) and checked against the output size. */
  labels?: string[];
  /** Human description stored in Model.description. */
  description?: string;
  /** Input value range the model expects; recorded in the description and `edgewise_info`. Default [0, 1]. */
  inputRange?: [number, number];
  /** Extra JSON-serialisable facts stored in the `edgewise_info` metadata (backbone, layer, preprocessing...). */
  info?: Record<string, unknown>;
}

type AnyLayer = layers.Layer;

/** An op whose output can still absorb a following BatchNormalization and/or activation. */
interface PendingOp {
  kind: 'conv' | 'dwconv' | 'fc';
  name: string;
  input: number;
  /** TFLite-layout weights; the output channel is axis 0 (conv, fc) or the last axis (dwconv). */
  weights: Float32Array;
  weightShape: number[];
  bias: Float32Array;
  options: OperatorOptions;
  activation: ActivationFunctionType;
  outShape: number[];
  /** Set once emitted. */
  tensor?: number;
}

type Value = { tensor: number; shape: number[] } | { pending: PendingOp; shape: number[] };

export function convertLayersModel(model: LayersModel, opts: ConvertOptions = {}): Uint8Array {
  return serializeModel(layersModelSpec(model, opts));
}

/** The float32 model description `convertLayersModel` serialises (quantize-model.ts starts from it). */
export function layersModelSpec(model: LayersModel, opts: ConvertOptions = {}): ModelSpec {
  const c = new Converter();
  if (model.inputs.length !== 1) throw unsupported(`the model has ${model.inputs.length} inputs; exactly one image input is supported`);
  if (model.outputs.length !== 1) throw unsupported(`the model has ${model.outputs.length} outputs; exactly one is supported`);
  const outValue = c.convert(model, [], 0);
  const out = c.materialize(outValue);
  const outShape = c.tensors[out]?.shape ?? [];
  const inputIdx = c.inputTensor;
  if (inputIdx === undefined) throw unsupported('the model output does not depend on its input');
  const inShape = c.tensors[inputIdx]?.shape ?? [];
  const classes = outShape[outShape.length - 1] ?? 0;
  if (opts.labels && opts.labels.length !== classes) {
    throw new InputError(`${opts.labels.length} labels given but the model has ${classes} outputs.`, {
      item: model.name,
      hint: 'Pass the labels in output order, one per output unit.',
    });
  }
  opts.labels?.forEach((l, i) => {
    if (!l.trim() || /[\r\n]/.test(l) || l !== l.trim() || opts.labels!.indexOf(l) !== i) {
      throw new InputError(`Label ${i + 1} (${JSON.stringify(l)}) cannot be stored: labels must be distinct, non-empty, on one line, without leading or trailing spaces.`, {
        item: model.name,
        hint: 'Fix the label names in the manifest (no line breaks, no leading/trailing spaces, no duplicates).',
      });
    }
  });
  const range = opts.inputRange ?? [0, 1];
  const description =
    opts.description ??
    `edgewise float32 classifier; input float32 [${inShape.join(',')}] RGB values in [${range[0]},${range[1]}]; ` +
      `output [${outShape.join(',')}] ${c.endsWithSoftmax(out) ? 'softmax probabilities' : 'scores'}`;
  const info = {
    format: 'edgewise-tflite/1',
    input: { shape: inShape, dtype: 'float32', range, layout: 'NHWC', color: 'RGB' },
    output: { shape: outShape, probabilities: c.endsWithSoftmax(out) },
    ...(opts.labels ? { labels: opts.labels.length } : {}),
    ...opts.info,
  };
  const enc = new TextEncoder();
  const metadata = [{ name: EDGEWISE_INFO_METADATA, data: enc.encode(JSON.stringify(info)) }];
  if (opts.labels) metadata.push({ name: EDGEWISE_LABELS_METADATA, data: enc.encode(opts.labels.join('\n')) });
  return {
    description,
    subgraphName: model.name,
    tensors: c.tensors,
    operators: c.operators,
    inputs: [inputIdx],
    outputs: [out],
    metadata,
  };
}

function unsupported(what: string, layer?: AnyLayer): InputError {
  return new InputError(`Cannot convert to TFLite: ${what}.`, {
    code: 'tflite.unsupported',
    ...(layer ? { item: `${layer.name} (${layer.getClassName()})` } : {}),
    hint: 'Build the exported model from the layers listed in src/tflite/convert-layers.ts.',
  });
}

class Converter {
  tensors: TensorSpec[] = [];
  operators: OperatorSpec[] = [];
  inputTensor: number | undefined;
  private producers = new Map<number, OperatorSpec>();

  /** Converts output `index` of `model` given the values bound to its inputs (none for the top model). */
  convert(model: LayersModel, boundInputs: Value[], index: number): Value {
    const memo = new Map<number, Value>();
    model.inputs.forEach((t, i) => {
      const v = boundInputs[i];
      if (v) memo.set(t.id, v);
    });
    const target = model.outputs[index];
    if (!target) throw unsupported(`nested model ${model.name} has no output ${index}`);
    return this.visit(target, memo);
  }

  private visit(t: SymbolicTensor, memo: Map<number, Value>): Value {
    const known = memo.get(t.id);
    if (known) return known;
    const layer = t.sourceLayer;
    const ins = t.inputs.map((x) => this.visit(x, memo));
    const v = this.layer(layer, t, ins);
    memo.set(t.id, v);
    return v;
  }

  private layer(layer: AnyLayer, t: SymbolicTensor, ins: Value[]): Value {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    const shape = tfliteShape(t.shape, layer);
    const one = (): Value => {
      const v = ins[0];
      if (!v || ins.length !== 1) throw unsupported(`expected one input, got ${ins.length}`, layer);
      return v;
    };
    if (isModel(layer)) return this.convert(layer, ins, t.outputTensorIndex ?? 0);
    switch (cls) {
      case 'InputLayer': {
        if (this.inputTensor !== undefined) throw unsupported('more than one input layer', layer);
        this.inputTensor = this.addTensor({ name: layer.name, shape, type: TensorType.FLOAT32 });
        return { tensor: this.inputTensor, shape };
      }
      case 'Conv2D':
        return this.conv(layer, cfg, one(), shape, false);
      case 'DepthwiseConv2D':
        return this.conv(layer, cfg, one(), shape, true);
      case 'Dense':
        return this.dense(layer, cfg, one(), shape);
      case 'BatchNormalization':
        return this.batchNorm(layer, cfg, one(), shape);
      case 'ReLU': {
        const max = cfg.max_value ?? cfg.maxValue;
        if (Number(cfg.negative_slope ?? 0) !== 0 || Number(cfg.threshold ?? 0) !== 0) throw unsupported('ReLU with negative_slope or threshold', layer);
        if (max === null || max === undefined) return this.activation(one(), ActivationFunctionType.RELU, layer.name);
        if (Number(max) === 6) return this.activation(one(), ActivationFunctionType.RELU6, layer.name);
        throw unsupported(`ReLU max_value ${String(max)} (only none or 6)`, layer);
      }
      case 'Activation':
        return this.namedActivation(String(cfg.activation), one(), layer);
      case 'Softmax': {
        const axis = Number(cfg.axis ?? -1);
        if (axis !== -1 && axis !== shape.length - 1) throw unsupported('softmax over a non-last axis', layer);
        return this.unary(BuiltinOperator.SOFTMAX, one(), shape, layer.name, { kind: 'Softmax', beta: 1 });
      }
      case 'Add':
      case 'Multiply':
      case 'Subtract': {
        if (ins.length < 2) throw unsupported(`${cls} needs two inputs`, layer);
        if (cls === 'Subtract' && ins.length !== 2) throw unsupported('Subtract needs exactly two inputs', layer);
        const op = cls === 'Add' ? BuiltinOperator.ADD : cls === 'Multiply' ? BuiltinOperator.MUL : BuiltinOperator.SUB;
        const kind = cls === 'Add' ? 'Add' : cls === 'Multiply' ? 'Mul' : 'Sub';
        let acc = this.materialize(ins[0]!);
        for (let i = 1; i < ins.length; i++) {
          const out = this.addTensor({ name: i === ins.length - 1 ? layer.name : `${layer.name}/${i}`, shape, type: TensorType.FLOAT32 });
          this.emit({ op, inputs: [acc, this.materialize(ins[i]!)], outputs: [out], options: { kind, activation: ActivationFunctionType.NONE } });
          acc = out;
        }
        return { tensor: acc, shape };
      }
      case 'Concatenate': {
        const rank = shape.length;
        let axis = Number(cfg.axis ?? -1);
        if (axis < 0) axis += rank;
        const inputs = ins.map((v) => this.materialize(v));
        const out = this.addTensor({ name: layer.name, shape, type: TensorType.FLOAT32 });
        this.emit({ op: BuiltinOperator.CONCATENATION, inputs, outputs: [out], options: { kind: 'Concatenation', axis, activation: ActivationFunctionType.NONE } });
        return { tensor: out, shape };
      }
      case 'ZeroPadding2D': {
        const p = cfg.padding as [[number, number], [number, number]] | [number, number] | number;
        const [[top, bottom], [left, right]] = normalisePadding(p);
        const pads = this.constInt(`${layer.name}/paddings`, [4, 2], [0, 0, top, bottom, left, right, 0, 0]);
        return this.unary(BuiltinOperator.PAD, one(), shape, layer.name, { kind: 'Pad' }, [pads]);
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        const keep = Boolean(cfg.keepdims ?? cfg.keepDims ?? false);
        const axes = this.constInt(`${layer.name}/axes`, [2], [1, 2]);
        const op = cls === 'GlobalAveragePooling2D' ? BuiltinOperator.MEAN : BuiltinOperator.REDUCE_MAX;
        return this.unary(op, one(), shape, layer.name, { kind: 'Reducer', keepDims: keep }, [axes]);
      }
      case 'AveragePooling2D':
      case 'MaxPooling2D': {
        const pool = pair(cfg.pool_size ?? cfg.poolSize, 2);
        const strides = pair(cfg.strides ?? pool, 1);
        const op = cls === 'AveragePooling2D' ? BuiltinOperator.AVERAGE_POOL_2D : BuiltinOperator.MAX_POOL_2D;
        return this.unary(op, one(), shape, layer.name, {
          kind: 'Pool2D',
          padding: padOf(cfg.padding, layer),
          strideH: strides[0],
          strideW: strides[1],
          filterH: pool[0],
          filterW: pool[1],
          activation: ActivationFunctionType.NONE,
        });
      }
      case 'Flatten':
      case 'Reshape': {
        const src = one();
        if (sameShape(src.shape, shape)) return src;
        const newShape = this.constInt(`${layer.name}/shape`, [shape.length], shape);
        return this.unary(BuiltinOperator.RESHAPE, src, shape, layer.name, { kind: 'Reshape', newShape: shape }, [newShape]);
      }
      case 'Rescaling': {
        const scale = Number(cfg.scale ?? 1);
        const offset = Number(cfg.offset ?? 0);
        let v = one();
        if (scale !== 1) v = this.binaryConst(BuiltinOperator.MUL, v, shape, `${layer.name}/mul`, new Float32Array([scale]), [1]);
        if (offset !== 0) v = this.binaryConst(BuiltinOperator.ADD, v, shape, `${layer.name}/add`, new Float32Array([offset]), [1]);
        return v;
      }
      case 'Dropout':
      case 'SpatialDropout1D':
      case 'SpatialDropout2D':
      case 'GaussianNoise':
      case 'GaussianDropout':
      case 'AlphaDropout':
        return one();
      default:
        throw unsupported(`layer class ${cls} is not supported`, layer);
    }
  }

  private conv(layer: AnyLayer, cfg: Record<string, unknown>, input: Value, shape: number[], depthwise: boolean): Value {
    if ((cfg.data_format ?? 'channels_last') !== 'channels_last') throw unsupported('channels_first data format', layer);
    const w = weightsByName(layer);
    const kernel = w.get(depthwise ? 'depthwise_kernel' : 'kernel');
    if (!kernel) throw unsupported('kernel weights not found', layer);
    const [kh, kw, cin, last] = kernel.shape as [number, number, number, number];
    const strides = pair(cfg.strides, 1);
    const dil = pair(cfg.dilation_rate ?? cfg.dilationRate, 1);
    const outC = depthwise ? cin * last : last;
    const biasT = w.get('bias');
    const bias = biasT ? floats(biasT) : new Float32Array(outC);
    const k = floats(kernel);
    let weights: Float32Array;
    let weightShape: number[];
    if (depthwise) {
      // [kh,kw,C,m] flattened is already [1,kh,kw,C·m] with output channel c·m + j, as TFLite wants.
      weights = k;
      weightShape = [1, kh, kw, outC];
    } else {
      weights = new Float32Array(k.length);
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          for (let i = 0; i < cin; i++)
            for (let o = 0; o < last; o++) weights[((o * kh + y) * kw + x) * cin + i] = k[((y * kw + x) * cin + i) * last + o]!;
      weightShape = [last, kh, kw, cin];
    }
    const padding = padOf(cfg.padding, layer);
    // tfjs-layers 4.22's DepthwiseConv2D ignores dilation_rate (its call passes none and its output shape
    // omits it); the export reproduces what tfjs computes, so depthwise ops are written undilated.
    const options: OperatorOptions = depthwise
      ? { kind: 'DepthwiseConv2D', padding, strideH: strides[0], strideW: strides[1], depthMultiplier: last, activation: ActivationFunctionType.NONE }
      : { kind: 'Conv2D', padding, strideH: strides[0], strideW: strides[1], activation: ActivationFunctionType.NONE, dilationH: dil[0], dilationW: dil[1] };
    const pending: PendingOp = {
      kind: depthwise ? 'dwconv' : 'conv',
      name: layer.name,
      input: this.materialize(input),
      weights,
      weightShape,
      bias,
      options,
      activation: ActivationFunctionType.NONE,
      outShape: shape,
    };
    return this.namedActivation(String(cfg.activation ?? 'linear'), { pending, shape }, layer);
  }

  private dense(layer: AnyLayer, cfg: Record<string, unknown>, input: Value, shape: number[]): Value {
    if (input.shape.length !== 2) throw unsupported(`Dense on a rank-${input.shape.length} input (flatten or pool first)`, layer);
    const w = weightsByName(layer);
    const kernel = w.get('kernel');
    if (!kernel) throw unsupported('kernel weights not found', layer);
    const [nin, nout] = kernel.shape as [number, number];
    const k = floats(kernel);
    const weights = new Float32Array(k.length);
    for (let i = 0; i < nin; i++) for (let o = 0; o < nout; o++) weights[o * nin + i] = k[i * nout + o]!;
    const biasT = w.get('bias');
    const pending: PendingOp = {
      kind: 'fc',
      name: layer.name,
      input: this.materialize(input),
      weights,
      weightShape: [nout, nin],
      bias: biasT ? floats(biasT) : new Float32Array(nout),
      options: { kind: 'FullyConnected', activation: ActivationFunctionType.NONE },
      activation: ActivationFunctionType.NONE,
      outShape: shape,
    };
    return this.namedActivation(String(cfg.activation ?? 'linear'), { pending, shape }, layer);
  }

  private batchNorm(layer: AnyLayer, cfg: Record<string, unknown>, input: Value, shape: number[]): Value {
    const axis = Number(cfg.axis ?? -1);
    if (axis !== -1 && axis !== shape.length - 1) throw unsupported('BatchNormalization over a non-last axis', layer);
    const w = weightsByName(layer);
    const mean = w.get('moving_mean');
    const variance = w.get('moving_variance');
    if (!mean || !variance) throw unsupported('moving mean/variance not found', layer);
    const m = floats(mean);
    const v = floats(variance);
    const n = m.length;
    const gamma = w.get('gamma') ? floats(w.get('gamma')!) : new Float32Array(n).fill(1);
    const beta = w.get('beta') ? floats(w.get('beta')!) : new Float32Array(n);
    const eps = Number(cfg.epsilon ?? 1e-3);
    // y = x·s + t with s = γ/√(σ²+ε), t = β − μ·s (computed in float64, stored float32)
    const s = new Float64Array(n);
    const t = new Float64Array(n);
    for (let c = 0; c < n; c++) {
      s[c] = gamma[c]! / Math.sqrt(v[c]! + eps);
      t[c] = beta[c]! - m[c]! * s[c]!;
    }
    if ('pending' in input && input.pending.tensor === undefined && input.pending.activation === ActivationFunctionType.NONE) {
      const p = input.pending;
      const outC = p.bias.length;
      if (outC !== n) throw unsupported(`BatchNormalization has ${n} channels but its input has ${outC}`, layer);
      const weights = new Float32Array(p.weights.length);
      const perChannelLast = p.kind === 'dwconv';
      const inner = p.weights.length / outC;
      for (let i = 0; i < p.weights.length; i++) {
        const c = perChannelLast ? i % outC : Math.floor(i / inner);
        weights[i] = p.weights[i]! * s[c]!;
      }
      const bias = new Float32Array(outC);
      for (let c = 0; c < outC; c++) bias[c] = p.bias[c]! * s[c]! + t[c]!;
      // The folded op replaces the pending one; the unfused original is never emitted.
      return { pending: { ...p, name: layer.name, weights, bias }, shape };
    }
    let out = this.binaryConst(BuiltinOperator.MUL, input, shape, `${layer.name}/scale`, Float32Array.from(s), [n]);
    out = this.binaryConst(BuiltinOperator.ADD, out, shape, layer.name, Float32Array.from(t), [n]);
    return out;
  }

  private namedActivation(name: string, v: Value, layer: AnyLayer): Value {
    switch (name) {
      case 'linear':
        return v;
      case 'relu':
        return this.activation(v, ActivationFunctionType.RELU, layer.name);
      case 'relu6':
        return this.activation(v, ActivationFunctionType.RELU6, layer.name);
      case 'tanh':
        return this.activation(v, ActivationFunctionType.TANH, layer.name);
      case 'softmax':
        if (v.shape.length < 1) throw unsupported('softmax on a scalar', layer);
        return this.unary(BuiltinOperator.SOFTMAX, v, v.shape, `${layer.name}/softmax`, { kind: 'Softmax', beta: 1 });
      case 'sigmoid':
        return this.unary(BuiltinOperator.LOGISTIC, v, v.shape, `${layer.name}/sigmoid`);
      default:
        throw unsupported(`activation ${name}`, layer);
    }
  }

  /** Fuses RELU/RELU6/TANH into a pending op when possible, else emits a separate op. */
  private activation(v: Value, act: ActivationFunctionType, name: string): Value {
    if ('pending' in v && v.pending.tensor === undefined && v.pending.activation === ActivationFunctionType.NONE) {
      return { pending: { ...v.pending, name, activation: act }, shape: v.shape };
    }
    const op = act === ActivationFunctionType.RELU ? BuiltinOperator.RELU : act === ActivationFunctionType.RELU6 ? BuiltinOperator.RELU6 : BuiltinOperator.TANH;
    return this.unary(op, v, v.shape, name);
  }

  private unary(op: OperatorSpec['op'], v: Value, shape: number[], name: string, options?: OperatorOptions, extra: number[] = []): Value {
    const input = this.materialize(v);
    const out = this.addTensor({ name, shape, type: TensorType.FLOAT32 });
    this.emit({ op, inputs: [input, ...extra], outputs: [out], ...(options ? { options } : {}) });
    return { tensor: out, shape };
  }

  private binaryConst(op: OperatorSpec['op'], v: Value, shape: number[], name: string, data: Float32Array, constShape: number[]): Value {
    const k = this.addTensor({ name: `${name}/const`, shape: constShape, type: TensorType.FLOAT32, data: toBytes(data) });
    const kind = op === BuiltinOperator.MUL ? 'Mul' : 'Add';
    return this.unary(op, v, shape, name, { kind, activation: ActivationFunctionType.NONE }, [k]);
  }

  /** Emits a pending op (once) and returns the tensor holding a value. */
  materialize(v: Value): number {
    if ('tensor' in v) return v.tensor;
    const p = v.pending;
    if (p.tensor !== undefined) return p.tensor;
    const w = this.addTensor({ name: `${p.name}/weights`, shape: p.weightShape, type: TensorType.FLOAT32, data: toBytes(p.weights) });
    const b = this.addTensor({ name: `${p.name}/bias`, shape: [p.bias.length], type: TensorType.FLOAT32, data: toBytes(p.bias) });
    const out = this.addTensor({ name: p.name, shape: p.outShape, type: TensorType.FLOAT32 });
    const op = p.kind === 'conv' ? BuiltinOperator.CONV_2D : p.kind === 'dwconv' ? BuiltinOperator.DEPTHWISE_CONV_2D : BuiltinOperator.FULLY_CONNECTED;
    const options = { ...p.options, activation: p.activation } as OperatorOptions;
    this.emit({ op, inputs: [p.input, w, b], outputs: [out], options });
    p.tensor = out;
    return out;
  }

  endsWithSoftmax(tensor: number): boolean {
    return this.producers.get(tensor)?.op === BuiltinOperator.SOFTMAX;
  }

  private emit(op: OperatorSpec): void {
    this.operators.push(op);
    for (const o of op.outputs) this.producers.set(o, op);
  }

  private addTensor(t: TensorSpec): number {
    return this.tensors.push(t) - 1;
  }

  private constInt(name: string, shape: number[], values: number[]): number {
    return this.addTensor({ name, shape, type: TensorType.INT32, data: toBytes(Int32Array.from(values)) });
  }
}

function isModel(layer: AnyLayer): layer is AnyLayer & LayersModel {
  const l = layer as unknown as { layers?: unknown; inputs?: unknown; outputs?: unknown };
  return Array.isArray(l.layers) && Array.isArray(l.inputs) && Array.isArray(l.outputs);
}

function tfliteShape(shape: readonly (number | null)[], layer: AnyLayer): number[] {
  return shape.map((d, i) => {
    if (d === null || d === undefined) {
      if (i === 0) return 1;
      throw unsupported(`dimension ${i} of its output is unknown (give the model a fixed input size)`, layer);
    }
    return d;
  });
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function pair(v: unknown, dflt: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0] ?? dflt), Number(v[1] ?? v[0] ?? dflt)];
  if (typeof v === 'number') return [v, v];
  return [dflt, dflt];
}

function padOf(v: unknown, layer: AnyLayer): 'same' | 'valid' {
  if (v === 'same' || v === 'valid' || v === undefined) return (v ?? 'valid') as 'same' | 'valid';
  throw unsupported(`padding ${String(v)}`, layer);
}

function normalisePadding(p: unknown): [[number, number], [number, number]] {
  if (typeof p === 'number') return [[p, p], [p, p]];
  if (Array.isArray(p) && typeof p[0] === 'number') {
    const [h, w] = [Number(p[0]), Number(p[1] ?? p[0])];
    return [[h, h], [w, w]];
  }
  if (Array.isArray(p) && Array.isArray(p[0]) && Array.isArray(p[1])) {
    return [
      [Number(p[0][0]), Number(p[0][1])],
      [Number(p[1][0]), Number(p[1][1])],
    ];
  }
  return [[1, 1], [1, 1]];
}

/** A layer's weights keyed by the last path segment of their names (kernel, bias, gamma, moving_mean...). */
function weightsByName(layer: AnyLayer): Map<string, Tensor> {
  const vars = layer.weights;
  const values = layer.getWeights();
  const map = new Map<string, Tensor>();
  vars.forEach((v, i) => {
    const value = values[i];
    if (!value) return;
    const base = (v.originalName ?? v.name).split('/').pop()!.replace(/_\d+$/, '').replace(/:\d+$/, '');
    map.set(base, value);
  });
  return map;
}

function floats(t: Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}
