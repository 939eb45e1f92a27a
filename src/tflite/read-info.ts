import { InputError } from '../core/errors.js';
import { byteBufferOf, FbTable } from './flatbuffer-table.js';
import {
  BUILTIN_OPERATOR_NAMES,
  BufferField,
  EDGEWISE_INFO_METADATA,
  EDGEWISE_LABELS_METADATA,
  MetadataField,
  ModelField,
  OperatorCodeField,
  OperatorField,
  QuantizationField,
  SubGraphField,
  TENSOR_TYPE_NAMES,
  TensorField,
  TFLITE_FILE_IDENTIFIER,
  TFLITE_SUPPORT_METADATA,
} from './schema-ids.js';
import { readSupportMetadata, type SupportMetadata } from './support-metadata.js';
import { readZipEntries } from './zip-entries.js';

/**
 * An independent reader of a .tflite file's structure, written against the schema field ids by hand (it shares
 * only the constants with the writer). It reads subgraph 0's tensors (shape, type, buffer size, quantization),
 * its operators and their opcode names, the model's metadata entries, and labels from wherever they are:
 * edgewise's `edgewise_labels` entry, or TFLite Support metadata (`TFLITE_METADATA`) naming a label file that
 * is packed in the zip appended to the model (how Vertex / Model Maker exports carry `dict.txt`/`labels.txt`).
 */
export interface TfliteQuantization {
  scale: number[];
  zeroPoint: number[];
  min?: number[];
  max?: number[];
  quantizedDimension: number;
}

export interface TfliteTensorInfo {
  index: number;
  name: string;
  shape: number[];
  /** float32, uint8, int8, int32, ... */
  type: string;
  typeCode: number;
  buffer: number;
  /** Bytes of constant data (0 for activations). */
  dataBytes: number;
  /** Where the constant data starts in the file (-1 for activations). */
  dataOffset: number;
  quantization?: TfliteQuantization;
}

export interface TfliteOperatorInfo {
  opcodeIndex: number;
  /** e.g. CONV_2D; `BUILTIN_<n>` for codes this reader has no name for; the custom code for CUSTOM ops. */
  op: string;
  builtinCode: number;
  inputs: number[];
  outputs: number[];
  optionsType: number;
}

export interface TfliteInfo {
  identifier: string;
  version: number;
  description: string;
  subgraphs: number;
  subgraphName?: string;
  tensors: TfliteTensorInfo[];
  operators: TfliteOperatorInfo[];
  /** Tensor indices of subgraph 0's inputs and outputs. */
  inputs: number[];
  outputs: number[];
  metadata: { name: string; buffer: number; bytes: number }[];
  buffers: number;
  /** Labels found in the file (edgewise metadata or a packed TFLite Support label file), in output order. */
  labels?: string[];
  labelsSource?: string;
  /** Parsed `edgewise_info` JSON, when present. */
  edgewiseInfo?: Record<string, unknown>;
  /** Parsed TFLite Support metadata, when present. */
  supportMetadata?: SupportMetadata;
  /** Names of files packed in the zip appended to the model (TFLite Support associated files). */
  associatedFiles: string[];
}

export function readTfliteInfo(bytes: Uint8Array, item = 'model.tflite'): TfliteInfo {
  if (bytes.byteLength < 16) throw notTflite(item, 'the file is too short');
  const bb = byteBufferOf(bytes);
  const identifier = bb.getBufferIdentifier();
  if (identifier !== TFLITE_FILE_IDENTIFIER) throw notTflite(item, `its file identifier is "${printable(identifier)}", not "TFL3"`);
  try {
    return parse(bytes, FbTable.root(bb), identifier, item);
  } catch (e) {
    if (e instanceof InputError) throw e;
    // Offsets pointing outside the file: a truncated download or a damaged file.
    throw notTflite(item, `its structure is damaged or truncated (${(e as Error).message})`);
  }
}

