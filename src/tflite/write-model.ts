import { Builder } from 'flatbuffers';
import {
  Activation,
  BufferField,
  BuiltinOperator,
  BuiltinOptions,
  MetadataField,
  ModelField,
  OperatorCodeField,
  OperatorField,
  OptionsField,
  Padding,
  QuantizationField,
  SubGraphField,
  TensorField,
  TFLITE_FILE_IDENTIFIER,
  TFLITE_SCHEMA_VERSION,
  type ActivationValue,
  type BuiltinOperatorValue,
  type TensorTypeValue,
} from './schema-ids.js';

/**
 * Serialises a single-subgraph TFLite model from a plain description, with the `flatbuffers` Builder and the
 * field ids in schema-ids.ts. What is written:
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
  type: TensorTypeValue;
  /** Constant contents (little-endian bytes); absent for activations, inputs and outputs. */
  data?: Uint8Array;
  quantization?: QuantizationSpec;
}

export type Pad = 'same' | 'valid';

export type OperatorOptions =
  | { kind: 'Conv2D'; padding: Pad; strideW: number; strideH: number; activation: ActivationValue; dilationW?: number; dilationH?: number }
  | {
      kind: 'DepthwiseConv2D';
      padding: Pad;
      strideW: number;
      strideH: number;
      depthMultiplier: number;
      activation: ActivationValue;
      dilationW?: number;
      dilationH?: number;
    }
  | { kind: 'Pool2D'; padding: Pad; strideW: number; strideH: number; filterW: number; filterH: number; activation: ActivationValue }
  | { kind: 'FullyConnected'; activation: ActivationValue; keepNumDims?: boolean }
  | { kind: 'Softmax'; beta: number }
  | { kind: 'Concatenation'; axis: number; activation: ActivationValue }
  | { kind: 'Add'; activation: ActivationValue }
  | { kind: 'Mul'; activation: ActivationValue }
  | { kind: 'Sub'; activation: ActivationValue }
  | { kind: 'Reshape'; newShape: number[] }
  | { kind: 'Reducer'; keepDims: boolean }
  | { kind: 'Pad' };

