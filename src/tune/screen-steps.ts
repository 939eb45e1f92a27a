import { existsSync, readFileSync } from 'node:fs';
import { hashValue } from '../core/hash.js';
import type { Step } from '../core/step.js';
import { prepareTuning, toPlain, type ClassifierFactory, type PlainScored, type PrepareInput } from './prepare.js';
import { saveThresholds, thresholdsPath, type SaveResult, type ThresholdsFile } from './save.js';

/** What the tuning screen needs, as plain JSON (step outputs must be serialisable). */
export interface TuneSession {
  version: string;
  predictions: string;
  labels: string[];
  temperature: number;
  tunedOn: 'test' | 'validation';
  measuredOn: 'test' | 'validation';
  tune: PlainScored;
  /** Same split as `tune` when tunedOn === measuredOn. */
  measure?: PlainScored;
  negatives?: { source: string; p1: number[]; p2: number[] };
  /** The thresholds saved earlier for this version, if any: the sliders start there. */
  saved?: { tau: number; margin: number };
}

/** Loads predictions (and scores negatives) for the screen. No fingerprint: always fresh. */
export function createTuneLoadStep(classifierFactory?: ClassifierFactory): Step<PrepareInput, TuneSession> {
  return {
    name: 'tune-load',
    title: 'Load predictions for tuning',
    async *run(input, ctx) {
      const prep = yield* prepareTuning(input, ctx, classifierFactory);
      const { loaded } = prep;
      const session: TuneSession = {
        version: loaded.version,
        predictions: ctx.workspace.rel(loaded.path),
        labels: loaded.labels,
        temperature: loaded.temperature,
        tunedOn: prep.tunedOn,
        measuredOn: prep.measuredOn,
        tune: toPlain(loaded.splits[prep.tunedOn]),
      };
      if (prep.measuredOn !== prep.tunedOn) session.measure = toPlain(loaded.splits[prep.measuredOn]);
      if (prep.negatives) session.negatives = { source: prep.negatives.source, p1: Array.from(prep.negatives.p1), p2: Array.from(prep.negatives.p2) };
      const tp = thresholdsPath(ctx.workspace.metricsDir, loaded.version);
      if (existsSync(tp)) {
        try {
          const t = JSON.parse(readFileSync(tp, 'utf8')) as Partial<ThresholdsFile>;
          if (typeof t.tau === 'number' && typeof t.margin === 'number') session.saved = { tau: t.tau, margin: t.margin };
        } catch {
          yield { type: 'warning', code: 'tune.bad_thresholds', message: `${ctx.workspace.rel(tp)} is not valid JSON; starting from the suggestion.`, item: tp };
        }
      }
      return session;
    },
  };
}

export const tuneLoadStep = createTuneLoadStep();

/** Saves what the screen measured: the thresholds file only (Publish ships it, after showing old vs new). */
export const tuneSaveStep: Step<ThresholdsFile, SaveResult> = {
  // Journalled as `tune`, like the headless step, so the wizard shows tuning as done. The fingerprint holds
  // saved_at, so a save always runs, and never matches a headless run's fingerprint.
  name: 'tune',
  title: 'Save thresholds',
  fingerprint: (record) => hashValue({ kind: 'tune-screen', record }),
  artifacts: (out) => [out.path],
  writes: (_record, ctx) => [ctx.workspace.stateDir, ctx.workspace.metricsDir],
  async *run(record, ctx) {
    const r = await saveThresholds(ctx.workspace, record);
    yield { type: 'artifact', path: ctx.workspace.rel(r.path), kind: 'thresholds', description: `tau ${r.tau.toFixed(2)}, margin ${r.margin.toFixed(2)}` };
    if ('path' in r.report) yield { type: 'artifact', path: ctx.workspace.rel(r.report.path), kind: 'report', description: 'redrawn with these thresholds' };
    else yield { type: 'warning', code: 'tune.report_not_redrawn', message: `The HTML report was not redrawn: ${r.report.skipped}.` };
    return { ...r, path: ctx.workspace.rel(r.path), report: 'path' in r.report ? { path: ctx.workspace.rel(r.report.path) } : r.report };
  },
};
