import { Builder } from 'flatbuffers';
import { TFLITE_SCHEMA_VERSION } from './format.js';
import * as tfl from './schema/model-subset_generated.js';
import { BuiltinOptions, Padding, type ActivationFunctionType, type BuiltinOperator, type TensorType } from './schema/model-subset_generated.js';

/**
 * Serialises a single-subgraph TFLite model from a plain description, with the `flatbuffers` Builder and the
 * builders flatc generated from schema/model-subset.fbs. What is written:
 * - Model: version 3, operator_codes (deduplicated, op version per `opVersion`, both the deprecated byte code
 *   and the int code),
 *   one subgraph, description, buffers, metadata entries.
 * - buffers[0] is the empty sentinel buffer; every constant tensor gets its own buffer (data aligned to 16
 *   bytes, as the schema's force_align asks); activation tensors point at buffer 0.
 * - Tensors carry shape, type, buffer, name (omitted when empty: names are for debugging only) and (optionally)
 *   per-tensor or per-axis quantization.
 * - Identical int vectors (shapes, operator inputs/outputs), quantization tables and builtin options tables are
 *   written once and shared by offset (a flatbuffer offset may be pointed at from several tables).
 * - Operators carry opcode_index, inputs, outputs and their builtin options table.
 * - Metadata entries (name → buffer) hold arbitrary bytes, e.g. the labels text.
 * Not written: signature_defs, sparsity, shape_signature, custom ops, multiple subgraphs.
 */

export interface QuantizationSpec {
  scale: number[];
  zeroPoint: number[];
  min?: number[];
  max?: number[];
  quantizedDimension?: number;
}

export interface TensorSpec {
  name: string;
  shape: number[];
  type: TensorType;
  /** Constant contents (little-endian bytes); absent for activations, inputs and outputs. */
  data?: Uint8Array;
  quantization?: QuantizationSpec;
}

export type Pad = 'same' | 'valid';

export type OperatorOptions =
  | { kind: 'Conv2D'; padding: Pad; strideW: number; strideH: number; activation: ActivationFunctionType; dilationW?: number; dilationH?: number }
  | {
      kind: 'DepthwiseConv2D';
      padding: Pad;
      strideW: number;
      strideH: number;
      depthMultiplier: number;
      activation: ActivationFunctionType;
      dilationW?: number;
      dilationH?: number;
    }
  | { kind: 'Pool2D'; padding: Pad; strideW: number; strideH: number; filterW: number; filterH: number; activation: ActivationFunctionType }
  | { kind: 'FullyConnected'; activation: ActivationFunctionType; keepNumDims?: boolean }
  | { kind: 'Softmax'; beta: number }
  | { kind: 'Concatenation'; axis: number; activation: ActivationFunctionType }
  | { kind: 'Add'; activation: ActivationFunctionType }
  | { kind: 'Mul'; activation: ActivationFunctionType }
  | { kind: 'Sub'; activation: ActivationFunctionType }
  | { kind: 'Reshape'; newShape: number[] }
  | { kind: 'Reducer'; keepDims: boolean }
  | { kind: 'Pad' };

export interface OperatorSpec {
  op: BuiltinOperator;
  inputs: number[];
  outputs: number[];
  options?: OperatorOptions;
  /** Op version the tensor types need (e.g. int8 kernels); the writer takes the highest of its uses. */
  version?: number;
}

export interface ModelSpec {
  description: string;
  subgraphName?: string;
  tensors: TensorSpec[];
  operators: OperatorSpec[];
  inputs: number[];
  outputs: number[];
  /** Model.metadata entries; each gets its own buffer. */
  metadata?: { name: string; data: Uint8Array }[];
}

const OPTIONS_TYPE: Record<OperatorOptions['kind'], BuiltinOptions> = {
  Conv2D: BuiltinOptions.Conv2DOptions,
  DepthwiseConv2D: BuiltinOptions.DepthwiseConv2DOptions,
  Pool2D: BuiltinOptions.Pool2DOptions,
  FullyConnected: BuiltinOptions.FullyConnectedOptions,
  Softmax: BuiltinOptions.SoftmaxOptions,
  Concatenation: BuiltinOptions.ConcatenationOptions,
  Add: BuiltinOptions.AddOptions,
  Mul: BuiltinOptions.MulOptions,
  Sub: BuiltinOptions.SubOptions,
  Reshape: BuiltinOptions.ReshapeOptions,
  Reducer: BuiltinOptions.ReducerOptions,
  Pad: BuiltinOptions.PadOptions,
};

