import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerOf, googleError, readBody, sendJson, startServer, type FakeBase } from './http-util.js';
import type { FakeGcs } from './gcs.js';
import { fakeVertexTflite } from './tflite.js';

/**
 * A fake Vertex AI REST API (v1, the routes the Node SDK's REST fallback calls) on 127.0.0.1: datasets,
 * imports, AutoML training pipelines that walk through states one poll at a time, models, tflite export
 * (written into the fake GCS) and model evaluations with per-label slices. Long-running operations finish
 * after `lroPolls` polls.
 */

const PIPELINE_STATES = ['UNSPECIFIED', 'QUEUED', 'PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLING', 'CANCELLED', 'PAUSED'] as const;
type Short = (typeof PIPELINE_STATES)[number];

export interface FakePipeline {
  name: string;
  body: Record<string, unknown>;
  /** States still to go; the head is the current one. */
  script: Short[];
  state: Short;
  createTime: string;
  startTime?: string;
  endTime?: string;
  gets: number;
  cancelled: boolean;
  modelName?: string;
}

interface Op {
  name: string;
  pollsLeft: number;
  metadataType: string;
  metadata: () => Record<string, unknown>;
  finish: () => { response?: Record<string, unknown>; error?: { code: number; message: string } };
}

export interface FakeVertexOptions {
  project?: string;
  location?: string;
  token?: string;
  gcs?: FakeGcs;
  /** Polls before a long-running operation reports done (default 2). */
  lroPolls?: number;
  /** States a pipeline walks through, one per GET (default QUEUED,QUEUED,RUNNING,RUNNING,RUNNING,SUCCEEDED). */
  pipelineStates?: Short[];
  /** Bytes written as model.tflite by an export (default: a small valid quantized classifier). */
  tfliteBytes?: Buffer;
  labels?: string[];
  /** Write dict.txt beside the model (default true); without it the labels travel inside the .tflite. */
  dictFile?: boolean;
}

export interface FakeVertex extends FakeBase {
  opts: Required<Omit<FakeVertexOptions, 'gcs' | 'token' | 'tfliteBytes'>> & Pick<FakeVertexOptions, 'gcs' | 'token' | 'tfliteBytes'>;
  datasets: Map<string, Record<string, unknown>>;
  imports: Array<{ dataset: string; body: Record<string, unknown> }>;
  pipelines: Map<string, FakePipeline>;
  models: Map<string, Record<string, unknown>>;
  exports: Array<{ model: string; body: Record<string, unknown> }>;
  /** The next import operation ends with this error. */
  failNextImport?: { code: number; message: string };
  /** The next created pipeline ends FAILED with this error. */
  failNextPipeline?: { code: number; message: string };
  pipelineErrors: Map<string, { code: number; message: string }>;
  token: string | undefined;
  /**
   * The access token expires after this many more accepted requests (an OAuth access token lives about an
   * hour): from then on it answers 401 UNAUTHENTICATED with ErrorInfo ACCESS_TOKEN_EXPIRED, as Google does,
   * until `token` is set to a fresh one.
   */
  tokenExpiresAfter: number | undefined;
}

const T = 'type.googleapis.com/google.cloud.aiplatform.v1.';

