import { accepts, ratio } from './metrics-rule.js';
import type { ClassMetrics, ScoredNegatives, ScoredPredictions, TuneMetrics } from './types.js';

/**
 * The reference: every number for one setting recomputed from scratch by looking at every image. The
 * engine must agree with it exactly; the benchmark uses it as the baseline.
 */
export function bruteForceMetrics(
  labels: readonly string[],
  s: ScoredPredictions,
  tau: number,
  margin: number,
  negatives?: ScoredNegatives,
): TuneMetrics & { perClass: ClassMetrics[] } {
  const n = s.p1.length;
  const k = labels.length;
  const support = new Array<number>(k).fill(0);
  const acc = new Array<number>(k).fill(0);
  const cor = new Array<number>(k).fill(0);
  let accepted = 0;
  let correct = 0;
  let top1 = 0;
  for (let i = 0; i < n; i++) {
    const t = s.truth[i]!;
    const ok = t >= 0 && s.pred[i] === t;
    if (ok) top1++;
    if (t >= 0) support[t]!++;
    if (!accepts(s.p1[i]!, s.p2[i]!, tau, margin)) continue;
    accepted++;
    if (ok) correct++;
    if (t >= 0) {
      acc[t]!++;
      if (ok) cor[t]!++;
    }
  }
  const out: TuneMetrics & { perClass: ClassMetrics[] } = {
    tau,
    margin,
    n,
    accepted,
    correct,
    coverage: n > 0 ? accepted / n : 0,
    selectiveAccuracy: ratio(correct, accepted),
    top1: n > 0 ? top1 / n : 0,
    confidentMistakes: accepted - correct,
    perClass: labels.map((label, c) => ({
      label,
      index: c,
      support: support[c]!,
      accepted: acc[c]!,
      correct: cor[c]!,
      coverage: ratio(acc[c]!, support[c]!),
      accuracy: ratio(cor[c]!, acc[c]!),
    })),
  };
  if (negatives) {
    let na = 0;
    for (let i = 0; i < negatives.p1.length; i++) if (accepts(negatives.p1[i]!, negatives.p2[i]!, tau, margin)) na++;
    out.negatives = { n: negatives.p1.length, accepted: na, falseAcceptRate: ratio(na, negatives.p1.length) };
  }
  return out;
}
