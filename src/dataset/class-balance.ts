import type { SeverityFinding } from './findings.js';
import type { Backend } from './image-checks.js';

/** Vertex AI AutoML image classification needs at least this many images per label. */
export const VERTEX_MIN_PER_LABEL = 10;

export function countLabels(labels: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of labels) counts[l] = (counts[l] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Balance findings over the images that will be trained on: fewer than 10 in a label is an error for
 * Vertex (a warning for the local backend); small classes and a high largest/smallest ratio are warnings.
 */
export function checkBalance(counts: Record<string, number>, opts: { smallClass: number; maxImbalance: number; backend: Backend; item: string }): SeverityFinding[] {
  const out: SeverityFinding[] = [];
  const entries = Object.entries(counts);
  if (entries.length < 2) {
    out.push({
      severity: 'error',
      code: 'balance.too_few_labels',
      item: opts.item,
      message: `a classifier needs at least 2 labels; the dataset has ${entries.length}${entries.length === 1 ? ` ("${entries[0]![0]}")` : ''}`,
      hint: 'Add images of at least one more label to the manifest.',
    });
  }
  for (const [label, n] of entries) {
    if (n < VERTEX_MIN_PER_LABEL) {
      out.push({
        severity: opts.backend === 'vertex' ? 'error' : 'warning',
        code: 'balance.too_few_images',
        item: label,
        message: `label "${label}" has ${n} image${n === 1 ? '' : 's'} after cleaning; Vertex AI needs at least ${VERTEX_MIN_PER_LABEL} per label (about 1,000 recommended)`,
        hint: `Add at least ${VERTEX_MIN_PER_LABEL - n} more image${VERTEX_MIN_PER_LABEL - n === 1 ? '' : 's'} of "${label}", or merge or remove the label.`,
      });
    } else if (n < opts.smallClass) {
      out.push({
        severity: 'warning',
        code: 'balance.small_class',
        item: label,
        message: `label "${label}" has only ${n} images; accuracy on it will be unreliable`,
        hint: `Add more images of "${label}" (a few hundred per label is a good start).`,
      });
    }
  }
  if (entries.length >= 2) {
    const sorted = [...entries].sort((a, b) => b[1] - a[1]);
    const [bigL, big] = sorted[0]!;
    const [smallL, small] = sorted[sorted.length - 1]!;
    const ratio = big / Math.max(1, small);
    if (ratio > opts.maxImbalance) {
      out.push({
        severity: 'warning',
        code: 'balance.imbalance',
        item: opts.item,
        message: `classes are imbalanced: "${bigL}" has ${big} images, "${smallL}" ${small} (${ratio.toFixed(1)}:1)`,
        hint: 'Add images to the small classes or subsample the large ones; tune validate.maxImbalance.',
      });
    }
  }
  return out;
}
