import type { ReliabilityBin } from './calibration.js';
import type { CurvePoint, ThresholdView } from './risk-coverage.js';
import { sortWorstFirst, vertexComparison } from './terminal-report.js';
import { decimal, percent } from '../core/text.js';
import type { MetricsFile } from './types.js';

/**
 * A single self-contained HTML file (inline CSS and SVG, thumbnails as data: URIs, no script, nothing
 * fetched: its Content-Security-Policy forbids it) with the terminal report's content, the risk–coverage
 * curve with the saved thresholds, and thumbnails of the most confident mistakes, to share with people who
 * are not in the terminal. Labels and file names are untrusted: everything drawn from data is escaped.
 */

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const n2 = (x: number): string => (Math.round(x * 100) / 100).toString();

/** A legend row of swatches (SVG). Each item: the swatch's markup at (x, y) and its text. */
function legend(items: ReadonlyArray<{ swatch: (x: number, y: number) => string; text: string }>, x0: number, y0: number, colW: number, perRow: number): string {
  return `<g class="legend">${items
    .map((it, i) => {
      const x = x0 + (i % perRow) * colW;
      const y = y0 + Math.floor(i / perRow) * 17;
      return `<g class="legend-item">${it.swatch(x, y - 9)}<text x="${x + 22}" y="${y}" class="tick">${esc(it.text)}</text></g>`;
    })
    .join('')}</g>`;
}

const swatchRect = (cls: string, attrs = ''): ((x: number, y: number) => string) => (x, y) => `<rect class="${cls}" x="${x}" y="${y}" width="16" height="10"${attrs}/>`;
const swatchLine = (attrs: string): ((x: number, y: number) => string) => (x, y) => `<line x1="${x}" y1="${y + 5}" x2="${x + 16}" y2="${y + 5}" ${attrs}/>`;

