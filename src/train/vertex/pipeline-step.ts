import { InputError } from '../../core/errors.js';
import type { StepEvent } from '../../core/events.js';
import type { Step, StepContext } from '../../core/step.js';
import { openCloudSession, type CloudSession } from '../../cloud/session.js';
import { consoleUrl, type VertexSettings } from '../../cloud/settings.js';
import { TERMINAL_STATES, createPipeline, getPipeline } from '../../cloud/vertex.js';
import { ensureDataset } from './dataset-step.js';
import { R, readPipeline, type PipelineRecord } from './resources.js';
import { reattachHint, watchOutput, watchPipeline, type WatchOutput } from './watch.js';

export interface VertexTrainInput {
  settings?: Partial<VertexSettings>;
  /** Create (or find) the pipeline, then return without following it. */
  detach?: boolean;
  /** Start a new pipeline even when the journal has a matching one. */
  newPipeline?: boolean;
}

export interface VertexTrainOutput extends WatchOutput {
  dataset: string;
  reattached: boolean;
  detached: boolean;
}

/**
 * Dataset + import, then the AutoML image classification pipeline, then its status to the end. A
 * pipeline already in the journal for the same dataset, CSV and settings is reattached to rather than
 * started twice (a second pipeline would be billed twice).
 */
export const vertexTrainStep: Step<VertexTrainInput, VertexTrainOutput> = {
  name: 'vertex-train',
  title: 'Train on Vertex AI AutoML',
  // Never skipped (the journal's pipeline decides: reattach, reuse or create), but a run that followed the
  // pipeline to SUCCEEDED is recorded for the home screen. A detached run has not finished: not recorded.
  fingerprint: (input) => (input.detach ? undefined : `run-${Date.now()}-${process.pid}-${Math.random()}`),
  async *run(input, ctx) {
    const s = await openCloudSession(ctx.config, { ...(input.settings ? { settings: input.settings } : {}) });
    try {
      return yield* trainOnVertex(s, input, ctx);
    } finally {
      await s.close();
    }
  },
};

export async function* trainOnVertex(s: CloudSession, input: VertexTrainInput, ctx: StepContext): AsyncGenerator<StepEvent, VertexTrainOutput, void> {
  const ds = yield* ensureDataset(s, ctx);
  const cfg = ctx.config;
  const wanted = { dataset: ds.dataset, csvMd5: ds.csvMd5, modelType: cfg.modelType, budgetMilliNodeHours: cfg.budgetMilliNodeHours, disableEarlyStopping: cfg.disableEarlyStopping };
  const prev = readPipeline(ctx.journal);
  const same = (p: PipelineRecord): boolean =>
    p.dataset === wanted.dataset && p.csvMd5 === wanted.csvMd5 && p.modelType === wanted.modelType && p.budgetMilliNodeHours === wanted.budgetMilliNodeHours && p.disableEarlyStopping === wanted.disableEarlyStopping;

  let name: string | undefined;
  let reattached = false;
  if (prev && (input.newPipeline || ctx.force)) {
    // Never two billed pipelines at once: a new one only after the previous one ended.
    const snap = await getPipeline(s, prev.name, ctx.signal);
    if (!TERMINAL_STATES.has(snap.state)) {
      throw new InputError(`Training pipeline ${prev.name} is still ${snap.state}; a second one would be billed too.`, {
        code: 'vertex.pipeline_running',
        item: prev.name,
        hint: 'Follow it with `edgewise watch`, or cancel it first with `edgewise cancel`, then train again.',
      });
    }
  }
  if (prev && !input.newPipeline && !ctx.force) {
    const snap = await getPipeline(s, prev.name, ctx.signal);
    if (!TERMINAL_STATES.has(snap.state)) {
      name = prev.name;
      reattached = true;
      yield { type: 'log', message: `Reattaching to ${prev.name} (${snap.state}), started ${prev.createdAt}.${same(prev) ? '' : ' Its settings differ from the current config: cancel it (`edgewise cancel`) to start another.'}` };
    } else if (snap.state === 'SUCCEEDED' && same(prev)) {
      name = prev.name;
      reattached = true;
      yield { type: 'log', message: `${prev.name} already trained this dataset with these settings; use --force to train again.` };
    }
  }
  if (!name) {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    const displayName = `${cfg.datasetDisplayName}-${stamp}`.slice(0, 128);
    const snap = await createPipeline(s, { displayName, dataset: ds.dataset, modelDisplayName: `${cfg.datasetDisplayName}-model-${stamp}`.slice(0, 128), modelType: cfg.modelType, budgetMilliNodeHours: cfg.budgetMilliNodeHours, disableEarlyStopping: cfg.disableEarlyStopping });
    name = snap.name;
    const record: PipelineRecord = {
      name,
      displayName,
      ...wanted,
      createdAt: new Date().toISOString(),
      console: consoleUrl.pipeline(name, s.project),
      state: snap.state,
      transitions: [],
    };
    // Recorded before anything else can fail: a lost session must still find (and never duplicate) it.
    ctx.journal.setResource(R.pipeline, record);
    ctx.journal.setResource(R.model, undefined);
    yield { type: 'log', message: `Created training pipeline ${name} (${cfg.modelType}, budget ${cfg.budgetMilliNodeHours / 1000} node hours${cfg.disableEarlyStopping ? ', early stopping off' : ''})` };
  }
  if (input.detach) {
    const snap = await getPipeline(s, name, ctx.signal);
    yield { type: 'log', message: reattachHint() };
    return { ...watchOutput(snap, s.project), dataset: ds.dataset, reattached, detached: true };
  }
  const snap = yield* watchPipeline(s, name, ctx);
  return { ...watchOutput(snap, s.project), dataset: ds.dataset, reattached, detached: false };
}
