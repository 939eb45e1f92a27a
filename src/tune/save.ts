import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';

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
  /** public/models/model.json, when it holds the same version and was updated. */
  modelJson?: string;
}

/**
 * Writes the thresholds file, and when the published model.json is this same version, its thresholds and
 * metrics.coverage / metrics.selective_accuracy in place (both atomically; other fields untouched).
 */
export async function saveThresholds(metricsDir: string, publicModelsDir: string, t: ThresholdsFile): Promise<SaveResult> {
  const path = thresholdsPath(metricsDir, t.version);
  await writeJsonAtomic(path, t);
  const modelJson = join(publicModelsDir, 'model.json');
  if (!existsSync(modelJson)) return { path };
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(readFileSync(modelJson, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${modelJson} is not valid JSON, so its thresholds were not updated (${path} was saved).`, {
      item: modelJson,
      hint: 'Run `edgewise publish` again to rewrite it.',
      cause: e,
    });
  }
  if (typeof m !== 'object' || m === null || m.version !== t.version) return { path };
  const metrics = typeof m.metrics === 'object' && m.metrics !== null ? (m.metrics as Record<string, unknown>) : {};
  const updated = {
    ...m,
    thresholds: { ...(typeof m.thresholds === 'object' && m.thresholds !== null ? m.thresholds : {}), tau: t.tau, margin: t.margin },
    metrics: { ...metrics, coverage: t.coverage, selective_accuracy: t.selective_accuracy },
  };
  await writeJsonAtomic(modelJson, updated);
  return { path, modelJson };
}
