import { sha256 } from '../core/hash.js';
import { applyTemperature, DEFAULT_BINS, eceNoiseRange, eceNoiseSentence, equalMassCalibration, equalWidthCalibration, fitTemperature } from './calibration.js';
import { brierScore, classReport, confusionMatrix, negativeLogLikelihood, predictions, topKAccuracy, type Matrix } from './metrics.js';
import type { CalibrationBlock, ConfidentMistake, MetricsFile, PredictionsFile } from './types.js';

export const DEFINITIONS: Record<string, string> = {
  top1: 'fraction of scored test images whose true label has the highest probability (ties: lower label index first, as numpy argmax)',
  top3: 'fraction whose true label is among the 3 highest probabilities (same tie rule)',
  ece_noise: 'the ECE a perfectly calibrated model with the same top-1 confidences shows on this many images: correctness drawn as Bernoulli(confidence) per image, same 15 equal-width bins, 1,000 seeded draws; 5th–95th percentile. A measured ECE inside that range is indistinguishable from sampling noise',
  ece: 'expected calibration error of the top-1 prediction (Guo et al. 2017): Σ_b (n_b/n)·|accuracy_b − mean confidence_b|; confidence = max probability; 15 equal-width bins (lo, hi] on [0,1]; empty bins contribute 0',
  ece_equal_mass: 'the same with 15 equal-mass bins: images sorted by confidence, split into 15 groups of (nearly) equal size',
  mce: 'maximum |accuracy_b − confidence_b| over the non-empty equal-width bins',
  nll: 'mean −ln p(true label), p clipped to [2.2e-16, 1 − 2.2e-16], rows not renormalised (scikit-learn log_loss)',
  brier: 'multiclass Brier score: mean over images of Σ_k (p_k − y_k)², y one-hot, range [0,2] (= Σ_k of scikit-learn brier_score_loss(y==k, p_k))',
  per_class: 'precision TP/(TP+FP), recall TP/(TP+FN), F1 2TP/(2TP+FP+FN); null when 0/0',
  macro: 'unweighted mean over classes present in the test truth or the predictions; null counts as 0 (scikit-learn zero_division=0)',
  weighted: 'mean weighted by support; null counts as 0',
  temperature: 'one temperature T, applied as p^(1/T) renormalised = softmax(log p / T) (zeros stay 0), fitted on the validation split by minimising NLL; kept at 1 (probabilities untouched) unless it lowers validation NLL',
  unscored: 'test images whose label is not among the model labels are not scored (no probability exists for them)',
};

function calibrationBlock(probs: Matrix, truth: readonly number[]): CalibrationBlock & { ew: ReturnType<typeof equalWidthCalibration>; em: ReturnType<typeof equalMassCalibration> } {
  const ew = equalWidthCalibration(probs, truth, DEFAULT_BINS);
  const em = equalMassCalibration(probs, truth, DEFAULT_BINS);
  return { ece_equal_width: ew.ece, ece_equal_mass: em.ece, mce: ew.mce, nll: negativeLogLikelihood(probs, truth), brier: brierScore(probs, truth), ew, em };
}

/** Scored rows only (truth ≥ 0), with their images. */
function scored(split: PredictionsFile['test']): { images: string[]; probs: number[][]; truth: number[] } {
  const images: string[] = [];
  const probs: number[][] = [];
  const truth: number[] = [];
  split.truth.forEach((t, i) => {
    if (t >= 0) {
      images.push(split.images[i]!);
      probs.push(split.probs[i]!);
      truth.push(t);
    }
  });
  return { images, probs, truth };
}

