import { byteBufferOf, FbTable } from './flatbuffer-table.js';

/**
 * Reader for the parts of TFLite Support metadata (tensorflow/lite/support metadata_schema.fbs, identifier
 * "M001", stored in a Model.metadata entry named TFLITE_METADATA) that matter to a classifier's user:
 * the model's name/description/version, the input's normalisation (mean/std) and value stats, and which
 * associated files hold the output labels. Field ids used:
 *   ModelMetadata { name #0, description #1, version #2, subgraph_metadata #3, author #4, license #5, associated_files #6 }
 *   SubGraphMetadata { name #0, description #1, input_tensor_metadata #2, output_tensor_metadata #3, associated_files #4 }
 *   TensorMetadata { name #0, description #1, dimension_names #2, content #3, process_units #4, stats #5, associated_files #6 }
 *   ProcessUnit { options_type #0, options #1 } with NormalizationOptions (union tag 1) { mean #0, std #1 }
 *   Stats { max #0, min #1 };  AssociatedFile { name #0, description #1, type #2 (2 = TENSOR_AXIS_LABELS), locale #3 }
 */
export interface SupportMetadata {
  name?: string;
  description?: string;
  version?: string;
  input?: { name?: string; mean?: number[]; std?: number[]; min?: number[]; max?: number[] };
  output?: { name?: string };
  /** Associated files of type TENSOR_AXIS_LABELS (any level), in the order found. */
  labelFiles: string[];
  associatedFiles: { name: string; type: number }[];
}

const M = { name: 0, description: 1, version: 2, subgraph_metadata: 3, associated_files: 6 } as const;
const SG = { input_tensor_metadata: 2, output_tensor_metadata: 3, associated_files: 4 } as const;
const TM = { name: 0, process_units: 4, stats: 5, associated_files: 6 } as const;
const PU = { options_type: 0, options: 1 } as const;
const NORMALIZATION_OPTIONS = 1;
const TENSOR_AXIS_LABELS = 2;

export function readSupportMetadata(bytes: Uint8Array): SupportMetadata {
  const root = FbTable.root(byteBufferOf(bytes));
  const files: { name: string; type: number }[] = [];
  const collect = (t: FbTable | undefined, id: number) => {
    for (const f of t?.tables(id) ?? []) files.push({ name: f.string(0) ?? '', type: f.int8(2) });
  };
  const out: SupportMetadata = { labelFiles: [], associatedFiles: files };
  const name = root.string(M.name);
  const description = root.string(M.description);
  const version = root.string(M.version);
  if (name !== undefined) out.name = name;
  if (description !== undefined) out.description = description;
  if (version !== undefined) out.version = version;
  collect(root, M.associated_files);
  const sg = root.tables(M.subgraph_metadata)[0];
  if (sg) {
    collect(sg, SG.associated_files);
    const input = sg.tables(SG.input_tensor_metadata)[0];
    if (input) {
      const inp: NonNullable<SupportMetadata['input']> = {};
      const n = input.string(TM.name);
      if (n !== undefined) inp.name = n;
      for (const pu of input.tables(TM.process_units)) {
        if (pu.uint8(PU.options_type) !== NORMALIZATION_OPTIONS) continue;
        const opts = pu.table(PU.options);
        if (!opts) continue;
        inp.mean = opts.float32s(0);
        inp.std = opts.float32s(1);
      }
      const stats = input.table(TM.stats);
      if (stats) {
        const max = stats.float32s(0);
        const min = stats.float32s(1);
        if (max.length) inp.max = max;
        if (min.length) inp.min = min;
      }
      collect(input, TM.associated_files);
      out.input = inp;
    }
    const output = sg.tables(SG.output_tensor_metadata)[0];
    if (output) {
      const n = output.string(TM.name);
      out.output = n !== undefined ? { name: n } : {};
      collect(output, TM.associated_files);
    }
  }
  out.labelFiles = files.filter((f) => f.type === TENSOR_AXIS_LABELS && f.name).map((f) => f.name);
  return out;
}
