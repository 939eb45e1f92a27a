/**
 * The subset of the published TFLite flatbuffer schema (tensorflow/lite/schema/schema.fbs, file identifier
 * "TFL3", schema version 3) that edgewise writes and reads, as plain constants: enum values and each table's
 * field ids (the slot index of a field in its table's vtable, i.e. its declaration order; a union field takes
 * two slots: `<name>_type` then `<name>`).
 *
 * Tables covered:
 *   Model { version:uint #0, operator_codes:[OperatorCode] #1, subgraphs:[SubGraph] #2, description:string #3,
 *           buffers:[Buffer] #4, metadata_buffer:[int] #5, metadata:[Metadata] #6, signature_defs #7 }
 *   OperatorCode { deprecated_builtin_code:byte #0, custom_code:string #1, version:int=1 #2, builtin_code:int #3 }
 *   SubGraph { tensors #0, inputs:[int] #1, outputs:[int] #2, operators #3, name:string #4 }
 *   Buffer { data:[ubyte] (force_align 16) #0, offset:ulong #1, size:ulong #2 }
 *   Metadata { name:string #0, buffer:uint #1 }
 *   Tensor { shape:[int] #0, type:byte #1, buffer:uint #2, name:string #3, quantization #4, is_variable #5,
 *            sparsity #6, shape_signature:[int] #7, has_rank #8 }
 *   QuantizationParameters { min:[float] #0, max:[float] #1, scale:[float] #2, zero_point:[long] #3,
 *            details_type #4, details #5, quantized_dimension:int #6 }
 *   Operator { opcode_index:uint #0, inputs:[int] #1, outputs:[int] #2, builtin_options_type:ubyte #3,
 *            builtin_options #4, custom_options #5, ... }
 * and the builtin options tables listed in `OptionsField` below. Nothing here is generated code.
 */

export const TFLITE_FILE_IDENTIFIER = 'TFL3';
export const TFLITE_SCHEMA_VERSION = 3;

/** enum TensorType : byte */
export const TensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  STRING: 5,
  BOOL: 6,
  INT16: 7,
  COMPLEX64: 8,
  INT8: 9,
  FLOAT64: 10,
} as const;
export type TensorTypeValue = (typeof TensorType)[keyof typeof TensorType];

export const TENSOR_TYPE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(TensorType).map(([k, v]) => [v, k.toLowerCase()]),
);

/** enum BuiltinOperator : int32 (the ones edgewise writes, plus a few common in Vertex exports for naming). */
export const BuiltinOperator = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  LOGISTIC: 14,
  MAX_POOL_2D: 17,
  MUL: 18,
  RELU: 19,
  RELU6: 21,
  RESHAPE: 22,
  RESIZE_BILINEAR: 23,
  SOFTMAX: 25,
  PAD: 34,
  MEAN: 40,
  SUB: 41,
  SQUEEZE: 43,
  CAST: 53,
  TANH: 28,
  REDUCE_MAX: 82,
  QUANTIZE: 114,
  HARD_SWISH: 117,
} as const;
export type BuiltinOperatorValue = (typeof BuiltinOperator)[keyof typeof BuiltinOperator];

export const BUILTIN_OPERATOR_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(BuiltinOperator).map(([k, v]) => [v, k]),
);

/** union BuiltinOptions: the type tag stored in Operator.builtin_options_type. */
export const BuiltinOptions = {
  NONE: 0,
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  SoftmaxOptions: 9,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ReshapeOptions: 17,
  MulOptions: 21,
  PadOptions: 22,
  ReducerOptions: 27,
  SubOptions: 28,
} as const;
export type BuiltinOptionsValue = (typeof BuiltinOptions)[keyof typeof BuiltinOptions];

/** enum Padding : byte */
export const Padding = { SAME: 0, VALID: 1 } as const;

/** enum ActivationFunctionType : byte */
export const Activation = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 } as const;
export type ActivationValue = (typeof Activation)[keyof typeof Activation];

/** Field ids of the tables above. */
export const ModelField = {
  version: 0,
  operator_codes: 1,
  subgraphs: 2,
  description: 3,
  buffers: 4,
  metadata_buffer: 5,
  metadata: 6,
  signature_defs: 7,
  count: 8,
} as const;
export const OperatorCodeField = { deprecated_builtin_code: 0, custom_code: 1, version: 2, builtin_code: 3, count: 4 } as const;
export const SubGraphField = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4, count: 5 } as const;
export const BufferField = { data: 0, offset: 1, size: 2, count: 3 } as const;
export const MetadataField = { name: 0, buffer: 1, count: 2 } as const;
export const TensorField = {
  shape: 0,
  type: 1,
  buffer: 2,
  name: 3,
  quantization: 4,
  is_variable: 5,
  sparsity: 6,
  shape_signature: 7,
  has_rank: 8,
  count: 9,
} as const;
export const QuantizationField = {
  min: 0,
  max: 1,
  scale: 2,
  zero_point: 3,
  details_type: 4,
  details: 5,
  quantized_dimension: 6,
  count: 7,
} as const;
export const OperatorField = {
  opcode_index: 0,
  inputs: 1,
  outputs: 2,
  builtin_options_type: 3,
  builtin_options: 4,
  custom_options: 5,
  count: 6,
} as const;

/** Field ids of the builtin options tables written. */
export const OptionsField = {
  /** table Conv2DOptions */
  Conv2D: { padding: 0, stride_w: 1, stride_h: 2, fused_activation_function: 3, dilation_w_factor: 4, dilation_h_factor: 5, count: 6 },
  /** table DepthwiseConv2DOptions */
  DepthwiseConv2D: {
    padding: 0,
    stride_w: 1,
    stride_h: 2,
    depth_multiplier: 3,
    fused_activation_function: 4,
    dilation_w_factor: 5,
    dilation_h_factor: 6,
    count: 7,
  },
  /** table Pool2DOptions */
  Pool2D: { padding: 0, stride_w: 1, stride_h: 2, filter_width: 3, filter_height: 4, fused_activation_function: 5, count: 6 },
  /** table FullyConnectedOptions (weights_format DEFAULT=0, keep_num_dims false) */
  FullyConnected: { fused_activation_function: 0, weights_format: 1, keep_num_dims: 2, count: 3 },
  /** table SoftmaxOptions */
  Softmax: { beta: 0, count: 1 },
  /** table ConcatenationOptions */
  Concatenation: { axis: 0, fused_activation_function: 1, count: 2 },
  /** table AddOptions / MulOptions / SubOptions */
  Add: { fused_activation_function: 0, count: 1 },
  Mul: { fused_activation_function: 0, count: 1 },
  Sub: { fused_activation_function: 0, count: 1 },
  /** table ReshapeOptions */
  Reshape: { new_shape: 0, count: 1 },
  /** table ReducerOptions (MEAN, REDUCE_MAX) */
  Reducer: { keep_dims: 0, count: 1 },
  /** table PadOptions: no fields */
  Pad: { count: 0 },
} as const;

/** Metadata entry names written by edgewise (Model.metadata[i].name → a buffer holding UTF-8 text). */
export const EDGEWISE_LABELS_METADATA = 'edgewise_labels';
export const EDGEWISE_INFO_METADATA = 'edgewise_info';
/** The TFLite Support metadata entry (a ModelMetadata flatbuffer, identifier "M001") found in Vertex/Model Maker exports. */
export const TFLITE_SUPPORT_METADATA = 'TFLITE_METADATA';
