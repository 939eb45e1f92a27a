import { stringify } from 'csv-stringify/sync';
import { InputError } from '../core/errors.js';
import type { SplitName } from './split-assign.js';
import { suggestLabelMapping, vertexLabelProblem } from './vertex-labels.js';

/**
 * Vertex AI's single-label image import CSV: one line per image, no header,
 * `ML_USE,gs://BUCKET/PREFIX/images/NAME,LABEL` with ML_USE training|validation|test.
 *
 * Cells are written exactly, with no formula neutralisation (see csv-safety.ts): Vertex reads the URI and
 * label byte for byte, and no cell can start with a formula character: the first is training|validation|test,
 * the second gs://…, and labels that break Vertex's rule (formula characters included) are refused below.
 * Names holding a comma, quote or control character are refused rather than quoted, so every line stays
 * three plain fields.
 */
export const ML_USE: Record<SplitName, 'training' | 'validation' | 'test'> = {
  train: 'training',
  validation: 'validation',
  test: 'test',
};

export interface VertexTarget {
  bucket: string;
  /** Object prefix inside the bucket ('' for none). */
  prefix: string;
}

const CSV_BREAKING = /[",\u0000-\u001f\u007f]/;
const ML_CSV = 'vertex_dataset.csv';

/** NAME in gs://…/images/NAME for a manifest image path: forward slashes, no leading ./ */
export function vertexImageName(image: string): string {
  return image.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

/** gs://BUCKET/PREFIX/images/NAME for an image path relative to the images folder. */
export function vertexImageUri(target: VertexTarget, image: string): string {
  const name = vertexImageName(image);
  const prefix = target.prefix.replace(/^\/+|\/+$/g, '');
  return `gs://${target.bucket}/${prefix ? `${prefix}/` : ''}images/${name}`;
}

/**
 * The Vertex import CSV for the split rows. Every label must pass Vertex's own rule (vertexLabelProblem:
 * starts with a letter; letters, digits and underscores), which also rules out any cell a spreadsheet would
 * run as a formula (`=`, `+`, `-`, `@`): such labels are refused, all of them in one error with the
 * suggested mapping, and nothing is written. Image names holding a comma, quote or control character are
 * refused the same way.
 */
export function formatVertexCsv(rows: ReadonlyArray<{ image: string; label: string; split: SplitName }>, target: VertexTarget): string {
  const badLabels = [...new Set(rows.map((r) => r.label))].filter((l) => vertexLabelProblem(l) !== undefined).sort();
  if (badLabels.length > 0) {
    const mapping = suggestLabelMapping(rows.map((r) => r.label));
    const shown = badLabels.slice(0, 5).map((l) => `"${l}" ${vertexLabelProblem(l)}`);
    const suggestion = badLabels.slice(0, 5).map((l) => `"${l}" -> "${mapping[l]}"`).join(', ');
    throw new InputError(`Vertex AI cannot import ${badLabels.length === 1 ? 'this label' : `${badLabels.length} labels`}: ${shown.join('; ')}${badLabels.length > 5 ? '; …' : ''}. ${ML_CSV} was not written.`, {
      code: 'vertex_csv.bad_label',
      item: badLabels[0],
      hint: `Map them to Vertex-safe names (suggested: ${suggestion}${badLabels.length > 5 ? ', …' : ''}) with \`edgewise validate --accept-label-mapping\` (recorded in report.json and reversible) or validate.labelMapping in edgewise.json, then run \`edgewise split\` again.`,
    });
  }
  const records = rows.map((r) => {
    if (CSV_BREAKING.test(r.image)) {
      throw new InputError(`Image "${r.image}" has a comma, quote, line break or control character in its name, which Vertex's import CSV cannot hold.`, {
        code: 'vertex_csv.bad_name',
        item: r.image,
        hint: 'Rename the file (and its manifest row) without those characters, then run `edgewise validate` and `edgewise split` again.',
      });
    }
    return [ML_USE[r.split], vertexImageUri(target, r.image), r.label];
  });
  return stringify(records, { record_delimiter: '\n', quoted: false });
}
