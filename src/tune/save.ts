import { join } from 'node:path';
import { writeJsonAtomic } from '../core/atomic.js';
import type { Workspace } from '../core/workspace.js';
import { refreshHtmlReport, type RefreshResult } from '../evaluate/report-file.js';
import { readLiveModel, sameSetting, type LiveModel } from '../registry/saved-vs-live.js';

/**
 * `ml/metrics/thresholds_vNNN.json`: what `edgewise publish` reads. A contract: add fields, never rename.
 * coverage / selective_accuracy / top1 are measured on the held-out test split at (tau, margin).
 */
export interface ThresholdsFile {
  version: string;
  tau: number;
  margin: number;
  temperature: number;
  coverage: number;
  selective_accuracy: number | null;
  top1: number;
  /** The selective-accuracy target the setting was suggested for, when it was. */
  target?: number;
  saved_at: string;
  /** Split the thresholds were chosen on, and the split the numbers above were measured on. */
  tuned_on: string;
  measured_on: string;
  n: number;
  false_accept_rate?: number | null;
  max_false_accept?: number;
}

export function thresholdsPath(metricsDir: string, version: string): string {
  return join(metricsDir, `thresholds_${version}.json`);
}

export interface SaveResult {
  path: string;
  /** The training run the thresholds are for, and what was saved. */
  run: string;
  tau: number;
  margin: number;
  temperature: number;
  /** What public/models ships now (any run), so the caller can say what Publish would change. */
  live?: LiveModel;
  /** The run's HTML report, drawn again with these thresholds; or why it was not. */
  report: RefreshResult;
}

/**
 * Writes the thresholds file, then redraws the run's HTML report (eval's, in the same folder) so it shows
 * them. Nothing that ships changes: that is Publish's (it shows old vs new and asks).
 */
export async function saveThresholds(ws: Workspace, t: ThresholdsFile): Promise<SaveResult> {
  const path = thresholdsPath(ws.metricsDir, t.version);
  await writeJsonAtomic(path, t);
  const report = await refreshHtmlReport(ws, t.version);
  const live = readLiveModel(ws);
  return { path, run: t.version, tau: t.tau, margin: t.margin, temperature: t.temperature, report, ...(live ? { live } : {}) };
}

/** True when Publish would ship something new: the saved thresholds are not what the app gets now. */
export function savePending(r: Omit<SaveResult, 'report'>): boolean {
  return !r.live || r.live.run !== r.run || !sameSetting(r, r.live);
}

/** After a save: what was written and what ships now. `publishHint` says how to ship (a key, a command). */
export function describeSave(r: Omit<SaveResult, 'report'>, rel: (p: string) => string, publishHint: string): string {
  const wrote = `Saved ${rel(r.path)}: tau ${r.tau.toFixed(2)}, margin ${r.margin.toFixed(2)} (nothing shipped).`;
  if (!r.live) return `${wrote} Nothing is published yet: ${publishHint}.`;
  if (r.live.run !== r.run) return `${wrote} The app gets ${r.live.version} (run ${r.live.run}): ${publishHint}.`;
  if (!savePending(r)) return `${wrote} The live ${r.live.version} already ships these.`;
  return `${wrote} Live ${r.live.version} still ships tau ${r.live.tau.toFixed(2)}, margin ${r.live.margin.toFixed(2)}: ${publishHint}.`;
}
