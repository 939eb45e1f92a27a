import { EdgewiseError, throwIfCancelled } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import { explainGoogleError } from './google-errors.js';
import { sleep, withRetry } from './retry.js';
import type { CloudSession } from './session.js';
import { SCHEMAS } from './settings.js';

/** Vertex AI calls edgewise makes, with results normalised to plain JSON (journal- and event-friendly). */

export const PIPELINE_STATES = ['UNSPECIFIED', 'QUEUED', 'PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLING', 'CANCELLED', 'PAUSED'] as const;
export type PipelineState = (typeof PIPELINE_STATES)[number];
export const TERMINAL_STATES: ReadonlySet<PipelineState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export interface PipelineSnapshot {
  name: string;
  displayName?: string;
  state: PipelineState;
  createTime?: string;
  startTime?: string;
  endTime?: string;
  updateTime?: string;
  budgetMilliNodeHours?: number;
  costMilliNodeHours?: number;
  successfulStopReason?: string;
  modelType?: string;
  error?: { code: number; message: string };
  modelName?: string;
  datasetId?: string;
}

type Timestamp = { seconds?: string | number | null; nanos?: number | null } | null | undefined;

export function isoOf(t: Timestamp | string): string | undefined {
  if (!t) return undefined;
  if (typeof t === 'string') return t;
  if (t.seconds === undefined || t.seconds === null) return undefined;
  return new Date(Number(t.seconds) * 1000 + Math.round((t.nanos ?? 0) / 1e6)).toISOString();
}

export function normaliseState(s: unknown): PipelineState {
  if (typeof s === 'number') return PIPELINE_STATES[s] ?? 'UNSPECIFIED';
  const name = String(s ?? '').replace(/^PIPELINE_STATE_/, '');
  return (PIPELINE_STATES as readonly string[]).includes(name) ? (name as PipelineState) : 'UNSPECIFIED';
}

type Helpers = (typeof import('@google-cloud/aiplatform'))['helpers'];
let helpersCache: Helpers | undefined;
/** The SDK's protobuf Value converters, loaded with the SDK (only when a cloud step runs). */
export async function valueHelpers(): Promise<Helpers> {
  helpersCache ??= (await import('@google-cloud/aiplatform')).helpers;
  return helpersCache;
}

function valueToObject(v: unknown, h: Helpers): Record<string, unknown> | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = h.fromValue(v as never);
  return o && typeof o === 'object' ? (o as Record<string, unknown>) : undefined;
}

function num(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function snapshotOf(p: Record<string, unknown>, h: Helpers): PipelineSnapshot {
  const inputs = valueToObject(p.trainingTaskInputs, h);
  const meta = valueToObject(p.trainingTaskMetadata, h);
  const err = p.error as { code?: number; message?: string } | null | undefined;
  const model = p.modelToUpload as { name?: string } | null | undefined;
  const snap: PipelineSnapshot = { name: String(p.name), state: normaliseState(p.state) };
  if (p.displayName) snap.displayName = String(p.displayName);
  for (const k of ['createTime', 'startTime', 'endTime', 'updateTime'] as const) {
    const iso = isoOf(p[k] as Timestamp);
    if (iso) snap[k] = iso;
  }
  const budget = num(inputs?.budgetMilliNodeHours);
  if (budget !== undefined) snap.budgetMilliNodeHours = budget;
  if (typeof inputs?.modelType === 'string') snap.modelType = inputs.modelType;
  const cost = num(meta?.costMilliNodeHours);
  if (cost !== undefined) snap.costMilliNodeHours = cost;
  if (typeof meta?.successfulStopReason === 'string' && meta.successfulStopReason) snap.successfulStopReason = meta.successfulStopReason;
  if (err && (err.code || err.message)) snap.error = { code: err.code ?? 0, message: err.message ?? '' };
  if (model?.name) snap.modelName = model.name;
  const idc = p.inputDataConfig as { datasetId?: string } | null | undefined;
  if (idc?.datasetId) snap.datasetId = idc.datasetId;
  return snap;
}

function retry(s: CloudSession, signal?: AbortSignal) {
  return { retries: s.settings.retries, baseMs: s.settings.retryBaseMs, maxMs: s.settings.retryMaxMs, ...(signal ? { signal } : {}) };
}

async function call<T>(s: CloudSession, action: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await withRetry(fn, retry(s, signal));
  } catch (e) {
    throw explainGoogleError(e, { action, project: s.project, service: 'aiplatform.googleapis.com', tokenFrom: s.tokenFrom });
  }
}

