import { GRID_SIZE, GRID_STEPS, bucketOf, gridIndexOf, gridValue } from './grid.js';
import { accepts, ratio } from './metrics-rule.js';
import type { ClassMetrics, RiskCoveragePoint, ScoredNegatives, ScoredPredictions, TuneMetrics } from './types.js';

const CELLS = GRID_SIZE * GRID_SIZE;
/** Per-class grid tables cost 2 × classes × 10,201 ints; past this many entries per-class answers scan instead. */
const PER_CLASS_TABLE_LIMIT = 16_000_000;

/**
 * Answers "what would the app do at (tau, margin)" in O(1) for settings on the 0.01 grid (plus O(classes)
 * for the per-class numbers), and exactly by a scan for any other setting.
 *
 * Precompute: each image falls in the grid cell (largest tau index it passes, largest margin index it
 * passes); 2-D suffix sums over the cells then give, for every grid setting, how many images pass both
 * thresholds — overall, correct, per true class and on negatives.
 */
export class ThresholdEngine {
  readonly n: number;
  readonly top1: number;
  readonly correctTotal: number;
  readonly support: Int32Array;
  private readonly d: Float64Array;
  private readonly acc: Int32Array;
  private readonly cor: Int32Array;
  private readonly clsAcc: Int32Array | undefined;
  private readonly clsCor: Int32Array | undefined;
  private readonly neg: { n: number; p1: Float64Array; d: Float64Array; acc: Int32Array } | undefined;
  private curveCache: { points: RiskCoveragePoint[]; aurc: number } | undefined;

