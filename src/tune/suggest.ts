import type { ThresholdEngine } from './engine.js';
import { GRID_STEPS, gridValue } from './grid.js';
import { meetsTarget, withinFalseAccept } from './metrics-rule.js';

export interface GridSetting {
  ti: number;
  mi: number;
  tau: number;
  margin: number;
  accepted: number;
  correct: number;
  coverage: number;
  selectiveAccuracy: number;
  falseAcceptRate: number | null;
}

export interface SuggestOptions {
  targetAccuracy: number;
  /** Highest false-accept rate allowed on the negatives (ignored without negatives). */
  maxFalseAccept?: number;
}

function setting(engine: ThresholdEngine, ti: number, mi: number): GridSetting {
  const c = engine.gridCounts(ti, mi);
  const negN = engine.negativesCount;
  return {
    ti,
    mi,
    tau: gridValue(ti),
    margin: gridValue(mi),
    accepted: c.accepted,
    correct: c.correct,
    coverage: engine.n > 0 ? c.accepted / engine.n : 0,
    selectiveAccuracy: c.accepted > 0 ? c.correct / c.accepted : 0,
    falseAcceptRate: engine.hasNegatives && negN > 0 ? c.negAccepted / negN : null,
  };
}

/**
 * Better of two settings that both meet the constraints: more images answered, then higher selective
 * accuracy, then fewer false accepts, then the simpler: the lower margin first (a margin the outcome does
 * not need, e.g. 0.62 beside a tau of 0.80, is noise a reader has to reason about), then the lower tau.
 * A total order, so the grid search and a brute force agree on the winner.
 */
export function betterSetting(a: GridSetting, b: GridSetting): boolean {
  if (a.accepted !== b.accepted) return a.accepted > b.accepted;
  // Compare accuracies as cross-products of counts: exact, no rounding.
  const l = a.correct * b.accepted;
  const r = b.correct * a.accepted;
  if (l !== r) return l > r;
  const fa = a.falseAcceptRate ?? 0;
  const fb = b.falseAcceptRate ?? 0;
  if (fa !== fb) return fa < fb;
  if (a.mi !== b.mi) return a.mi < b.mi;
  return a.ti < b.ti;
}

/**
 * The grid setting with the highest coverage whose selective accuracy is >= target (and FAR <= limit).
 * Ties (same answered, correct and false-accepted counts) span a run of tau values at the winning margin;
 * the suggestion sits in the middle of that run rather than at its low edge (tau 0 when everything is
 * right), so a new image a little less confident than the test images is treated the same way. Taus below
 * 1/K (K classes) change nothing, so the run is taken from 1/K up.
 */
export function suggest(engine: ThresholdEngine, opts: SuggestOptions): GridSetting | undefined {
  const best = bestOnGrid(engine, opts);
  if (!best) return undefined;
  const same = (ti: number) => {
    const c = engine.gridCounts(ti, best.mi);
    const b = engine.gridCounts(best.ti, best.mi);
    return c.accepted === b.accepted && c.correct === b.correct && c.negAccepted === b.negAccepted;
  };
  let hi = best.ti;
  while (hi < GRID_STEPS && same(hi + 1)) hi++;
  // With K classes p1 >= 1/K always, so a tau below 1/K says nothing: centre the run above it.
  const floor = Math.min(hi, Math.max(best.ti, Math.ceil(GRID_STEPS / Math.max(1, engine.labels.length))));
  return setting(engine, Math.floor((floor + hi) / 2), best.mi);
}

/** The best grid setting under `betterSetting` (its lowest-margin, then lowest-tau representative). */
export function bestOnGrid(engine: ThresholdEngine, opts: SuggestOptions): GridSetting | undefined {
  let best: GridSetting | undefined;
  const negN = engine.negativesCount;
  for (let ti = 0; ti <= GRID_STEPS; ti++) {
    for (let mi = 0; mi <= GRID_STEPS; mi++) {
      const c = engine.gridCounts(ti, mi);
      if (!meetsTarget(c.correct, c.accepted, opts.targetAccuracy)) continue;
      if (engine.hasNegatives && !withinFalseAccept(c.negAccepted, negN, opts.maxFalseAccept)) continue;
      // Cheap reject before building the object: fewer answered can never win.
      if (best && c.accepted < best.accepted) continue;
      const s = setting(engine, ti, mi);
      if (!best || betterSetting(s, best)) best = s;
    }
  }
  return best;
}

/** The best selective accuracy reachable at all (for "target not reachable" messages), with its coverage. */
export function bestReachable(engine: ThresholdEngine, maxFalseAccept?: number): GridSetting | undefined {
  let best: GridSetting | undefined;
  for (let ti = 0; ti <= GRID_STEPS; ti++) {
    for (let mi = 0; mi <= GRID_STEPS; mi++) {
      const c = engine.gridCounts(ti, mi);
      if (c.accepted === 0) continue;
      if (engine.hasNegatives && !withinFalseAccept(c.negAccepted, engine.negativesCount, maxFalseAccept)) continue;
      const s = setting(engine, ti, mi);
      if (!best || s.correct * best.accepted > best.correct * s.accepted || (s.correct * best.accepted === best.correct * s.accepted && betterSetting(s, best))) best = s;
    }
  }
  return best;
}

/**
 * Pareto frontier of coverage vs selective accuracy over the grid: settings no other setting beats on both
 * (at least as good on each, better on one). One representative per distinct outcome (the betterSetting
 * winner), sorted by coverage ascending. Settings that answer nothing are left out.
 */
export function paretoFrontier(engine: ThresholdEngine): GridSetting[] {
  const all: GridSetting[] = [];
  for (let ti = 0; ti <= GRID_STEPS; ti++) {
    for (let mi = 0; mi <= GRID_STEPS; mi++) {
      const c = engine.gridCounts(ti, mi);
      if (c.accepted > 0) all.push(setting(engine, ti, mi));
    }
  }
  // Coverage descending, accuracy descending, then the tie-break order: a sweep keeps a point only when its
  // accuracy beats everything with at least its coverage.
  all.sort((a, b) => (betterSetting(a, b) ? -1 : betterSetting(b, a) ? 1 : 0));
  const front: GridSetting[] = [];
  let bestCorrect = 0;
  let bestAccepted = 0;
  for (const s of all) {
    if (front.length === 0 || s.correct * bestAccepted > bestCorrect * s.accepted) {
      front.push(s);
      bestCorrect = s.correct;
      bestAccepted = s.accepted;
    }
  }
  return front.reverse();
}
