import { sha256 } from '../core/hash.js';
import { applyTemperature, DEFAULT_BINS, eceNoiseRange, eceNoiseSentence, equalMassCalibration, equalWidthCalibration, fitTemperature } from './calibration.js';
import { brierScore, classReport, confusionMatrix, microAveragePrecision, microPrecisionRecallAt, negativeLogLikelihood, predictions, topKAccuracy, type Matrix } from './metrics.js';
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
  vertex: "Vertex AI's own evaluation (vertex_evaluation.json, on the test items Vertex held out) beside the same numbers computed by edgewise on its test split, probabilities before temperature. Both one-vs-rest over every (image, label) pair, micro-averaged: auPrc = area under the precision-recall curve (edgewise: average precision), logLoss = mean −ln p(true label), precision/recall/F1 at confidence 0.5 = over pairs with p ≥ 0.5. The two test sets differ unless Vertex trained on edgewise's split",
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
    definitions: DEFINITIONS,
  };
  if (opts.vertexEvaluation !== undefined) {
    const picked = pickVertexEvaluation(opts.vertexEvaluation);
    const n = vertexTestCount(opts.vertexEvaluation);
    metrics.vertex = {
      summary: vertexSummary(opts.vertexEvaluation),
      ...(picked?.name ? { evaluation_name: picked.name } : {}),
      ...(n !== undefined ? { n } : {}),
      edgewise: edgewiseCounterparts(test.probs, test.truth),
      evaluation: opts.vertexEvaluation,
    };
  }
  return metrics;
}

/** The Vertex numbers edgewise summarises, by name (metrics file keys). */
export type VertexHeadline = Partial<Record<'auPrc' | 'auRoc' | 'logLoss' | 'precisionAt0.5' | 'recallAt0.5' | 'f1At0.5', number>>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
 * The evaluation to summarise out of what `edgewise export` writes (`{model, fetched_at, evaluations: [...]}`,
 * each evaluation `{name, createTime, metrics, slices}`): the newest one that has classification metrics.
 * A bare evaluation (`{metrics}`) or bare metrics are accepted too, for files written by hand.
 */
export function pickVertexEvaluation(file: unknown): { name?: string; metrics: Record<string, unknown> } | undefined {
  if (!isRecord(file)) return undefined;
  const candidates = Array.isArray(file.evaluations) ? file.evaluations.filter(isRecord) : [file];
  const withMetrics = candidates
    .map((e) => ({ e, metrics: isRecord(e.metrics) ? e.metrics : 'auPrc' in e || 'confidenceMetrics' in e ? e : undefined }))
    .filter((x): x is { e: Record<string, unknown>; metrics: Record<string, unknown> } => x.metrics !== undefined)
    .sort((a, b) => String(b.e.createTime ?? '').localeCompare(String(a.e.createTime ?? '')));
  const best = withMetrics[0];
  if (!best) return undefined;
  return { ...(typeof best.e.name === 'string' ? { name: best.e.name } : {}), metrics: best.metrics };
}

/**
 * The headline numbers of Vertex's classification evaluation: auPrc, auRoc, logLoss, and precision / recall /
 * F1 at confidence threshold 0.5 (Vertex lists confidenceMetrics at 0.00, 0.05, … 0.99).
 */
export function vertexSummary(file: unknown): VertexHeadline {
  const out: VertexHeadline = {};
  const m = pickVertexEvaluation(file)?.metrics;
  if (!m) return out;
  for (const key of ['auPrc', 'auRoc', 'logLoss'] as const) {
    const v = Number(m[key]);
    if (m[key] !== undefined && m[key] !== null && Number.isFinite(v)) out[key] = v;
  }
  const cms = Array.isArray(m.confidenceMetrics) ? m.confidenceMetrics.filter(isRecord) : [];
  // Proto3 JSON leaves a 0 threshold out; 0.5 is always written, but compare with a tolerance (float32 values).
  const at = cms.find((c) => Math.abs(Number(c.confidenceThreshold ?? 0) - 0.5) < 1e-6);
  if (at) {
    for (const [k, name] of [['precision', 'precisionAt0.5'], ['recall', 'recallAt0.5'], ['f1Score', 'f1At0.5']] as const) {
      const v = Number(at[k] ?? 0);
      if (Number.isFinite(v)) out[name] = v;
    }
  }
  return out;
}

/** Test items in Vertex's own evaluation: the sum of its confusion matrix, when it has one. */
export function vertexTestCount(file: unknown): number | undefined {
  const cm = pickVertexEvaluation(file)?.metrics.confusionMatrix;
  if (!isRecord(cm) || !Array.isArray(cm.rows)) return undefined;
  let n = 0;
  for (const row of cm.rows) if (Array.isArray(row)) for (const v of row) n += Number(v) || 0;
  return n > 0 ? n : undefined;
}

/** The same numbers computed by edgewise on its own test split (probabilities before temperature). */
export function edgewiseCounterparts(probs: Matrix, truth: readonly number[]): VertexHeadline {
  const at = microPrecisionRecallAt(probs, truth, 0.5);
  const out: VertexHeadline = { auPrc: microAveragePrecision(probs, truth), logLoss: negativeLogLikelihood(probs, truth) };
  if (at.precision !== null) out['precisionAt0.5'] = at.precision;
  if (at.recall !== null) out['recallAt0.5'] = at.recall;
  if (at.precision !== null && at.recall !== null && at.precision + at.recall > 0) out['f1At0.5'] = (2 * at.precision * at.recall) / (at.precision + at.recall);
  return out;
}
