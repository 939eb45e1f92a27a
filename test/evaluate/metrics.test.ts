import { describe, expect, it } from 'vitest';
import { argmax, brierScore, classReport, confusionMatrix, LOG_EPS, microAveragePrecision, microPrecisionRecallAt, negativeLogLikelihood, predictions, rankOf, splitKnown, topKAccuracy } from '../../src/evaluate/metrics.js';

describe('ranking and top-k (hand-computed)', () => {
  it('breaks ties toward the lower label index', () => {
    expect(argmax([0.4, 0.4, 0.2])).toBe(0);
    expect(argmax([0.2, 0.4, 0.4])).toBe(1);
    expect(rankOf([0.3, 0.3, 0.4], 1)).toBe(3);
    expect(rankOf([0.3, 0.3, 0.4], 0)).toBe(2);
  });

  it('counts top-1, top-2 and top-3 with ties', () => {
    const probs = [
      [0.5, 0.3, 0.2], // truth 0: rank 1
      [0.2, 0.5, 0.3], // truth 0: rank 3
      [0.3, 0.3, 0.4], // truth 1: 0.4 above, tied 0.3 at a lower index above: rank 3
    ];
    const truth = [0, 0, 1];
    expect(topKAccuracy(probs, truth, 1)).toBeCloseTo(1 / 3, 12);
    expect(topKAccuracy(probs, truth, 2)).toBeCloseTo(1 / 3, 12);
    expect(topKAccuracy(probs, truth, 3)).toBe(1);
    // k beyond the number of classes: everything is a hit.
    expect(topKAccuracy(probs, truth, 5)).toBe(1);
    expect(topKAccuracy([], [], 1)).toBeNaN();
  });
});

describe('confusion matrix and per-class scores', () => {
  // truth [0,0,1,1], predicted [0,1,1,2]; class 2 only predicted (absent from the truth); class 3 absent from both.
  const cm = confusionMatrix([0, 0, 1, 1], [0, 1, 1, 2], 4);

  it('puts truth on rows and predictions on columns', () => {
    expect(cm).toEqual([
      [1, 1, 0, 0],
      [0, 1, 1, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('computes precision, recall, F1, support; null where 0/0', () => {
    const r = classReport(cm);
    const [c0, c1, c2, c3] = r.perClass;
    expect(c0).toMatchObject({ precision: 1, recall: 0.5, support: 2, predicted: 1 });
    expect(c0!.f1).toBeCloseTo(2 / 3, 12);
    expect(c1).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2, predicted: 2 });
    // Predicted once, never true: precision 0, recall undefined, F1 = 2·0/(0+1+0) = 0.
    expect(c2).toMatchObject({ precision: 0, recall: null, f1: 0, support: 0, predicted: 1 });
    expect(c3).toMatchObject({ precision: null, recall: null, f1: null, support: 0, predicted: 0 });
  });

  it('averages: macro over classes in truth or predictions, weighted by support', () => {
    const r = classReport(cm);
    expect(r.macro.classes).toBe(3);
    expect(r.macro.precision).toBeCloseTo((1 + 0.5 + 0) / 3, 12);
    expect(r.macro.recall).toBeCloseTo((0.5 + 0.5 + 0) / 3, 12);
    expect(r.macro.f1).toBeCloseTo((2 / 3 + 0.5 + 0) / 3, 12);
    expect(r.weighted.classes).toBe(2);
    expect(r.weighted.precision).toBeCloseTo(0.75, 12);
    expect(r.weighted.recall).toBeCloseTo(0.5, 12);
    expect(r.weighted.f1).toBeCloseTo(7 / 12, 12);
  });

  it('predictions are argmax per row', () => {
    expect(predictions([[0.1, 0.9], [0.5, 0.5]])).toEqual([1, 0]);
  });
});

describe('NLL and Brier', () => {
  it('NLL is mean −ln p(true)', () => {
    expect(negativeLogLikelihood([[0.5, 0.5], [0.25, 0.75]], [0, 1])).toBeCloseTo((Math.log(2) + Math.log(4 / 3)) / 2, 12);
  });

  it('clips a zero probability (quantized outputs) instead of returning Infinity', () => {
    expect(negativeLogLikelihood([[1, 0]], [1])).toBeCloseTo(-Math.log(LOG_EPS), 9);
    expect(negativeLogLikelihood([[1, 0]], [0])).toBeCloseTo(-Math.log(1 - LOG_EPS), 20);
  });

  it('Brier sums squared errors over classes', () => {
    expect(brierScore([[1, 0], [0.5, 0.5]], [0, 0])).toBeCloseTo(0.25, 12);
    expect(brierScore([[0, 1, 0]], [0])).toBe(2);
  });

  it('drops samples whose label the model lacks', () => {
    const s = splitKnown([[1, 0], [0, 1], [0.5, 0.5]], [0, -1, 1]);
    expect(s.truth).toEqual([0, 1]);
    expect(s.probs).toEqual([[1, 0], [0.5, 0.5]]);
    expect(s.unknown).toBe(1);
  });
});

describe('micro-averaged one-vs-rest (Vertex-style) numbers, hand-computed', () => {
  // Pairs by score: 0.8✗ 0.7✓ 0.6✗ 0.4✓ 0.3✗ 0.2✓ → AP = ⅓·½ + ⅓·½ + ⅓·½ = 0.5
  const probs = [
    [0.7, 0.3],
    [0.4, 0.6],
    [0.8, 0.2],
  ];
  const truth = [0, 0, 1];
  it('average precision over every (sample, class) pair', () => {
    expect(microAveragePrecision(probs, truth)).toBeCloseTo(0.5, 12);
    expect(microAveragePrecision([[1, 0], [0, 1]], [0, 1])).toBeCloseTo(1, 12);
  });
  it('tied scores enter together (no credit for the order of ties)', () => {
    expect(microAveragePrecision([[0.5, 0.5]], [0])).toBeCloseTo(0.5, 12);
    expect(microAveragePrecision([[0.5, 0.5]], [1])).toBeCloseTo(0.5, 12);
  });
  it('precision and recall at a confidence threshold', () => {
    expect(microPrecisionRecallAt(probs, truth, 0.5)).toEqual({ precision: 1 / 3, recall: 1 / 3 });
    expect(microPrecisionRecallAt(probs, truth, 0.9)).toEqual({ precision: null, recall: 0 });
    expect(microPrecisionRecallAt([], [], 0.5)).toEqual({ precision: null, recall: null });
  });
});