export interface OperatorSpec {
  op: BuiltinOperatorValue;
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

const OPTIONS_TYPE: Record<OperatorOptions['kind'], number> = {
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
  const opcodes: BuiltinOperatorValue[] = [];
  const versions: number[] = [];
  const opcodeIndex = spec.operators.map((o) => {
    let i = opcodes.indexOf(o.op);
    if (i < 0) i = opcodes.push(o.op) - 1;
    versions[i] = Math.max(versions[i] ?? 1, opVersion(o));
    return i;
  });

  const bufferOffsets = bufferData.map((data) => {
    const dataOff = data && data.byteLength > 0 ? alignedByteVector(b, data, 16) : 0;
    b.startObject(BufferField.count);
    if (dataOff) b.addFieldOffset(BufferField.data, dataOff, 0);
    return b.endObject();
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
    b.startObject(TensorField.count);
    b.addFieldOffset(TensorField.shape, shape, 0);
    b.addFieldInt8(TensorField.type, t.type, 0);
    b.addFieldInt32(TensorField.buffer, tensorBuffer[i] ?? 0, 0);
    if (name) b.addFieldOffset(TensorField.name, name, 0);
    if (quant) b.addFieldOffset(TensorField.quantization, quant, 0);
    return b.endObject();
  });

  const operatorOffsets = spec.operators.map((o, i) => {
    const inputs = ints(o.inputs);
    const outputs = ints(o.outputs);
    const opts = o.options ? once(`o:${JSON.stringify(o.options)}`, () => writeOptions(b, o.options!)) : 0;
    b.startObject(OperatorField.count);
    b.addFieldInt32(OperatorField.opcode_index, opcodeIndex[i] ?? 0, 0);
    b.addFieldOffset(OperatorField.inputs, inputs, 0);
    b.addFieldOffset(OperatorField.outputs, outputs, 0);
    if (o.options) {
      b.addFieldInt8(OperatorField.builtin_options_type, OPTIONS_TYPE[o.options.kind], 0);
      b.addFieldOffset(OperatorField.builtin_options, opts, 0);
    }
    return b.endObject();
  });

  const subgraphName = b.createString(spec.subgraphName ?? 'main');
  const sgTensors = offsetVector(b, tensorOffsets);
  const sgInputs = intVector(b, spec.inputs);
  const sgOutputs = intVector(b, spec.outputs);
  const sgOperators = offsetVector(b, operatorOffsets);
  b.startObject(SubGraphField.count);
  b.addFieldOffset(SubGraphField.tensors, sgTensors, 0);
  b.addFieldOffset(SubGraphField.inputs, sgInputs, 0);
  b.addFieldOffset(SubGraphField.outputs, sgOutputs, 0);
  b.addFieldOffset(SubGraphField.operators, sgOperators, 0);
  b.addFieldOffset(SubGraphField.name, subgraphName, 0);
  const subgraph = b.endObject();

  const opcodeOffsets = opcodes.map((code, i) => {
    b.startObject(OperatorCodeField.count);
    // Codes below 127 also go in the deprecated byte field, which older runtimes read.
    b.addFieldInt8(OperatorCodeField.deprecated_builtin_code, code < 127 ? code : 127, 0);
    b.addFieldInt32(OperatorCodeField.version, versions[i] ?? 1, 1);
    b.addFieldInt32(OperatorCodeField.builtin_code, code, 0);
    return b.endObject();
  });

  const metadataOffsets = (spec.metadata ?? []).map((m, i) => {
    const name = b.createString(m.name);
    b.startObject(MetadataField.count);
    b.addFieldOffset(MetadataField.name, name, 0);
    b.addFieldInt32(MetadataField.buffer, metadataBuffer[i] ?? 0, 0);
    return b.endObject();
  });

  const description = b.createString(spec.description);
  const opcodesVec = offsetVector(b, opcodeOffsets);
  const subgraphsVec = offsetVector(b, [subgraph]);
  const buffersVec = offsetVector(b, bufferOffsets);
  const metadataVec = metadataOffsets.length ? offsetVector(b, metadataOffsets) : 0;
  b.startObject(ModelField.count);
  b.addFieldInt32(ModelField.version, TFLITE_SCHEMA_VERSION, 0);
  b.addFieldOffset(ModelField.operator_codes, opcodesVec, 0);
  b.addFieldOffset(ModelField.subgraphs, subgraphsVec, 0);
  b.addFieldOffset(ModelField.description, description, 0);
  b.addFieldOffset(ModelField.buffers, buffersVec, 0);
  if (metadataVec) b.addFieldOffset(ModelField.metadata, metadataVec, 0);
  const model = b.endObject();
  b.finish(model, TFLITE_FILE_IDENTIFIER);
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
    b.startObject(QuantizationField.count);
    if (min) b.addFieldOffset(QuantizationField.min, min, 0);
    if (max) b.addFieldOffset(QuantizationField.max, max, 0);
    b.addFieldOffset(QuantizationField.scale, scale, 0);
    b.addFieldOffset(QuantizationField.zero_point, zero, 0);
    if (q.quantizedDimension) b.addFieldInt32(QuantizationField.quantized_dimension, q.quantizedDimension, 0);
    return b.endObject();
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
      const f = OptionsField.Conv2D;
      b.startObject(f.count);
      b.addFieldInt8(f.padding, padding(o.padding), 0);
      b.addFieldInt32(f.stride_w, o.strideW, 0);
      b.addFieldInt32(f.stride_h, o.strideH, 0);
      b.addFieldInt8(f.fused_activation_function, o.activation, 0);
      b.addFieldInt32(f.dilation_w_factor, o.dilationW ?? 1, 1);
      b.addFieldInt32(f.dilation_h_factor, o.dilationH ?? 1, 1);
      return b.endObject();
    }
    case 'DepthwiseConv2D': {
      const f = OptionsField.DepthwiseConv2D;
      b.startObject(f.count);
      b.addFieldInt8(f.padding, padding(o.padding), 0);
      b.addFieldInt32(f.stride_w, o.strideW, 0);
      b.addFieldInt32(f.stride_h, o.strideH, 0);
      b.addFieldInt32(f.depth_multiplier, o.depthMultiplier, 0);
      b.addFieldInt8(f.fused_activation_function, o.activation, 0);
      b.addFieldInt32(f.dilation_w_factor, o.dilationW ?? 1, 1);
      b.addFieldInt32(f.dilation_h_factor, o.dilationH ?? 1, 1);
      return b.endObject();
    }
    case 'Pool2D': {
      const f = OptionsField.Pool2D;
      b.startObject(f.count);
      b.addFieldInt8(f.padding, padding(o.padding), 0);
      b.addFieldInt32(f.stride_w, o.strideW, 0);
      b.addFieldInt32(f.stride_h, o.strideH, 0);
      b.addFieldInt32(f.filter_width, o.filterW, 0);
      b.addFieldInt32(f.filter_height, o.filterH, 0);
      b.addFieldInt8(f.fused_activation_function, o.activation, 0);
      return b.endObject();
    }
    case 'FullyConnected': {
      const f = OptionsField.FullyConnected;
      b.startObject(f.count);
      b.addFieldInt8(f.fused_activation_function, o.activation, 0);
      b.addFieldInt8(f.weights_format, 0, 0);
      b.addFieldInt8(f.keep_num_dims, o.keepNumDims ? 1 : 0, 0);
      return b.endObject();
    }
    case 'Softmax': {
      b.startObject(OptionsField.Softmax.count);
      b.addFieldFloat32(OptionsField.Softmax.beta, o.beta, 0);
      return b.endObject();
    }
    case 'Concatenation': {
      const f = OptionsField.Concatenation;
      b.startObject(f.count);
      b.addFieldInt32(f.axis, o.axis, 0);
      b.addFieldInt8(f.fused_activation_function, o.activation, 0);
      return b.endObject();
    }
    case 'Add':
    case 'Mul':
    case 'Sub': {
      b.startObject(1);
      b.addFieldInt8(0, o.activation, 0);
      return b.endObject();
    }
    case 'Reshape': {
      const shape = intVector(b, o.newShape);
      b.startObject(OptionsField.Reshape.count);
      b.addFieldOffset(OptionsField.Reshape.new_shape, shape, 0);
      return b.endObject();
    }
    case 'Reducer': {
      b.startObject(OptionsField.Reducer.count);
      b.addFieldInt8(OptionsField.Reducer.keep_dims, o.keepDims ? 1 : 0, 0);
      return b.endObject();
    }
    case 'Pad': {
      b.startObject(0);
      return b.endObject();
    }
  }
}

/** Little-endian bytes of a Float32Array / Int32Array (copied, so callers may reuse their arrays). */
export function toBytes(a: Float32Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

export { Activation, BuiltinOperator };
