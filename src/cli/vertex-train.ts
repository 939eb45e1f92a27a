import type { CommandOutcome, Harness } from './harness.js';
import { CancelledError } from '../core/errors.js';
import { formatDuration } from '../core/progress.js';
import { uploadStep } from '../cloud/upload-step.js';
import { vertexTrainStep, type VertexTrainOutput } from '../train/vertex/pipeline-step.js';
import { reattachHint, type WatchOutput } from '../train/vertex/watch.js';

export interface VertexTrainOptions {
  /** Start (or find) the pipeline and return without following it. */
  detach?: boolean;
  /** Start a new pipeline even if the journal has a matching one. */
  newPipeline?: boolean;
  [flag: string]: unknown;
}

/** Turns a stopped watcher into a message that says the pipeline goes on and how to follow it again. */
export async function keepRunningOnCancel<T>(pipeline: () => string | undefined, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof CancelledError) {
      const name = pipeline();
      throw new CancelledError(name ? `Stopped watching ${name}. ${reattachHint()}` : e.message);
    }
    throw e;
  }
}

export function summarizePipeline(o: WatchOutput): string {
  const lines = [`Pipeline ${o.pipeline}: ${o.state} after ${formatDuration(o.elapsedSeconds)}${o.costMilliNodeHours !== undefined ? `, ${(o.costMilliNodeHours / 1000).toFixed(1)} node hours used` : ''}`];
  if (o.model) lines.push(`Model: ${o.model}`);
  lines.push(`Console: ${o.console}`);
  return lines.join('\n');
}

/**
 * `edgewise train --backend vertex` (called by the train command): upload (a no-op when nothing changed),
 * dataset + import, the AutoML pipeline, and its status to the end. Ctrl-C stops watching only.
 */
export async function runVertexTrain(h: Harness, opts: VertexTrainOptions = {}): Promise<CommandOutcome> {
  const ctx = h.context();
  await h.run(uploadStep, {});
  const out: VertexTrainOutput = await keepRunningOnCancel(
    () => {
      ctx.journal.reload();
      return ctx.journal.resource<{ name: string }>('vertex.pipeline')?.name;
    },
    () => h.run(vertexTrainStep, { ...(opts.detach ? { detach: true } : {}), ...(opts.newPipeline ? { newPipeline: true } : {}) }),
  );
  const next = out.detached ? reattachHint() : out.state === 'SUCCEEDED' ? 'Next: edgewise export' : '';
  return { output: out, human: [summarizePipeline(out), next].filter(Boolean).join('\n') };
}
