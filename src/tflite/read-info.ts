import { InputError } from '../core/errors.js';
import { aligned, CheckedByteBuffer, list, numbers } from './checked-byte-buffer.js';
import { EDGEWISE_INFO_METADATA, EDGEWISE_LABELS_METADATA, TFLITE_SUPPORT_METADATA } from './format.js';
import { BuiltinOperator, Model, TensorType } from './schema/model-subset_generated.js';
import { readSupportMetadata, type SupportMetadata } from './support-metadata.js';
import { readZipEntries } from './zip-entries.js';

/**
 * A reader of a .tflite file's structure, through the accessors flatc generated from schema/model-subset.fbs (the
 * writer uses the same schema: LiteRT, which runs every file the tests write, is the independent reader). It
 * reads subgraph 0's tensors (shape, type, buffer size, quantization), its operators and their opcode names,
 * the model's metadata entries, and labels from wherever they are: edgewise's `edgewise_labels` entry, or TFLite
 * Support metadata (`TFLITE_METADATA`) naming a label file that is packed in the zip appended to the model (how
 * Vertex / Model Maker exports carry `dict.txt`/`labels.txt`).
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

export function readTfliteInfo(file: Uint8Array, item = 'model.tflite'): TfliteInfo {
  if (file.byteLength < 16) throw notTflite(item, 'the file is too short');
  const bytes = aligned(file);
  const bb = new CheckedByteBuffer(bytes);
  if (!Model.bufferHasIdentifier(bb)) throw notTflite(item, `its file identifier is "${printable(bb.getBufferIdentifier())}", not "TFL3"`);
  try {
    return parse(bytes, bb, item);
  } catch (e) {
    if (e instanceof InputError) throw e;
    // Offsets pointing outside the file: a truncated download or a damaged file.
    throw notTflite(item, `its structure is damaged or truncated (${(e as Error).message})`);
  }
}

function parse(bytes: Uint8Array, bb: CheckedByteBuffer, item: string): TfliteInfo {
  const model = Model.getRootAsModel(bb);
  const buffers = list(model.buffersLength(), (i) => model.buffers(i));
  const bufferBytes = (i: number): Uint8Array => {
    const b = buffers[i];
    if (!b) return new Uint8Array(0);
    const data = b.dataArray();
    if (data && data.byteLength > 0) return data;
    // Large models keep data outside the flatbuffer: offset/size from the start of the file.
    const off = Number(b.offset());
    const size = Number(b.size());
    return off > 1 && size > 0 && off + size <= bytes.byteLength ? bytes.subarray(off, off + size) : new Uint8Array(0);
  };

  const opcodes = list(model.operatorCodesLength(), (i) => model.operatorCodes(i)).map((t) => {
    const code = Math.max(t.deprecatedBuiltinCode(), t.builtinCode());
    return { code, name: t.customCode() ?? BuiltinOperator[code] ?? `BUILTIN_${code}` };
  });

  const subgraphs = model.subgraphsLength();
  const sg = subgraphs > 0 ? model.subgraphs(0) : null;
  if (!sg) throw notTflite(item, 'it has no subgraph');
  const tensors: TfliteTensorInfo[] = list(sg.tensorsLength(), (i) => sg.tensors(i)).map((t, index) => {
    const typeCode = t.type();
    const buffer = t.buffer();
    const q = t.quantization();
    const data = bufferBytes(buffer);
    const info: TfliteTensorInfo = {
      index,
      name: t.name() ?? '',
      shape: numbers(bb, t.shapeArray()),
      type: TensorType[typeCode]?.toLowerCase() ?? `type${typeCode}`,
      typeCode,
      buffer,
      dataBytes: data.byteLength,
      dataOffset: data.byteLength > 0 ? data.byteOffset - bytes.byteOffset : -1,
    };
    if (q) {
      const scale = numbers(bb, q.scaleArray());
      if (scale.length > 0) {
        const min = numbers(bb, q.minArray());
        const max = numbers(bb, q.maxArray());
        info.quantization = {
          scale,
          zeroPoint: list(q.zeroPointLength(), (i) => Number(q.zeroPoint(i))),
          ...(min.length ? { min } : {}),
          ...(max.length ? { max } : {}),
          quantizedDimension: q.quantizedDimension(),
        };
      }
    }
    return info;
  });
  const operators: TfliteOperatorInfo[] = list(sg.operatorsLength(), (i) => sg.operators(i)).map((o) => {
    const opcodeIndex = o.opcodeIndex();
    const oc = opcodes[opcodeIndex];
    return {
      opcodeIndex,
      op: oc?.name ?? `OPCODE_${opcodeIndex}`,
      builtinCode: oc?.code ?? -1,
      inputs: numbers(bb, o.inputsArray()),
      outputs: numbers(bb, o.outputsArray()),
      optionsType: o.builtinOptionsType(),
    };
  });

  const metadata = list(model.metadataLength(), (i) => model.metadata(i)).map((m) => {
    const buffer = m.buffer();
    return { name: m.name() ?? '', buffer, bytes: bufferBytes(buffer).byteLength };
  });
  const metaText = (name: string): string | undefined => {
    const m = metadata.find((x) => x.name === name);
    return m ? new TextDecoder().decode(bufferBytes(m.buffer)) : undefined;
  };

  checkQuantization(tensors, operators, item);

  const info: TfliteInfo = {
    identifier: bb.getBufferIdentifier(),
    version: model.version(),
    description: model.description() ?? '',
    subgraphs,
    tensors,
    operators,
    inputs: numbers(bb, sg.inputsArray()),
    outputs: numbers(bb, sg.outputsArray()),
    metadata,
    buffers: buffers.length,
    associatedFiles: [],
  };
  const sgName = sg.name();
  if (sgName !== null) info.subgraphName = sgName;

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

const QUANTIZED_TYPES = new Set(['int8', 'uint8', 'int16']);
const ZERO_POINT_RANGE: Record<string, [number, number]> = { int8: [-128, 127], uint8: [0, 255], int16: [0, 0], int32: [0, 0] };
const WEIGHTED_OPS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/**
 * Quantization parameters a runtime would misread: caught here, naming the tensor, instead of giving wrong
 * probabilities. Per tensor: scales finite and > 0; as many zero points as scales; zero points inside the
 * type's range; per-axis parameters with one entry per slice of `quantized_dimension`; integer tensors
 * (int8/uint8) that carry no parameters at all. Per op: an int8 convolution or fully connected layer whose
 * int32 bias scale is not input scale × weight scale (the kernels assume it).
 */
