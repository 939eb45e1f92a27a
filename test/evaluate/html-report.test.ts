import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/evaluate/html-report.js';
import { makeThumbnails } from '../../src/evaluate/report-file.js';
import { thresholdView } from '../../src/evaluate/risk-coverage.js';
import { buildMetrics } from '../../src/evaluate/summary.js';
import type { PredictionsFile } from '../../src/evaluate/types.js';
import { bruteForceMetrics } from '../../src/tune/brute-force.js';
import { scorePredictions } from '../../src/tune/predictions.js';
import type { ThresholdsFile } from '../../src/tune/save.js';
import { CHROMIUM, openInChromium } from '../helpers/chromium.js';

/** Three classes: "ant" always right and sure (its confusion row is one dark-blue cell), the others mixed. */
function predictionsFile(): PredictionsFile {
  const labels = ['ant', 'bee', '<wasp & co>'];
  const split = (offset: number): PredictionsFile['test'] => {
    const images: string[] = [];
    const truth: number[] = [];
    const probs: number[][] = [];
    for (let i = 0; i < 60; i++) {
      const t = i % 3;
      images.push(`${labels[t]}_${offset + i}.jpg`);
      truth.push(t);
      if (t === 0) probs.push([0.97, 0.02, 0.01]);
      else {
        const wrong = (i * 7 + offset) % 4 === 0;
        const top = wrong ? 3 - t : t;
        const p = [0.02, 0.02, 0.02];
        p[top] = 0.9 + ((i % 5) * 0.01);
        p[3 - top] = 1 - p[top]! - 0.02;
        probs.push(p);
      }
    }
    return { images, truth, probs };
  };
  return { version: 'v007', labels, temperature: 1, test: split(0), validation: split(1) };
}


/** Pixels within ±tol of an RGB colour. */
async function countColour(png: string | Buffer, rgb: [number, number, number], tol = 4): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    if (Math.abs(data[i]! - rgb[0]) <= tol && Math.abs(data[i + 1]! - rgb[1]) <= tol && Math.abs(data[i + 2]! - rgb[2]) <= tol) n++;
  }
  return n;
}

const CREATED = '2026-01-01T00:00:00Z';
const saved = (over: Partial<ThresholdsFile> = {}): ThresholdsFile & { path: string } => ({
  version: 'v007', tau: 0.93, margin: 0.05, temperature: 1, coverage: 0, selective_accuracy: null, top1: 0, target: 0.95,
  saved_at: '2026-01-02T00:00:00.000Z', tuned_on: 'validation', measured_on: 'test', n: 60, path: 'ml/metrics/thresholds_v007.json', ...over,
});

const dirs: string[] = [];
afterAll(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** An images folder holding a small photo-like PNG for each test image, plus a file that is no image. */
async function imagesFolder(images: readonly string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'edgewise-thumbs-'));
  dirs.push(dir);
  for (const [i, name] of images.entries()) {
    const w = 300 + (i % 3) * 100;
    const raw = Buffer.alloc(w * 200 * 3);
    for (let p = 0; p < w * 200; p++) {
      raw[p * 3] = (p * 7 + i * 40) & 255;
      raw[p * 3 + 1] = ((p / w) * 3) & 255;
      raw[p * 3 + 2] = 90 + i * 10;
    }
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), await sharp(raw, { raw: { width: w, height: 200, channels: 3 } }).png().toBuffer());
  }
  return dir;
}