/** Serialises the model; throws on dangling tensor indices (a converter bug, not user input). */
export function serializeModel(spec: ModelSpec): Uint8Array {
  validate(spec);
  const totalData = spec.tensors.reduce((n, t) => n + (t.data?.byteLength ?? 0), 0);
  const b = new Builder(Math.max(1024, totalData + 64 * 1024));

  // Buffers: 0 = empty sentinel, then one per constant tensor, then one per metadata entry.
  const bufferData: (Uint8Array | undefined)[] = [undefined];
  const tensorBuffer = spec.tensors.map((t) => {
    if (!t.data) return 0;
    bufferData.push(t.data);
    return bufferData.length - 1;
  });
  const metadataBuffer = (spec.metadata ?? []).map((m) => {
    bufferData.push(m.data);
    return bufferData.length - 1;
  });

  // Opcodes, deduplicated in first-use order; each carries the highest op version its uses need.
  const opcodes: BuiltinOperator[] = [];
  const versions: number[] = [];
  const opcodeIndex = spec.operators.map((o) => {
    let i = opcodes.indexOf(o.op);
    if (i < 0) i = opcodes.push(o.op) - 1;
    versions[i] = Math.max(versions[i] ?? 1, opVersion(o));
    return i;
  });

  const bufferOffsets = bufferData.map((data) => {
    const dataOff = data && data.byteLength > 0 ? alignedByteVector(b, data, 16) : 0;
    tfl.Buffer.startBuffer(b);
    if (dataOff) tfl.Buffer.addData(b, dataOff);
    return tfl.Buffer.endBuffer(b);
  });

  const shared = new Map<string, number>();
  const once = (key: string, write: () => number): number => {
    let off = shared.get(key);
    if (off === undefined) shared.set(key, (off = write()));
    return off;
  };
  const ints = (v: readonly number[]): number => once(`i:${v.join(',')}`, () => intVector(b, v));
  const tensorOffsets = spec.tensors.map((t, i) => {
    const name = t.name ? b.createString(t.name) : 0;
    const shape = ints(t.shape);
    const quant = t.quantization ? writeQuantization(b, t.quantization, once) : 0;
    tfl.Tensor.startTensor(b);
    tfl.Tensor.addShape(b, shape);
    tfl.Tensor.addType(b, t.type);
    tfl.Tensor.addBuffer(b, tensorBuffer[i] ?? 0);
    if (name) tfl.Tensor.addName(b, name);
    if (quant) tfl.Tensor.addQuantization(b, quant);
    return tfl.Tensor.endTensor(b);
  });

  const operatorOffsets = spec.operators.map((o, i) => {
    const inputs = ints(o.inputs);
    const outputs = ints(o.outputs);
    const opts = o.options ? once(`o:${JSON.stringify(o.options)}`, () => writeOptions(b, o.options!)) : 0;
    tfl.Operator.startOperator(b);
    tfl.Operator.addOpcodeIndex(b, opcodeIndex[i] ?? 0);
    tfl.Operator.addInputs(b, inputs);
    tfl.Operator.addOutputs(b, outputs);
    if (o.options) {
      tfl.Operator.addBuiltinOptionsType(b, OPTIONS_TYPE[o.options.kind]);
      tfl.Operator.addBuiltinOptions(b, opts);
    }
    return tfl.Operator.endOperator(b);
  });

  const subgraphName = b.createString(spec.subgraphName ?? 'main');
  const sgTensors = offsetVector(b, tensorOffsets);
  const sgInputs = intVector(b, spec.inputs);
  const sgOutputs = intVector(b, spec.outputs);
  const sgOperators = offsetVector(b, operatorOffsets);
  tfl.SubGraph.startSubGraph(b);
  tfl.SubGraph.addTensors(b, sgTensors);
  tfl.SubGraph.addInputs(b, sgInputs);
  tfl.SubGraph.addOutputs(b, sgOutputs);
  tfl.SubGraph.addOperators(b, sgOperators);
  tfl.SubGraph.addName(b, subgraphName);
  const subgraph = tfl.SubGraph.endSubGraph(b);

  const opcodeOffsets = opcodes.map((code, i) => {
    tfl.OperatorCode.startOperatorCode(b);
    // Codes below 127 also go in the deprecated byte field, which older runtimes read.
    tfl.OperatorCode.addDeprecatedBuiltinCode(b, code < 127 ? code : 127);
    tfl.OperatorCode.addVersion(b, versions[i] ?? 1);
    tfl.OperatorCode.addBuiltinCode(b, code);
    return tfl.OperatorCode.endOperatorCode(b);
  });

  const metadataOffsets = (spec.metadata ?? []).map((m, i) => {
    const name = b.createString(m.name);
    tfl.Metadata.startMetadata(b);
    tfl.Metadata.addName(b, name);
    tfl.Metadata.addBuffer(b, metadataBuffer[i] ?? 0);
    return tfl.Metadata.endMetadata(b);
  });

  const description = b.createString(spec.description);
  const opcodesVec = offsetVector(b, opcodeOffsets);
  const subgraphsVec = offsetVector(b, [subgraph]);
  const buffersVec = offsetVector(b, bufferOffsets);
  const metadataVec = metadataOffsets.length ? offsetVector(b, metadataOffsets) : 0;
  tfl.Model.startModel(b);
  tfl.Model.addVersion(b, TFLITE_SCHEMA_VERSION);
  tfl.Model.addOperatorCodes(b, opcodesVec);
  tfl.Model.addSubgraphs(b, subgraphsVec);
  tfl.Model.addDescription(b, description);
  tfl.Model.addBuffers(b, buffersVec);
  if (metadataVec) tfl.Model.addMetadata(b, metadataVec);
  tfl.Model.finishModelBuffer(b, tfl.Model.endModel(b));
  return b.asUint8Array().slice();
}

