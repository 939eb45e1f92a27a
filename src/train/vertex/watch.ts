import { CancelledError, EdgewiseError, InputError } from '../../core/errors.js';
import type { StepEvent } from '../../core/events.js';
import { formatDuration } from '../../core/progress.js';
import type { Step, StepContext } from '../../core/step.js';
import { sleep } from '../../cloud/retry.js';
import { openCloudSession, type CloudSession } from '../../cloud/session.js';
import { consoleUrl } from '../../cloud/settings.js';
import type { VertexSettings } from '../../config/schema.js';
import { TERMINAL_STATES, getPipeline, pipelineFailure, type PipelineSnapshot, type PipelineState } from '../../cloud/vertex.js';
import { R, readPipeline, type PipelineRecord } from './resources.js';

/** Data carried by every pipeline `status` event (the status pane renders it). */
export interface PipelineStatusData {
  pipeline: string;
  state: PipelineState;
  /** When the state was entered (API time when reported). */
  at: string;
  createTime?: string;
  startTime?: string;
  endTime?: string;
  elapsedSeconds: number;
  budgetMilliNodeHours?: number;
  costMilliNodeHours?: number;
  console: string;
  model?: string;
  error?: { code: number; message: string };
  /** True for the first event after (re)attaching: the state was not necessarily just entered. */
  attached?: boolean;
}

export function reattachHint(): string {
  return 'The pipeline keeps running in Vertex AI; follow it again with `edgewise watch` (or check once with `edgewise status`).';
}

function nodeHours(milli: number | undefined): string {
  return milli === undefined ? '?' : (milli / 1000).toFixed(milli % 1000 === 0 ? 0 : 1);
}

/** Seconds since the pipeline was created (or started), up to its end. */
export function elapsedOf(snap: Pick<PipelineSnapshot, 'createTime' | 'startTime' | 'endTime'>, now = Date.now()): number {
  const from = Date.parse(snap.createTime ?? snap.startTime ?? '');
  if (!Number.isFinite(from)) return 0;
  const to = snap.endTime ? Date.parse(snap.endTime) : now;
  return Math.max(0, (to - from) / 1000);
}

/** When the pipeline entered its current state, from the API's own timestamps when it has one. */
function enteredAt(snap: PipelineSnapshot): string {
  if (TERMINAL_STATES.has(snap.state) && snap.endTime) return snap.endTime;
  if (snap.state === 'RUNNING' && snap.startTime) return snap.startTime;
  if (snap.state === 'QUEUED' && snap.createTime) return snap.createTime;
  return new Date().toISOString();
}

export function statusData(snap: PipelineSnapshot, project: string, attached = false): PipelineStatusData {
  return {
    pipeline: snap.name,
    state: snap.state,
    at: enteredAt(snap),
    ...(snap.createTime ? { createTime: snap.createTime } : {}),
    ...(snap.startTime ? { startTime: snap.startTime } : {}),
    ...(snap.endTime ? { endTime: snap.endTime } : {}),
    elapsedSeconds: elapsedOf(snap),
    ...(snap.budgetMilliNodeHours !== undefined ? { budgetMilliNodeHours: snap.budgetMilliNodeHours } : {}),
    ...(snap.costMilliNodeHours !== undefined ? { costMilliNodeHours: snap.costMilliNodeHours } : {}),
    console: consoleUrl.pipeline(snap.name, project),
    ...(snap.modelName ? { model: snap.modelName } : {}),
    ...(snap.error ? { error: snap.error } : {}),
    ...(attached ? { attached } : {}),
  };
}

/** Elapsed, node hours and stop reason, e.g. `elapsed 1h02m, 3.2 of 24 node hours` (the state is said elsewhere). */
export function describeSnapshot(snap: PipelineSnapshot): string {
  const parts = [`elapsed ${formatDuration(elapsedOf(snap))}`];
  if (snap.costMilliNodeHours !== undefined || snap.budgetMilliNodeHours !== undefined) {
    parts.push(`${nodeHours(snap.costMilliNodeHours)} of ${nodeHours(snap.budgetMilliNodeHours)} node hours`);
  }
  if (snap.successfulStopReason) parts.push(`stopped: ${snap.successfulStopReason}`);
  return parts.join(', ');
}