export function serviceDisabledBody(project = '123456789012'): unknown {
  const message = `Vertex AI API has not been used in project ${project} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/aiplatform.googleapis.com/overview?project=${project} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`;
  return {
    error: {
      code: 403,
      message,
      status: 'PERMISSION_DENIED',
      details: [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', domain: 'googleapis.com', metadata: { service: 'aiplatform.googleapis.com', consumer: `projects/${project}` } },
        { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Google developers console API activation', url: `https://console.developers.google.com/apis/api/aiplatform.googleapis.com/overview?project=${project}` }] },
      ],
    },
  };
}

export function permissionDeniedBody(permission: string, resource: string): unknown {
  return {
    error: {
      code: 403,
      message: `Permission '${permission}' denied on resource '//aiplatform.googleapis.com/${resource}' (or it may not exist).`,
      status: 'PERMISSION_DENIED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'aiplatform.googleapis.com', metadata: { permission, resource } }],
    },
  };
}

export async function startFakeVertex(options: FakeVertexOptions = {}): Promise<FakeVertex> {
  const opts = {
    project: options.project ?? 'demo-project',
    location: options.location ?? 'us-central1',
    lroPolls: options.lroPolls ?? 2,
    pipelineStates: options.pipelineStates ?? (['QUEUED', 'QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED'] as Short[]),
    labels: options.labels ?? ['ants', 'bees'],
    dictFile: options.dictFile ?? true,
    gcs: options.gcs,
    token: options.token,
    tfliteBytes: options.tfliteBytes,
  };
  const ops = new Map<string, Op>();
  const expiredTokens = new Set<string>();
  let seq = 1000;
  let fake!: FakeVertex;
  const now = (): string => new Date().toISOString();

  const enumOut = (intEnums: boolean, s: Short): string | number => (intEnums ? PIPELINE_STATES.indexOf(s) : `PIPELINE_STATE_${s}`);

  const opJson = (op: Op, done: boolean): Record<string, unknown> => {
    const out: Record<string, unknown> = { name: op.name, metadata: { '@type': T + op.metadataType, ...op.metadata() } };
    if (done) {
      out.done = true;
      const r = op.finish();
      if (r.error) out.error = r.error;
      else out.response = r.response ?? { '@type': 'type.googleapis.com/google.protobuf.Empty' };
    }
    return out;
  };

  const newOp = (parent: string, metadataType: string, finish: Op['finish'], metadata: Op['metadata'] = () => ({ genericMetadata: { createTime: now(), updateTime: now() } })): Op => {
    const op: Op = { name: `${parent}/operations/${++seq}`, pollsLeft: fake.opts.lroPolls, metadataType, metadata, finish };
    ops.set(op.name, op);
    return op;
  };

  const pipelineJson = (p: FakePipeline, intEnums: boolean): Record<string, unknown> => {
    const out: Record<string, unknown> = {
      ...p.body,
      name: p.name,
      state: enumOut(intEnums, p.state),
      createTime: p.createTime,
      updateTime: now(),
    };
    if (p.startTime) out.startTime = p.startTime;
    if (p.endTime) out.endTime = p.endTime;
    const budget = Number((p.body.trainingTaskInputs as Record<string, unknown> | undefined)?.budgetMilliNodeHours ?? 0);
    if (p.state === 'RUNNING' || p.state === 'SUCCEEDED') {
      out.trainingTaskMetadata = { costMilliNodeHours: String(Math.min(budget, 1000 * Math.max(1, p.gets))), ...(p.state === 'SUCCEEDED' ? { successfulStopReason: 'MODEL_CONVERGED' } : {}) };
    }
    if (p.state === 'SUCCEEDED' && p.modelName) out.modelToUpload = { ...((p.body.modelToUpload as object | undefined) ?? {}), name: p.modelName };
    if (p.state === 'FAILED') out.error = fake.pipelineErrors.get(p.name) ?? { code: 13, message: 'Internal error' };
    return out;
  };

  const advance = (p: FakePipeline): void => {
    p.gets++;
    if (p.gets === 1) return; // the first read after create shows the initial state
    if (p.cancelled) {
      p.state = p.state === 'CANCELLING' ? 'CANCELLED' : 'CANCELLING';
    } else if (p.script.length > 1) {
      p.script.shift();
      p.state = p.script[0]!;
    }
    if (p.state === 'RUNNING' && !p.startTime) p.startTime = now();
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(p.state) && !p.endTime) {
      p.endTime = now();
      if (p.state === 'SUCCEEDED' && !p.modelName) {
        const id = String(++seq);
        const name = `projects/${fake.opts.project}/locations/${fake.opts.location}/models/${id}`;
        p.modelName = name;
        const display = ((p.body.modelToUpload as Record<string, unknown> | undefined)?.displayName as string | undefined) ?? 'model';
        fake.models.set(name, {
          name,
          displayName: display,
          trainingPipeline: p.name,
          createTime: now(),
          supportedExportFormats: [{ id: 'tflite', exportableContents: [1] }, { id: 'edgetpu-tflite', exportableContents: [1] }, { id: 'tf-js', exportableContents: [1] }],
        });
      }
    }
  };

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (fake.token !== undefined && bearerOf(req) === fake.token && fake.tokenExpiresAfter !== undefined && fake.tokenExpiresAfter-- <= 0) {
      fake.tokenExpiresAfter = undefined;
      expiredTokens.add(fake.token);
      fake.token = `${fake.token}-renewed-elsewhere`;
    }
    if (expiredTokens.has(bearerOf(req) ?? '')) {
      await readBody(req).catch(() => undefined);
      return sendJson(res, 401, {
        error: {
          code: 401,
          message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
          status: 'UNAUTHENTICATED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'ACCESS_TOKEN_EXPIRED', domain: 'googleapis.com', metadata: { service: 'aiplatform.googleapis.com' } }],
        },
      });
    }
    if (fake.token !== undefined && bearerOf(req) !== fake.token) {
      await readBody(req).catch(() => undefined);
      return sendJson(res, 401, googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'));
    }
    const method = req.method ?? 'GET';
    const intEnums = url.search.includes('enum-encoding=int');
    const raw = method === 'POST' ? (await readBody(req)).toString() : '';
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    // Operations are polled at /ui/... or /v1/...
    const path = url.pathname.replace(/^\/(ui|v1)\//, '');
    const loc = `projects/${fake.opts.project}/locations/${fake.opts.location}`;
    let m: RegExpExecArray | null;

    if ((m = /^(.+\/operations\/\d+)$/.exec(path)) && method === 'GET') {
      const op = ops.get(m[1]!);
      if (!op) return sendJson(res, 404, googleError(404, `Operation ${m[1]} not found.`));
      op.pollsLeft--;
      return sendJson(res, 200, opJson(op, op.pollsLeft <= 0));
    }
    if (!path.startsWith(loc)) return sendJson(res, 404, googleError(404, `The resource ${path} was not found (fake serves ${loc}).`));

    if (path === `${loc}/datasets` && method === 'POST') {
      const id = String(++seq);
      const name = `${loc}/datasets/${id}`;
      const ds = { ...body, name, createTime: now() };
      fake.datasets.set(name, ds);
      const op = newOp(name, 'CreateDatasetOperationMetadata', () => ({ response: { '@type': T + 'Dataset', ...ds } }));
      return sendJson(res, 200, opJson(op, false));
    }
    if (path === `${loc}/datasets` && method === 'GET') {
      return sendJson(res, 200, { datasets: [...fake.datasets.values()] });
    }
    if ((m = /^(.+\/datasets\/\d+)$/.exec(path)) && method === 'GET') {
      const ds = fake.datasets.get(m[1]!);
      return ds ? sendJson(res, 200, ds) : sendJson(res, 404, googleError(404, `Dataset ${m[1]} not found.`));
    }
    if ((m = /^(.+\/datasets\/\d+):import$/.exec(path)) && method === 'POST') {
      const ds = m[1]!;
      if (!fake.datasets.has(ds)) return sendJson(res, 404, googleError(404, `Dataset ${ds} not found.`));
      fake.imports.push({ dataset: ds, body });
      const failure = fake.failNextImport;
      fake.failNextImport = undefined;
      const op = newOp(ds, 'ImportDataOperationMetadata', () =>
        failure ? { error: failure } : { response: { '@type': T + 'ImportDataResponse' } },
      );
      return sendJson(res, 200, opJson(op, false));
    }
    if (path === `${loc}/trainingPipelines` && method === 'POST') {
      const id = String(++seq);
      const name = `${loc}/trainingPipelines/${id}`;
      const script = [...fake.opts.pipelineStates];
      const failure = fake.failNextPipeline;
      fake.failNextPipeline = undefined;
      if (failure) {
        script.splice(script.length - 1, 1, 'FAILED');
        fake.pipelineErrors.set(name, failure);
      }
      const p: FakePipeline = { name, body, script, state: script[0]!, createTime: now(), gets: 0, cancelled: false };
      fake.pipelines.set(name, p);
      return sendJson(res, 200, pipelineJson(p, intEnums));
    }
    if ((m = /^(.+\/trainingPipelines\/\d+)$/.exec(path)) && method === 'GET') {
      const p = fake.pipelines.get(m[1]!);
      if (!p) return sendJson(res, 404, googleError(404, `TrainingPipeline ${m[1]} not found.`));
      advance(p);
      return sendJson(res, 200, pipelineJson(p, intEnums));
    }
    if ((m = /^(.+\/trainingPipelines\/\d+):cancel$/.exec(path)) && method === 'POST') {
      const p = fake.pipelines.get(m[1]!);
      if (!p) return sendJson(res, 404, googleError(404, `TrainingPipeline ${m[1]} not found.`));
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(p.state)) return sendJson(res, 400, googleError(400, `Cannot cancel a pipeline in state ${p.state}.`));
      p.cancelled = true;
      p.state = 'CANCELLING';
      return sendJson(res, 200, {});
    }
    if ((m = /^(.+\/models\/\d+)$/.exec(path)) && method === 'GET') {
      const model = fake.models.get(m[1]!);
      return model ? sendJson(res, 200, model) : sendJson(res, 404, googleError(404, `Model ${m[1]} not found.`));
    }
    if ((m = /^(.+\/models\/\d+):export$/.exec(path)) && method === 'POST') {
      const model = m[1]!;
      if (!fake.models.has(model)) return sendJson(res, 404, googleError(404, `Model ${model} not found.`));
      fake.exports.push({ model, body });
      const out = body.outputConfig as { exportFormatId?: string; artifactDestination?: { outputUriPrefix?: string } } | undefined;
      const prefix = out?.artifactDestination?.outputUriPrefix ?? '';
      const folder = `${prefix.replace(/\/?$/, '/')}model-${model.split('/').pop()}/${out?.exportFormatId ?? 'tflite'}/${now().replace(/[:.]/g, '-')}/`;
      let written = false;
      const op = newOp(
        model,
        'ExportModelOperationMetadata',
        () => {
          if (!written) {
            writeExport(folder);
            written = true;
          }
          return { response: { '@type': T + 'ExportModelResponse' } };
        },
        () => ({ genericMetadata: { createTime: now(), updateTime: now() }, outputInfo: { artifactOutputUri: folder } }),
      );
      return sendJson(res, 200, opJson(op, false));
    }
    if ((m = /^(.+\/models\/\d+)\/evaluations$/.exec(path)) && method === 'GET') {
      if (!fake.models.has(m[1]!)) return sendJson(res, 404, googleError(404, `Model ${m[1]} not found.`));
      return sendJson(res, 200, { modelEvaluations: [evaluationJson(m[1]!)] });
    }
    if ((m = /^(.+\/models\/\d+)\/evaluations\/(\d+)\/slices$/.exec(path)) && method === 'GET') {
      const ev = `${m[1]}/evaluations/${m[2]}`;
      return sendJson(res, 200, {
        modelEvaluationSlices: fake.opts.labels.map((label, i) => ({
          name: `${ev}/slices/${i + 1}`,
          slice: { dimension: 'annotationSpec', value: label },
          metricsSchemaUri: 'gs://google-cloud-aiplatform/schema/modelevaluation/classification_metrics_1.0.0.yaml',
          metrics: classificationMetrics(0.9 - i * 0.05),
          createTime: now(),
        })),
      });
    }
    sendJson(res, 404, googleError(404, `fake Vertex has no route for ${method} ${url.pathname}`));
  }

  function writeExport(folder: string): void {
    const gcs = fake.opts.gcs;
    if (!gcs) return;
    const m = /^gs:\/\/([^/]+)\/(.*)$/.exec(folder);
    if (!m) return;
    const [, bucket, prefix] = m as unknown as [string, string, string];
    const tflite = fake.opts.tfliteBytes ?? Buffer.from(fakeVertexTflite(fake.opts.labels.length, 224, fake.opts.dictFile ? undefined : fake.opts.labels));
    gcs.putObject(bucket, `${prefix}model.tflite`, tflite);
    if (fake.opts.dictFile) gcs.putObject(bucket, `${prefix}dict.txt`, fake.opts.labels.join('\n') + '\n', 'text/plain');
    gcs.putObject(bucket, `${prefix}tflite_metadata.json`, JSON.stringify({ inputShape: [1, 224, 224, 3], inputType: 'uint8', outputShape: [1, fake.opts.labels.length], outputType: 'uint8' }), 'application/json');
  }

  function evaluationJson(model: string): Record<string, unknown> {
    const labels = fake.opts.labels;
    return {
      name: `${model}/evaluations/1`,
      metricsSchemaUri: 'gs://google-cloud-aiplatform/schema/modelevaluation/classification_metrics_1.0.0.yaml',
      metrics: {
        ...classificationMetrics(0.88),
        confusionMatrix: {
          annotationSpecs: labels.map((l, i) => ({ id: String(i + 1), displayName: l })),
          rows: labels.map((_, i) => labels.map((__, j) => (i === j ? 9 : 1))),
        },
      },
      createTime: now(),
      sliceDimensions: ['annotationSpec'],
    };
  }

  const { base } = await startServer(handle);
  fake = Object.assign(base, {
    opts,
    datasets: new Map<string, Record<string, unknown>>(),
    imports: [] as FakeVertex['imports'],
    pipelines: new Map<string, FakePipeline>(),
    models: new Map<string, Record<string, unknown>>(),
    exports: [] as FakeVertex['exports'],
    pipelineErrors: new Map<string, { code: number; message: string }>(),
    token: opts.token,
    tokenExpiresAfter: undefined,
  }) as FakeVertex;
  return fake;
}

function classificationMetrics(p: number): Record<string, unknown> {
  return {
    auPrc: p,
    auRoc: Math.min(1, p + 0.05),
    logLoss: 1 - p,
    confidenceMetrics: [0.3, 0.5, 0.8].map((t) => ({ confidenceThreshold: t, precision: Math.min(1, p + t / 10), recall: Math.max(0, p - t / 10), f1Score: p })),
  };
}
