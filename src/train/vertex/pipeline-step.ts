import { CancelledError, EdgewiseError, InputError } from '../../core/errors.js';
import type { StepEvent } from '../../core/events.js';
import type { Step, StepContext } from '../../core/step.js';
import { openCloudSession, type CloudSession } from '../../cloud/session.js';
import { consoleUrl } from '../../cloud/settings.js';
import type { VertexSettings } from '../../config/schema.js';
import { TERMINAL_STATES, createPipeline, findPipelinesByToken, getPipeline, newRequestToken, type PipelineState } from '../../cloud/vertex.js';
import { ensureDataset, importMissing } from './dataset-step.js';
import { R, readPipeline, type ImportRecord, type PipelineRecord, type PipelineRequestRecord } from './resources.js';
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
    // Images the CSV names but the dataset lacks: training would silently use fewer (and maybe lose a class).
    const imp = ctx.journal.resource<ImportRecord>(R.import);
    const missing = imp && imp.dataset === ds.dataset ? importMissing(imp) : 0;
    if (missing > 0 && !ctx.force) {
      throw new InputError(`${missing} image(s) of the import CSV are missing from dataset ${ds.dataset} (Vertex could not import them); training now would use only the rest.`, {
        code: 'vertex.images_missing',
        item: ds.dataset,
        hint: 'See the vertex.import_item_failed findings above: fix or re-upload those images (`edgewise upload`) and train again, or train without them with `edgewise train --backend vertex --force`.',
      });
    }
    if (missing > 0) yield { type: 'warning', code: 'vertex.images_missing', item: ds.dataset, message: `Training without ${missing} image(s) Vertex could not import (--force).` };
    const created = yield* createOrAdoptPipeline(s, ctx, wanted);
    name = created.name;
    const record: PipelineRecord = {
      name,
      displayName: created.displayName,
      // The settings it was created with (an adopted pipeline may predate a config change).
      ...created.settings,
      createdAt: new Date().toISOString(),
      console: consoleUrl.pipeline(name, s.project),
      state: created.state,
      transitions: [],
    };
    // Recorded before anything else can fail: a lost session must still find (and never duplicate) it.
    ctx.journal.setResource(R.pipeline, record);
    ctx.journal.setResource(R.model, undefined);
    ctx.journal.setResource(R.pipelineRequest, undefined);
  }
  if (input.detach) {
    const snap = await getPipeline(s, name, ctx.signal);
    yield { type: 'log', message: reattachHint() };
    return { ...watchOutput(snap, s.project), dataset: ds.dataset, reattached, detached: true };
  }
  const snap = yield* watchPipeline(s, name, ctx);
  return { ...watchOutput(snap, s.project), dataset: ds.dataset, reattached, detached: false };
}

type Wanted = Omit<PipelineRequestRecord, 'token' | 'at' | 'displayName'>;

/**
 * Creates the pipeline under a request token journaled first and sent as a resource label. A pipeline
 * is billed, so the create call is never blindly retried: after a lost reply (this run) or a dead process
 * (an earlier run) the token is looked up and what it names is adopted; only when nothing carries it is
 * a pipeline created.
 */
async function* createOrAdoptPipeline(s: CloudSession, ctx: StepContext, wanted: Wanted): AsyncGenerator<StepEvent, { name: string; displayName: string; state: PipelineState; settings: Wanted }, void> {
  const cfg = ctx.config;
  const j = ctx.journal;
  let request = j.resource<PipelineRequestRecord>(R.pipelineRequest);
  const sameRequest = request && (Object.keys(wanted) as Array<keyof Wanted>).every((k) => request![k] === wanted[k]);
  if (request) {
    const found = await findPipelinesByToken(s, request.token, ctx.signal);
    if (found[0]) {
      const { token: _t, at: _a, displayName, ...settings } = request;
      yield {
        type: 'log',
        message: `Found training pipeline ${found[0].name} (${found[0].state}) started by an earlier run whose reply was lost (request ${request.token}); following it instead of starting another.${sameRequest ? '' : ' Its settings differ from the current config: cancel it (`edgewise cancel`) to start another.'}`,
      };
      return { name: found[0].name, displayName: found[0].displayName ?? displayName, state: found[0].state, settings };
    }
    if (!sameRequest) request = undefined;
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  request ??= { token: newRequestToken(), displayName: `${cfg.datasetDisplayName}-${stamp}`.slice(0, 128), ...wanted, at: new Date().toISOString() };
  j.setResource(R.pipelineRequest, request);
  const req = { displayName: request.displayName, token: request.token, dataset: wanted.dataset, modelDisplayName: `${cfg.datasetDisplayName}-model-${stamp}`.slice(0, 128), modelType: cfg.modelType, budgetMilliNodeHours: cfg.budgetMilliNodeHours, disableEarlyStopping: cfg.disableEarlyStopping };
  try {
    const snap = await createPipeline(s, req, ctx.signal);
    yield { type: 'log', message: `Created training pipeline ${snap.name} (${cfg.modelType}, budget ${cfg.budgetMilliNodeHours / 1000} node hours${cfg.disableEarlyStopping ? ', early stopping off' : ''})` };
    return { name: snap.name, displayName: request.displayName, state: snap.state, settings: wanted };
  } catch (e) {
    if (e instanceof CancelledError || ctx.signal.aborted) throw e;
    // The request may have been carried out even though no reply came back: look before giving up.
    const token = request.token;
    const found = await findPipelinesByToken(s, token, ctx.signal).catch(() => []);
    if (found[0]) {
      yield { type: 'log', message: `The reply to the pipeline creation was lost, but pipeline ${found[0].name} carries this run's request label ${token}: following it.` };
      return { name: found[0].name, displayName: request.displayName, state: found[0].state, settings: wanted };
    }
    if (e instanceof EdgewiseError) {
      throw new EdgewiseError(e.message, {
        code: e.code,
        ...(e.item ? { item: e.item } : {}),
        hint: `${e.hint ? `${e.hint} ` : ''}If Vertex did start the pipeline, the next \`edgewise train --backend vertex\` finds it by its request label (${token}) instead of starting a second one.`,
        cause: e,
        exitCode: e.exitCode,
      });
    }
    throw e;
  }
}
