/**
 * Classification metrics over a probability matrix. Pure functions, no I/O.
 *
 * Conventions (stated once, used everywhere):
 * - `probs[i]` is the model's probability vector for sample i, in model label order (K entries).
 * - `truth[i]` is the index of the true label in that order. Callers drop samples whose true label the
 *   model does not know (index -1) before calling: those cannot be scored (see `splitKnown`).
 * - Ranking ties: the lower label index ranks first, exactly like numpy's argmax. (scikit-learn's
 *   `top_k_accuracy_score` breaks ties the other way; its top-1 equals `accuracy_score(argmax)`.)
 */

export type Matrix = ReadonlyArray<ArrayLike<number>>;

/** Index of the largest probability; the first one on ties. */
export function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < p.length; k++) if ((p[k] as number) > (p[best] as number)) best = k;
  return best;
}

/** 1-based rank of class `c` in `p`: 1 + classes ranked strictly before it (higher prob, or equal prob and lower index). */
export function rankOf(p: ArrayLike<number>, c: number): number {
  const pc = p[c] as number;
  let r = 1;
  for (let k = 0; k < p.length; k++) {
    const pk = p[k] as number;
    if (pk > pc || (pk === pc && k < c)) r++;
  }
  return r;
}

/** Fraction of samples whose true class is among the k highest probabilities (NaN when there are none). */
export function topKAccuracy(probs: Matrix, truth: readonly number[], k: number): number {
  if (probs.length === 0) return Number.NaN;
  let hit = 0;
  for (let i = 0; i < probs.length; i++) if (rankOf(probs[i]!, truth[i]!) <= k) hit++;
  return hit / probs.length;
}

/** Predicted class per sample (argmax, lower index on ties). */
export function predictions(probs: Matrix): number[] {
  return probs.map((p) => argmax(p));
}

/** K×K counts: rows are the true class, columns the predicted class. */
export function confusionMatrix(truth: readonly number[], predicted: readonly number[], numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]!]![predicted[i]!]!++;
  return m;
}

export interface ClassScores {
  /** null when undefined (0/0): no predictions of the class (precision), no samples of it (recall), neither (F1). */
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Samples whose true class is this one. */
  support: number;
  /** Samples predicted as this class. */
  predicted: number;
  tp: number;
}

export interface AveragedScores {
  precision: number;
  recall: number;
  f1: number;
  /** How many classes entered the average. */
  classes: number;
}

export interface ClassReport {
  perClass: ClassScores[];
  /** Unweighted mean over the classes present in the truth or the predictions (scikit-learn's default labels); an undefined value counts as 0 (zero_division=0). */
  macro: AveragedScores;
  /** Mean weighted by support (classes absent from the truth weigh 0); undefined values count as 0. */
  weighted: AveragedScores;
}

/**
 * Precision, recall and F1 per class from a confusion matrix, as scikit-learn defines them:
 * P = TP/(TP+FP), R = TP/(TP+FN), F1 = 2TP/(2TP+FP+FN).
 */
export function classReport(confusion: readonly (readonly number[])[]): ClassReport {
  const K = confusion.length;
  const perClass: ClassScores[] = [];
  for (let c = 0; c < K; c++) {
    const row = confusion[c]!;
    const tp = row[c]!;
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < K; j++) {
      support += row[j]!;
      predicted += confusion[j]![c]!;
    }
    const fp = predicted - tp;
    const fn = support - tp;
    perClass.push({
      precision: predicted > 0 ? tp / predicted : null,
      recall: support > 0 ? tp / support : null,
      f1: 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : null,
      support,
      predicted,
      tp,
    });
  }
  const present = perClass.filter((s) => s.support > 0 || s.predicted > 0);
  const total = perClass.reduce((a, s) => a + s.support, 0);
  const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
  const weightedMean = (pick: (s: ClassScores) => number | null): number =>
    total > 0 ? perClass.reduce((a, s) => a + (pick(s) ?? 0) * s.support, 0) / total : Number.NaN;
  return {
    perClass,
    macro: {
      precision: mean(present.map((s) => s.precision ?? 0)),
      recall: mean(present.map((s) => s.recall ?? 0)),
      f1: mean(present.map((s) => s.f1 ?? 0)),
      classes: present.length,
    },
    weighted: {
      precision: weightedMean((s) => s.precision),
      recall: weightedMean((s) => s.recall),
      f1: weightedMean((s) => s.f1),
      classes: perClass.filter((s) => s.support > 0).length,
    },
  };
}