function parse(bytes: Uint8Array, model: FbTable, identifier: string, item: string): TfliteInfo {
  const buffers = model.tables(ModelField.buffers);
  const bufferBytes = (i: number): Uint8Array => {
    const b = buffers[i];
    if (!b) return new Uint8Array(0);
    const data = b.bytes(BufferField.data);
    if (data.byteLength > 0) return data;
    // Large models keep data outside the flatbuffer: offset/size from the start of the file.
    const off = Number(b.uint64(BufferField.offset));
    const size = Number(b.uint64(BufferField.size));
    return off > 1 && size > 0 && off + size <= bytes.byteLength ? bytes.subarray(off, off + size) : new Uint8Array(0);
  };

  const opcodes = model.tables(ModelField.operator_codes).map((t) => {
    const deprecated = t.int8(OperatorCodeField.deprecated_builtin_code);
    const code = Math.max(deprecated, t.int32(OperatorCodeField.builtin_code));
    const custom = t.string(OperatorCodeField.custom_code);
    return { code, name: custom ?? BUILTIN_OPERATOR_NAMES[code] ?? `BUILTIN_${code}` };
  });

  const subgraphs = model.tables(ModelField.subgraphs);
  const sg = subgraphs[0];
  if (!sg) throw notTflite(item, 'it has no subgraph');
  const tensors: TfliteTensorInfo[] = sg.tables(SubGraphField.tensors).map((t, index) => {
    const typeCode = t.int8(TensorField.type);
    const buffer = t.uint32(TensorField.buffer);
    const q = t.table(TensorField.quantization);
    const data = bufferBytes(buffer);
    const info: TfliteTensorInfo = {
      index,
      name: t.string(TensorField.name) ?? '',
      shape: t.int32s(TensorField.shape),
      type: TENSOR_TYPE_NAMES[typeCode] ?? `type${typeCode}`,
      typeCode,
      buffer,
      dataBytes: data.byteLength,
      dataOffset: data.byteLength > 0 ? data.byteOffset - bytes.byteOffset : -1,
    };
    if (q) {
      const scale = q.float32s(QuantizationField.scale);
      if (scale.length > 0) {
        const min = q.float32s(QuantizationField.min);
        const max = q.float32s(QuantizationField.max);
        info.quantization = {
          scale,
          zeroPoint: q.int64s(QuantizationField.zero_point),
          ...(min.length ? { min } : {}),
          ...(max.length ? { max } : {}),
          quantizedDimension: q.int32(QuantizationField.quantized_dimension),
        };
      }
    }
    return info;
  });
  const operators: TfliteOperatorInfo[] = sg.tables(SubGraphField.operators).map((o) => {
    const opcodeIndex = o.uint32(OperatorField.opcode_index);
    const oc = opcodes[opcodeIndex];
    return {
      opcodeIndex,
      op: oc?.name ?? `OPCODE_${opcodeIndex}`,
      builtinCode: oc?.code ?? -1,
      inputs: o.int32s(OperatorField.inputs),
      outputs: o.int32s(OperatorField.outputs),
      optionsType: o.uint8(OperatorField.builtin_options_type),
    };
  });

  const metadata = model.tables(ModelField.metadata).map((m) => {
    const buffer = m.uint32(MetadataField.buffer);
    return { name: m.string(MetadataField.name) ?? '', buffer, bytes: bufferBytes(buffer).byteLength };
  });
  const metaText = (name: string): string | undefined => {
    const m = metadata.find((x) => x.name === name);
    return m ? new TextDecoder().decode(bufferBytes(m.buffer)) : undefined;
  };

  const info: TfliteInfo = {
    identifier,
    version: model.uint32(ModelField.version),
    description: model.string(ModelField.description) ?? '',
    subgraphs: subgraphs.length,
    tensors,
    operators,
    inputs: sg.int32s(SubGraphField.inputs),
    outputs: sg.int32s(SubGraphField.outputs),
    metadata,
    buffers: buffers.length,
    associatedFiles: [],
  };
  const sgName = sg.string(SubGraphField.name);
  if (sgName !== undefined) info.subgraphName = sgName;

  const infoJson = metaText(EDGEWISE_INFO_METADATA);
  if (infoJson) {
    try {
      info.edgewiseInfo = JSON.parse(infoJson) as Record<string, unknown>;
    } catch {
      // A damaged info entry is not fatal: the structure is what matters.
    }
  }
  const labelsText = metaText(EDGEWISE_LABELS_METADATA);
  if (labelsText !== undefined) {
    info.labels = splitLabels(labelsText);
    info.labelsSource = `metadata:${EDGEWISE_LABELS_METADATA}`;
  }

  const support = metadata.find((m) => m.name === TFLITE_SUPPORT_METADATA);
  if (support) {
    try {
      info.supportMetadata = readSupportMetadata(bufferBytes(support.buffer));
    } catch {
      // Unreadable support metadata: ignore, labels may still come from beside the model.
    }
  }
  const zip = readZipEntries(bytes);
  info.associatedFiles = zip.map((e) => e.name);
  if (!info.labels && zip.length > 0) {
    const wanted = info.supportMetadata?.labelFiles ?? [];
    const entry =
      zip.find((e) => wanted.includes(e.name)) ?? zip.find((e) => /(^|\/)(dict|labels?)(_[\w-]+)?\.txt$/i.test(e.name));
    if (entry) {
      info.labels = splitLabels(new TextDecoder().decode(entry.read()));
      info.labelsSource = `associated-file:${entry.name}`;
    }
  }
  return info;
}

/** One label per line; trailing whitespace and blank lines dropped (dict.txt / labels.txt style). */
export function splitLabels(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

function notTflite(item: string, why: string): InputError {
  return new InputError(`${item} is not a readable .tflite model: ${why}.`, {
    item,
    code: 'tflite.invalid',
    hint: 'Export the model again (Vertex: export format "tflite"; local: edgewise train --backend local).',
  });
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
