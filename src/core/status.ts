import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE } from '../config/load.js';
import type { Journal } from './journal.js';

export type StepState = 'done' | 'stale' | 'todo';

/** The job's steps in order; `after` names the steps whose newer results make this one out of date. */
export const JOB_STEPS = ['validate', 'split', 'upload', 'train', 'vertex-train', 'vertex-export', 'eval', 'tune', 'publish'] as const;

/**
 * Where the workspace stands, from the journal alone (cheap enough for every home-screen refresh):
 * done = finished with its artifacts present and nothing upstream finished since; stale = finished but an
 * upstream step ran again later, or an artifact is gone; todo = never finished.
 */
export function stepStates(root: string, journal: Journal, order: readonly string[] = JOB_STEPS): Record<string, StepState> {
  journal.reload();
  const out: Record<string, StepState> = { configure: existsSync(join(root, CONFIG_FILE)) ? 'done' : 'todo' };
  let upstreamLatest = '';
  for (const name of order) {
    const rec = journal.step(name);
    if (!rec) {
      out[name] = 'todo';
      continue;
    }
    const missing = rec.artifacts.some((a) => !existsSync(join(root, a)));
    out[name] = missing || (upstreamLatest !== '' && rec.finishedAt < upstreamLatest) ? 'stale' : 'done';
    if (rec.finishedAt > upstreamLatest) upstreamLatest = rec.finishedAt;
  }
  return out;
}
