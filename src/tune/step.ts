import { EdgewiseError, InputError } from '../core/errors.js';
import { hashValue, sha256File } from '../core/hash.js';
import type { Step } from '../core/step.js';
import { NO_VALUE, percent } from '../core/text.js';
import { ThresholdEngine } from './engine.js';
import { gridValue } from './grid.js';
import { negativesListing } from './negatives.js';
import { findPredictions } from './predictions.js';
import { prepareTuning, type ClassifierFactory, type PrepareInput } from './prepare.js';
import type { LiveModel } from '../registry/saved-vs-live.js';
import { savePending, saveThresholds, type ThresholdsFile } from './save.js';
import { bestReachable, paretoFrontier, suggest } from './suggest.js';
import type { ClassMetrics, TuneMetrics } from './types.js';

export interface TuneInput extends PrepareInput {
  /** Choose the setting with the highest coverage at this selective accuracy... */
  targetAccuracy?: number;
  maxFalseAccept?: number;
  /** ...or use this exact setting. */
  tau?: number;
  margin?: number;
  /** Compute and print, write nothing. */
  dryRun?: boolean;
}

export interface SplitSummary {
  split: string;
  n: number;
  coverage: number;
  selective_accuracy: number | null;
  top1: number;
  answered: number;
  confident_mistakes: number;
  false_accept_rate?: number | null;
}

export interface TuneOutput {
  version: string;
  predictions: string;
  temperature: number;
  tau: number;
  margin: number;
  mode: 'target' | 'manual';
  target?: number;
  max_false_accept?: number;
  tuned_on: SplitSummary;
  measured_on: SplitSummary;
  aurc: number;
  /** Coverage vs selective accuracy frontier over the grid on the tuning split (coverage ascending). */
  pareto: Array<{ tau: number; margin: number; coverage: number; selective_accuracy: number }>;
  negatives?: { source: string; n: number };
  worst_classes: Array<{ label: string; support: number; coverage: number | null; accuracy: number | null }>;
  saved?: string;
  /** The run's HTML report, redrawn with the saved thresholds (when the run was evaluated). */
  report?: string;
  /** What public/models ships now, when anything (saving never changes it: only `edgewise publish` does). */
  live?: LiveModel;
  /** True when the saved thresholds are not what ships: `edgewise publish` would ship them. */
  publish_pending?: boolean;
}

export function summarize(split: string, m: TuneMetrics): SplitSummary {
  const s: SplitSummary = {
    split,
    n: m.n,
    coverage: m.coverage,
    selective_accuracy: m.selectiveAccuracy,
    top1: m.top1,
    answered: m.accepted,
    confident_mistakes: m.confidentMistakes,
  };
  if (m.negatives) s.false_accept_rate = m.negatives.falseAcceptRate;
  return s;
}

/** Classes that suffer most at a setting: lowest accuracy on what is answered, then lowest coverage. */
export function worstClasses(perClass: readonly ClassMetrics[], count: number): ClassMetrics[] {
  const key = (c: ClassMetrics): number => (c.accuracy ?? 1) * 2 + (c.coverage ?? 1);
  return perClass
    .filter((c) => c.support > 0)
    .slice()
    .sort((a, b) => key(a) - key(b) || a.index - b.index)
    .slice(0, count);
}

/**
 * The same weakest-classes line in the wizard and the CLI, naming the split the numbers come from. Given a
 * width (the wizard's one line), it names as many whole classes as fit, weakest first, and counts the rest.
 */
export function weakestLine(worst: ReadonlyArray<{ label: string; accuracy: number | null; coverage: number | null }>, split: string, width = Infinity): string {
  const head = `Weakest on ${split}: `;
  const parts = worst.map((c) => `${c.label} acc ${percent(c.accuracy, 0)} cov ${percent(c.coverage, 0)}`);
  if (parts.length === 0) return head + NO_VALUE;
  const line = (n: number) => head + parts.slice(0, n).join(' · ') + (n < parts.length ? ` (+${parts.length - n} more)` : '');
  for (let n = parts.length; n > 1; n--) if (line(n).length <= width) return line(n);
  return line(1);
}

/** What tau and margin mean, with the values in force. */
export function meaningLine(tau: number, margin: number): string {
  return `Answers only when the top probability ≥ ${tau.toFixed(2)} and beats the runner-up by ≥ ${margin.toFixed(2)}`;
}

