import { stringify } from 'csv-stringify/sync';
import { InputError } from '../core/errors.js';
import type { SplitName } from './split-assign.js';

/**
 * Vertex AI's single-label image import CSV: one line per image, no header,
 * `ML_USE,gs://BUCKET/PREFIX/images/NAME,LABEL` with ML_USE training|validation|test.
 *
 * Cells are written exactly, with no formula neutralisation (see csv-safety.ts): Vertex reads the URI and
 * label byte for byte, and no cell can start with a formula character anyway. Names or labels holding a
 * comma, quote or line break are refused rather than quoted, so every line stays three plain fields.
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

const CSV_BREAKING = /[",\r\n]/;

/** gs://BUCKET/PREFIX/images/NAME for an image path relative to the images folder. */
export function vertexImageUri(target: VertexTarget, image: string): string {
  const name = image.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  const prefix = target.prefix.replace(/^\/+|\/+$/g, '');
  return `gs://${target.bucket}/${prefix ? `${prefix}/` : ''}images/${name}`;
}

export function formatVertexCsv(rows: ReadonlyArray<{ image: string; label: string; split: SplitName }>, target: VertexTarget): string {
  const records = rows.map((r) => {
    if (CSV_BREAKING.test(r.image)) {
      throw new InputError(`Image "${r.image}" has a comma, quote or line break in its name, which Vertex's import CSV cannot hold.`, {
        code: 'vertex_csv.bad_name',
        item: r.image,
        hint: 'Rename the file (and its manifest row) without those characters, then run `edgewise validate` and `edgewise split` again.',
      });
    }
    if (CSV_BREAKING.test(r.label) || r.label.trim() === '') {
      throw new InputError(`Label "${r.label}" cannot be written to Vertex's import CSV.`, {
        code: 'vertex_csv.bad_label',
        item: r.label,
        hint: 'Labels should be letters, digits and underscores; rerun `edgewise validate`, which maps labels to Vertex-safe names.',
      });
    }
    return [ML_USE[r.split], vertexImageUri(target, r.image), r.label];
  });
  return stringify(records, { record_delimiter: '\n', quoted: false });
}
