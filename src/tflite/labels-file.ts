import { readFile } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { splitLabels } from './read-info.js';

/** Reads a label list beside a model (labels.txt / dict.txt: one label per line, blank lines ignored). */
export async function readLabelsFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new InputError(`Cannot read the label file ${path}: ${(e as Error).message}`, {
      item: path,
      hint: 'Put the labels (one per line, in output order) beside the model as labels.txt or dict.txt.',
    });
  }
  const labels = splitLabels(text);
  if (labels.length === 0) throw new InputError(`The label file ${path} is empty.`, { item: path, hint: 'Write one label per line, in output order.' });
  const seen = new Set<string>();
  for (const l of labels) {
    if (seen.has(l)) throw new InputError(`The label file ${path} lists "${l}" twice.`, { item: path, hint: 'Each output class needs a distinct label.' });
    seen.add(l);
  }
  return labels;
}