export function mostConfidentMistakes(images: readonly string[], probs: Matrix, truth: readonly number[], labels: readonly string[], limit = 10): ConfidentMistake[] {
  const pred = predictions(probs);
  const out: ConfidentMistake[] = [];
  pred.forEach((p, i) => {
    if (p === truth[i]) return;
    const row = probs[i]!;
    out.push({ image: images[i]!, truth: labels[truth[i]!]!, predicted: labels[p]!, confidence: row[p] as number, p_truth: row[truth[i]!] as number });
  });
  return out.sort((a, b) => b.confidence - a.confidence || a.image.localeCompare(b.image)).slice(0, limit);
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export interface BuildMetricsOptions {
  modelPath: string;
  tfliteSha256: string;
  createdAt?: string;
  /** Labels in the test split the model does not have (for the report). */
  unscoredLabels?: string[];
  vertexEvaluation?: unknown;
}

/**
 * Every number in metrics_vNNN.json from the predictions file. The test split must have at least one
 * scored image (the caller checks and says what to do).
 */
export function buildMetrics(pred: PredictionsFile, opts: BuildMetricsOptions): MetricsFile {
  const K = pred.labels.length;
  const test = scored(pred.test);
  const val = scored(pred.validation);
  const fit = fitTemperature(val.probs, val.truth);
  const T = fit.temperature;
  const before = calibrationBlock(test.probs, test.truth);
  const scaled = applyTemperature(test.probs, T);
  const after = calibrationBlock(scaled, test.truth);
  const cm = confusionMatrix(test.truth, predictions(test.probs), K);
  const rep = classReport(cm);
  const strip = ({ ew: _a, em: _b, ...rest }: ReturnType<typeof calibrationBlock>): CalibrationBlock => rest;
  const metrics: MetricsFile = {
    version: pred.version,
    created_at: opts.createdAt ?? new Date().toISOString(),
    model: { path: opts.modelPath, tflite_sha256: opts.tfliteSha256, labels: [...pred.labels], labels_sha256: sha256(pred.labels.join('\n')) },
    n: test.truth.length,
    n_unscored: pred.test.truth.length - test.truth.length,
    unscored_labels: opts.unscoredLabels ?? [],
    top1: topKAccuracy(test.probs, test.truth, 1),
    top3: topKAccuracy(test.probs, test.truth, 3),
    ece: before.ece_equal_width,
    ece_binning: `${DEFAULT_BINS} equal-width bins on max-probability (Guo et al. 2017); equal-mass: calibration.ece_equal_mass`,
    ece_after_temperature: after.ece_equal_width,
    ece_noise: eceNoiseBlock(test.probs, test.truth),
    temperature: T,
    calibration: {
      ...strip(before),
      bins: { equal_width: DEFAULT_BINS, equal_mass: before.em.bins.length },
      reliability: before.ew.bins,
      reliability_equal_mass: before.em.bins,
    },
    calibration_after_temperature: { ...strip(after), reliability: after.ew.bins },
    temperature_scaling: {
      temperature: T,
      fitted_on: 'validation',
      n_validation: fit.n,
      nll_validation_before: finiteOrNull(fit.nllBefore),
      nll_validation_after: finiteOrNull(fit.nllAfter),
      method: fit.method,
      ...(fit.note ? { note: fit.note } : {}),
    },
    per_class: rep.perClass.map((s, k) => ({ label: pred.labels[k]!, precision: s.precision, recall: s.recall, f1: s.f1, support: s.support, predicted: s.predicted })),
    macro: rep.macro,
    weighted: rep.weighted,
    confusion_matrix: { labels: [...pred.labels], rows: 'true label', columns: 'predicted label', matrix: cm },
    most_confident_mistakes: mostConfidentMistakes(test.images, test.probs, test.truth, pred.labels),
    thresholds: null,
    definitions: DEFINITIONS,
  };
  if (opts.vertexEvaluation !== undefined) metrics.vertex = { summary: vertexSummary(opts.vertexEvaluation), evaluation: opts.vertexEvaluation };
  return metrics;
}

function eceNoiseBlock(probs: number[][], truth: number[]): MetricsFile['ece_noise'] {
  const r = eceNoiseRange(probs, truth);
  return {
    perfectly_calibrated_p05: r.p05,
    perfectly_calibrated_median: r.p50,
    perfectly_calibrated_p95: r.p95,
    draws: r.draws,
    seed: r.seed,
    measured: r.measured,
    verdict: r.verdict,
    statement: eceNoiseSentence(r, truth.length),
  };
}

/**
 * The headline numbers of a Vertex ModelEvaluation (classification): auPrc, auRoc, logLoss, and precision /
 * recall / F1 at the 0.5 confidence threshold when listed. Accepts the evaluation itself or `{metrics: ...}`.
 */
export function vertexSummary(evaluation: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const root = (evaluation ?? {}) as Record<string, unknown>;
  const m = (typeof root.metrics === 'object' && root.metrics !== null ? root.metrics : root) as Record<string, unknown>;
  for (const key of ['auPrc', 'auRoc', 'logLoss']) {
    const v = Number(m[key]);
    if (m[key] !== undefined && Number.isFinite(v)) out[key] = v;
  }
  const cms = Array.isArray(m.confidenceMetrics) ? (m.confidenceMetrics as Array<Record<string, unknown>>) : [];
  const at = cms.find((c) => Math.abs(Number(c.confidenceThreshold ?? 0) - 0.5) < 1e-9);
  if (at) {
    for (const [k, name] of [['precision', 'precisionAt0.5'], ['recall', 'recallAt0.5'], ['f1Score', 'f1At0.5']] as const) {
      const v = Number(at[k]);
      if (at[k] !== undefined && Number.isFinite(v)) out[name] = v;
    }
  }
  return out;
}
