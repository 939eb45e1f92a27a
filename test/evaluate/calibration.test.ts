import { describe, expect, it } from 'vitest';
import { applyTemperature, equalMassCalibration, equalWidthCalibration, fitTemperature } from '../../src/evaluate/calibration.js';
import { negativeLogLikelihood } from '../../src/evaluate/metrics.js';
import { seededRandom } from '../../src/core/random.js';

// conf 0.95 ✓, 0.95 ✗, 0.55 ✓, 0.6 ✓ (0.6 sits exactly on the edge 9/15: it belongs to the lower bin).
const probs = [
  [0.95, 0.05],
  [0.95, 0.05],
  [0.55, 0.45],
  [0.4, 0.6],
];
const truth = [0, 1, 0, 1];

describe('ECE with 15 equal-width bins (hand-computed)', () => {
  const r = equalWidthCalibration(probs, truth);

  it('bins by (lo, hi] and leaves empty bins empty', () => {
    expect(r.bins).toHaveLength(15);
    expect(r.bins[8]).toMatchObject({ count: 2, accuracy: 1 });
    expect(r.bins[8]!.confidence).toBeCloseTo(0.575, 12);
    expect(r.bins[14]).toMatchObject({ count: 2, accuracy: 0.5, confidence: 0.95 });
    const empty = r.bins.filter((_, b) => b !== 8 && b !== 14);
    expect(empty.every((b) => b.count === 0 && b.accuracy === null && b.confidence === null)).toBe(true);
    expect(r.bins[0]!.lo).toBe(0);
    expect(r.bins[14]!.hi).toBe(1);
  });

  it('ECE = Σ n_b/n |acc − conf|, MCE = max gap', () => {
    expect(r.ece).toBeCloseTo(0.5 * 0.425 + 0.5 * 0.45, 12);
    expect(r.mce).toBeCloseTo(0.45, 12);
  });

  it('a perfectly calibrated bin set gives 0', () => {
    // Two samples at 0.5 confidence, one right one wrong.
    expect(equalWidthCalibration([[0.5, 0.5], [0.5, 0.5]], [0, 1]).ece).toBe(0);
  });
});

describe('ECE with equal-mass bins', () => {
  it('uses min(15, n) bins of equal size', () => {
    const r = equalMassCalibration(probs, truth);
    expect(r.bins).toHaveLength(4);
    expect(r.bins.map((b) => b.count)).toEqual([1, 1, 1, 1]);
    // gaps: 0.55→0.45, 0.6→0.4, 0.95✓→0.05, 0.95✗→0.95
    expect(r.ece).toBeCloseTo((0.45 + 0.4 + 0.05 + 0.95) / 4, 12);
  });

  it('two bins split the sorted samples in halves', () => {
    const r = equalMassCalibration(probs, truth, 2);
    expect(r.bins.map((b) => [b.lo, b.hi, b.count])).toEqual([
      [0.55, 0.6, 2],
      [0.95, 0.95, 2],
    ]);
    expect(r.ece).toBeCloseTo(0.4375, 12);
  });
});

/** A seeded generator so the synthetic models are the same on every run. */
const rng: (seed: number) => () => number = seededRandom;

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Truth drawn from softmax(z); the model reports softmax(z · sharpness): over-confident when sharpness > 1. */
function synthetic(n: number, K: number, sharpness: number, seed: number): { probs: number[][]; truth: number[] } {
  const r = rng(seed);
  const probs: number[][] = [];
  const truth: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: K }, () => 1.5 * gauss(r));
    const soft = (zz: number[]): number[] => {
      const m = Math.max(...zz);
      const e = zz.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    const pTrue = soft(z);
    let u = r();
    let y = K - 1;
    for (let k = 0; k < K; k++) {
      u -= pTrue[k]!;
      if (u <= 0) {
        y = k;
        break;
      }
    }
    truth.push(y);
    probs.push(soft(z.map((v) => v * sharpness)));
  }
  return { probs, truth };
}

