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
        message:
          opts.backend === 'vertex'
            ? `label "${label}" has ${n} image${n === 1 ? '' : 's'} after cleaning; Vertex AI needs at least ${VERTEX_MIN_PER_LABEL} per label (about 1,000 recommended)`
            : `label "${label}" has ${n} image${n === 1 ? '' : 's'} after cleaning: too few to train, validate and test on (Vertex AI would need at least ${VERTEX_MIN_PER_LABEL})`,
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
  out.push(...lookalikeLabels(counts));
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

/** Labels compared loosely: case, spaces, "-" and "_" do not count. */
function looseLabel(l: string): string {
  return l.toLowerCase().replace(/[\s_-]+/g, '');
}

/** Levenshtein distance, stopping early past 1 (only "one typo away" matters here). */
function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  let j = 0;
  let edits = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    if (++edits > 1) return false;
    if (a.length > b.length) i++;
    else if (b.length > a.length) j++;
    else {
      i++;
      j++;
    }
  }
  return edits + (a.length - i) + (b.length - j) <= 1;
}

/**
 * Labels that are probably typos of another: the same but for case, spaces, "-" or "_" ("Bees", "bees"),
 * or one edit away from a label with at least five times its images ("antz" 1, "ants" 19). Warnings: two
 * real classes can be that close ("cat", "car"), so the person decides.
 */
export function lookalikeLabels(counts: Record<string, number>): SeverityFinding[] {
  const out: SeverityFinding[] = [];
  const labels = Object.keys(counts).sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0) || (a < b ? -1 : 1));
  for (let x = 0; x < labels.length; x++) {
    for (let y = x + 1; y < labels.length; y++) {
      const big = labels[x]!;
      const small = labels[y]!;
      const sameLoosely = looseLabel(big) === looseLabel(small);
      const typo = !sameLoosely && looseLabel(small).length > 3 && (counts[big] ?? 0) >= 5 * (counts[small] ?? 0) && withinOneEdit(looseLabel(big), looseLabel(small));
      if (!sameLoosely && !typo) continue;
      out.push({
        severity: 'warning',
        code: 'label.lookalike',
        item: small,
        message: `label "${small}" (${counts[small]} image${counts[small] === 1 ? '' : 's'}) looks like a typo of "${big}" (${counts[big]})${sameLoosely ? ': they differ only in case, spaces, "-" or "_"' : ''}`,
        hint: `If they are the same class, change "${small}" to "${big}" in the manifest; labels are compared exactly.`,
      });
    }
  }
  return out;
}
