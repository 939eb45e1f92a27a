import { describe, expect, it } from 'vitest';
import { bruteForceMetrics } from '../../src/tune/brute-force.js';
import { ThresholdEngine } from '../../src/tune/engine.js';
import { bucketOf, gridIndexOf } from '../../src/tune/grid.js';
import { scoreNegatives, scoreRows } from '../../src/tune/predictions.js';
import { applyTemperature } from '../../src/tune/temperature.js';
import { applyTemperature as evalApplyTemperature } from '../../src/evaluate/calibration.js';
import { randomNegatives, randomRows, rng } from './random-predictions.js';

function dataset(seed: number, n: number, k: number, temperature = 1, negatives = 0) {
  const r = rng(seed);
  const { probs, truth } = randomRows(r, n, k);
  const labels = Array.from({ length: k }, (_, i) => `class_${i}`);
  const scored = scoreRows(probs, truth, temperature);
  const neg = negatives > 0 ? scoreNegatives(randomNegatives(r, negatives, k), temperature) : undefined;
  return { labels, scored, neg, r };
}

describe('grid helpers', () => {
  it('bucketOf gives the largest k with k/100 <= v, including values on the grid', () => {
    for (let k = 0; k <= 100; k++) {
      expect(bucketOf(k / 100)).toBe(k);
      const below = (k / 100) - 1e-12;
      if (k > 0) expect(bucketOf(below)).toBe(k - 1);
    }
    expect(bucketOf(0.07)).toBe(7);
    expect(bucketOf(0.29)).toBe(29); // 0.29 * 100 = 28.999999999999996
    expect(bucketOf(-0.1)).toBe(-1);
    expect(gridIndexOf(0.29)).toBe(29);
    expect(gridIndexOf(0.295)).toBeUndefined();
  });
});

describe('temperature', () => {
  it('equals p^(1/T) renormalised', () => {
    const p = [0.7, 0.2, 0.1, 0];
    for (const T of [0.5, 1, 1.7, 3]) {
      const got = applyTemperature(p, T);
      const pow = p.map((v) => Math.pow(v, 1 / T));
      const s = pow.reduce((a, b) => a + b, 0);
      pow.forEach((v, i) => expect(got[i]).toBeCloseTo(v / s, 12));
    }
  });
  it('agrees bit for bit with evaluation\'s temperature scaling (same numbers in metrics and tuning)', () => {
    const r = rng(77);
    const { probs } = randomRows(r, 200, 5);
    for (const T of [0.6, 1, 1.37, 2.5]) {
      const theirs = evalApplyTemperature(probs, T);
      probs.forEach((row, i) => expect(Array.from(applyTemperature(row, T))).toEqual(theirs[i]));
    }
  });
  it('T > 1 flattens and T < 1 sharpens the top probability', () => {
    const p = [0.7, 0.2, 0.1];
    expect(applyTemperature(p, 2)[0]!).toBeLessThan(0.7);
    expect(applyTemperature(p, 0.5)[0]!).toBeGreaterThan(0.7);
  });
});

