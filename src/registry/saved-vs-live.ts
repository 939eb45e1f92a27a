import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Workspace } from '../core/workspace.js';

/** The thresholds a run carries: saved by Tune (ml/metrics/thresholds_<run>.json) or live in model.json. */
export interface ThresholdSetting {
  tau: number;
  margin: number;
  temperature: number;
}

/** What the app downloads now: public/models/model.json's version, its training run and thresholds. */
export interface LiveModel extends ThresholdSetting {
  version: string;
  run: string;
}

/** Saved thresholds of the live model's run that are not what ships: Tune saved them, Publish has not shipped them. */
export interface SavedVsLive {
  run: string;
  saved: ThresholdSetting;
  live: LiveModel;
}

// Read on every home-screen refresh: no import of the registry's modules (SQLite, hashing) from here.
const MODEL_JSON = 'model.json';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // a broken model.json is reported by `versions` (inspectPublic), not here
  }
}

/** public/models/model.json as far as thresholds go; undefined when nothing (readable) is published. */
export function readLiveModel(ws: Workspace): LiveModel | undefined {
  const m = readJson(join(ws.publicModelsDir, MODEL_JSON));
  const t = m?.thresholds as Record<string, unknown> | undefined;
  if (!m || typeof m.version !== 'string' || typeof m.source_run !== 'string' || typeof t !== 'object' || t === null) return undefined;
  const tau = num(t.tau);
  const margin = num(t.margin);
  if (tau === undefined || margin === undefined) return undefined;
  return { version: m.version, run: m.source_run, tau, margin, temperature: num(m.temperature) ?? 1 };
}

/** The thresholds file Tune saved for a run, if readable. */
export function readSavedThresholds(ws: Workspace, run: string): ThresholdSetting | undefined {
  const t = readJson(join(ws.metricsDir, `thresholds_${run}.json`));
  const tau = num(t?.tau);
  const margin = num(t?.margin);
  if (tau === undefined || margin === undefined) return undefined;
  return { tau, margin, temperature: num(t?.temperature) ?? 1 };
}

/** Same setting as published (model.json rounds nothing, but compare at the grid's precision anyway). */
export function sameSetting(a: ThresholdSetting, b: ThresholdSetting): boolean {
  const eq = (x: number, y: number): boolean => Math.abs(x - y) < 5e-7;
  return eq(a.tau, b.tau) && eq(a.margin, b.margin) && eq(a.temperature, b.temperature);
}

/** The live model's run has saved thresholds other than the live ones: they wait for Publish. Cheap (two small files). */
export function savedVsLive(ws: Workspace): SavedVsLive | undefined {
  const live = readLiveModel(ws);
  if (!live) return undefined;
  const saved = readSavedThresholds(ws, live.run);
  if (!saved || sameSetting(saved, live)) return undefined;
  return { run: live.run, saved, live };
}

function setting(t: ThresholdSetting, withTemperature: boolean): string {
  return `tau ${t.tau.toFixed(2)}, margin ${t.margin.toFixed(2)}${withTemperature ? `, T ${t.temperature.toFixed(2)}` : ''}`;
}

/** "saved for v001: tau 0.27, margin 0.00; live (v002): tau 0.85, margin 0.00 — publish to ship" */
export function describeSavedVsLive(d: SavedVsLive): string {
  const t = Math.abs(d.saved.temperature - d.live.temperature) >= 5e-7;
  return `saved for ${d.run}: ${setting(d.saved, t)}; live (${d.live.version}): ${setting(d.live, t)} — publish to ship`;
}