/**
 * The op version a float32 use needs (TFLite's op_version rules for the features written here): the runtime
 * ignores options a kernel version does not know, e.g. DEPTHWISE_CONV_2D reads dilation only from version 2.
 */
function opVersion(o: OperatorSpec): number {
  const opt = o.options;
  const typed = o.version ?? 1;
  if (opt?.kind === 'DepthwiseConv2D' && ((opt.dilationW ?? 1) !== 1 || (opt.dilationH ?? 1) !== 1)) return Math.max(2, typed);
  return typed;
}

function validate(spec: ModelSpec): void {
  const n = spec.tensors.length;
  const check = (i: number, where: string) => {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`TFLite writer: tensor index ${i} out of range in ${where}`);
  };
  spec.inputs.forEach((i) => check(i, 'subgraph inputs'));
  spec.outputs.forEach((i) => check(i, 'subgraph outputs'));
  spec.operators.forEach((o, k) => {
    o.inputs.forEach((i) => i === -1 || check(i, `operator ${k} inputs`));
    o.outputs.forEach((i) => check(i, `operator ${k} outputs`));
  });
}

function intVector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i] ?? 0);
  return b.endVector();
}

function floatVector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i] ?? 0);
  return b.endVector();
}

function longVector(b: Builder, values: readonly number[]): number {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(Math.round(values[i] ?? 0)));
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i] ?? 0);
  return b.endVector();
}

/** A [ubyte] vector whose first byte is aligned to `align` (Builder.createByteVector only aligns to 1). */
function alignedByteVector(b: Builder, data: Uint8Array, align: number): number {
  b.startVector(1, data.byteLength, align);
  // Same bulk copy createByteVector does, through the builder's (untyped-private) buffer and write head.
  const inner = b as unknown as { bb: { bytes(): Uint8Array; setPosition(p: number): void }; space: number };
  inner.space -= data.byteLength;
  inner.bb.setPosition(inner.space);
  inner.bb.bytes().set(data, inner.space);
  return b.endVector();
}

/**
 * Quantization parameters. Identical vectors (and identical whole tables) are written once and pointed at by
 * every tensor that has them (a flatbuffer offset may be shared): per-channel tensors all have zero points of 0,
 * one int64 each, so one all-zero vector per channel count replaces ≈ 70 KB of repeats in a MobileNetV2; tied
 * activations share scales.
 */
function writeQuantization(b: Builder, q: QuantizationSpec, once: (key: string, write: () => number) => number): number {
  const floats = (v: readonly number[]): number => once(`f:${Float32Array.from(v).join(',')}`, () => floatVector(b, v));
  const scale = floats(q.scale);
  const zero = once(`l:${q.zeroPoint.map((z) => Math.round(z)).join(',')}`, () => longVector(b, q.zeroPoint));
  const min = q.min ? floats(q.min) : 0;
  const max = q.max ? floats(q.max) : 0;
  return once(`q:${scale},${zero},${min},${max},${q.quantizedDimension ?? 0}`, () => {
    const Q = tfl.QuantizationParameters;
    Q.startQuantizationParameters(b);
    if (min) Q.addMin(b, min);
    if (max) Q.addMax(b, max);
    Q.addScale(b, scale);
    Q.addZeroPoint(b, zero);
    if (q.quantizedDimension) Q.addQuantizedDimension(b, q.quantizedDimension);
    return Q.endQuantizationParameters(b);
  });
}

