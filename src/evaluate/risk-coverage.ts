import { ThresholdEngine } from '../tune/engine.js';
import { GRID_STEPS, gridValue } from '../tune/grid.js';
import { scorePredictions } from '../tune/predictions.js';
import type { LiveModel } from '../registry/saved-vs-live.js';
import type { ThresholdsFile } from '../tune/save.js';
import type { PredictionsFile } from './types.js';

/** One point of a risk–coverage curve: the share answered and the share of those that are wrong. */
export interface CurvePoint {
  coverage: number;
  risk: number;
}

/** The thresholds the report shows: the ones `edgewise tune` saved for this run, measured again here. */
export interface ChosenPoint {
  tau: number;
  margin: number;
  /** On the report's split (test), from the predictions the report is drawn from. */
  coverage: number;
  selective_accuracy: number | null;
  answered: number;
  /** Every tau at the chosen margin, when the margin is above 0 (the margin-0 curve does not hold the point). */
  margin_curve?: CurvePoint[];
  /** thresholds_vNNN.json as saved (path workspace-relative). */
  saved: Pick<ThresholdsFile, 'saved_at' | 'tuned_on' | 'measured_on'> & { path: string; target?: number };
  /** Saved before this evaluation was made: the numbers above are recomputed, but tune chose on older predictions. */
  saved_before_eval: boolean;
}

/** What the report's threshold section draws. */
export interface ThresholdView {
  split: 'test';
  n: number;
  aurc: number;
  /** Every tau at margin 0 (the p1 score alone), most confident first. */
  curve: CurvePoint[];
  chosen?: ChosenPoint;
  /** public/models/model.json when the report was written, if anything is published. */
  live?: LiveModel;
  rendered_at: string;
}

/** Points kept on a drawn curve: enough for a 400-pixel-wide chart. */
const MAX_POINTS = 400;

/** Keeps the first and last point and one point per 1/MAX_POINTS of coverage. */
export function thinCurve(points: readonly CurvePoint[], max = MAX_POINTS): CurvePoint[] {
  if (points.length <= max) return points.slice();
  const out: CurvePoint[] = [];
  let next = 0;
  points.forEach((p, i) => {
    if (i === points.length - 1 || p.coverage >= next) {
      out.push(p);
      next = p.coverage + 1 / max;
    }
  });
  return out;
}

/**
 * The risk–coverage curve of the test split, scored as tuning scores it (after temperature, unknown labels
 * left out), and the saved thresholds' point on it.
 */
export function thresholdView(
  pred: PredictionsFile,
  opts: { evaluatedAt: string; saved?: ThresholdsFile & { path: string }; live?: LiveModel; now?: Date },
): ThresholdView {
  const test = scorePredictions(pred).splits.test;
  const engine = new ThresholdEngine(pred.labels, test);
  const { points, aurc } = engine.riskCoverage();
  const view: ThresholdView = {
    split: 'test',
    n: engine.n,
    aurc,
    curve: thinCurve(points.map((p) => ({ coverage: p.coverage, risk: p.risk }))),
    rendered_at: (opts.now ?? new Date()).toISOString(),
  };
  if (opts.live) view.live = opts.live;
  const s = opts.saved;
  if (s) {
    const at = engine.at(s.tau, s.margin);
    const chosen: ChosenPoint = {
      tau: s.tau,
      margin: s.margin,
      coverage: at.coverage,
      selective_accuracy: at.selectiveAccuracy,
      answered: at.accepted,
      saved: { path: s.path, saved_at: s.saved_at, tuned_on: s.tuned_on, measured_on: s.measured_on, ...(s.target !== undefined ? { target: s.target } : {}) },
      saved_before_eval: Date.parse(s.saved_at) < Date.parse(opts.evaluatedAt),
    };
    if (s.margin > 0) {
      const curve: CurvePoint[] = [];
      for (let ti = GRID_STEPS; ti >= 0; ti--) {
        const m = engine.at(gridValue(ti), s.margin);
        if (m.accepted > 0) curve.push({ coverage: m.coverage, risk: 1 - (m.selectiveAccuracy ?? 0) });
      }
      chosen.margin_curve = curve;
    }
    view.chosen = chosen;
  }
  return view;
}