/** Updates the journal's pipeline record with a fresh snapshot (transitions appended). */
export function recordSnapshot(ctx: StepContext, snap: PipelineSnapshot): PipelineRecord | undefined {
  const rec = readPipeline(ctx.journal);
  if (!rec || rec.name !== snap.name) return rec;
  const last = rec.transitions[rec.transitions.length - 1];
  const transitions = last?.state === snap.state ? rec.transitions : [...rec.transitions, { state: snap.state, at: enteredAt(snap) }];
  const next: PipelineRecord = {
    ...rec,
    state: snap.state,
    transitions,
    checkedAt: new Date().toISOString(),
    ...(snap.costMilliNodeHours !== undefined ? { costMilliNodeHours: snap.costMilliNodeHours } : {}),
    ...(snap.startTime ? { startTime: snap.startTime } : {}),
    ...(snap.endTime ? { endTime: snap.endTime } : {}),
    ...(snap.error ? { error: snap.error } : {}),
    ...(snap.modelName ? { model: snap.modelName } : {}),
  };
  ctx.journal.setResource(R.pipeline, next);
  if (snap.state === 'SUCCEEDED' && snap.modelName) ctx.journal.setResource(R.model, { name: snap.modelName, pipeline: snap.name, at: new Date().toISOString() });
  return next;
}

/**
 * Follows a pipeline to its end: a `status` event on every state change (with API timestamps, elapsed
 * time, budget and cost so far), a `log` line when the cost moves (at most once a minute). Aborting the
 * signal stops watching only: the pipeline is never cancelled from here.
 */
export async function* watchPipeline(s: CloudSession, name: string, ctx: StepContext, opts: { logEveryMs?: number } = {}): AsyncGenerator<StepEvent, PipelineSnapshot, void> {
  let last: PipelineState | undefined;
  let lastCost: number | undefined;
  let lastLog = 0;
  const logEvery = opts.logEveryMs ?? 60_000;
  const console = consoleUrl.pipeline(name, s.project);
  yield { type: 'log', message: `Following ${name}\n  console: ${console}` };
  const watchStarted = Date.now();
  try {
    for (;;) {
      const snap = await getPipeline(s, name, ctx.signal);
      recordSnapshot(ctx, snap);
      const elapsed = elapsedOf(snap);
      yield { type: 'metric', name: 'elapsed_seconds', value: elapsed };
      if (snap.state !== last) {
        yield { type: 'status', state: snap.state, message: describeSnapshot(snap), data: statusData(snap, s.project, last === undefined) as unknown as Record<string, unknown> };
        last = snap.state;
        lastLog = Date.now();
      } else if (snap.costMilliNodeHours !== lastCost && Date.now() - lastLog >= logEvery) {
        yield { type: 'log', message: `${snap.state}: ${describeSnapshot(snap)}` };
        lastLog = Date.now();
      }
      if (snap.costMilliNodeHours !== undefined && snap.costMilliNodeHours !== lastCost) {
        yield { type: 'metric', name: 'cost_milli_node_hours', value: snap.costMilliNodeHours };
        lastCost = snap.costMilliNodeHours;
      }
      if (snap.state === 'SUCCEEDED') return snap;
      if (snap.state === 'FAILED') throw pipelineFailure(snap, console);
      if (snap.state === 'CANCELLED') {
        throw new EdgewiseError(`Training pipeline ${name} was cancelled.`, { code: 'vertex.pipeline_cancelled', item: name, hint: 'Start a new one with `edgewise train --backend vertex --force`.' });
      }
      await sleep(s.settings.pollMs, ctx.signal);
    }
  } catch (e) {
    if (e instanceof CancelledError || ctx.signal.aborted) throw new CancelledError(`Stopped watching ${name}. ${reattachHint()}`);
    if (e instanceof EdgewiseError && e.code === 'cloud.token_expired') throw tokenExpiredWhileWatching(e, name, Date.now() - watchStarted);
    throw e;
  }
}