/**
 * The same model with debugging names dropped from every tensor but the subgraph's inputs and outputs (what
 * readers and apps look up; the others are found by index). Used for the quantized files, where every byte
 * counts against the float file's size; the float file keeps its names for inspection.
 */
export function withoutInternalNames(spec: ModelSpec): ModelSpec {
  const keep = new Set([...spec.inputs, ...spec.outputs]);
  return { ...spec, tensors: spec.tensors.map((t, i) => (keep.has(i) ? t : { ...t, name: '' })) };
}

const padding = (p: Pad) => (p === 'same' ? Padding.SAME : Padding.VALID);

function writeOptions(b: Builder, o: OperatorOptions): number {
  switch (o.kind) {
    case 'Conv2D': {
      const f = tfl.Conv2DOptions;
      f.startConv2DOptions(b);
      f.addPadding(b, padding(o.padding));
      f.addStrideW(b, o.strideW);
      f.addStrideH(b, o.strideH);
      f.addFusedActivationFunction(b, o.activation);
      f.addDilationWFactor(b, o.dilationW ?? 1);
      f.addDilationHFactor(b, o.dilationH ?? 1);
      return f.endConv2DOptions(b);
    }
    case 'DepthwiseConv2D': {
      const f = tfl.DepthwiseConv2DOptions;
      f.startDepthwiseConv2DOptions(b);
      f.addPadding(b, padding(o.padding));
      f.addStrideW(b, o.strideW);
      f.addStrideH(b, o.strideH);
      f.addDepthMultiplier(b, o.depthMultiplier);
      f.addFusedActivationFunction(b, o.activation);
      f.addDilationWFactor(b, o.dilationW ?? 1);
      f.addDilationHFactor(b, o.dilationH ?? 1);
      return f.endDepthwiseConv2DOptions(b);
    }
    case 'Pool2D': {
      const f = tfl.Pool2DOptions;
      f.startPool2DOptions(b);
      f.addPadding(b, padding(o.padding));
      f.addStrideW(b, o.strideW);
      f.addStrideH(b, o.strideH);
      f.addFilterWidth(b, o.filterW);
      f.addFilterHeight(b, o.filterH);
      f.addFusedActivationFunction(b, o.activation);
      return f.endPool2DOptions(b);
    }
    case 'FullyConnected': {
      // weights_format stays DEFAULT (not written: it is the schema's default).
      const f = tfl.FullyConnectedOptions;
      f.startFullyConnectedOptions(b);
      f.addFusedActivationFunction(b, o.activation);
      f.addKeepNumDims(b, o.keepNumDims ?? false);
      return f.endFullyConnectedOptions(b);
    }
    case 'Softmax':
      tfl.SoftmaxOptions.startSoftmaxOptions(b);
      tfl.SoftmaxOptions.addBeta(b, o.beta);
      return tfl.SoftmaxOptions.endSoftmaxOptions(b);
    case 'Concatenation':
      tfl.ConcatenationOptions.startConcatenationOptions(b);
      tfl.ConcatenationOptions.addAxis(b, o.axis);
      tfl.ConcatenationOptions.addFusedActivationFunction(b, o.activation);
      return tfl.ConcatenationOptions.endConcatenationOptions(b);
    case 'Add':
      tfl.AddOptions.startAddOptions(b);
      tfl.AddOptions.addFusedActivationFunction(b, o.activation);
      return tfl.AddOptions.endAddOptions(b);
    case 'Mul':
      tfl.MulOptions.startMulOptions(b);
      tfl.MulOptions.addFusedActivationFunction(b, o.activation);
      return tfl.MulOptions.endMulOptions(b);
    case 'Sub':
      tfl.SubOptions.startSubOptions(b);
      tfl.SubOptions.addFusedActivationFunction(b, o.activation);
      return tfl.SubOptions.endSubOptions(b);
    case 'Reshape': {
      const shape = intVector(b, o.newShape);
      tfl.ReshapeOptions.startReshapeOptions(b);
      tfl.ReshapeOptions.addNewShape(b, shape);
      return tfl.ReshapeOptions.endReshapeOptions(b);
    }
    case 'Reducer':
      tfl.ReducerOptions.startReducerOptions(b);
      tfl.ReducerOptions.addKeepDims(b, o.keepDims);
      return tfl.ReducerOptions.endReducerOptions(b);
    case 'Pad':
      tfl.PadOptions.startPadOptions(b);
      return tfl.PadOptions.endPadOptions(b);
  }
}

/** Little-endian bytes of a Float32Array / Int32Array (copied, so callers may reuse their arrays). */
export function toBytes(a: Float32Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

