import { describe, expect, it } from 'vitest';
import { eceNoiseRange, eceNoiseSentence, equalWidthCalibration } from '../../src/evaluate/calibration.js';
import { defaultVariant, scoreVariant, type VariantMetrics } from '../../src/evaluate/variants.js';
import { seededRandom } from '../../src/core/random.js';

/** n two-class predictions with top-1 confidence `conf(i)`, correct with probability `hit(conf)`. */
function sample(n: number, seed: number, conf: (r: () => number) => number, hit: (c: number) => number): { probs: number[][]; truth: number[] } {
  const r = seededRandom(seed);
  const probs: number[][] = [];
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = conf(r);
    probs.push([c, 1 - c]);
    truth.push(r() < hit(c) ? 0 : 1);
  }
  return { probs, truth };
}

describe('ECE noise range (what a perfectly calibrated model shows on this many images)', () => {
  it('is wide on ~130 images and narrow on thousands; the same seed gives the same range', () => {
    const small = sample(130, 1, (r) => 0.55 + 0.44 * r(), (c) => c);
    const large = sample(5000, 1, (r) => 0.55 + 0.44 * r(), (c) => c);
    const a = eceNoiseRange(small.probs, small.truth);
    const b = eceNoiseRange(large.probs, large.truth);
    expect(a.p05).toBeLessThan(a.p50);
    expect(a.p50).toBeLessThan(a.p95);
    // The figure: about 0.08 on ~130 images; far less on 5000.
    expect(a.p50).toBeGreaterThan(0.04);
    expect(b.p95).toBeLessThan(a.p05 + 0.02);
    expect(eceNoiseRange(small.probs, small.truth)).toEqual(a);
    expect(a.measured).toBe(equalWidthCalibration(small.probs, small.truth).ece);
  });

  it('calls a calibrated model "inside" and an overconfident one "above", in plain words', () => {
    const calibrated = sample(400, 7, (r) => 0.55 + 0.44 * r(), (c) => c);
    const r1 = eceNoiseRange(calibrated.probs, calibrated.truth);
    expect(r1.verdict).toBe('inside');
    expect(eceNoiseSentence(r1, 400)).toMatch(/^ECE 0\.\d{3} is inside the noise range: a perfectly calibrated model with the same confidences would show ECE 0\.\d{3}–0\.\d{3} on these 400 images/);
    const overconfident = sample(400, 7, (r) => 0.9 + 0.09 * r(), () => 0.7);
    const r2 = eceNoiseRange(overconfident.probs, overconfident.truth);
    expect(r2.verdict).toBe('above');
    expect(eceNoiseSentence(r2, 400)).toMatch(/is ABOVE the noise range/);
  });
});

describe('model variants side by side', () => {
  const v = (name: string, size: number, top1: number): VariantMetrics => ({
    name, file: `${name}.tflite`, quantization: name === 'float32' ? 'none' : name, input_dtype: 'float32', size_bytes: size, sha256: name,
    n: 100, top1, top3: 1, ece: 0.05, ms_per_image: 1, agreement_with_float: 1, max_abs_diff_vs_float: 0,
  });
  it('defaults to the smallest file within 1 point of float32 top-1', () => {
    expect(defaultVariant([v('float32', 100, 0.75), v('int8-weights', 30, 0.745), v('int8', 35, 0.75)])!.name).toBe('int8-weights');
    expect(defaultVariant([v('float32', 100, 0.75), v('int8-weights', 30, 0.735), v('int8', 35, 0.741)])!.name).toBe('int8');
    expect(defaultVariant([v('float32', 100, 0.75), v('int8-weights', 30, 0.70), v('int8', 35, 0.73)])!.name).toBe('float32');
  });
  it('scores a variant against float32 on the same images', () => {
    const float = [[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]];
    const q = [[0.85, 0.15], [0.55, 0.45], [0.2, 0.8]];
    const s = scoreVariant({ name: 'int8', file: 'model_int8.tflite', quantization: 'int8', input_dtype: 'uint8', size_bytes: 1, sha256: 'x', ms_per_image: 2 }, q, [0, 1, 1], float);
    expect(s.top1).toBeCloseTo(2 / 3, 9);
    expect(s.agreement_with_float).toBeCloseTo(2 / 3, 9);
    expect(s.max_abs_diff_vs_float).toBeCloseTo(0.15, 9);
  });
});