/** Reliability diagram: accuracy bars per bin, the diagonal, the gap to mean confidence, counts below, a legend. */
export function reliabilitySvg(bins: readonly ReliabilityBin[], title: string, id = 'reliability'): string {
  const W = 460, H = 348, L = 50, T = 10, PW = 380, PH = 200, HH = 40;
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
      parts.push(`<rect class="acc" x="${n2(bx)}" y="${n2(y(b.accuracy))}" width="${n2(bw)}" height="${n2(b.accuracy * PH)}"><title>${n2(b.lo)}–${n2(b.hi)}: accuracy ${decimal(b.accuracy)}, confidence ${decimal(b.confidence)}, n=${b.count}</title></rect>`);
      parts.push(`<rect class="gap" x="${n2(bx)}" y="${n2(y(top))}" width="${n2(bw)}" height="${n2((top - bottom) * PH)}"/>`);
    }
    const hh = (b.count / maxCount) * (HH - 6);
    parts.push(`<rect class="count" x="${n2(bx)}" y="${n2(T + PH + HH - hh)}" width="${n2(bw)}" height="${n2(hh)}"><title>n=${b.count}</title></rect>`);
  }
  parts.push(`<text x="${L - 6}" y="${T + PH + HH - 4}" text-anchor="end" class="tick">n</text>`);
  parts.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#444" stroke-dasharray="5,4"/>`);
  parts.push(`<text x="${L + PW / 2}" y="${T + PH + HH + 34}" text-anchor="middle" class="axis">confidence (max probability)</text>`);
  parts.push(`<text x="14" y="${T + PH / 2}" text-anchor="middle" class="axis" transform="rotate(-90 14 ${T + PH / 2})">accuracy</text>`);
  parts.push(
    legend(
      [
        { swatch: swatchRect('acc'), text: 'accuracy of the images in the bin' },
        { swatch: swatchRect('gap'), text: "gap to the mean confidence (purple over a bar)" },
        { swatch: swatchLine('stroke="#444" stroke-dasharray="5,4"'), text: 'perfect calibration' },
        { swatch: swatchRect('count'), text: 'images per bin (strip below)' },
      ],
      L - 40, H - 22, 220, 2,
    ),
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" id="${esc(id)}" role="img" aria-label="${esc(title)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg>`;
}

/** A risk bound above every drawn point, from a short list of round numbers. */
function riskScale(max: number): number {
  return [0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1].find((v) => v >= max * 1.05) ?? 1;
}

/**
 * Risk–coverage chart: the share of answered images that are wrong against the share answered, for every
 * tau (margin 0); with saved thresholds, their point, and their margin's curve when it is above 0.
 */
export function riskCoverageSvg(v: ThresholdView): string {
  const W = 520, H = 340, L = 56, T = 10, PW = 440, PH = 220;
  const c = v.chosen;
  const target = c?.saved.target;
  const top = riskScale(Math.max(0, ...v.curve.map((p) => p.risk), ...(c?.margin_curve ?? []).map((p) => p.risk), c && c.selective_accuracy !== null ? 1 - c.selective_accuracy : 0, target !== undefined ? 1 - target : 0));
  const x = (cov: number): number => L + cov * PW;
  const y = (risk: number): number => T + (1 - risk / top) * PH;
  const path = (pts: readonly CurvePoint[]): string => pts.map((p) => `${n2(x(p.coverage))},${n2(y(p.risk))}`).join(' ');
  const parts: string[] = [];
  parts.push(`<rect x="${L}" y="${T}" width="${PW}" height="${PH}" fill="#fafafa" stroke="#999"/>`);
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${n2(x(t))}" y1="${T}" x2="${n2(x(t))}" y2="${T + PH}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${n2(x(t))}" y="${T + PH + 16}" text-anchor="middle" class="tick">${100 * t}%</text>`);
    const r = t * top;
    parts.push(`<line x1="${L}" y1="${n2(y(r))}" x2="${L + PW}" y2="${n2(y(r))}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${L - 6}" y="${n2(y(r) + 4)}" text-anchor="end" class="tick">${n2(100 * r)}%</text>`);
  }
  const items: Array<{ swatch: (x: number, y: number) => string; text: string }> = [];
  parts.push(`<polyline id="rc-curve" class="rc" points="${path(v.curve)}"/>`);
  items.push({ swatch: swatchLine('class="rc"'), text: 'every tau, margin 0' });
  if (c?.margin_curve?.length) {
    parts.push(`<polyline id="rc-margin-curve" class="rc-margin" points="${path(c.margin_curve)}"/>`);
    items.push({ swatch: swatchLine('class="rc-margin"'), text: `every tau, margin ${c.margin.toFixed(2)}` });
  }
  if (target !== undefined) {
    parts.push(`<line id="rc-target" class="rc-target" x1="${L}" y1="${n2(y(1 - target))}" x2="${L + PW}" y2="${n2(y(1 - target))}"/>`);
    items.push({ swatch: swatchLine('class="rc-target"'), text: `target: ${percent(target)} selective accuracy` });
  }
  if (c && c.answered > 0 && c.selective_accuracy !== null) {
    const cx = x(c.coverage), cy = y(1 - c.selective_accuracy);
    parts.push(`<circle id="rc-chosen" class="rc-chosen" cx="${n2(cx)}" cy="${n2(cy)}" r="6"><title>tau ${c.tau.toFixed(2)}, margin ${c.margin.toFixed(2)}: coverage ${percent(c.coverage)}, selective accuracy ${percent(c.selective_accuracy)}</title></circle>`);
    const right = cx > L + PW * 0.6;
    parts.push(`<text x="${n2(right ? cx - 10 : cx + 10)}" y="${n2(Math.max(T + 12, cy - 10))}" text-anchor="${right ? 'end' : 'start'}" class="tick">tau ${c.tau.toFixed(2)} · margin ${c.margin.toFixed(2)}</text>`);
    items.push({ swatch: (sx, sy) => `<circle class="rc-chosen" cx="${sx + 8}" cy="${sy + 5}" r="5"/>`, text: 'saved thresholds' });
  } else if (c) {
    parts.push(`<text id="rc-chosen-none" x="${L + 8}" y="${T + 16}" class="warn-text">tau ${c.tau.toFixed(2)} · margin ${c.margin.toFixed(2)} answers no test image: no point to mark</text>`);
  }
  parts.push(`<text x="${L + PW / 2}" y="${T + PH + 34}" text-anchor="middle" class="axis">coverage (share of test images answered)</text>`);
  parts.push(`<text x="14" y="${T + PH / 2}" text-anchor="middle" class="axis" transform="rotate(-90 14 ${T + PH / 2})">risk (share of answers wrong)</text>`);
  parts.push(legend(items, L - 40, H - 40, 250, 2));
  return `<svg xmlns="http://www.w3.org/2000/svg" id="risk-coverage" role="img" aria-label="risk against coverage" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg>`;
}

