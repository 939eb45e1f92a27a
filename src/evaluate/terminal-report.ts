import type { ReliabilityBin } from './calibration.js';
import type { VertexHeadline } from './summary.js';
import type { MetricsFile, PerClassRow } from './types.js';
import { decimal, percent } from '../core/text.js';

/**
 * The evaluation report as plain lines (no colour codes): printed by `edgewise eval` and shown in a scroll box
 * by the wizard. Pure: same metrics and width, same lines. Section titles start with "■ ".
 */

function clip(s: string, w: number): string {
  if (w <= 0) return '';
  return s.length <= w ? s : s.slice(0, Math.max(0, w - 1)) + '…';
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A horizontal bar of `frac` × `width` cells, with eighth-block precision. */
export function hbar(frac: number, width: number): string {
  const eighths = Math.round(Math.max(0, Math.min(1, frac)) * width * 8);
  const full = Math.floor(eighths / 8);
  return '█'.repeat(full) + EIGHTHS[eighths % 8]!;
}

/** Shade for a share in [0, 1]: · for none, then ░ ▒ ▓ █ by quarters. */
export function shade(share: number): string {
  if (share <= 0) return '·';
  if (share < 0.25) return '░';
  if (share < 0.5) return '▒';
  if (share < 0.75) return '▓';
  return '█';
}

/** The run's model files side by side (float32 and its quantized variants, same test images). */
export function variantLines(m: MetricsFile): string[] {
  const vs = m.variants ?? [];
  if (vs.length === 0) return [];
  const float = vs.find((v) => v.quantization === 'none') ?? vs[0]!;
  const out = [`${'file'.padEnd(26)}${'top-1'.padStart(7)}${'top-3'.padStart(7)}${'ECE'.padStart(7)}${'size'.padStart(10)}${'ms/img'.padStart(8)}${'agree'.padStart(7)}`];
  for (const v of vs) {
    const size = `${(v.size_bytes / 1e6).toFixed(2)} MB`;
    const mark = v.name === m.default_variant ? ' ◂' : '';
    out.push(
      `${clip(`${v.name} (${v.input_dtype} in)`, 25).padEnd(26)}${decimal(v.top1).padStart(7)}${decimal(v.top3).padStart(7)}${decimal(v.ece).padStart(7)}${size.padStart(10)}${decimal(v.ms_per_image, 1).padStart(8)}${percent(v.agreement_with_float).padStart(7)}${mark}`,
    );
  }
  const pick = vs.find((v) => v.name === m.default_variant);
  if (pick) {
    out.push(`◂ Publish ships ${pick.name} by default: the smallest file within 1 point of float32's top-1 (${percent(pick.size_bytes / float.size_bytes, 0)} of its size). agree = same top-1 as float32.`);
  }
  return out;
}

function metricsTable(m: MetricsFile): string[] {
  const a = m.calibration;
  const b = m.calibration_after_temperature;
  const rows: Array<[string, string, string]> = [
    ['top-1 accuracy', decimal(m.top1), ''],
    ['top-3 accuracy', decimal(m.top3), ''],
    [`ECE, ${a.bins.equal_width} equal-width bins`, decimal(a.ece_equal_width), decimal(b.ece_equal_width)],
    [`ECE, ${a.bins.equal_mass} equal-mass bins`, decimal(a.ece_equal_mass), decimal(b.ece_equal_mass)],
    ['MCE (max bin gap)', decimal(a.mce), decimal(b.mce)],
    ['NLL (mean −ln p)', decimal(a.nll), decimal(b.nll)],
    ['Brier (Σ classes, 0–2)', decimal(a.brier), decimal(b.brier)],
    ['macro P / R / F1', `${decimal(m.macro.precision, 2)} / ${decimal(m.macro.recall, 2)} / ${decimal(m.macro.f1, 2)}`, ''],
    ['weighted P / R / F1', `${decimal(m.weighted.precision, 2)} / ${decimal(m.weighted.recall, 2)} / ${decimal(m.weighted.f1, 2)}`, ''],
  ];
  const out = [`${'metric'.padEnd(28)}${'model'.padStart(18)}  ${`T = ${decimal(m.temperature, 2)}`.padStart(10)}`];
  for (const [name, v, after] of rows) out.push(`${name.padEnd(28)}${v.padStart(18)}  ${after.padStart(10)}`);
  // Older metrics files have no noise range.
  if (m.ece_noise) out.push(m.ece_noise.statement);
  const ts = m.temperature_scaling;
  out.push(
    ts.nll_validation_before !== null
      ? `temperature fitted on ${ts.n_validation} validation images: NLL ${decimal(ts.nll_validation_before)} → ${decimal(ts.nll_validation_after)}${ts.note ? ` (${ts.note})` : ''}`
      : `temperature: ${ts.note ?? 'not fitted'}`,
  );
  return out;
}

const VERTEX_ROWS: Array<[keyof VertexHeadline, string]> = [
  ['auPrc', 'auPrc (micro)'],
  ['logLoss', 'logLoss'],
  ['precisionAt0.5', 'precision at 0.5'],
  ['recallAt0.5', 'recall at 0.5'],
  ['f1At0.5', 'F1 at 0.5'],
  ['auRoc', 'auRoc (micro)'],
];

/**
 * Vertex's own numbers beside edgewise's, one row per metric Vertex reported: [name, Vertex, edgewise].
 * Empty when the file held no classification metrics.
 */
export function vertexComparison(m: MetricsFile): { header: [string, string, string]; rows: Array<[string, string, string]> } | undefined {
  const v = m.vertex;
  if (!v) return undefined;
  const rows = VERTEX_ROWS.filter(([k]) => v.summary[k] !== undefined).map(([k, name]): [string, string, string] => [name, decimal(v.summary[k]), decimal(v.edgewise?.[k])]);
  return { header: ['metric', `Vertex${v.n !== undefined ? ` (n=${v.n})` : ''}`, `edgewise (n=${m.n})`], rows };
}

function vertexSection(m: MetricsFile): string[] {
  const c = vertexComparison(m);
  if (!c) return [];
  if (!c.rows.length) return ['vertex_evaluation.json holds no classification metrics (auPrc, logLoss, confidenceMetrics): nothing to compare.'];
  const line = (r: [string, string, string]): string => `${r[0].padEnd(28)}${r[1].padStart(18)}  ${r[2].padStart(16)}`;
  return [line(c.header), ...c.rows.map(line), "Vertex scored the items it held out; edgewise scored splits.csv's test split (micro-averaged, one-vs-rest)."];
}

/** Worst first: lowest F1, then lowest recall; classes never seen nor predicted (F1 undefined) last. */
export function sortWorstFirst(rows: readonly PerClassRow[]): PerClassRow[] {
  const key = (r: PerClassRow): number => (r.f1 === null ? Infinity : r.f1);
  return [...rows].sort((x, y) => key(x) - key(y) || (x.recall ?? Infinity) - (y.recall ?? Infinity) || y.support - x.support || x.label.localeCompare(y.label));
}

function perClassTable(m: MetricsFile, width: number): string[] {
  const labelW = Math.max(8, Math.min(28, width - 40));
  const out = [`${'label'.padEnd(labelW)} ${'F1'.padStart(6)} ${'prec'.padStart(6)} ${'recall'.padStart(6)} ${'support'.padStart(8)} ${'pred'.padStart(6)}`];
  for (const r of sortWorstFirst(m.per_class)) {
    out.push(`${clip(r.label, labelW).padEnd(labelW)} ${decimal(r.f1).padStart(6)} ${decimal(r.precision).padStart(6)} ${decimal(r.recall).padStart(6)} ${String(r.support).padStart(8)} ${String(r.predicted).padStart(6)}`);
  }
  return out;
}

/**
 * Reliability diagram turned sideways: one row per confidence bin; the bar is the bin's accuracy, `│` marks
 * its mean confidence (a perfectly calibrated bin has the bar end at the mark).
 */
export function reliabilityLines(bins: readonly ReliabilityBin[], width: number): string[] {
  const barW = Math.max(10, Math.min(40, width - 38));
  const out = [`${'confidence'.padEnd(11)} ${'n'.padStart(5)}  ${'accuracy (bar) vs confidence (│)'.padEnd(barW + 1)}`.trimEnd()];
  for (const b of bins) {
    const range = `${b.lo.toFixed(2)}–${b.hi.toFixed(2)}`;
    if (b.count === 0 || b.accuracy === null || b.confidence === null) {
      out.push(`${range.padEnd(11)} ${'0'.padStart(5)}  ${''.padEnd(barW + 1)} –`.trimEnd());
      continue;
    }
    const cells = [...hbar(b.accuracy, barW).padEnd(barW + 1)];
    const at = Math.min(barW, Math.round(b.confidence * barW));
    cells[at] = '│';
    out.push(`${range.padEnd(11)} ${String(b.count).padStart(5)}  ${cells.join('')} ${decimal(b.accuracy, 2)} vs ${decimal(b.confidence, 2)}`);
  }
  return out;
}

/** Confusion heatmap: rows true, columns predicted, numbered; shade = share of the row. */
export function confusionLines(labels: readonly string[], matrix: readonly (readonly number[])[], width: number): string[] {
  const K = labels.length;
  const numW = String(K).length;
  const labelW = Math.max(6, Math.min(16, Math.max(...labels.map((l) => l.length))));
  const maxCols = Math.max(1, Math.floor((width - numW - labelW - 3) / 2));
  let shown = labels.map((_, k) => k);
  const out: string[] = [];
  if (K > maxCols) {
    // Too wide: keep the classes with the most mistakes (row + column off-diagonal counts).
    const errors = labels.map((_, k) => matrix[k]!.reduce((a, v, j) => a + (j === k ? 0 : v), 0) + matrix.reduce((a, row, i) => a + (i === k ? 0 : row[k]!), 0));
    shown = shown.sort((a, b) => errors[b]! - errors[a]! || a - b).slice(0, maxCols).sort((a, b) => a - b);
    out.push(`(showing the ${maxCols} of ${K} classes with the most mistakes)`);
  }
  const pad = ' '.repeat(numW + labelW + 2);
  if (K >= 10) out.push(pad + shown.map((k) => (k + 1 >= 10 ? String(Math.floor((k + 1) / 10) % 10) : ' ')).join(' '));
  out.push(pad + shown.map((k) => String((k + 1) % 10)).join(' '));
  for (const i of shown) {
    const row = matrix[i]!;
    const total = row.reduce((a, b) => a + b, 0);
    const cells = shown.map((j) => (total === 0 ? ' ' : shade(row[j]! / total))).join(' ');
    out.push(`${String(i + 1).padStart(numW)} ${clip(labels[i]!, labelW).padEnd(labelW)} ${cells}${total === 0 ? '  (no test images)' : ''}`);
  }
  out.push(`shade = share of the true class's images: · none  ░ <25%  ▒ <50%  ▓ <75%  █ ≥75%`);
  return out;
}

export interface TerminalReportOptions {
  width?: number;
  /** How many confidently wrong images to list. */
  mistakes?: number;
}

export function renderTerminalReport(m: MetricsFile, opts: TerminalReportOptions = {}): string[] {
  const width = Math.max(40, opts.width ?? 80);
  const lines: string[] = [];
  const section = (title: string): void => {
    if (lines.length) lines.push('');
    lines.push(`■ ${title}`);
  };
  section(`Evaluation of ${m.version}: ${m.n} test images`);
  if (m.n_unscored) lines.push(`${m.n_unscored} more not scored: the model has no label ${m.unscored_labels.join(', ')}`);
  lines.push(...metricsTable(m));
  if (m.vertex) {
    section("Vertex AI's own evaluation beside edgewise's");
    lines.push(...vertexSection(m));
  }
  if (m.variants?.length) {
    section('Model files (same test images; ms/img = LiteRT inference here)');
    lines.push(...variantLines(m));
  }
  section('Per class, worst first');
  lines.push(...perClassTable(m, width));
  section(`Reliability, ${m.calibration.bins.equal_width} equal-width bins (before temperature)`);
  lines.push(...reliabilityLines(m.calibration.reliability, width));
  section('Confusion (rows: true label, columns: predicted)');
  lines.push(...confusionLines(m.confusion_matrix.labels, m.confusion_matrix.matrix, width));
  const wrong = m.most_confident_mistakes.slice(0, opts.mistakes ?? 10);
  section('Most confidently wrong');
  if (wrong.length === 0) lines.push('none: every scored test image was classified correctly');
  for (const w of wrong) {
    const head = `${percent(w.confidence).padStart(6)}  ${w.truth} → ${w.predicted}  `;
    lines.push(head + clip(w.image, width - head.length));
  }
  return lines.map((l) => clip(l, width));
}