interface RawOperation {
  name?: string | null;
  done?: boolean | null;
  error?: { code?: number | null; message?: string | null } | null;
  metadata?: unknown;
}

export interface OperationResult {
  result: Record<string, unknown> | null;
  metadata: Record<string, unknown> | null;
}

/**
 * Polls a long-running operation every `operationPollMs` until done; an operation error becomes an
 * EdgewiseError built by `onError`. Transient poll failures are retried; cancelling stops the waiting,
 * never the operation.
 */
export async function* waitForOperation(
  s: CloudSession,
  name: string,
  check: (name: string) => Promise<{ latestResponse: RawOperation; result: unknown; metadata: unknown }>,
  opts: { what: string; signal: AbortSignal; onError: (err: { code: number; message: string }) => EdgewiseError },
): AsyncGenerator<StepEvent, OperationResult, void> {
  const started = Date.now();
  let polls = 0;
  for (;;) {
    throwIfCancelled(opts.signal);
    const op = await call(s, `check ${opts.what}`, () => check(name), opts.signal);
    const raw = op.latestResponse;
    if (raw.done) {
      if (raw.error && (raw.error.code || raw.error.message)) throw opts.onError({ code: raw.error.code ?? 0, message: raw.error.message ?? '' });
      return { result: (op.result as Record<string, unknown> | null) ?? null, metadata: (op.metadata as Record<string, unknown> | null) ?? null };
    }
    polls++;
    if (polls % 10 === 0) yield { type: 'log', message: `${opts.what}: still running (${Math.round((Date.now() - started) / 1000)} s)` };
    await sleep(s.settings.operationPollMs, opts.signal);
  }
}

/**
 * The resource label carrying edgewise's request token: written to the journal before a create call, so
 * that after a lost reply or a dead process the next run finds what was created (list filtered by it)
 * instead of creating (and paying for) it twice. Label values: lowercase letters, digits, _ and -.
 */
export const REQUEST_LABEL = 'edgewise-request';

