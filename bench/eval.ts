import { fitTemperature, nllAtTemperature, logProbs } from '../src/evaluate/calibration.js';
import { renderHtmlReport } from '../src/evaluate/html-report.js';
import { thresholdView } from '../src/evaluate/risk-coverage.js';
import { buildMetrics } from '../src/evaluate/summary.js';
import { renderTerminalReport } from '../src/evaluate/terminal-report.js';
import type { PredictionsFile } from '../src/evaluate/types.js';
import { seededRandom } from '../src/core/random.js';

/**
 * Cost of everything `edgewise eval` computes after inference, as ratios against baselines run in the same
 * process:
 *  1. buildMetrics (all metrics + temperature fit) + both reports vs JSON.stringify of the predictions file
 *     (work the step must do anyway);
 *  2. the temperature fit vs one NLL evaluation over the validation split (= how many evaluations it costs).
 * Usage: node dist/bench/eval.js [images per split=20000] [classes=50]
 */
const N = Number(process.argv[2] ?? 20_000);
const K = Number(process.argv[3] ?? 50);

const rng: (seed: number) => () => number = seededRandom;

function split(seed: number): PredictionsFile['test'] {
  const r = rng(seed);
  const images: string[] = [];
  const truth: number[] = [];
  const probs: number[][] = [];
  for (let i = 0; i < N; i++) {
    const t = Math.floor(r() * K);
    const z = Array.from({ length: K }, (_, k) => 3 * (r() - 0.5) + (k === t ? 2.5 : 0));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(2 * (v - m)));
    const s = e.reduce((a, b) => a + b, 0);
    images.push(`img_${seed}_${i}.jpg`);
    truth.push(t);
    probs.push(e.map((v) => v / s));
  }
  return { images, truth, probs };
}

function time(fn: () => unknown, reps: number): number {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / reps;
}

const pred: PredictionsFile = { version: 'v001', labels: Array.from({ length: K }, (_, k) => `class_${k}`), temperature: 1, test: split(1), validation: split(2) };
const reps = 3;
const stringify = time(() => JSON.stringify(pred, null, 2), reps);
let metrics = buildMetrics(pred, { modelPath: 'm', tfliteSha256: '0' });
const all = time(() => {
  metrics = buildMetrics(pred, { modelPath: 'm', tfliteSha256: '0' });
  renderHtmlReport(metrics, { thresholds: thresholdView(pred, { evaluatedAt: metrics.created_at }) });
  renderTerminalReport(metrics);
}, reps);
const z = logProbs(pred.validation.probs);
const oneNll = time(() => nllAtTemperature(z, pred.validation.truth, 1.5), reps);
const fit = time(() => fitTemperature(pred.validation.probs, pred.validation.truth), reps);

console.log(`eval bench: ${N} test + ${N} validation predictions, ${K} classes (T fitted = ${metrics.temperature.toFixed(3)})`);
console.log(`  metrics + temperature + both reports: ${all.toFixed(0)} ms = ${(all / stringify).toFixed(2)}× JSON.stringify of the predictions file (${stringify.toFixed(0)} ms)`);
console.log(`  temperature fit: ${fit.toFixed(0)} ms = ${(fit / oneNll).toFixed(1)}× one validation NLL evaluation (${oneNll.toFixed(1)} ms)`);