function checkQuantization(tensors: TfliteTensorInfo[], operators: TfliteOperatorInfo[], item: string): void {
  // Internal tensors of the quantized exports carry no name (names are for debugging only): the index is the id.
  const bad = (t: TfliteTensorInfo, why: string): InputError =>
    new InputError(`${item}: tensor ${t.index}${t.name ? ` "${t.name}"` : ''} has invalid quantization parameters: ${why}.`, {
      item: `${item} tensor ${t.index}${t.name ? ` (${t.name})` : ''}`,
      code: 'tflite.bad_quantization',
      hint: 'The file is damaged or was written with mismatched scales: export or train the model again.',
    });
  for (const t of tensors) {
    const q = t.quantization;
    if (!q) {
      if (QUANTIZED_TYPES.has(t.type)) throw bad(t, `it is ${t.type} but has no scale and zero point`);
      continue;
    }
    if (!QUANTIZED_TYPES.has(t.type) && t.type !== 'int32') continue; // e.g. float tensors with min/max only
    q.scale.forEach((s, i) => {
      if (!(Number.isFinite(s) && s > 0)) throw bad(t, `scale[${i}] is ${s} (must be a finite number > 0)`);
    });
    if (q.zeroPoint.length !== q.scale.length) throw bad(t, `${q.scale.length} scale(s) but ${q.zeroPoint.length} zero point(s)`);
    const [lo, hi] = ZERO_POINT_RANGE[t.type] ?? [-Infinity, Infinity];
    q.zeroPoint.forEach((z, i) => {
      if (!(z >= lo && z <= hi)) throw bad(t, `zero_point[${i}] is ${z}, outside ${lo}…${hi} for ${t.type}`);
    });
    if (q.scale.length > 1) {
      const axis = q.quantizedDimension;
      if (axis < 0 || axis >= t.shape.length) throw bad(t, `quantized_dimension ${axis} is not an axis of shape [${t.shape.join(',')}]`);
      if (t.shape[axis] !== q.scale.length) throw bad(t, `${q.scale.length} per-axis scales for ${t.shape[axis]} slices of axis ${axis}`);
    }
  }
  for (const o of operators) {
    if (!WEIGHTED_OPS.has(o.op)) continue;
    const [x, w, b] = [o.inputs[0], o.inputs[1], o.inputs[2]].map((i) => (i !== undefined && i >= 0 ? tensors[i] : undefined));
    if (!x?.quantization || x.type === 'float32' || !w?.quantization || !b?.quantization || b.type !== 'int32') continue;
    const ws = w.quantization.scale;
    b.quantization.scale.forEach((s, c) => {
      const want = x.quantization!.scale[0]! * ws[ws.length === 1 ? 0 : c]!;
      if (Math.abs(s - want) > 1e-6 * Math.max(Math.abs(want), 1e-12) + 1e-12) {
        throw bad(b, `bias scale[${c}] ${s} is not input scale × weight scale = ${want} (${o.op})`);
      }
    });
  }
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