export function newRequestToken(): string {
  return `r${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Datasets created with this request token (normally none or one). */
export async function findDatasetsByToken(s: CloudSession, token: string, signal?: AbortSignal): Promise<string[]> {
  const [list] = await call(s, 'look up the dataset by its request label', () => s.datasets.listDatasets({ parent: s.parent, filter: `labels.${REQUEST_LABEL}=${token}` }), signal);
  return list.map((d) => String(d.name)).filter(Boolean);
}

/** Pipelines created with this request token (normally none or one), oldest first. */
export async function findPipelinesByToken(s: CloudSession, token: string, signal?: AbortSignal): Promise<PipelineSnapshot[]> {
  const h = await valueHelpers();
  const [list] = await call(s, 'look up the training pipeline by its request label', () => s.pipelines.listTrainingPipelines({ parent: s.parent, filter: `labels.${REQUEST_LABEL}=${token}` }), signal);
  return list.map((p) => snapshotOf(p as unknown as Record<string, unknown>, h)).sort((a, b) => (a.createTime ?? '').localeCompare(b.createTime ?? ''));
}

/** Starts creating a dataset labelled with `token`; returns the operation name. Not retried (see REQUEST_LABEL). */
export async function createDataset(s: CloudSession, displayName: string, token: string, signal?: AbortSignal): Promise<string> {
  let op: { name?: string | null };
  try {
    [op] = await s.datasets.createDataset({ parent: s.parent, dataset: { displayName, metadataSchemaUri: SCHEMAS.datasetMetadata, labels: { [REQUEST_LABEL]: token } } });
    throwIfCancelled(signal);
  } catch (e) {
    throw explainGoogleError(e, { action: 'create the Vertex AI dataset', project: s.project, service: 'aiplatform.googleapis.com', tokenFrom: s.tokenFrom });
  }
  if (!op.name) throw new EdgewiseError('Vertex AI returned no operation for the dataset creation.', { code: 'vertex.no_operation' });
  return op.name;
}

/** The dataset, or undefined when it no longer exists. */
export async function getDataset(s: CloudSession, name: string, signal?: AbortSignal): Promise<Record<string, unknown> | undefined> {
  try {
    const [ds] = await withRetry(() => s.datasets.getDataset({ name }), retry(s, signal));
    return ds as unknown as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: unknown }).code === 404 || (e as { code?: unknown }).code === 5) return undefined;
    throw explainGoogleError(e, { action: `read dataset ${name}`, project: s.project, tokenFrom: s.tokenFrom });
  }
}

export async function importData(s: CloudSession, dataset: string, csvUri: string, signal?: AbortSignal): Promise<string> {
  const [op] = await call(
    s,
    'start the dataset import',
    () => s.datasets.importData({ name: dataset, importConfigs: [{ gcsSource: { uris: [csvUri] }, importSchemaUri: SCHEMAS.importSingleLabel }] }),
    signal,
  );
  if (!op.name) throw new EdgewiseError('Vertex AI returned no operation for the import.', { code: 'vertex.no_operation' });
  return op.name;
}

export interface PipelineRequest {
  displayName: string;
  /** Sent as the REQUEST_LABEL resource label. */
  token: string;
  dataset: string;
  modelDisplayName: string;
  modelType: string;
  budgetMilliNodeHours: number;
  disableEarlyStopping: boolean;
}

/** The data item label an import sets from the CSV's ML_USE column. */
export const ML_USE_LABEL = 'aiplatform.googleapis.com/ml_use';

/** The AutoML image classification TrainingPipeline (not a CustomJob: that would not be AutoML). */
export function trainingPipelineBody(req: PipelineRequest, helpers: Helpers): Record<string, unknown> {
  return {
    displayName: req.displayName,
    trainingTaskDefinition: SCHEMAS.automlImageClassification,
    // A plain object is silently sent as null: the proto field is a google.protobuf.Value.
    trainingTaskInputs: helpers.toValue({
      modelType: req.modelType,
      budgetMilliNodeHours: req.budgetMilliNodeHours,
      disableEarlyStopping: req.disableEarlyStopping,
      multiLabel: false,
    }),
    // Train, validate and test on edgewise's split (the CSV's ML_USE column, stored by the import as the
    // ml_use label). Without a split Vertex draws its own random 80/10/10 and ignores ML_USE.
    inputDataConfig: {
      datasetId: req.dataset.split('/').pop(),
      filterSplit: {
        trainingFilter: `labels.${ML_USE_LABEL}=training`,
        validationFilter: `labels.${ML_USE_LABEL}=validation`,
        testFilter: `labels.${ML_USE_LABEL}=test`,
      },
    },
    modelToUpload: { displayName: req.modelDisplayName },
    labels: { [REQUEST_LABEL]: req.token },
  };
}

export async function createPipeline(s: CloudSession, req: PipelineRequest, signal?: AbortSignal): Promise<PipelineSnapshot> {
  // Not retried: a retry after a lost reply could start a second (billed) pipeline.
  try {
    const h = await valueHelpers();
    const [p] = await s.pipelines.createTrainingPipeline({ parent: s.parent, trainingPipeline: trainingPipelineBody(req, h) as never });
    throwIfCancelled(signal);
    return snapshotOf(p as unknown as Record<string, unknown>, h);
  } catch (e) {
    throw explainGoogleError(e, { action: 'create the AutoML training pipeline', project: s.project, tokenFrom: s.tokenFrom });
  }
}

export async function getPipeline(s: CloudSession, name: string, signal?: AbortSignal): Promise<PipelineSnapshot> {
  const [p] = await call(s, `read training pipeline ${name}`, () => s.pipelines.getTrainingPipeline({ name }), signal);
  return snapshotOf(p as unknown as Record<string, unknown>, await valueHelpers());
}

export async function cancelPipeline(s: CloudSession, name: string, signal?: AbortSignal): Promise<void> {
  await call(s, `cancel training pipeline ${name}`, () => s.pipelines.cancelTrainingPipeline({ name }), signal);
}

export async function getModel(s: CloudSession, name: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const [m] = await call(s, `read model ${name}`, () => s.models.getModel({ name }), signal);
  return m as unknown as Record<string, unknown>;
}

export async function exportModel(s: CloudSession, model: string, format: string, outputUriPrefix: string, signal?: AbortSignal): Promise<string> {
  const [op] = await call(
    s,
    `export model ${model}`,
    () => s.models.exportModel({ name: model, outputConfig: { exportFormatId: format, artifactDestination: { outputUriPrefix } } }),
    signal,
  );
  if (!op.name) throw new EdgewiseError('Vertex AI returned no operation for the export.', { code: 'vertex.no_operation' });
  return op.name;
}

export interface EvaluationWithSlices {
  name: string;
  metricsSchemaUri?: string;
  createTime?: string;
  metrics: unknown;
  slices: Array<{ name: string; dimension: string; value: string; metrics: unknown }>;
}

/** Every evaluation of the model with its per-label slices, metrics as plain JSON. */
export async function fetchEvaluations(s: CloudSession, model: string, signal?: AbortSignal): Promise<EvaluationWithSlices[]> {
  const helpers = await valueHelpers();
  const [evals] = await call(s, `list evaluations of ${model}`, () => s.models.listModelEvaluations({ parent: model }), signal);
  const out: EvaluationWithSlices[] = [];
  for (const ev of evals) {
    const name = String(ev.name);
    const [slices] = await call(s, `list evaluation slices of ${name}`, () => s.models.listModelEvaluationSlices({ parent: name }), signal);
    out.push({
      name,
      ...(ev.metricsSchemaUri ? { metricsSchemaUri: ev.metricsSchemaUri } : {}),
      ...(isoOf(ev.createTime as Timestamp) ? { createTime: isoOf(ev.createTime as Timestamp)! } : {}),
      metrics: ev.metrics ? helpers.fromValue(ev.metrics as never) : null,
      slices: slices.map((sl) => ({
        name: String(sl.name),
        dimension: String(sl.slice?.dimension ?? ''),
        value: String(sl.slice?.value ?? ''),
        metrics: sl.metrics ? helpers.fromValue(sl.metrics as never) : null,
      })),
    });
  }
  return out;
}

/** A pipeline error in plain words, with what to do. */
export function pipelineFailure(snap: PipelineSnapshot, consoleUrl: string): EdgewiseError {
  const err = snap.error ?? { code: 0, message: 'no error message was reported' };
  const why: Record<number, string> = {
    3: 'Vertex rejected the training data or settings',
    8: 'the project ran out of quota',
    9: 'a precondition was not met',
    13: 'Vertex hit an internal error',
    14: 'the service was unavailable',
  };
  const hint: Record<number, string> = {
    3: 'Check that every label has at least 10 training images (about 100+ recommended) and that the images are JPEG/PNG/GIF/BMP/ICO under 30 MB; fix the data, then `edgewise split`, `edgewise upload` and `edgewise train --backend vertex --force`.',
    8: 'Request more quota (IAM & Admin → Quotas, "Vertex AI") or lower budgetMilliNodeHours, then retry with --force.',
    13: 'This is usually transient: retry with `edgewise train --backend vertex --force`.',
    14: 'Retry with `edgewise train --backend vertex --force` in a few minutes.',
  };
  return new EdgewiseError(`Training pipeline ${snap.name} FAILED: ${why[err.code] ?? 'the pipeline reported an error'}: ${err.message}`, {
    code: 'vertex.pipeline_failed',
    item: snap.name,
    hint: `${hint[err.code] ?? 'Read the full log in the console, fix the cause, and retry with `edgewise train --backend vertex --force`.'} Console: ${consoleUrl}`,
  });
}
