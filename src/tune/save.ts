import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import type { Workspace } from '../core/workspace.js';

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
  /** public/models/model.json, when the thresholds were shipped into it (as a new registry version). */
  modelJson?: string;
  /** The registry version that now carries these thresholds, when a published model was being tuned. */
  published?: { version: string; previous: string | undefined };
}

/**
 * Writes the thresholds file. When the published model.json comes from this same training run, the new
 * thresholds are shipped into it through the registry: published versions are immutable, so editing
 * model.json in place would change what the app does with no record of it. Publishing makes the same
 * .tflite with the new thresholds the next version, all or nothing, and rollback can undo it.
 */
export async function saveThresholds(ws: Workspace, t: ThresholdsFile, emit: (e: StepEvent) => void = () => {}): Promise<SaveResult> {
  const path = thresholdsPath(ws.metricsDir, t.version);
  await writeJsonAtomic(path, t);
  const modelJson = join(ws.publicModelsDir, 'model.json');
  if (!existsSync(modelJson)) return { path };
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(readFileSync(modelJson, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${modelJson} is not valid JSON, so the new thresholds were not shipped (${path} was saved).`, {
      item: modelJson,
      hint: 'Run `edgewise rollback --to <version>` to restore it from the registry, then `edgewise publish`.',
      cause: e,
    });
  }
  if (typeof m !== 'object' || m === null || m.source_run !== t.version) return { path };
  const { publish } = await import('../registry/publish.js');
  const r = await publish(ws, { model: t.version }, emit);
  return { path, modelJson, published: { version: r.version, previous: r.previous } };
}
