import type { ReliabilityBin } from './calibration.js';
import { fmt, sortWorstFirst, vertexComparison } from './terminal-report.js';
import type { MetricsFile } from './types.js';

/**
 * A single self-contained HTML file (inline CSS and SVG, no script, no external resource) with the same
 * content as the terminal report, to share with people who are not in the terminal.
 */

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const n2 = (x: number): string => (Math.round(x * 100) / 100).toString();

/** Reliability diagram: accuracy bars per bin, the diagonal, the gap to mean confidence, counts below. */
export function reliabilitySvg(bins: readonly ReliabilityBin[], title: string): string {
  const W = 460, H = 316, L = 50, T = 30, PW = 380, PH = 200, HH = 40;
  const x = (v: number): number => L + v * PW;
  const y = (v: number): number => T + (1 - v) * PH;
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const parts: string[] = [];
  parts.push(`<rect x="${L}" y="${T}" width="${PW}" height="${PH}" fill="#fafafa" stroke="#999"/>`);
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${x(0)}" y1="${n2(y(t))}" x2="${x(1)}" y2="${n2(y(t))}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${L - 6}" y="${n2(y(t) + 4)}" text-anchor="end" class="tick">${t}</text>`);
    parts.push(`<text x="${n2(x(t))}" y="${T + PH + HH + 16}" text-anchor="middle" class="tick">${t}</text>`);
  }
  for (const b of bins) {
    const bx = x(b.lo) + 1;
    const bw = Math.max(1, (b.hi - b.lo) * PW - 2);
    if (b.count > 0 && b.accuracy !== null && b.confidence !== null) {
      const top = Math.max(b.accuracy, b.confidence);
      const bottom = Math.min(b.accuracy, b.confidence);
      parts.push(`<rect class="acc" x="${n2(bx)}" y="${n2(y(b.accuracy))}" width="${n2(bw)}" height="${n2(b.accuracy * PH)}"><title>${n2(b.lo)}–${n2(b.hi)}: accuracy ${fmt(b.accuracy)}, confidence ${fmt(b.confidence)}, n=${b.count}</title></rect>`);
      parts.push(`<rect class="gap" x="${n2(bx)}" y="${n2(y(top))}" width="${n2(bw)}" height="${n2((top - bottom) * PH)}"/>`);
    }
    const hh = (b.count / maxCount) * (HH - 6);
    parts.push(`<rect class="count" x="${n2(bx)}" y="${n2(T + PH + HH - hh)}" width="${n2(bw)}" height="${n2(hh)}"><title>n=${b.count}</title></rect>`);
  }
  parts.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#444" stroke-dasharray="5,4"/>`);
  parts.push(`<text x="${L + PW / 2}" y="${H - 4}" text-anchor="middle" class="axis">confidence (max probability)</text>`);
  parts.push(`<text x="14" y="${T + PH / 2}" text-anchor="middle" class="axis" transform="rotate(-90 14 ${T + PH / 2})">accuracy</text>`);
  parts.push(`<text x="${L}" y="18" class="title">${esc(title)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" id="reliability" role="img" aria-label="${esc(title)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg>`;
}

