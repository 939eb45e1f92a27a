import { InputError } from '../../core/errors.js';
import type { Step } from '../../core/step.js';
import { openCloudSession } from '../../cloud/session.js';
import type { VertexSettings } from '../../config/schema.js';
import { TERMINAL_STATES, cancelPipeline, getPipeline, type PipelineState } from '../../cloud/vertex.js';
import { describeSnapshot, pipelineFromJournal, recordSnapshot, statusData } from './watch.js';

export interface CancelOutput {
  pipeline: string;
  /** State after the request (usually CANCELLING, then CANCELLED within minutes). */
  state: PipelineState;
  cancelled: boolean;
}

/**
 * Asks Vertex to cancel the journal's pipeline. Only `edgewise cancel` (after confirmation) and the
 * status pane's confirmed cancel key run this: stopping a watcher never does.
 */
export const vertexCancelStep: Step<{ settings?: Partial<VertexSettings> }, CancelOutput> = {
  name: 'vertex-cancel',
  title: 'Cancel the Vertex AI training pipeline',
  async *run(input, ctx) {
    const rec = pipelineFromJournal(ctx);
    const s = await openCloudSession(ctx.config, { needBucket: false, ...(input.settings ? { settings: input.settings } : {}) });
    try {
      const before = await getPipeline(s, rec.name, ctx.signal);
      if (TERMINAL_STATES.has(before.state)) {
        recordSnapshot(ctx, before);
        throw new InputError(`Training pipeline ${rec.name} already ended (${before.state}); there is nothing to cancel.`, { code: 'vertex.already_ended', item: rec.name, hint: before.state === 'SUCCEEDED' ? 'Export it with `edgewise export`.' : 'Start a new one with `edgewise train --backend vertex --force`.' });
      }
      await cancelPipeline(s, rec.name, ctx.signal);
      const after = await getPipeline(s, rec.name, ctx.signal);
      recordSnapshot(ctx, after);
      yield { type: 'status', state: after.state, message: describeSnapshot(after), data: statusData(after, s.project) as unknown as Record<string, unknown> };
      return { pipeline: rec.name, state: after.state, cancelled: true };
    } finally {
      await s.close();
    }
  },
};
