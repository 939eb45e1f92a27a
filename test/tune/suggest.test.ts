import { describe, expect, it } from 'vitest';
import { bruteForceMetrics } from '../../src/tune/brute-force.js';
import { ThresholdEngine } from '../../src/tune/engine.js';
import { scoreNegatives, scoreRows } from '../../src/tune/predictions.js';
import { paretoFrontier, suggest } from '../../src/tune/suggest.js';
import { randomNegatives, randomRows, rng } from './random-predictions.js';

/** Every grid setting evaluated by the brute force (the slow, obviously right way). */
function bruteGrid(seed: number, n: number, k: number, negatives: number) {
  const r = rng(seed);
  const { probs, truth } = randomRows(r, n, k);
  const labels = Array.from({ length: k }, (_, i) => `c${i}`);
  const scored = scoreRows(probs, truth, 1.2);
  const neg = negatives > 0 ? scoreNegatives(randomNegatives(r, negatives, k), 1.2) : undefined;
  const all = [];
  for (let ti = 0; ti <= 100; ti++) {
    for (let mi = 0; mi <= 100; mi++) {
      const m = bruteForceMetrics(labels, scored, ti / 100, mi / 100, neg);
      all.push({ ti, mi, m });
    }
  }
  return { engine: new ThresholdEngine(labels, scored, neg), all };
}

describe('suggest', () => {
  const grids = [bruteGrid(11, 300, 4, 0), bruteGrid(12, 300, 6, 120)];
  const targets = [0.5, 0.8, 0.9, 0.95, 0.99];
  for (const [gi, g] of grids.entries()) {
    for (const target of targets) {
      for (const maxFar of [undefined, 0.3, 0.05]) {
        it(`is the brute-force optimum (grid ${gi}, target ${target}, max FAR ${maxFar ?? '-'})`, () => {
          const feasible = g.all.filter(({ m }) => {
            if (m.accepted === 0 || m.correct / m.accepted < target) return false;
            if (maxFar !== undefined && m.negatives && m.negatives.n > 0 && m.negatives.accepted / m.negatives.n > maxFar) return false;
            return true;
          });
          const s = suggest(g.engine, { targetAccuracy: target, ...(maxFar === undefined ? {} : { maxFalseAccept: maxFar }) });
          if (feasible.length === 0) {
            expect(s).toBeUndefined();
            return;
          }
          // Optimal: highest coverage; ties by accuracy, then false accepts, then the simplest: lowest margin, then tau.
          feasible.sort(
            (a, b) =>
              b.m.accepted - a.m.accepted ||
              b.m.correct / b.m.accepted - a.m.correct / a.m.accepted ||
              (a.m.negatives?.accepted ?? 0) - (b.m.negatives?.accepted ?? 0) ||
              a.mi - b.mi ||
              a.ti - b.ti,
          );
          const best = feasible[0]!;
          // Then the middle of the run of taus (at that margin) with exactly the same outcome.
          const key = (x: { m: { accepted: number; correct: number; negatives?: { accepted: number } } }) => `${x.m.accepted}/${x.m.correct}/${x.m.negatives?.accepted ?? 0}`;
          let hi = best.ti;
          while (hi < 100 && key(g.all[(hi + 1) * 101 + best.mi]!) === key(best)) hi++;
          expect(s).toBeDefined();
          expect(s!.coverage).toBe(best.m.coverage);
          // Taus below 1/K change nothing (p1 >= 1/K): the run is centred from 1/K up.
          const floor = Math.min(hi, Math.max(best.ti, Math.ceil(100 / g.engine.labels.length)));
          expect([s!.ti, s!.mi]).toEqual([Math.floor((floor + hi) / 2), best.mi]);
          expect(s!.accepted).toBe(best.m.accepted);
          expect(s!.correct).toBe(best.m.correct);
          expect(s!.selectiveAccuracy).toBeGreaterThanOrEqual(target);
        });
      }
    }
  }

  it('returns nothing when the target cannot be reached', () => {
    const g = grids[0]!;
    expect(suggest(g.engine, { targetAccuracy: 1.01 })).toBeUndefined();
  });
});

