/** Scored predictions of one split, after temperature: what the threshold rule looks at. */
export interface ScoredPredictions {
  /** Top-1 class index per image. */
  pred: Int32Array;
  /** True class index, or -1 when the image's label is not one of the model's (never counted correct). */
  truth: Int32Array;
  /** Highest and second-highest probability per image. */
  p1: Float64Array;
  p2: Float64Array;
}

/** Negatives (images of none of the classes): only their top two probabilities matter. */
export interface ScoredNegatives {
  p1: Float64Array;
  p2: Float64Array;
}

export interface ClassMetrics {
  label: string;
  index: number;
  /** Images of this (true) class. */
  support: number;
  accepted: number;
  correct: number;
  coverage: number | null;
  /** Accuracy on the accepted images of this class; null when none is accepted. */
  accuracy: number | null;
}

export interface TuneMetrics {
  tau: number;
  margin: number;
  n: number;
  accepted: number;
  correct: number;
  coverage: number;
  /** Accuracy on the answered images; null when nothing is answered. */
  selectiveAccuracy: number | null;
  /** Top-1 accuracy over every image (does not depend on the thresholds). */
  top1: number;
  /** Answered and wrong. */
  confidentMistakes: number;
  negatives?: { n: number; accepted: number; falseAcceptRate: number | null };
}

export interface RiskCoveragePoint {
  /** The p1 threshold that produces this point (every image with p1 >= it is answered). */
  threshold: number;
  coverage: number;
  risk: number;
}