/** Confusion heatmap: cell colour = share of the true class's images, cell text = count. */
export function confusionSvg(labels: readonly string[], matrix: readonly (readonly number[])[]): string {
  const K = labels.length;
  const cell = Math.max(14, Math.min(44, Math.floor(520 / Math.max(1, K))));
  const labelW = Math.min(160, 12 + 7 * Math.max(...labels.map((l) => l.length)));
  const L = labelW + 28, T = labelW + 28;
  const W = Math.max(L + K * cell + 10, 480), H = T + K * cell + 58;
  const shade = (hue: number, share: number): string => `hsl(${hue},70%,${Math.round(97 - share * 62)}%)`;
  const parts: string[] = [];
  parts.push(`<text x="${L + (K * cell) / 2}" y="14" text-anchor="middle" class="axis">predicted label</text>`);
  parts.push(`<text x="14" y="${T + (K * cell) / 2}" text-anchor="middle" class="axis" transform="rotate(-90 14 ${T + (K * cell) / 2})">true label</text>`);
  labels.forEach((lab, k) => {
    parts.push(`<text x="${L - 6}" y="${n2(T + k * cell + cell / 2 + 4)}" text-anchor="end" class="tick">${esc(lab)}</text>`);
    const cx = L + k * cell + cell / 2;
    parts.push(`<text x="${n2(cx)}" y="${T - 6}" class="tick" transform="rotate(-60 ${n2(cx)} ${T - 6})">${esc(lab)}</text>`);
  });
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => {
      const share = total > 0 ? v / total : 0;
      parts.push(`<rect x="${L + j * cell}" y="${T + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="${shade(i === j ? 210 : 10, share)}"><title>true ${esc(labels[i]!)} → predicted ${esc(labels[j]!)}: ${v}${total ? ` (${percent(share)})` : ''}</title></rect>`);
      if (cell >= 22 && v > 0) parts.push(`<text x="${L + j * cell + cell / 2}" y="${T + i * cell + cell / 2 + 4}" text-anchor="middle" class="cell" fill="${share > 0.55 ? '#fff' : '#222'}">${v}</text>`);
    });
  });
  // Legend: the two colour series, light to dark = 0 % to 100 % of the true label's images.
  const steps = [0.1, 0.4, 0.7, 1];
  const ramp = (hue: number) => (sx: number, sy: number): string =>
    steps.map((v, k) => `<rect x="${sx + k * 5}" y="${sy}" width="5" height="10" fill="${shade(hue, v)}"/>`).join('');
  parts.push(
    legend(
      [
        { swatch: ramp(210), text: 'correct (diagonal)' },
        { swatch: ramp(10), text: 'mistaken for the column' },
      ],
      8, H - 30, 200, 2,
    ),
  );
  parts.push(`<text x="8" y="${H - 6}" class="tick">darker: a larger share of the true label's images; numbers: images</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" id="confusion" role="img" aria-label="confusion matrix" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg>`;
}

/** The file names' thumbnails: image (as in splits.csv) → data:image/jpeg URI made by report-file.ts. */
export type Thumbnails = Readonly<Record<string, string>>;

const DATA_URI = /^data:image\/(?:jpeg|webp|png);base64,[A-Za-z0-9+/]+=*$/;

