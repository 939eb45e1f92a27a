import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyTemperature, equalMassCalibration, equalWidthCalibration, fitTemperature } from '../../src/evaluate/calibration.js';
import { brierScore, classReport, confusionMatrix, negativeLogLikelihood, predictions, topKAccuracy } from '../../src/evaluate/metrics.js';

/**
 * Expected values come from test/evaluate/reference/sklearn_reference.py (scikit-learn 1.2.1 and scipy from
 * Debian), committed as a fixture so this test needs no Python. Regenerate with
 * `/usr/bin/python3 test/evaluate/reference/sklearn_reference.py`.
 */
interface Fixture {
  sklearn_version: string;
  num_classes: number;
  test: { probs: number[][]; truth: number[] };
  validation: { probs: number[][]; truth: number[] };
  expected: {
    top1: number; top2: number; top3: number;
    confusion_matrix: number[][];
    per_class: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
    macro: { precision: number; recall: number; f1: number };
    weighted: { precision: number; recall: number; f1: number };
    nll: number; brier: number; ece_equal_width: number; mce: number; ece_equal_mass: number;
    reliability: Array<{ count: number; accuracy: number | null; confidence: number | null }>;
    temperature: number; nll_validation_before: number; nll_validation_after: number;
    nll_test_after_temperature: number; ece_test_after_temperature: number;
  };
  ties: { probs: number[][]; truth: number[]; top1: number };
}

const fx = JSON.parse(readFileSync(new URL('./reference/sklearn_expected.json', import.meta.url), 'utf8')) as Fixture;
const { probs, truth } = fx.test;
const e = fx.expected;
const close = (a: number, b: number, digits = 12): void => expect(a).toBeCloseTo(b, digits);

describe(`agreement with scikit-learn ${fx.sklearn_version}`, () => {
  it('top-k accuracy (accuracy_score, top_k_accuracy_score)', () => {
    close(topKAccuracy(probs, truth, 1), e.top1);
    close(topKAccuracy(probs, truth, 2), e.top2);
    close(topKAccuracy(probs, truth, 3), e.top3);
    close(topKAccuracy(fx.ties.probs, fx.ties.truth, 1), fx.ties.top1);
  });

  const cm = confusionMatrix(truth, predictions(probs), fx.num_classes);
  const rep = classReport(cm);

  it('confusion_matrix', () => {
    expect(cm).toEqual(e.confusion_matrix);
  });

  it('precision_recall_fscore_support per class (zero_division=0 ↔ our null)', () => {
    rep.perClass.forEach((s, k) => {
      close(s.precision ?? 0, e.per_class.precision[k]!);
      close(s.recall ?? 0, e.per_class.recall[k]!);
      close(s.f1 ?? 0, e.per_class.f1[k]!);
      expect(s.support).toBe(e.per_class.support[k]);
    });
    // The fixture has a class only predicted and one neither true nor predicted.
    expect(rep.perClass.some((s) => s.support === 0 && s.predicted > 0)).toBe(true);
    expect(rep.perClass.some((s) => s.support === 0 && s.predicted === 0)).toBe(true);
  });

  it('macro and weighted averages', () => {
    close(rep.macro.precision, e.macro.precision);
    close(rep.macro.recall, e.macro.recall);
    close(rep.macro.f1, e.macro.f1);
    close(rep.weighted.precision, e.weighted.precision);
    close(rep.weighted.recall, e.weighted.recall);
    close(rep.weighted.f1, e.weighted.f1);
  });

  it('log_loss and brier_score_loss (summed one-vs-rest)', () => {
    close(negativeLogLikelihood(probs, truth), e.nll, 10);
    close(brierScore(probs, truth), e.brier);
  });

  it('ECE (Guo et al. 2017 binning), MCE, reliability bins, equal-mass ECE', () => {
    const ew = equalWidthCalibration(probs, truth);
    close(ew.ece, e.ece_equal_width);
    close(ew.mce, e.mce);
    ew.bins.forEach((b, i) => {
      const r = e.reliability[i]!;
      expect(b.count).toBe(r.count);
      if (r.accuracy === null) expect(b.accuracy).toBeNull();
      else close(b.accuracy!, r.accuracy);
      if (r.confidence !== null) close(b.confidence!, r.confidence);
    });
    close(equalMassCalibration(probs, truth).ece, e.ece_equal_mass);
  });

  it('temperature agrees with scipy minimize_scalar on the validation split', () => {
    const fit = fitTemperature(fx.validation.probs, fx.validation.truth);
    expect(fit.temperature).toBeCloseTo(e.temperature, 4);
    close(fit.nllBefore, e.nll_validation_before, 10);
    close(fit.nllAfter, e.nll_validation_after, 8);
    const scaled = applyTemperature(probs, fit.temperature);
    close(negativeLogLikelihood(scaled, truth), e.nll_test_after_temperature, 5);
    close(equalWidthCalibration(scaled, truth).ece, e.ece_test_after_temperature, 4);
  });
});
