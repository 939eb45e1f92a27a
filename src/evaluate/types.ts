import type { ReliabilityBin } from './calibration.js';
import type { VertexHeadline } from './summary.js';
import type { VariantMetrics } from './variants.js';

/** One split's predictions in `predictions_vNNN.json`. */
export interface SplitPredictions {
  /** Image paths relative to the images folder, as in splits.csv. */
  images: string[];
  /** Index of the true label in `labels`, or -1 when the model has no such label. */
  truth: number[];
  /** Raw model probabilities (dequantized, before temperature), one row per image, in `labels` order. */
  probs: number[][];
}

/**
 * `ml/metrics/predictions_vNNN.json`: the input of threshold tuning. This shape is a contract: add fields,
 * never rename or remove them.
 */
export interface PredictionsFile {
  version: string;
  /** The model's labels in output order (labels.txt). */
  labels: string[];
  /** Fitted on the validation split; 1 when not fitted. Apply as softmax(log p / T). */
  temperature: number;
  test: SplitPredictions;
  validation: SplitPredictions;
  /** Test-split probabilities of the other model files of the run (quantized variants), by variant name. */
  variants?: Record<string, number[][]>;
}

export interface CalibrationBlock {
  /** Top-1 calibration error, 15 equal-width bins on [0,1] (Guo et al. 2017). */
  ece_equal_width: number;
  /** Same with 15 equal-mass bins (each bin the same number of samples). */
  ece_equal_mass: number;
  /** Maximum calibration error over the non-empty equal-width bins. */
  mce: number;
  /** Mean −ln p(true class). */
  nll: number;
  /** Mean Σ_k (p_k − y_k)², range [0, 2]. */
  brier: number;
}

export interface PerClassRow {
  label: string;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  support: number;
  predicted: number;
}

export interface ConfidentMistake {
  image: string;
  truth: string;
  predicted: string;
  confidence: number;
  /** Probability the model gave the true label. */
  p_truth: number;
}

/** `ml/metrics/metrics_vNNN.json`. Top-level `top1`, `top3`, `ece` go straight into the registry row. */
export interface MetricsFile {
  version: string;
  created_at: string;
  model: { path: string; tflite_sha256: string; labels: string[]; labels_sha256: string };
  /** Test images scored (true label known to the model). */
  n: number;
  /** Test images whose label the model does not have: not scored, listed in `unscored_labels`. */
  n_unscored: number;
  unscored_labels: string[];
  top1: number;
  top3: number;
  /** = calibration.ece_equal_width (before temperature scaling). */
  ece: number;
  ece_binning: string;
  /** What sampling noise alone gives: the ECE range of a perfectly calibrated model with these confidences. */
  ece_noise: {
    perfectly_calibrated_p05: number;
    perfectly_calibrated_median: number;
    perfectly_calibrated_p95: number;
    draws: number;
    seed: number;
    measured: number;
    verdict: 'inside' | 'above' | 'below';
    /** The plain sentence the reports print. */
    statement: string;
  };
  /** ECE (15 equal-width bins) on the test split after temperature scaling. */
  ece_after_temperature: number;
  temperature: number;
  calibration: CalibrationBlock & {
    bins: { equal_width: number; equal_mass: number };
    reliability: ReliabilityBin[];
    reliability_equal_mass: ReliabilityBin[];
  };
  calibration_after_temperature: CalibrationBlock & { reliability: ReliabilityBin[] };
  temperature_scaling: {
    temperature: number;
    fitted_on: 'validation';
    n_validation: number;
    nll_validation_before: number | null;
    nll_validation_after: number | null;
    method: string;
    note?: string;
  };
  per_class: PerClassRow[];
  macro: { precision: number; recall: number; f1: number; classes: number };
  weighted: { precision: number; recall: number; f1: number; classes: number };
  confusion_matrix: { labels: string[]; rows: 'true label'; columns: 'predicted label'; matrix: number[][] };
  most_confident_mistakes: ConfidentMistake[];
  definitions: Record<string, string>;
  /** Every model file of the run (float32 first, then its quantized variants) scored on the same test images. */
  variants?: VariantMetrics[];
  /** The variant Publish ships unless told otherwise: the smallest within 1 point of float32's top-1. */
  default_variant?: string;
  /** Vertex AI's own evaluation, when the model came from Vertex (vertex_evaluation.json beside it). */
  vertex?: {
    /** auPrc, auRoc, logLoss, precisionAt0.5, recallAt0.5, f1At0.5 as Vertex reported them. */
    summary: VertexHeadline;
    /** The ModelEvaluation summarised (the newest with classification metrics). */
    evaluation_name?: string;
    /** Items in Vertex's own test set (sum of its confusion matrix). */
    n?: number;
    /** The same numbers computed by edgewise on its test split (definitions.vertex). */
    edgewise: VertexHeadline;
    /** vertex_evaluation.json as exported. */
    evaluation: unknown;
  };
}