/** Which thresholds the report shows, where they come from, and what ships. */
function thresholdsSection(m: MetricsFile, v: ThresholdView): string {
  const c = v.chosen;
  const when = esc(v.rendered_at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
  let live = '';
  if (!v.live) live = `Nothing was published when this report was written (${when}): <code>edgewise publish</code> ships a model and its thresholds.`;
  else if (v.live.run !== m.version) live = `When this report was written (${when}) the app got ${esc(v.live.version)}, trained as run ${esc(v.live.run)}, not this run.`;
  else if (c && Math.abs(v.live.tau - c.tau) < 5e-7 && Math.abs(v.live.margin - c.margin) < 5e-7) live = `When this report was written (${when}) the live ${esc(v.live.version)} shipped these thresholds.`;
  else live = `When this report was written (${when}) the live ${esc(v.live.version)} shipped tau ${v.live.tau.toFixed(2)}, margin ${v.live.margin.toFixed(2)}${c ? ': <code>edgewise publish</code> ships the saved ones' : ''}.`;
  const curveNote = `<p class="note">Risk–coverage on the ${v.n} scored test images, after temperature (as tune scores them): each point is a tau, the app answering only images whose top probability reaches it. AURC ${decimal(v.aurc)} (lower is better).</p>`;
  if (!c) {
    return `<h2 id="thresholds">Thresholds</h2><p id="thresholds-status"><strong>Not tuned yet</strong>: no thresholds are saved for ${esc(m.version)}. <code>edgewise tune</code> chooses tau and margin and redraws this report with the chosen point. ${live}</p>${curveNote}`;
  }
  const s = c.saved;
  const rows = [
    ['tau (answer only when the top probability ≥ tau)', c.tau.toFixed(2)],
    ['margin (… and it beats the runner-up by ≥ margin)', c.margin.toFixed(2)],
    [`coverage (test images answered)`, `${percent(c.coverage)} (${c.answered} of ${v.n})`],
    ['selective accuracy (answers that are right)', percent(c.selective_accuracy)],
    ...(s.target !== undefined ? [['target selective accuracy', percent(s.target)]] : []),
    ['chosen on / measured on', `${esc(s.tuned_on)} / test`],
  ]
    .map(([k, val]) => `<tr><td>${k}</td><td>${val}</td></tr>`)
    .join('');
  const stale = c.saved_before_eval
    ? `<p class="warn" id="thresholds-stale">These thresholds were saved before this evaluation (${esc(m.created_at)}): the numbers above are measured again on it, but they were chosen on older predictions. Run <code>edgewise tune</code> again.</p>`
    : '';
  return `<h2 id="thresholds">Thresholds</h2><p id="thresholds-status">Shown: the thresholds <strong>saved</strong> by <code>edgewise tune</code> in ${esc(s.path)} at ${esc(s.saved_at)}. Saving does not ship them. ${live}</p><table id="thresholds-table">${rows}</table>${stale}${curveNote}`;
}

/** The most confident mistakes as cards: thumbnail, predicted and true labels, confidence, file name. */
function mistakesSection(m: MetricsFile, thumbs: Thumbnails): string {
  if (!m.most_confident_mistakes.length) return '<p class="note">No mistakes on the test split.</p>';
  const cards = m.most_confident_mistakes
    .map((w) => {
      const uri = thumbs[w.image];
      const img = uri && DATA_URI.test(uri) ? `<img src="${uri}" alt="${esc(w.image)}">` : '<div class="noimg">no preview</div>';
      return `<figure class="mistake">${img}<figcaption><div>predicted <b>${esc(w.predicted)}</b> ${percent(w.confidence)}</div><div>true <b>${esc(w.truth)}</b> p ${decimal(w.p_truth)}</div><div class="file">${esc(w.image)}</div></figcaption></figure>`;
    })
    .join('');
  return `<div class="mistakes">${cards}</div><p class="note">The test images the model got wrong with the highest confidence: predicted label and its probability, the true label and the probability given to it.</p>`;
}

export interface HtmlReportExtras {
  /** The risk–coverage curve and the saved thresholds (risk-coverage.ts). */
  thresholds: ThresholdView;
  thumbnails?: Thumbnails;
}

export function renderHtmlReport(m: MetricsFile, extras: HtmlReportExtras): string {
  const a = m.calibration;
  const b = m.calibration_after_temperature;
  const row = (cells: string[], th = false): string => `<tr>${cells.map((c) => (th ? `<th>${c}</th>` : `<td>${c}</td>`)).join('')}</tr>`;
  const metricsRows = [
    row(['metric', 'model', `after temperature T = ${decimal(m.temperature, 3)}`], true),
    row(['n (test images scored)', String(m.n), '']),
    row(['top-1 accuracy', decimal(m.top1), '']),
    row(['top-3 accuracy', decimal(m.top3), '']),
    row([`ECE, ${a.bins.equal_width} equal-width bins`, decimal(a.ece_equal_width), decimal(b.ece_equal_width)]),
    row([`ECE, ${a.bins.equal_mass} equal-mass bins`, decimal(a.ece_equal_mass), decimal(b.ece_equal_mass)]),
    row(['MCE', decimal(a.mce), decimal(b.mce)]),
    row(['NLL', decimal(a.nll), decimal(b.nll)]),
    row(['Brier (multiclass, 0–2)', decimal(a.brier), decimal(b.brier)]),
    row(['macro precision / recall / F1', `${decimal(m.macro.precision)} / ${decimal(m.macro.recall)} / ${decimal(m.macro.f1)}`, '']),
    row(['weighted precision / recall / F1', `${decimal(m.weighted.precision)} / ${decimal(m.weighted.recall)} / ${decimal(m.weighted.f1)}`, '']),
  ].join('');
  const vs = m.variants ?? [];
  const variants = vs.length
    ? `<h2>Model files</h2><table>${row(['file', 'quantization', 'input', 'top-1', 'top-3', 'ECE', 'size', 'ms per image (LiteRT)', 'same top-1 as float32', 'max |Δp| vs float32'], true)}${vs
        .map((v) =>
          row([
            `${esc(v.file)}${v.name === m.default_variant ? ' (Publish default)' : ''}`,
            esc(v.quantization),
            esc(v.input_dtype),
            decimal(v.top1),
            decimal(v.top3),
            decimal(v.ece),
            `${(v.size_bytes / 1e6).toFixed(2)} MB`,
            decimal(v.ms_per_image, 1),
            percent(v.agreement_with_float),
            decimal(v.max_abs_diff_vs_float, 4),
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
    .map((r) => row([esc(r.label), decimal(r.f1), decimal(r.precision), decimal(r.recall), String(r.support), String(r.predicted)]))
    .join('');
  const ts = m.temperature_scaling;
  const relTitle = `Reliability, ${a.bins.equal_width} equal-width bins (before temperature)`;
  const relAfterTitle = `Reliability after temperature T = ${decimal(m.temperature, 2)}`;
  const defs = Object.entries(m.definitions)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>edgewise evaluation ${esc(m.version)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:26px 0 8px}
table{border-collapse:collapse;margin:4px 0}td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:right}
td:first-child,th:first-child,td.t,th.t{text-align:left}th{background:#f2f2f2}
.charts{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}figure{margin:0}figcaption{max-width:460px;font-size:12px}
.note{color:#555}.tick{font-size:11px;fill:#444}.axis{font-size:12px;fill:#333}.title{font-size:13px;font-weight:600}.cell{font-size:11px}
.acc{fill:#3b7dd8}.gap{fill:#e05a4f;fill-opacity:.45}.count{fill:#999}h3{font-size:14px;margin:0 0 4px}
.rc{fill:none;stroke:#3b7dd8;stroke-width:2}.rc-margin{fill:none;stroke:#e08a1e;stroke-width:2;stroke-dasharray:6,3}.rc-target{stroke:#555;stroke-dasharray:2,3}
.rc-chosen{fill:#d62f7a;stroke:#fff;stroke-width:1.5}.warn{color:#a23}.warn-text{font-size:12px;fill:#a23}code{background:#f2f2f2;padding:0 3px}
.mistakes{display:flex;flex-wrap:wrap;gap:12px}.mistake{width:150px;font-size:12px}.mistake img,.noimg{display:block;max-width:128px;max-height:128px;border:1px solid #ccc}
.noimg{width:96px;height:64px;line-height:64px;text-align:center;color:#777;background:#f4f4f4}.file{color:#555;word-break:break-all}
dt{font-weight:600;margin-top:6px}dd{margin:0 0 0 16px;color:#444}
</style></head><body>
<h1>Evaluation of ${esc(m.version)}</h1>
<p class="note">${esc(m.model.path)} · sha256 ${esc(m.model.tflite_sha256.slice(0, 16))}… · ${m.n} test images scored${m.n_unscored ? `, ${m.n_unscored} not scored (labels unknown to the model: ${esc(m.unscored_labels.join(', '))})` : ''} · ${esc(m.created_at)}</p>
<h2>Metrics</h2><table>${metricsRows}</table>
${m.ece_noise ? `<p class="note" id="ece-noise">${esc(m.ece_noise.statement)}</p>` : ''}
${variants}
<p class="note">Temperature fitted on ${ts.n_validation} validation images${ts.nll_validation_before !== null ? `: NLL ${decimal(ts.nll_validation_before)} → ${decimal(ts.nll_validation_after)}` : ''}${ts.note ? ` (${esc(ts.note)})` : ''}.</p>
${vertex}
${thresholdsSection(m, extras.thresholds)}
<div class="charts"><figure><h3>Risk against coverage (test)</h3>${riskCoverageSvg(extras.thresholds)}</figure></div>
<h2>Charts</h2><div class="charts">
<figure><h3>${esc(relTitle)}</h3>${reliabilitySvg(a.reliability, relTitle)}</figure>
<figure><h3>${esc(relAfterTitle)}</h3>${reliabilitySvg(b.reliability, relAfterTitle, 'reliability-after')}</figure>
<figure><h3>Confusion matrix (test)</h3>${confusionSvg(m.confusion_matrix.labels, m.confusion_matrix.matrix)}</figure>
</div>
<h2>Per class, worst first</h2>
<table>${row(['label', 'F1', 'precision', 'recall', 'support', 'predicted'], true)}${perClass}</table>
<h2 id="mistakes">Most confidently wrong</h2>
${mistakesSection(m, extras.thumbnails ?? {})}
<h2>How each number was computed</h2><dl>${defs}</dl>
</body></html>
`;
}
