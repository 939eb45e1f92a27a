import { CheckedByteBuffer, list } from './checked-byte-buffer.js';
import { AssociatedFileType, ModelMetadata, NormalizationOptions, ProcessUnitOptions, type AssociatedFile } from './schema/metadata-subset_generated.js';

/**
 * Reader for the parts of TFLite Support metadata (a ModelMetadata flatbuffer, identifier "M001", stored in a
 * Model.metadata entry named TFLITE_METADATA) that matter to a classifier's user: the model's
 * name/description/version, the input's normalisation (mean/std) and value stats, and which associated files hold
 * the output labels. Accessors generated from schema/metadata-subset.fbs.
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

export function readSupportMetadata(bytes: Uint8Array): SupportMetadata {
  const root = ModelMetadata.getRootAsModelMetadata(new CheckedByteBuffer(bytes));
  const files: { name: string; type: number }[] = [];
  const collect = (length: number, at: (i: number) => AssociatedFile | null) => {
    for (const f of list(length, at)) files.push({ name: f.name() ?? '', type: f.type() });
  };
  const out: SupportMetadata = { labelFiles: [], associatedFiles: files };
  const name = root.name();
  const description = root.description();
  const version = root.version();
  if (name !== null) out.name = name;
  if (description !== null) out.description = description;
  if (version !== null) out.version = version;
  collect(root.associatedFilesLength(), (i) => root.associatedFiles(i));
  const sg = root.subgraphMetadataLength() > 0 ? root.subgraphMetadata(0) : null;
  if (sg) {
    collect(sg.associatedFilesLength(), (i) => sg.associatedFiles(i));
    const input = sg.inputTensorMetadataLength() > 0 ? sg.inputTensorMetadata(0) : null;
    if (input) {
      const inp: NonNullable<SupportMetadata['input']> = {};
      const n = input.name();
      if (n !== null) inp.name = n;
      for (const pu of list(input.processUnitsLength(), (i) => input.processUnits(i))) {
        if (pu.optionsType() !== ProcessUnitOptions.NormalizationOptions) continue;
        const opts = pu.options(new NormalizationOptions()) as NormalizationOptions | null;
        if (!opts) continue;
        inp.mean = list(opts.meanLength(), (i) => opts.mean(i));
        inp.std = list(opts.stdLength(), (i) => opts.std(i));
      }
      const stats = input.stats();
      if (stats) {
        const max = list(stats.maxLength(), (i) => stats.max(i));
        const min = list(stats.minLength(), (i) => stats.min(i));
        if (max.length) inp.max = max;
        if (min.length) inp.min = min;
      }
      collect(input.associatedFilesLength(), (i) => input.associatedFiles(i));
      out.input = inp;
    }
    const output = sg.outputTensorMetadataLength() > 0 ? sg.outputTensorMetadata(0) : null;
    if (output) {
      const n = output.name();
      out.output = n !== null ? { name: n } : {};
      collect(output.associatedFilesLength(), (i) => output.associatedFiles(i));
    }
  }
  out.labelFiles = files.filter((f) => f.type === AssociatedFileType.TENSOR_AXIS_LABELS && f.name).map((f) => f.name);
  return out;
}
