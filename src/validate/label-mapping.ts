import type { ManifestRow } from '../manifest/manifest.js';
import { suggestLabelMapping, vertexLabelProblem } from '../split/vertex-labels.js';
import type { SeverityFinding } from './findings.js';

/** The labels from now on: the configured mapping, then (when accepted) the suggestion for labels Vertex rejects. */
export interface LabelMapping {
  /** Original label -> label used, only where they differ (report.json's labelMapping). */
  applied: Record<string, string>;
  /** Label -> a name Vertex accepts, for every label it would reject. */
  suggested: Record<string, string>;
  /** The label used for an original one. */
  of(label: string): string;
}

/** Labels arrive trimmed from the manifest; the suggestion is made for the labels after the configured mapping. */
export function mapLabels(rows: readonly ManifestRow[], configured: Record<string, string>, accept: boolean): LabelMapping {
  const raw = new Set(rows.map((r) => r.label));
  const suggested = suggestLabelMapping([...raw].map((l) => configured[l] ?? l));
  const applied: Record<string, string> = {};
  for (const l of raw) {
    const mapped = configured[l] ?? l;
    const final = accept && suggested[mapped] ? suggested[mapped] : mapped;
    if (final !== l) applied[l] = final;
  }
  return { applied, suggested, of: (l) => applied[l] ?? l };
}

/** One error per label (after mapping) that Vertex AI would reject, at the label's first manifest line. */
export function vertexLabelFindings(rows: readonly ManifestRow[], labels: LabelMapping): SeverityFinding[] {
  const firstLine = new Map<string, number>();
  for (const r of rows) if (!firstLine.has(r.label)) firstLine.set(r.label, r.line);
  const out: SeverityFinding[] = [];
  for (const l of [...firstLine.keys()].sort()) {
    const problem = vertexLabelProblem(labels.of(l));
    if (!problem) continue;
    const to = labels.suggested[labels.of(l)];
    out.push({
      severity: 'error',
      code: 'label.vertex_rule',
      item: `label "${l}"`,
      line: firstLine.get(l)!,
      message: `label "${labels.of(l)}" ${problem}; Vertex AI would reject it`,
      hint: `Accept the suggested mapping "${labels.of(l)}" -> "${to}" with \`edgewise validate --accept-label-mapping\` (it is recorded in report.json and reversible), or set validate.labelMapping in edgewise.json.`,
    });
  }
  return out;
}
