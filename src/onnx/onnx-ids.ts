/**
 * The part of the ONNX protobuf schema (onnx/onnx.proto, IR version 7) that write-onnx.ts writes: field
 * numbers and enum values, taken as facts from the published schema. Only what an inference graph of plain
 * float32 tensors needs; everything else (training info, functions, sparse tensors, sequences) is absent.
 */

/** Protobuf wire types. */
export const Wire = { VARINT: 0, FIXED32: 5, LEN: 2 } as const;

/** ONNX IR version 7 = opset 13's release; onnxruntime reads every IR version from 3 up. */
export const ONNX_IR_VERSION = 7;
export const ONNX_OPSET = 13;

export const ModelField = { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 } as const;
export const OperatorSetIdField = { domain: 1, version: 2 } as const;
export const StringStringEntryField = { key: 1, value: 2 } as const;
export const GraphField = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
export const NodeField = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 } as const;
export const AttributeField = { name: 1, f: 2, i: 3, ints: 8, type: 20 } as const;
export const AttributeType = { FLOAT: 1, INT: 2, INTS: 7 } as const;
export const TensorField = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;
export const ValueInfoField = { name: 1, type: 2 } as const;
export const TypeField = { tensorType: 1 } as const;
export const TypeTensorField = { elemType: 1, shape: 2 } as const;
export const TensorShapeField = { dim: 1 } as const;
export const DimensionField = { dimValue: 1, dimParam: 2 } as const;