/**
 * Probabilities are clipped to [EPS, 1 − EPS] before the log, as scikit-learn's log_loss does (float64 machine
 * epsilon). Rows are NOT renormalised (log_loss renormalises; that only differs when a row does not sum to 1,
 * e.g. uint8-quantized outputs): we score the probabilities the app will see.
 */
export const LOG_EPS = 2.220446049250313e-16;

/** Negative log-likelihood (log loss, natural log) of the true class, averaged over samples. */
export function negativeLogLikelihood(probs: Matrix, truth: readonly number[]): number {
  if (probs.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < probs.length; i++) s -= Math.log(Math.min(1 - LOG_EPS, Math.max(LOG_EPS, probs[i]![truth[i]!] as number)));
  return s / probs.length;
}

/**
 * Multiclass Brier score (Brier 1950): mean over samples of Σ_k (p_k − y_k)², y one-hot; range [0, 2].
 * It equals the sum over classes of scikit-learn's binary `brier_score_loss(y == k, p_k)`.
 */
export function brierScore(probs: Matrix, truth: readonly number[]): number {
  if (probs.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    for (let k = 0; k < p.length; k++) {
      const d = (p[k] as number) - (k === truth[i] ? 1 : 0);
      s += d * d;
    }
  }
  return s / probs.length;
}

/** Splits samples into those the model can be scored on (truth ≥ 0) and a count of the rest. */
export function splitKnown<T extends ArrayLike<number>>(probs: readonly T[], truth: readonly number[]): { probs: T[]; truth: number[]; unknown: number } {
  const p: T[] = [];
  const t: number[] = [];
  for (let i = 0; i < truth.length; i++) {
    if (truth[i]! >= 0) {
      p.push(probs[i]!);
      t.push(truth[i]!);
    }
  }
  return { probs: p, truth: t, unknown: truth.length - t.length };
}

/**
 * One-vs-rest over every (sample, class) pair, micro-averaged: the way Vertex AI reports its overall
 * classification metrics (auPrc "micro-averaged for the overall evaluation"; confidenceMetrics per
 * threshold). Precision = correct pairs at p ≥ t / pairs at p ≥ t; recall = correct pairs at p ≥ t / samples.
 * Null when 0/0 (no pair reaches the threshold).
 */
export function microPrecisionRecallAt(probs: Matrix, truth: readonly number[], threshold: number): { precision: number | null; recall: number | null } {
  let predicted = 0;
  let correct = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    for (let k = 0; k < p.length; k++) {
      if ((p[k] as number) >= threshold) {
        predicted++;
        if (k === truth[i]) correct++;
      }
    }
  }
  return { precision: predicted > 0 ? correct / predicted : null, recall: probs.length > 0 ? correct / probs.length : null };
}

/**
 * Area under the micro-averaged precision-recall curve as average precision (scikit-learn's
 * `average_precision_score(one_hot, probs, average='micro')`): Σ_n (R_n − R_{n−1}) · P_n over the distinct
 * scores from high to low, tied scores entering together. NaN without samples.
 */
export function microAveragePrecision(probs: Matrix, truth: readonly number[]): number {
  const pairs: Array<[number, boolean]> = [];
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    for (let k = 0; k < p.length; k++) pairs.push([p[k] as number, k === truth[i]]);
  }
  const positives = probs.length;
  if (positives === 0) return Number.NaN;
  pairs.sort((a, b) => b[0] - a[0]);
  let tp = 0;
  let seen = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < pairs.length; ) {
    const score = pairs[i]![0];
    for (; i < pairs.length && pairs[i]![0] === score; i++) {
      seen++;
      if (pairs[i]![1]) tp++;
    }
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
  }
  return ap;
}
