/**
 * Label rules for Vertex AI AutoML image datasets: a label must start with a letter and contain only
 * letters, digits and underscores (the AutoML image CSV import rule); an annotation spec's display name is
 * at most 128 characters (Vertex AI AnnotationSpec reference). Labels that break them get a suggested
 * mapping that is one-to-one, so it can be reversed (the report records both directions).
 */
export const VERTEX_LABEL_MAX = 128;
const VERTEX_LABEL = /^[A-Za-z][A-Za-z0-9_]*$/;

/** The broken rule, or undefined when Vertex accepts the label. */
export function vertexLabelProblem(label: string): string | undefined {
  if (label.length === 0) return 'is empty';
  if (label.length > VERTEX_LABEL_MAX) return `is ${label.length} characters long (at most ${VERTEX_LABEL_MAX})`;
  if (!/^[A-Za-z]/.test(label)) return 'must start with a letter (A-Z or a-z)';
  if (!VERTEX_LABEL.test(label)) {
    const bad = [...new Set([...label].filter((c) => !/[A-Za-z0-9_]/.test(c)))].map((c) => (c === ' ' ? 'space' : JSON.stringify(c))).join(', ');
    return `may contain only letters, digits and underscores (found ${bad})`;
  }
  return undefined;
}

/** A Vertex-safe spelling of one label: accents dropped, other characters as `_`, a letter in front. */
export function vertexSafeLabel(label: string): string {
  let s = label
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (s === '') s = 'label';
  if (!/^[A-Za-z]/.test(s)) s = `L_${s}`;
  return s.slice(0, VERTEX_LABEL_MAX);
}

/**
 * Suggested mapping for every label Vertex would reject; labels already valid keep their name and are never
 * taken by a mapped one (a numeric suffix keeps the mapping one-to-one).
 */
export function suggestLabelMapping(labels: Iterable<string>): Record<string, string> {
  const all = [...new Set(labels)].sort();
  const taken = new Set(all.filter((l) => vertexLabelProblem(l) === undefined));
  const mapping: Record<string, string> = {};
  for (const label of all) {
    if (vertexLabelProblem(label) === undefined) continue;
    const base = vertexSafeLabel(label);
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) {
      const suffix = `_${n}`;
      candidate = base.slice(0, VERTEX_LABEL_MAX - suffix.length) + suffix;
    }
    taken.add(candidate);
    mapping[label] = candidate;
  }
  return mapping;
}

/** The reverse of a one-to-one mapping (Vertex label -> original); throws if two labels map to one. */
export function reverseMapping(mapping: Record<string, string>): Record<string, string> {
  const rev: Record<string, string> = {};
  for (const [from, to] of Object.entries(mapping)) {
    if (to in rev) throw new RangeError(`labels "${rev[to]}" and "${from}" both map to "${to}"`);
    rev[to] = from;
  }
  return rev;
}
