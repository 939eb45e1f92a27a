import { isAbsolute, join } from 'node:path';
import { InputError } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import type { StepContext } from '../core/step.js';
import { classifyNegatives, listNegativeImages, loadModelClassifier, type ImageClassifier } from './negatives.js';
import { findPredictions, loadPredictions, scoreNegatives, type LoadedPredictions, type SplitName } from './predictions.js';
import type { ScoredNegatives, ScoredPredictions } from './types.js';

export interface PrepareInput {
  /** vNNN; default the newest predictions file. */
  model?: string;
  /** Folder of negative photos (workspace-relative or absolute). */
  negatives?: string;
  /** Negative probability rows given directly (tests, callers that scored them already). */
  negativeProbs?: number[][];
  split?: 'auto' | SplitName;
}

export interface PreparedTuning {
  loaded: LoadedPredictions;
  /** The split thresholds are chosen on, and the held-out split the saved numbers are measured on. */
  tunedOn: SplitName;
  measuredOn: SplitName;
  negatives?: ScoredNegatives & { source: string };
}

/** Below this many scored validation images `auto` tunes on the test split (too few to choose on). */
export const MIN_VALIDATION = 30;

export type ClassifierFactory = (modelPath: string) => Promise<ImageClassifier>;

/** Loads the predictions (after temperature) and scores the negatives: everything tuning reads. */
export async function* prepareTuning(
  input: PrepareInput,
  ctx: StepContext,
  classifierFactory: ClassifierFactory = loadModelClassifier,
): AsyncGenerator<StepEvent, PreparedTuning> {
  const ws = ctx.workspace;
  const found = findPredictions(ws.metricsDir, input.model);
  const loaded = loadPredictions(found.path);
  const nTest = loaded.splits.test.p1.length;
  const nVal = loaded.splits.validation.p1.length;
  yield { type: 'log', message: `${ws.rel(found.path)}: ${loaded.labels.length} labels, ${nTest} test and ${nVal} validation predictions, temperature ${loaded.temperature.toFixed(3)}` };
  const unscored = loaded.splits.test.unscored + loaded.splits.validation.unscored;
  if (unscored > 0) yield { type: 'warning', code: 'tune.unscored', message: `${unscored} images have a label the model does not know; left out (as in eval).` };
  const split = input.split ?? 'auto';
  const measuredOn: SplitName = nTest > 0 ? 'test' : 'validation';
  const tunedOn: SplitName = split === 'auto' ? (nVal >= MIN_VALIDATION ? 'validation' : measuredOn) : split;
  if (loaded.splits[tunedOn].p1.length === 0 || loaded.splits[measuredOn].p1.length === 0) {
    throw new InputError(`${ws.rel(found.path)} has no scored predictions on the ${tunedOn} split.`, {
      item: found.path,
      hint: 'Evaluate on a split that holds images (check ml/dataset/splits.csv), or pass --split test.',
    });
  }
  if (split === 'auto' && tunedOn === 'test' && nVal > 0) {
    yield { type: 'warning', code: 'tune.small_validation', message: `Only ${nVal} validation images: choosing thresholds on the test split (its numbers will be optimistic).` };
  }
  const out: PreparedTuning = { loaded, tunedOn, measuredOn };
  if (input.negativeProbs) {
    out.negatives = { ...scoreNegatives(input.negativeProbs, loaded.temperature), source: 'given' };
  } else if (input.negatives) {
    const dir = isAbsolute(input.negatives) ? input.negatives : ws.abs(input.negatives);
    const files = listNegativeImages(dir);
    const classifier = await classifierFactory(join(ws.modelDir(loaded.version), 'model.tflite'));
    try {
      const rows = yield* classifyNegatives(files, classifier, loaded.labels.length, ctx.signal);
      out.negatives = { ...scoreNegatives(rows, loaded.temperature), source: ws.rel(dir) };
    } finally {
      await classifier.close?.();
    }
  }
  return out;
}

/** Plain arrays (JSON-serialisable step output) and back. */
export interface PlainScored {
  pred: number[];
  truth: number[];
  p1: number[];
  p2: number[];
}

export function toPlain(s: ScoredPredictions): PlainScored {
  return { pred: Array.from(s.pred), truth: Array.from(s.truth), p1: Array.from(s.p1), p2: Array.from(s.p2) };
}

export function fromPlain(s: PlainScored): ScoredPredictions {
  return { pred: Int32Array.from(s.pred), truth: Int32Array.from(s.truth), p1: Float64Array.from(s.p1), p2: Float64Array.from(s.p2) };
}