describe('temperature scaling', () => {
  it('lowers NLL of a deliberately over-confident model, on validation and on held-out test', () => {
    const val = synthetic(600, 5, 3, 1);
    const test = synthetic(600, 5, 3, 2);
    const fit = fitTemperature(val.probs, val.truth);
    // The model is softmax(3z) for truth ~ softmax(z): the right temperature is about 3.
    expect(fit.temperature).toBeGreaterThan(2.3);
    expect(fit.temperature).toBeLessThan(3.8);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
    expect(negativeLogLikelihood(applyTemperature(val.probs, fit.temperature), val.truth)).toBeCloseTo(fit.nllAfter, 9);
    const before = negativeLogLikelihood(test.probs, test.truth);
    const after = negativeLogLikelihood(applyTemperature(test.probs, fit.temperature), test.truth);
    expect(after).toBeLessThan(before - 0.1);
    expect(equalWidthCalibration(applyTemperature(test.probs, fit.temperature), test.truth).ece).toBeLessThan(equalWidthCalibration(test.probs, test.truth).ece);
  });

  it('finds T < 1 for an under-confident model', () => {
    const val = synthetic(600, 4, 0.4, 3);
    const fit = fitTemperature(val.probs, val.truth);
    expect(fit.temperature).toBeLessThan(0.7);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore);
  });

  it('never raises the NLL on the split it was fitted on', () => {
    const cases = [
      ...[0.3, 0.7, 1, 1.3, 4].map((s, i) => synthetic(150, 3, s, 10 + i)),
      // tiny and degenerate cases
      { probs: [[0.5, 0.5]], truth: [0] },
      { probs: [[1, 0], [0, 1]], truth: [0, 1] },
      { probs: [[1, 0], [0, 1]], truth: [1, 0] },
      { probs: [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], truth: [0, 1] },
    ];
    for (const c of cases) {
      const fit = fitTemperature(c.probs, c.truth);
      const before = negativeLogLikelihood(applyTemperature(c.probs, 1), c.truth);
      const after = negativeLogLikelihood(applyTemperature(c.probs, fit.temperature), c.truth);
      expect(after).toBeLessThanOrEqual(before + 1e-12);
      expect(fit.nllAfter).toBeLessThanOrEqual(fit.nllBefore);
    }
  });

  it('keeps T = 1 when there is nothing to fit on', () => {
    const fit = fitTemperature([], []);
    expect(fit.temperature).toBe(1);
    expect(fit.note).toMatch(/no validation/);
    // All predictions uniform: every T gives the same NLL, so T stays 1.
    expect(fitTemperature([[0.5, 0.5], [0.5, 0.5]], [0, 1]).temperature).toBe(1);
  });

  it('applyTemperature keeps the ranking and sums to 1', () => {
    const p = applyTemperature([[0.7, 0.2, 0.1]], 2)[0]!;
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[0]).toBeGreaterThan(p[1]!);
    expect(p[0]).toBeLessThan(0.7);
  });
});

describe('temperature scaling with zero probabilities (uint8-quantized outputs)', () => {
  it('keeps zeros at zero, like p^(1/T) in the app', () => {
    const p = applyTemperature([[0.75, 0.25, 0]], 2)[0]!;
    expect(p[2]).toBe(0);
    expect(p[0]).toBeCloseTo(Math.sqrt(0.75) / (Math.sqrt(0.75) + Math.sqrt(0.25)), 12);
  });

  it('T = 1 returns the model numbers untouched (not renormalised)', () => {
    expect(applyTemperature([[0.5, 0.49]], 1)).toEqual([[0.5, 0.49]]);
  });

  it('a true class at probability 0 adds a constant and does not break the fit', () => {
    const val = synthetic(300, 4, 3, 21);
    const withZero = { probs: [...val.probs, [1, 0, 0, 0]], truth: [...val.truth, 1] };
    const a = fitTemperature(val.probs, val.truth);
    const b = fitTemperature(withZero.probs, withZero.truth);
    expect(Number.isFinite(b.nllBefore)).toBe(true);
    expect(b.temperature).toBeCloseTo(a.temperature, 3);
    expect(b.nllAfter).toBeLessThan(b.nllBefore);
  });
});

describe('temperature scaling on separable validation data', () => {
  it('keeps T = 1 when every validation image is right (the NLL falls all the way to the range edge)', () => {
    const probs = [[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]];
    const fit = fitTemperature(probs, [0, 1, 0, 1]);
    expect(fit.temperature).toBe(1);
    expect(fit.note).toMatch(/keeps falling toward T = 0.05/);
    expect(fit.nllAfter).toBe(fit.nllBefore);
  });
});