/** Confusion heatmap: cell colour = share of the true class's images, cell text = count. */
export function confusionSvg(labels: readonly string[], matrix: readonly (readonly number[])[]): string {
  const K = labels.length;
  const cell = Math.max(14, Math.min(44, Math.floor(520 / Math.max(1, K))));
  const labelW = Math.min(160, 12 + 7 * Math.max(...labels.map((l) => l.length)));
  const L = labelW + 8, T = labelW + 8;
  const W = L + K * cell + 10, H = T + K * cell + 10;
  const parts: string[] = [];
  labels.forEach((lab, k) => {
    parts.push(`<text x="${L - 6}" y="${n2(T + k * cell + cell / 2 + 4)}" text-anchor="end" class="tick">${esc(lab)}</text>`);
    const cx = L + k * cell + cell / 2;
    parts.push(`<text x="${n2(cx)}" y="${T - 6}" class="tick" transform="rotate(-60 ${n2(cx)} ${T - 6})">${esc(lab)}</text>`);
  });
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => {
      const share = total > 0 ? v / total : 0;
      const light = Math.round(97 - share * 62);
      const hue = i === j ? 210 : 10;
      parts.push(`<rect x="${L + j * cell}" y="${T + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="hsl(${hue},70%,${light}%)"><title>true ${esc(labels[i]!)} → predicted ${esc(labels[j]!)}: ${v}${total ? ` (${(100 * share).toFixed(1)}%)` : ''}</title></rect>`);
      if (cell >= 22 && v > 0) parts.push(`<text x="${L + j * cell + cell / 2}" y="${T + i * cell + cell / 2 + 4}" text-anchor="middle" class="cell" fill="${share > 0.55 ? '#fff' : '#222'}">${v}</text>`);
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" id="confusion" role="img" aria-label="confusion matrix" width="${Math.max(W, 480)}" height="${H}" viewBox="0 0 ${Math.max(W, 480)} ${H}">${parts.join('')}</svg>`;
}

export function renderHtmlReport(m: MetricsFile): string {
  const a = m.calibration;
  const b = m.calibration_after_temperature;
  const row = (cells: string[], th = false): string => `<tr>${cells.map((c) => (th ? `<th>${c}</th>` : `<td>${c}</td>`)).join('')}</tr>`;
  const metricsRows = [
    row(['metric', 'model', `after temperature T = ${fmt(m.temperature, 3)}`], true),
    row(['n (test images scored)', String(m.n), '']),
    row(['top-1 accuracy', fmt(m.top1), '']),
    row(['top-3 accuracy', fmt(m.top3), '']),
    row([`ECE, ${a.bins.equal_width} equal-width bins`, fmt(a.ece_equal_width), fmt(b.ece_equal_width)]),
    row([`ECE, ${a.bins.equal_mass} equal-mass bins`, fmt(a.ece_equal_mass), fmt(b.ece_equal_mass)]),
    row(['MCE', fmt(a.mce), fmt(b.mce)]),
    row(['NLL', fmt(a.nll), fmt(b.nll)]),
    row(['Brier (multiclass, 0–2)', fmt(a.brier), fmt(b.brier)]),
    row(['macro precision / recall / F1', `${fmt(m.macro.precision)} / ${fmt(m.macro.recall)} / ${fmt(m.macro.f1)}`, '']),
    row(['weighted precision / recall / F1', `${fmt(m.weighted.precision)} / ${fmt(m.weighted.recall)} / ${fmt(m.weighted.f1)}`, '']),
  ].join('');
  const vs = m.variants ?? [];
  const variants = vs.length
    ? `<h2>Model files</h2><table>${row(['file', 'quantization', 'input', 'top-1', 'top-3', 'ECE', 'size', 'ms per image (LiteRT)', 'same top-1 as float32', 'max |Δp| vs float32'], true)}${vs
        .map((v) =>
          row([
            `${esc(v.file)}${v.name === m.default_variant ? ' (Publish default)' : ''}`,
            esc(v.quantization),
            esc(v.input_dtype),
            fmt(v.top1),
            fmt(v.top3),
            fmt(v.ece),
            `${(v.size_bytes / 1e6).toFixed(2)} MB`,
            fmt(v.ms_per_image, 1),
            `${(100 * v.agreement_with_float).toFixed(1)}%`,
            fmt(v.max_abs_diff_vs_float, 4),
          ]),
        )
        .join('')}</table><p class="note">Every file scored on the same ${m.n} test images; Publish ships the smallest whose top-1 is within 1 point of float32's unless told otherwise.</p>`
    : '';
  const cmp = vertexComparison(m);
  const vertex = cmp
    ? `<h2 id="vertex">Vertex AI's own evaluation beside edgewise's</h2>${
        cmp.rows.length
          ? `<table>${row(cmp.header.map(esc), true)}${cmp.rows.map((r) => row(r.map(esc))).join('')}</table><p class="note">Vertex scored the items it held out${m.vertex?.evaluation_name ? ` (${esc(m.vertex.evaluation_name)})` : ''}; edgewise scored splits.csv's test split. Micro-averaged, one-vs-rest over every (image, label) pair.</p>`
          : '<p class="note">vertex_evaluation.json holds no classification metrics: nothing to compare.</p>'
      }`
    : '';
  const perClass = sortWorstFirst(m.per_class)
    .map((r) => row([esc(r.label), fmt(r.f1), fmt(r.precision), fmt(r.recall), String(r.support), String(r.predicted)]))
    .join('');
  const mistakes = m.most_confident_mistakes.length
    ? m.most_confident_mistakes.map((w) => `<tr><td>${(100 * w.confidence).toFixed(1)}%</td><td class="t">${esc(w.image)}</td><td class="t">${esc(w.truth)}</td><td class="t">${esc(w.predicted)}</td><td>${fmt(w.p_truth)}</td></tr>`).join('')
    : row(['none', '', '', '', '']);
  const ts = m.temperature_scaling;
  const defs = Object.entries(m.definitions)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgewise evaluation ${esc(m.version)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:26px 0 8px}
table{border-collapse:collapse;margin:4px 0}td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:right}
td:first-child,th:first-child,td.t,th.t{text-align:left}th{background:#f2f2f2}
.charts{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}figure{margin:0}figcaption{max-width:460px;font-size:12px}
.note{color:#555}.tick{font-size:11px;fill:#444}.axis{font-size:12px;fill:#333}.title{font-size:13px;font-weight:600}.cell{font-size:11px}
.acc{fill:#3b7dd8}.gap{fill:#e05a4f;fill-opacity:.45}.count{fill:#999}
dt{font-weight:600;margin-top:6px}dd{margin:0 0 0 16px;color:#444}
</style></head><body>
<h1>Evaluation of ${esc(m.version)}</h1>
<p class="note">${esc(m.model.path)} · sha256 ${esc(m.model.tflite_sha256.slice(0, 16))}… · ${m.n} test images scored${m.n_unscored ? `, ${m.n_unscored} not scored (labels unknown to the model: ${esc(m.unscored_labels.join(', '))})` : ''} · ${esc(m.created_at)}</p>
<h2>Metrics</h2><table>${metricsRows}</table>
${m.ece_noise ? `<p class="note" id="ece-noise">${esc(m.ece_noise.statement)}</p>` : ''}
${variants}
<p class="note">Temperature fitted on ${ts.n_validation} validation images${ts.nll_validation_before !== null ? `: NLL ${fmt(ts.nll_validation_before)} → ${fmt(ts.nll_validation_after)}` : ''}${ts.note ? ` (${esc(ts.note)})` : ''}.</p>
${vertex}
<h2>Charts</h2><div class="charts">
<figure>${reliabilitySvg(a.reliability, `Reliability, ${a.bins.equal_width} equal-width bins (before temperature)`)}<figcaption class="note">Blue: accuracy per confidence bin; red: gap to the bin's mean confidence; dashed: perfect calibration; grey: images per bin.</figcaption></figure>
<figure>${reliabilitySvg(b.reliability, `Reliability after temperature T = ${fmt(m.temperature, 2)}`).replace('id="reliability"', 'id="reliability-after"')}</figure>
<figure>${confusionSvg(m.confusion_matrix.labels, m.confusion_matrix.matrix)}<figcaption class="note">Rows: true label; columns: predicted; colour: share of the row (blue: correct, red: mistakes); numbers: images.</figcaption></figure>
</div>
<h2>Per class, worst first</h2>
<table>${row(['label', 'F1', 'precision', 'recall', 'support', 'predicted'], true)}${perClass}</table>
<h2>Most confidently wrong</h2>
<table><tr><th>confidence</th><th class="t">image</th><th class="t">true</th><th class="t">predicted</th><th>p(true)</th></tr>${mistakes}</table>
<h2>How each number was computed</h2><dl>${defs}</dl>
</body></html>
`;
}