/** The step behind `edgewise tune` and the demo: choose (or take) thresholds, measure them, save them. */
export function createTuneStep(classifierFactory?: ClassifierFactory): Step<TuneInput, TuneOutput> {
  return {
    name: 'tune',
    title: 'Tune thresholds',
    // Same predictions, negatives and request: the saved thresholds stand (a dry run always runs).
    async fingerprint(input, ctx) {
      if (input.dryRun) return undefined;
      const found = findPredictions(ctx.workspace.metricsDir, input.model);
      const negatives = input.negatives ? negativesListing(ctx.workspace.abs(input.negatives)) : undefined;
      return hashValue({ kind: 'tune', predictions: await sha256File(found.path), version: found.version, input, negatives });
    },
    artifacts(output) {
      return output.saved ? [output.saved] : [];
    },
    // A dry run writes nothing.
    writes: (input, ctx) => (input.dryRun ? [] : [ctx.workspace.stateDir, ctx.workspace.metricsDir]),
    async *run(input, ctx) {
      const prep = yield* prepareTuning(input, ctx, classifierFactory);
      const { loaded, tunedOn, measuredOn } = prep;
      const tuneEngine = new ThresholdEngine(loaded.labels, loaded.splits[tunedOn], prep.negatives);
      const reportEngine = tunedOn === measuredOn ? tuneEngine : new ThresholdEngine(loaded.labels, loaded.splits[measuredOn], prep.negatives);
      let tau: number;
      let margin: number;
      let mode: 'target' | 'manual';
      if (input.tau !== undefined || input.margin !== undefined) {
        tau = input.tau ?? 0;
        margin = input.margin ?? 0;
        mode = 'manual';
      } else if (input.targetAccuracy !== undefined) {
        const s = suggest(tuneEngine, { targetAccuracy: input.targetAccuracy, ...(input.maxFalseAccept === undefined ? {} : { maxFalseAccept: input.maxFalseAccept }) });
        if (!s) {
          const best = bestReachable(tuneEngine, input.maxFalseAccept);
          const far = input.maxFalseAccept !== undefined && prep.negatives ? ` with false accepts <= ${percent(input.maxFalseAccept)}` : '';
          throw new EdgewiseError(`No (tau, margin) on the 0.01 grid reaches ${percent(input.targetAccuracy)} selective accuracy${far} on the ${tunedOn} split.`, {
            code: 'tune.unreachable',
            item: loaded.path,
            hint: best
              ? `The best reachable is ${percent(best.selectiveAccuracy)} (tau ${best.tau.toFixed(2)}, margin ${best.margin.toFixed(2)}, coverage ${percent(best.coverage)}): lower --target-accuracy${far ? ' or raise --max-false-accept' : ''}.`
              : 'Nothing can be answered under that false-accept limit: raise --max-false-accept.',
          });
        }
        tau = gridValue(s.ti);
        margin = gridValue(s.mi);
        mode = 'target';
      } else {
        throw new InputError('Nothing to tune to: pass --target-accuracy, or --tau and --margin.', { item: 'tune', hint: 'e.g. edgewise tune --target-accuracy 0.95' });
      }
      const atTuned = tuneEngine.at(tau, margin);
      const atReport = reportEngine.at(tau, margin, { perClass: true });
      const { aurc } = reportEngine.riskCoverage();
      yield { type: 'metric', name: 'coverage', value: atReport.coverage };
      if (atReport.selectiveAccuracy !== null) yield { type: 'metric', name: 'selective_accuracy', value: atReport.selectiveAccuracy };
      const out: TuneOutput = {
        version: loaded.version,
        predictions: ctx.workspace.rel(loaded.path),
        temperature: loaded.temperature,
        tau,
        margin,
        mode,
        tuned_on: summarize(tunedOn, atTuned),
        measured_on: summarize(measuredOn, atReport),
        aurc,
        pareto: paretoFrontier(tuneEngine).map((p) => ({ tau: p.tau, margin: p.margin, coverage: p.coverage, selective_accuracy: p.selectiveAccuracy })),
        worst_classes: worstClasses(atReport.perClass ?? [], 3).map((c) => ({ label: c.label, support: c.support, coverage: c.coverage, accuracy: c.accuracy })),
      };
      if (mode === 'target' && input.targetAccuracy !== undefined) out.target = input.targetAccuracy;
      if (input.maxFalseAccept !== undefined && prep.negatives) out.max_false_accept = input.maxFalseAccept;
      if (prep.negatives) out.negatives = { source: prep.negatives.source, n: prep.negatives.p1.length };
      if (!input.dryRun) {
        const saved = await saveThresholds(ctx.workspace, thresholdsRecord(out, atReport));
        out.saved = ctx.workspace.rel(saved.path);
        if (saved.live) out.live = saved.live;
        out.publish_pending = savePending(saved);
        yield { type: 'artifact', path: out.saved, kind: 'thresholds', description: `tau ${tau.toFixed(2)}, margin ${margin.toFixed(2)}` };
        if ('path' in saved.report) {
          out.report = ctx.workspace.rel(saved.report.path);
          yield { type: 'artifact', path: out.report, kind: 'report', description: 'redrawn with these thresholds' };
        } else {
          yield { type: 'warning', code: 'tune.report_not_redrawn', message: `The HTML report was not redrawn: ${saved.report.skipped}.` };
        }
      }
      return out;
    },
  };
}

/** The thresholds file for a setting measured on the held-out split. */
export function thresholdsRecord(
  o: { version: string; tau: number; margin: number; temperature: number; target?: number; max_false_accept?: number; tuned_on: { split: string }; measured_on: { split: string } },
  m: TuneMetrics,
  now = new Date(),
): ThresholdsFile {
  const t: ThresholdsFile = {
    version: o.version,
    tau: o.tau,
    margin: o.margin,
    temperature: o.temperature,
    coverage: m.coverage,
    selective_accuracy: m.selectiveAccuracy,
    top1: m.top1,
    saved_at: now.toISOString(),
    tuned_on: o.tuned_on.split,
    measured_on: o.measured_on.split,
    n: m.n,
  };
  if (o.target !== undefined) t.target = o.target;
  if (m.negatives) t.false_accept_rate = m.negatives.falseAcceptRate;
  if (o.max_false_accept !== undefined) t.max_false_accept = o.max_false_accept;
  return t;
}

export const tuneStep = createTuneStep();