describe('paretoFrontier', () => {
  it('holds exactly the non-dominated (coverage, accuracy) outcomes of the grid', () => {
    const g = bruteGrid(13, 300, 4, 0);
    const outcomes = new Map<string, { accepted: number; correct: number }>();
    for (const { m } of g.all) if (m.accepted > 0) outcomes.set(`${m.accepted}/${m.correct}`, { accepted: m.accepted, correct: m.correct });
    const list = [...outcomes.values()];
    const dominated = (a: { accepted: number; correct: number }) =>
      list.some((b) => {
        const accB = b.correct / b.accepted;
        const accA = a.correct / a.accepted;
        return b.accepted >= a.accepted && accB >= accA && (b.accepted > a.accepted || accB > accA);
      });
    const want = list.filter((a) => !dominated(a)).map((a) => `${a.accepted}/${a.correct}`).sort();
    const front = paretoFrontier(g.engine);
    expect(front.map((s) => `${s.accepted}/${s.correct}`).sort()).toEqual(want);
    // Sorted by coverage ascending, accuracy descending along it.
    for (let i = 1; i < front.length; i++) {
      expect(front[i]!.coverage).toBeGreaterThan(front[i - 1]!.coverage);
      expect(front[i]!.selectiveAccuracy).toBeLessThan(front[i - 1]!.selectiveAccuracy);
    }
    expect(front.length).toBeGreaterThan(2);
  });
});

describe('suggest with two classes', () => {
  it('never suggests a tau below 1/2, where it would change nothing', () => {
    // Every prediction right and confident: every tau up to 0.9 gives the same outcome.
    const probs = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? [0.95, 0.05] : [0.05, 0.95]));
    const truth = probs.map((_, i) => i % 2);
    const engine = new ThresholdEngine(['ants', 'bees'], scoreRows(probs, truth, 1));
    const s = suggest(engine, { targetAccuracy: 0.95 })!;
    expect(s.coverage).toBe(1);
    expect(s.tau).toBeGreaterThanOrEqual(0.5);
    expect(s.tau).toBeLessThanOrEqual(0.95);
  });
});

describe('suggest prefers the simplest setting', () => {
  it('drops a margin that the chosen tau makes pointless (same coverage and accuracy without it)', () => {
    // Right answers are confident (0.90 vs 0.05); wrong ones are close calls (0.50 vs 0.45). Either a tau
    // above 0.50 or a margin above 0.05 leaves the wrong ones out: the suggestion needs only the tau.
    const probs = Array.from({ length: 40 }, (_, i) => (i % 10 === 0 ? [0.5, 0.45, 0.05] : [0.9, 0.05, 0.05]));
    const truth = probs.map((_, i) => (i % 10 === 0 ? 1 : 0));
    const labels = ['a', 'b', 'c'];
    const scored = scoreRows(probs, truth, 1);
    const engine = new ThresholdEngine(labels, scored);
    const s = suggest(engine, { targetAccuracy: 0.95 })!;
    expect(s.margin).toBe(0);
    expect(s.tau).toBeGreaterThan(0.5);
    // The oracle agrees: the setting answers the 36 right ones and nothing else.
    const m = bruteForceMetrics(labels, scored, s.tau, s.margin);
    expect([m.accepted, m.correct]).toEqual([36, 36]);
    // And no setting on the grid answers more at that accuracy.
    for (let ti = 0; ti <= 100; ti++) for (let mi = 0; mi <= 100; mi += 5) {
      const o = bruteForceMetrics(labels, scored, ti / 100, mi / 100);
      if (o.accepted > 36) expect(o.correct / o.accepted).toBeLessThan(0.95);
    }
  });
});