describe('ThresholdEngine agrees with brute force', () => {
  const cases = [
    { seed: 1, n: 400, k: 3, T: 1, neg: 0 },
    { seed: 2, n: 700, k: 5, T: 1.6, neg: 150 },
    { seed: 3, n: 250, k: 10, T: 0.7, neg: 60 },
  ];
  for (const c of cases) {
    it(`every metric at every grid setting (seed ${c.seed}, n=${c.n}, k=${c.k}, T=${c.T})`, () => {
      const { labels, scored, neg } = dataset(c.seed, c.n, c.k, c.T, c.neg);
      const engine = new ThresholdEngine(labels, scored, neg);
      let checked = 0;
      for (let ti = 0; ti <= 100; ti++) {
        for (let mi = 0; mi <= 100; mi++) {
          const tau = ti / 100;
          const margin = mi / 100;
          const want = bruteForceMetrics(labels, scored, tau, margin, neg);
          // Per-class on a subsample (it is the costly part of the brute force); headline numbers everywhere.
          const withClasses = (ti * 7 + mi) % 13 === 0;
          const got = engine.at(tau, margin, { perClass: withClasses });
          const { perClass: wantClasses, ...wantHead } = want;
          const { perClass: gotClasses, ...gotHead } = got;
          expect(gotHead).toEqual(wantHead);
          if (withClasses) expect(gotClasses).toEqual(wantClasses);
          checked++;
        }
      }
      expect(checked).toBe(101 * 101);
    });
  }

  it('off-grid settings (typed values like 0.555) are exact too', () => {
    const { labels, scored, neg, r } = dataset(4, 600, 4, 1.3, 100);
    const engine = new ThresholdEngine(labels, scored, neg);
    const taus = [0.555, 0.3333, 0.999, 0.0001, ...Array.from({ length: 40 }, () => r())];
    for (const tau of taus) {
      const margin = r() * 0.6;
      expect(engine.at(tau, margin, { perClass: true })).toEqual(bruteForceMetrics(labels, scored, tau, margin, neg));
    }
    // Thresholds equal to an image's own p1 / margin: the >= boundary.
    for (let i = 0; i < 30; i++) {
      const tau = scored.p1[i]!;
      const margin = scored.p1[i]! - scored.p2[i]!;
      expect(engine.at(tau, margin, { perClass: true })).toEqual(bruteForceMetrics(labels, scored, tau, margin, neg));
    }
  });

  it('the metrics behave: coverage falls as tau rises; confident mistakes = answered - correct', () => {
    const { labels, scored } = dataset(5, 500, 4);
    const engine = new ThresholdEngine(labels, scored);
    let prev = Infinity;
    for (let ti = 0; ti <= 100; ti++) {
      const m = engine.at(ti / 100, 0.1);
      expect(m.accepted).toBeLessThanOrEqual(prev);
      expect(m.confidentMistakes).toBe(m.accepted - m.correct);
      prev = m.accepted;
    }
    expect(engine.at(0, 0).coverage).toBe(1);
  });
});

describe('risk–coverage curve and AURC', () => {
  it('matches a recomputation at every distinct p1 threshold, ties entering together', () => {
    const { labels, scored } = dataset(6, 500, 4, 1);
    const engine = new ThresholdEngine(labels, scored);
    const { points, aurc } = engine.riskCoverage();
    const distinct = [...new Set(scored.p1)].sort((a, b) => b - a);
    expect(points.map((p) => p.threshold)).toEqual(distinct);
    let prevCoverage = 0;
    let area = 0;
    for (const p of points) {
      const m = bruteForceMetrics(labels, scored, p.threshold, 0);
      expect(p.coverage).toBeCloseTo(m.coverage, 12);
      expect(p.risk).toBeCloseTo(1 - m.selectiveAccuracy!, 12);
      area += (p.coverage - prevCoverage) * p.risk;
      prevCoverage = p.coverage;
    }
    expect(prevCoverage).toBeCloseTo(1, 12);
    expect(aurc).toBeCloseTo(area, 10);
  });

  it('without ties AURC is the mean risk over k = 1..n', () => {
    const n = 200;
    const r = rng(9);
    const p1 = Float64Array.from({ length: n }, () => 0.34 + r() * 0.66);
    const p2 = p1.map((v) => (1 - v) / 2);
    const truth = Int32Array.from({ length: n }, () => (r() < 0.8 ? 0 : 1));
    const pred = new Int32Array(n);
    const engine = new ThresholdEngine(['a', 'b', 'c'], { p1, p2, truth, pred });
    const order = [...p1.keys()].sort((a, b) => p1[b]! - p1[a]!);
    let errors = 0;
    let sum = 0;
    order.forEach((idx, k) => {
      if (truth[idx] !== 0) errors++;
      sum += errors / (k + 1);
    });
    expect(engine.riskCoverage().aurc).toBeCloseTo(sum / n, 12);
  });
});