describe('HTML report', () => {
  const pred = predictionsFile();
  const metrics = buildMetrics(pred, { modelPath: 'ml/models/v007/model.tflite', tfliteSha256: 'ab'.repeat(32), createdAt: CREATED });
  const untuned = thresholdView(pred, { evaluatedAt: CREATED });
  const html = renderHtmlReport(metrics, { thresholds: untuned });

  it('is self-contained and escapes labels and file names', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" id="reliability"');
    expect(html).toContain('id="confusion"');
    expect(html).toContain('&lt;wasp &amp; co&gt;');
    expect(html).not.toContain('<wasp');
    // File names of the mistakes are shown, escaped.
    expect(html).toMatch(/<div class="file">&lt;wasp &amp; co&gt;_\d+\.jpg<\/div>/);
    // No script and nothing fetched: the only URL is the SVG namespace, and the page's policy forbids loads.
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
    expect(html.match(/https?:\/\/[^"]+/g)!.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`);
  });

  it('gives every chart a heading, axis labels and a legend for every series', () => {
    const figures = [...html.matchAll(/<figure><h3>([^<]+)<\/h3><svg[^>]* id="([^"]+)"[\s\S]*?<\/svg><\/figure>/g)];
    expect(figures.map((f) => f[2])).toEqual(['risk-coverage', 'reliability', 'reliability-after', 'confusion']);
    expect(figures.map((f) => f[1])).toEqual([
      'Risk against coverage (test)',
      'Reliability, 15 equal-width bins (before temperature)',
      'Reliability after temperature T = 1.00'.replace('1.00', metrics.temperature.toFixed(2)),
      'Confusion matrix (test)',
    ]);
    const legendOf = (svg: string): string[] => [...svg.matchAll(/<g class="legend-item">.*?<text[^>]*>([^<]+)<\/text><\/g>/g)].map((m) => m[1]!);
    const svgOf = (id: string): string => figures.find((f) => f[2] === id)![0];
    expect(legendOf(svgOf('reliability'))).toEqual(['accuracy of the images in the bin', 'gap to the mean confidence (purple over a bar)', 'perfect calibration', 'images per bin (strip below)']);
    expect(legendOf(svgOf('reliability-after'))).toHaveLength(4);
    expect(legendOf(svgOf('confusion'))).toEqual(['correct (diagonal)', 'mistaken for the column']);
    expect(legendOf(svgOf('risk-coverage'))).toEqual(['every tau, margin 0']);
    for (const [id, axes] of [
      ['reliability', ['confidence (max probability)', 'accuracy']],
      ['confusion', ['predicted label', 'true label']],
      ['risk-coverage', ['coverage (share of test images answered)', 'risk (share of answers wrong)']],
    ] as const) {
      for (const a of axes) expect(svgOf(id)).toMatch(new RegExp(`class="axis"[^>]*>${a.replace(/[()]/g, '\\$&')}</text>`));
    }
  });

  it('says "not tuned yet" and draws the risk–coverage curve when no thresholds are saved', () => {
    expect(html).toMatch(/<p id="thresholds-status"><strong>Not tuned yet<\/strong>: no thresholds are saved for v007\./);
    expect(html).toContain('Nothing was published when this report was written');
    expect(html).not.toContain('id="rc-chosen"');
    // The curve: one point per distinct top probability, coverage rising to 1, risk as the tune engine computes it.
    const pts = /<polyline id="rc-curve" class="rc" points="([^"]+)"/.exec(html)![1]!.split(' ');
    expect(pts.length).toBe(untuned.curve.length);
    expect(untuned.curve.at(-1)!.coverage).toBe(1);
    const test = scorePredictions(pred).splits.test;
    const all = bruteForceMetrics(pred.labels, test, 0, 0);
    expect(untuned.curve.at(-1)!.risk).toBeCloseTo(1 - all.selectiveAccuracy!, 12);
  });

  it('shows the saved thresholds: tau, margin, coverage, selective accuracy, and their point on the curve', () => {
    const view = thresholdView(pred, { evaluatedAt: CREATED, saved: saved() });
    const out = renderHtmlReport(metrics, { thresholds: view });
    const want = bruteForceMetrics(pred.labels, scorePredictions(pred).splits.test, 0.93, 0.05);
    expect(view.chosen).toMatchObject({ tau: 0.93, margin: 0.05, coverage: want.coverage, selective_accuracy: want.selectiveAccuracy, answered: want.accepted, saved_before_eval: false });
    expect(out).toContain('Shown: the thresholds <strong>saved</strong> by <code>edgewise tune</code> in ml/metrics/thresholds_v007.json at 2026-01-02T00:00:00.000Z.');
    const table = /<table id="thresholds-table">([\s\S]*?)<\/table>/.exec(out)![1]!;
    expect(table).toContain('<td>0.93</td>');
    expect(table).toContain('<td>0.05</td>');
    expect(table).toContain(`<td>${(100 * want.coverage).toFixed(1)}% (${want.accepted} of 60)</td>`);
    expect(table).toContain(`<td>${(100 * want.selectiveAccuracy!).toFixed(1)}%</td>`);
    expect(table).toContain('<td>95.0%</td>'); // the target
    // The marker sits at (coverage, 1 − selective accuracy) in the chart's coordinates.
    const c = /<circle id="rc-chosen" class="rc-chosen" cx="([\d.]+)" cy="([\d.]+)"/.exec(out)!;
    expect(Number(c[1])).toBeCloseTo(56 + want.coverage * 440, 1);
    expect(out).toContain('id="rc-margin-curve"');
    expect(out).toContain('id="rc-target"');
    const legend = [.../<svg[^>]* id="risk-coverage"[\s\S]*?<\/svg>/.exec(out)![0].matchAll(/<g class="legend-item">.*?<text[^>]*>([^<]+)<\/text><\/g>/g)].map((m) => m[1]);
    expect(legend).toEqual(['every tau, margin 0', 'every tau, margin 0.05', 'target: 95.0% selective accuracy', 'saved thresholds']);
    expect(out).not.toContain('thresholds-stale');
  });

  it('says so when the saved thresholds answer no test image (no point to mark)', () => {
    const out = renderHtmlReport(metrics, { thresholds: thresholdView(pred, { evaluatedAt: CREATED, saved: saved({ tau: 1, margin: 0 }) }) });
    expect(out).not.toContain('id="rc-chosen"');
    expect(out).toContain('<text id="rc-chosen-none"');
    expect(out).toContain('<td>0.0% (0 of 60)</td>');
  });

  it('says what is live, and warns when the thresholds were saved before this evaluation', () => {
    const live = { version: 'v003', run: 'v007', tau: 0.5, margin: 0, temperature: 1 };
    const a = renderHtmlReport(metrics, { thresholds: thresholdView(pred, { evaluatedAt: CREATED, saved: saved(), live }) });
    expect(a).toMatch(/the live v003 shipped tau 0\.50, margin 0\.00: <code>edgewise publish<\/code> ships the saved ones\./);
    const b = renderHtmlReport(metrics, { thresholds: thresholdView(pred, { evaluatedAt: CREATED, saved: saved(), live: { ...live, tau: 0.93, margin: 0.05 } }) });
    expect(b).toMatch(/the live v003 shipped these thresholds\./);
    const c = renderHtmlReport(metrics, { thresholds: thresholdView(pred, { evaluatedAt: CREATED, saved: saved({ saved_at: '2025-12-31T00:00:00.000Z' }) }) });
    expect(c).toContain('id="thresholds-stale"');
  });

  it('shows the most confident mistakes as thumbnails with their labels; only data: image URIs are embedded', () => {
    const [first, second] = metrics.most_confident_mistakes;
    const out = renderHtmlReport(metrics, { thresholds: untuned, thumbnails: { [first!.image]: 'data:image/jpeg;base64,/9j/AAAA', [second!.image]: 'https://example.com/x.jpg' } });
    const cards = [...out.matchAll(/<figure class="mistake">([\s\S]*?)<\/figure>/g)].map((m) => m[1]!);
    expect(cards).toHaveLength(metrics.most_confident_mistakes.length);
    expect(cards[0]).toMatch(/^<img src="data:image\/jpeg;base64,\/9j\/AAAA" alt="[^"]+">/);
    expect(cards[0]).toContain(`predicted <b>${first!.predicted.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</b> ${(100 * first!.confidence).toFixed(1)}%`);
    expect(cards[1]).toMatch(/^<div class="noimg">no preview<\/div>/);
    expect(out).not.toContain('example.com');
  });

  it('makes small JPEG thumbnails, only of images inside the images folder', async () => {
    const names = metrics.most_confident_mistakes.map((w) => w.image);
    const dir = await imagesFolder(names);
    writeFileSync(join(dir, names[1]!), 'not an image');
    const outside = mkdtempSync(join(tmpdir(), 'edgewise-outside-'));
    dirs.push(outside);
    writeFileSync(join(outside, 'secret.png'), await sharp({ create: { width: 20, height: 20, channels: 3, background: '#f00' } }).png().toBuffer());
    const thumbs = await makeThumbnails(dir, [...names, `../${outside.split('/').pop()}/secret.png`]);
    expect(Object.keys(thumbs).sort()).toEqual(names.filter((n) => n !== names[1]).sort());
    for (const uri of Object.values(thumbs)) {
      const bytes = Buffer.from(uri.replace('data:image/jpeg;base64,', ''), 'base64');
      const meta = await sharp(bytes).metadata();
      expect(meta.format).toBe('jpeg');
      expect(Math.max(meta.width!, meta.height!)).toBe(128);
      expect(bytes.length).toBeLessThan(16_000);
    }
  });

  // Needs Debian's `chromium` (CI installs it). Deliberately fails, not skips, when it is missing.
  it('renders in headless Chromium without errors, and the screenshot shows both charts', async () => {
    expect(CHROMIUM, 'Debian package `chromium` is required for this test (apt-get install -y chromium)').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'edgewise-html-'));
    try {
      const page = join(dir, 'report.html');
      const png = join(dir, 'shot.png');
      writeFileSync(page, html);
      const { stderr } = await promisify(execFile)(
        CHROMIUM!,
        [
          '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'profile')}`, '--enable-logging=stderr', '--v=0',
          `--screenshot=${png}`, '--window-size=1200,2400', `file://${page}`,
        ],
        { timeout: 90_000 },
      );
      // Page problems (console errors, failed loads) show up as CONSOLE / net errors in Chromium's log.
      expect(stderr).not.toMatch(/CONSOLE|Uncaught|net::ERR_/);
      expect(existsSync(png)).toBe(true);
      // Reliability chart: its accuracy bars are #3b7dd8. Confusion chart: ant's all-correct cell is hsl(210,70%,35%) = rgb(27,89,152).
      expect(await countColour(png, [0x3b, 0x7d, 0xd8])).toBeGreaterThan(2000);
      expect(await countColour(png, [27, 89, 152])).toBeGreaterThan(800);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in headless Chromium: headings, legends, axis labels, the curve, the chosen point and the thumbnails are visible; no console error, no request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgewise-html-'));
    dirs.push(dir);
    const thumbnails = await makeThumbnails(await imagesFolder(metrics.most_confident_mistakes.map((w) => w.image)), metrics.most_confident_mistakes.map((w) => w.image));
    const page = join(dir, 'report.html');
    writeFileSync(page, renderHtmlReport(metrics, { thresholds: thresholdView(pred, { evaluatedAt: CREATED, saved: saved() }), thumbnails }));
    const browser = await openInChromium(`file://${page}`, { width: 1200, height: 900 });
    try {
      // Visible: in the layout, not hidden, with a size (SVG text and shapes included).
      type Seen = { n: number; visible: number; texts: string[] };
      const seen = await browser.evaluate<Record<'headings' | 'legend' | 'axes' | 'curve' | 'marginCurve' | 'chosen' | 'table' | 'thumbs' | 'captions' | 'decoded', Seen>>(`(() => {
        const visible = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e); return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && Number(s.opacity) > 0; };
        const q = (sel) => { const els = [...document.querySelectorAll(sel)]; return { n: els.length, visible: els.filter(visible).length, texts: els.map((e) => e.textContent.trim()) }; };
        return {
          headings: q('figure > h3'), legend: q('svg .legend-item'), axes: q('svg text.axis'), curve: q('#rc-curve'), marginCurve: q('#rc-margin-curve'),
          chosen: q('#rc-chosen'), table: q('#thresholds-table td'), thumbs: q('.mistake img'), captions: q('.mistake figcaption'),
          decoded: { n: [...document.images].filter((i) => i.complete && i.naturalWidth > 0).length, visible: 0, texts: [] },
        };
      })()`);
      expect(seen.headings).toMatchObject({ n: 4, visible: 4 });
      expect(seen.legend.n).toBe(4 + 4 + 2 + 4);
      expect(seen.legend.visible).toBe(seen.legend.n);
      expect(seen.axes.visible).toBe(8);
      expect(seen.axes.texts).toEqual(expect.arrayContaining(['coverage (share of test images answered)', 'risk (share of answers wrong)', 'predicted label', 'true label']));
      expect(seen.curve).toMatchObject({ n: 1, visible: 1 });
      expect(seen.marginCurve).toMatchObject({ n: 1, visible: 1 });
      expect(seen.chosen).toMatchObject({ n: 1, visible: 1 });
      expect(seen.table.texts).toContain('0.93');
      expect(seen.thumbs).toMatchObject({ n: metrics.most_confident_mistakes.length, visible: metrics.most_confident_mistakes.length });
      expect(seen.decoded.n).toBe(metrics.most_confident_mistakes.length);
      expect(seen.captions.texts[0]).toContain(`true ${metrics.most_confident_mistakes[0]!.truth}`);
      expect(browser.problems).toEqual([]);
      // Only the page itself and its own data: URIs were loaded.
      expect(browser.requests.filter((u) => u !== `file://${page}` && !u.startsWith('data:image/jpeg;base64,'))).toEqual([]);
      // The screenshot shows the chosen point's colour (#d62f7a) and the curve's (#3b7dd8).
      const shot = await browser.screenshot();
      expect(await countColour(shot, [0xd6, 0x2f, 0x7a], 6)).toBeGreaterThan(40);
    } finally {
      await browser.close();
    }
  });
});