  constructor(
    readonly labels: readonly string[],
    readonly scored: ScoredPredictions,
    negatives?: ScoredNegatives,
  ) {
    const { pred, truth, p1, p2 } = scored;
    const n = p1.length;
    const k = labels.length;
    this.n = n;
    this.d = new Float64Array(n);
    this.support = new Int32Array(k);
    this.acc = new Int32Array(CELLS);
    this.cor = new Int32Array(CELLS);
    const perClass = k * CELLS * 2 <= PER_CLASS_TABLE_LIMIT;
    this.clsAcc = perClass ? new Int32Array(k * CELLS) : undefined;
    this.clsCor = perClass ? new Int32Array(k * CELLS) : undefined;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const d = p1[i]! - p2[i]!;
      this.d[i] = d;
      const t = truth[i]!;
      const ok = t >= 0 && pred[i] === t;
      if (ok) correct++;
      if (t >= 0) this.support[t]!++;
      const bi = bucketOf(p1[i]!);
      const bj = bucketOf(d);
      if (bi < 0 || bj < 0) continue;
      const cell = bi * GRID_SIZE + bj;
      this.acc[cell]!++;
      if (ok) this.cor[cell]!++;
      if (t >= 0 && this.clsAcc && this.clsCor) {
        this.clsAcc[t * CELLS + cell]!++;
        if (ok) this.clsCor[t * CELLS + cell]!++;
      }
    }
    this.correctTotal = correct;
    this.top1 = n > 0 ? correct / n : 0;
    suffixSum2d(this.acc, 0);
    suffixSum2d(this.cor, 0);
    if (this.clsAcc && this.clsCor) {
      for (let c = 0; c < k; c++) {
        suffixSum2d(this.clsAcc, c * CELLS);
        suffixSum2d(this.clsCor, c * CELLS);
      }
    }
    if (negatives) {
      const m = negatives.p1.length;
      const nd = new Float64Array(m);
      const nacc = new Int32Array(CELLS);
      for (let i = 0; i < m; i++) {
        nd[i] = negatives.p1[i]! - negatives.p2[i]!;
        const bi = bucketOf(negatives.p1[i]!);
        const bj = bucketOf(nd[i]!);
        if (bi >= 0 && bj >= 0) nacc[bi * GRID_SIZE + bj]!++;
      }
      suffixSum2d(nacc, 0);
      this.neg = { n: m, p1: negatives.p1, d: nd, acc: nacc };
    }
  }

  get hasNegatives(): boolean {
    return this.neg !== undefined;
  }

  get negativesCount(): number {
    return this.neg?.n ?? 0;
  }

  /** Counts at grid indices (tau = ti/100, margin = mi/100): the O(1) path the sliders use. */
  gridCounts(ti: number, mi: number): { accepted: number; correct: number; negAccepted: number } {
    const cell = ti * GRID_SIZE + mi;
    return { accepted: this.acc[cell]!, correct: this.cor[cell]!, negAccepted: this.neg ? this.neg.acc[cell]! : 0 };
  }

  /** Every number for one setting. Grid settings are table look-ups; others are an exact scan. */
  at(tau: number, margin: number, opts: { perClass?: boolean } = {}): TuneMetrics & { perClass?: ClassMetrics[] } {
    const ti = gridIndexOf(tau);
    const mi = gridIndexOf(margin);
    let accepted: number;
    let correct: number;
    let negAccepted = 0;
    if (ti !== undefined && mi !== undefined) {
      const c = this.gridCounts(ti, mi);
      accepted = c.accepted;
      correct = c.correct;
      negAccepted = c.negAccepted;
    } else {
      accepted = 0;
      correct = 0;
      const { p1, pred, truth } = this.scored;
      for (let i = 0; i < this.n; i++) {
        if (p1[i]! >= tau && this.d[i]! >= margin) {
          accepted++;
          if (truth[i]! >= 0 && pred[i] === truth[i]) correct++;
        }
      }
      if (this.neg) {
        for (let i = 0; i < this.neg.n; i++) if (this.neg.p1[i]! >= tau && this.neg.d[i]! >= margin) negAccepted++;
      }
    }
    const out: TuneMetrics & { perClass?: ClassMetrics[] } = {
      tau,
      margin,
      n: this.n,
      accepted,
      correct,
      coverage: this.n > 0 ? accepted / this.n : 0,
      selectiveAccuracy: ratio(correct, accepted),
      top1: this.top1,
      confidentMistakes: accepted - correct,
    };
    if (this.neg) out.negatives = { n: this.neg.n, accepted: negAccepted, falseAcceptRate: ratio(negAccepted, this.neg.n) };
    if (opts.perClass) out.perClass = this.perClass(tau, margin);
    return out;
  }

  /** Per true class: support, answered, correct, coverage and accuracy on the answered. */
  perClass(tau: number, margin: number): ClassMetrics[] {
    const k = this.labels.length;
    const accepted = new Int32Array(k);
    const correct = new Int32Array(k);
    const ti = gridIndexOf(tau);
    const mi = gridIndexOf(margin);
    if (ti !== undefined && mi !== undefined && this.clsAcc && this.clsCor) {
      const cell = ti * GRID_SIZE + mi;
      for (let c = 0; c < k; c++) {
        accepted[c] = this.clsAcc[c * CELLS + cell]!;
        correct[c] = this.clsCor[c * CELLS + cell]!;
      }
    } else {
      const { p1, p2, pred, truth } = this.scored;
      for (let i = 0; i < this.n; i++) {
        const t = truth[i]!;
        if (t < 0 || !accepts(p1[i]!, p2[i]!, tau, margin)) continue;
        accepted[t]!++;
        if (pred[i] === t) correct[t]!++;
      }
    }
    const out: ClassMetrics[] = [];
    for (let c = 0; c < k; c++) {
      const s = this.support[c]!;
      out.push({
        label: this.labels[c]!,
        index: c,
        support: s,
        accepted: accepted[c]!,
        correct: correct[c]!,
        coverage: ratio(accepted[c]!, s),
        accuracy: ratio(correct[c]!, accepted[c]!),
      });
    }
    return out;
  }

  /**
   * The risk–coverage curve of the p1 score (margin 0): images sorted by p1, most confident first; images
   * with equal p1 enter together since no threshold can split them. AURC is the area under that step curve:
   * the sum over tie groups of (group size / n) × risk once the group is in; without ties it is the usual
   * mean of the risk at coverage 1/n, 2/n, ..., 1.
   */
  riskCoverage(): { points: RiskCoveragePoint[]; aurc: number } {
    if (this.curveCache) return this.curveCache;
    const { p1, pred, truth } = this.scored;
    // Two typed-array sorts (native, no comparator) and a merge: ~10× faster than sorting indices.
    const right: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < this.n; i++) (truth[i]! >= 0 && pred[i] === truth[i] ? right : wrong).push(p1[i]!);
    const r = Float64Array.from(right).sort().reverse();
    const w = Float64Array.from(wrong).sort().reverse();
    const points: RiskCoveragePoint[] = [];
    let taken = 0;
    let errors = 0;
    let aurc = 0;
    let i = 0;
    let j = 0;
    while (i < r.length || j < w.length) {
      // The next threshold: the larger head; every image at exactly that p1 enters together.
      const v = j >= w.length || (i < r.length && r[i]! >= w[j]!) ? r[i]! : w[j]!;
      let group = 0;
      while (i < r.length && r[i] === v) {
        i++;
        group++;
      }
      while (j < w.length && w[j] === v) {
        j++;
        group++;
        errors++;
      }
      taken += group;
      const risk = errors / taken;
      aurc += (group / this.n) * risk;
      points.push({ threshold: v, coverage: taken / this.n, risk });
    }
    this.curveCache = { points, aurc };
    return this.curveCache;
  }

  /** The curve for one margin over the tau grid (101 points, from the tables): what the chart draws. */
  gridCurve(mi: number): RiskCoveragePoint[] {
    const out: RiskCoveragePoint[] = [];
    for (let ti = 0; ti <= GRID_STEPS; ti++) {
      const c = this.gridCounts(ti, mi);
      if (c.accepted === 0) continue;
      out.push({ threshold: gridValue(ti), coverage: c.accepted / this.n, risk: 1 - c.correct / c.accepted });
    }
    return out;
  }
}

/** In place: t[i][j] = sum of t[a][b] over a >= i, b >= j (one GRID_SIZE × GRID_SIZE table at `off`). */
function suffixSum2d(t: Int32Array, off: number): void {
  for (let i = GRID_STEPS; i >= 0; i--) {
    const row = off + i * GRID_SIZE;
    for (let j = GRID_STEPS - 1; j >= 0; j--) t[row + j]! += t[row + j + 1]!;
    if (i < GRID_STEPS) {
      const below = row + GRID_SIZE;
      for (let j = 0; j <= GRID_STEPS; j++) t[row + j]! += t[below + j]!;
    }
  }
}