/**
 * An access token given directly (GOOGLE_OAUTH_ACCESS_TOKEN) lasts about an hour and cannot be renewed, so a
 * long watch outlives it. Nothing is lost: say so, and how to pick the pipeline up again.
 */
export function tokenExpiredWhileWatching(e: EdgewiseError, pipeline: string, watchedMs: number): EdgewiseError {
  return new EdgewiseError(
    `Stopped watching ${pipeline} after ${formatDuration(watchedMs / 1000)}: the access token from ${e.item ?? 'GOOGLE_OAUTH_ACCESS_TOKEN'} has expired (such tokens last about an hour and cannot be renewed). The pipeline keeps running in Vertex AI; nothing is lost.`,
    {
      code: 'cloud.token_expired',
      item: pipeline,
      hint: `Set a fresh token and reattach: ${e.item?.includes('CLOUDSDK_AUTH_ACCESS_TOKEN_FILE') ? '`gcloud auth print-access-token > FILE` (the file CLOUDSDK_AUTH_ACCESS_TOKEN_FILE names)' : '`export GOOGLE_OAUTH_ACCESS_TOKEN=$(gcloud auth print-access-token)`'}, then \`edgewise watch\` (or ⏎ on Vertex training in the wizard). To watch for hours, drop the token and use \`gcloud auth application-default login\`, which renews itself.`,
      cause: e,
    },
  );
}

export interface WatchInput {
  settings?: Partial<VertexSettings>;
}

export interface WatchOutput {
  pipeline: string;
  state: PipelineState;
  model?: string;
  costMilliNodeHours?: number;
  elapsedSeconds: number;
  console: string;
}

export function pipelineFromJournal(ctx: StepContext): PipelineRecord {
  const rec = readPipeline(ctx.journal);
  if (!rec) {
    throw new InputError('There is no Vertex AI training pipeline in the run journal.', {
      code: 'vertex.no_pipeline',
      item: ctx.workspace.rel(ctx.workspace.journalPath),
      hint: 'Start one with `edgewise train --backend vertex`.',
    });
  }
  return rec;
}

export function watchOutput(snap: PipelineSnapshot, project: string): WatchOutput {
  return {
    pipeline: snap.name,
    state: snap.state,
    ...(snap.modelName ? { model: snap.modelName } : {}),
    ...(snap.costMilliNodeHours !== undefined ? { costMilliNodeHours: snap.costMilliNodeHours } : {}),
    elapsedSeconds: elapsedOf(snap),
    console: consoleUrl.pipeline(snap.name, project),
  };
}

/** `edgewise watch`: reattach to the pipeline in the journal and follow it to the end. */
export const vertexWatchStep: Step<WatchInput, WatchOutput> = {
  name: 'vertex-watch',
  title: 'Follow the Vertex AI training pipeline',
  async *run(input, ctx) {
    const rec = pipelineFromJournal(ctx);
    const s = await openCloudSession(ctx.config, { needBucket: false, ...(input.settings ? { settings: input.settings } : {}) });
    try {
      const snap = yield* watchPipeline(s, rec.name, ctx);
      return watchOutput(snap, s.project);
    } finally {
      await s.close();
    }
  },
};

/** `edgewise status`: one look at the pipeline in the journal (fresh from the API), no waiting. */
export const vertexStatusStep: Step<WatchInput, WatchOutput & { transitions: PipelineRecord['transitions']; error?: { code: number; message: string } }> = {
  name: 'vertex-status',
  title: 'Vertex AI training status',
  async *run(input, ctx) {
    const rec = pipelineFromJournal(ctx);
    const s = await openCloudSession(ctx.config, { needBucket: false, ...(input.settings ? { settings: input.settings } : {}) });
    try {
      const snap = await getPipeline(s, rec.name, ctx.signal);
      const updated = recordSnapshot(ctx, snap) ?? rec;
      yield { type: 'status', state: snap.state, message: describeSnapshot(snap), data: statusData(snap, s.project, true) as unknown as Record<string, unknown> };
      return { ...watchOutput(snap, s.project), transitions: updated.transitions, ...(snap.error ? { error: snap.error } : {}) };
    } finally {
      await s.close();
    }
  },
};
