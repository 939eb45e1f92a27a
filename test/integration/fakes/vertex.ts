import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerOf, googleError, readBody, sendJson, startServer, type FakeBase } from './http-util.js';
import type { FakeGcs } from './gcs.js';
import { fakeVertexTflite } from './tflite.js';
import { checkMessage, invalidArgumentBody, V1, type Violation } from './proto-check.js';

/**
 * A fake Vertex AI REST API (v1, the routes the Node SDK's REST fallback calls) on 127.0.0.1: datasets,
 * imports, AutoML training pipelines that walk through states one poll at a time, models, tflite export
 * (written into the fake GCS) and model evaluations with per-label slices. Long-running operations finish
 * after `lroPolls` polls.
 *
 * Strict as Vertex is (docs/notes/vertex-contract.md): every request body is checked against its message
 * type in the SDK's own protos (proto-check.ts), trainingTaskInputs against AutoMlImageClassificationInputs,
 * with the budget ranges and schema URIs Vertex accepts; a bad body answers 400 INVALID_ARGUMENT. And it does
 * what Vertex does with the data: an import reads the CSV from the fake GCS and merges it into the dataset
 * (unreadable images become partial failures), a pipeline splits the dataset (filterSplit on the ml_use
 * labels, or Vertex's default random 80/10/10) and records which image went where, and the model's labels
 * are the dataset's.
 */

/** What Vertex accepts, from the SDK protos' comments and the schema files they name. */
export const KNOWN_URIS = {
  datasetMetadata: new Set(['gs://google-cloud-aiplatform/schema/dataset/metadata/image_1.0.0.yaml']),
  imageImport: new Set([
    'gs://google-cloud-aiplatform/schema/dataset/ioformat/image_classification_single_label_io_format_1.0.0.yaml',
    'gs://google-cloud-aiplatform/schema/dataset/ioformat/image_classification_multi_label_io_format_1.0.0.yaml',
  ]),
  imageClassificationDefinition: 'gs://google-cloud-aiplatform/schema/trainingjob/definition/automl_image_classification_1.0.0.yaml',
};
const ML_USE_KEY = 'aiplatform.googleapis.com/ml_use';
const ML_USES = ['training', 'validation', 'test'] as const;
type MlUse = (typeof ML_USES)[number];

/** One image in a fake dataset: every label any import gave it (imports merge), and its last ml_use. */
export interface FakeDataItem {
  uri: string;
  labels: Set<string>;
  mlUse?: MlUse;
}

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
  /** Which images Vertex trained, validated and tested on (gs:// URIs). */
  split: Record<MlUse, string[]>;
  /** The labels the model learned (the dataset's, sorted). */
  labels: string[];
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
  /** Override the model's labels (default: the labels of the dataset it was trained on). */
  labels?: string[];
  /** Write dict.txt beside the model (default true); without it the labels travel inside the .tflite. */
  dictFile?: boolean;
}

export interface FakeVertex extends FakeBase {
  opts: Required<Omit<FakeVertexOptions, 'gcs' | 'token' | 'tfliteBytes' | 'labels'>> & Pick<FakeVertexOptions, 'gcs' | 'token' | 'tfliteBytes' | 'labels'>;
  datasets: Map<string, Record<string, unknown>>;
  /** The data items of each dataset, by gs:// URI. */
  items: Map<string, Map<string, FakeDataItem>>;
  imports: Array<{ dataset: string; body: Record<string, unknown>; failures: string[] }>;
  /** Requests refused as malformed (400), with the violation: a client test can assert there are none. */
  rejected: Array<{ path: string; violation: Violation }>;
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
    labels: options.labels,
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

  /** 400 INVALID_ARGUMENT as Vertex answers a body that does not parse or a value it refuses. */
  const refuse = (res: ServerResponse, path: string, v: Violation): void => {
    fake.rejected.push({ path, violation: v });
    sendJson(res, 400, invalidArgumentBody(v));
  };
  const invalid = (field: string, description: string): Violation => ({ field, description });

  /** Vertex's list filter, the subset edgewise uses: `labels.KEY=VALUE` (value optionally quoted), AND-ed. */
  const matchesFilter = (filter: string, labels: Record<string, string> | undefined): boolean | Violation => {
    if (!filter.trim()) return true;
    for (const term of filter.split(/\s+AND\s+/)) {
      const m = /^labels\.([a-z0-9_-]+)\s*=\s*"?([a-z0-9_-]*)"?$/.exec(term.trim());
      if (!m) return invalid('filter', `Unsupported filter (the fake models labels.KEY=VALUE only): ${term}`);
      if (labels?.[m[1]!] !== m[2]) return false;
    }
    return true;
  };

  /** Resource labels: keys and values of lowercase letters, digits, _ and -, at most 63 characters, at most 64 labels. */
  const labelViolation = (labels: unknown, at: string): Violation | undefined => {
    if (labels === undefined || labels === null) return undefined;
    const entries = Object.entries(labels as Record<string, string>);
    if (entries.length > 64) return invalid(`${at}.labels`, 'At most 64 labels.');
    for (const [k, v] of entries) {
      if (!/^[a-z][a-z0-9_-]{0,62}$/.test(k) || !/^[a-z0-9_-]{0,63}$/.test(v)) return invalid(`${at}.labels`, `Invalid label ${k}=${v}: keys and values take lowercase letters, digits, underscores and dashes (keys start with a letter), at most 63 characters.`);
    }
    return undefined;
  };

  /** The image checks an import applies to each object: exists, is JPEG/PNG/GIF/BMP/ICO (by its magic bytes), at most 30 MB. */
  const unreadable = (uri: string): string | undefined => {
    const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!m) return `${uri} is not a gs:// URI.`;
    const obj = fake.opts.gcs?.getObject(m[1]!, m[2]!);
    if (!obj) return `Unable to read ${uri}: the object does not exist or is not readable.`;
    const d = obj.data;
    const image =
      (d[0] === 0xff && d[1] === 0xd8 && d[2] === 0xff) ||
      d.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])) ||
      d.subarray(0, 4).toString('latin1') === 'GIF8' ||
      d.subarray(0, 2).toString('latin1') === 'BM' ||
      d.subarray(0, 4).equals(Buffer.from([0, 0, 1, 0]));
    if (!image) return `Unable to decode ${uri}: not a supported image (JPEG, PNG, GIF, BMP, ICO).`;
    if (d.length > 30 * 1024 * 1024) return `${uri} is larger than 30 MB.`;
    return undefined;
  };

  /** Reads the import CSVs from the fake GCS and merges their rows into the dataset; returns the failures. */
  const runImport = (dataset: string, uris: string[]): { failures: string[]; error?: { code: number; message: string } } => {
    const items = fake.items.get(dataset)!;
    const failures: string[] = [];
    for (const csvUri of uris) {
      const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(csvUri);
      const csv = m ? fake.opts.gcs?.getObject(m[1]!, m[2]!) : undefined;
      if (!csv) return { failures, error: { code: 3, message: `Cannot read the import file ${csvUri}.` } };
      for (const [i, line] of csv.data.toString('utf8').split(/\r?\n/).entries()) {
        if (!line.trim()) continue;
        const cells = line.split(',').map((c) => c.trim());
        const mlUse = (ML_USES as readonly string[]).includes(cells[0]!.toLowerCase()) ? (cells.shift()!.toLowerCase() as MlUse) : undefined;
        const [uri, label] = cells;
        if (!uri?.startsWith('gs://')) {
          failures.push(`${csvUri} line ${i + 1}: expected [ML_USE,]GCS_FILE_PATH[,LABEL].`);
          continue;
        }
        const why = unreadable(uri);
        if (why) {
          failures.push(why);
          continue;
        }
        const item = items.get(uri) ?? { uri, labels: new Set<string>() };
        if (label) item.labels.add(label);
        if (mlUse) item.mlUse = mlUse;
        items.set(uri, item);
      }
    }
    return { failures };
  };

  /** Which items Vertex trains, validates and tests on. */
  const splitDataset = (dataset: string, idc: Record<string, unknown>): Record<MlUse, string[]> | Violation => {
    const items = [...(fake.items.get(dataset)?.values() ?? [])].sort((a, b) => a.uri.localeCompare(b.uri));
    const out: Record<MlUse, string[]> = { training: [], validation: [], test: [] };
    const filter = idc.filterSplit as Record<string, string> | undefined;
    if (filter) {
      const byMlUse: Partial<Record<MlUse, MlUse>> = {};
      for (const [key, use] of [['trainingFilter', 'training'], ['validationFilter', 'validation'], ['testFilter', 'test']] as const) {
        const f = filter[key];
        if (!f) return invalid(`training_pipeline.input_data_config.filter_split.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`, 'All three filters are required.');
        const m = new RegExp(`^labels\\.${ML_USE_KEY.replace(/[./]/g, '\\$&')}\\s*=\\s*"?(training|validation|test)"?$`).exec(f.trim());
        if (!m) return invalid('training_pipeline.input_data_config.filter_split', `The fake models ml_use label filters only, not: ${f}`);
        byMlUse[m[1] as MlUse] = use;
      }
      for (const it of items) {
        const to = it.mlUse ? byMlUse[it.mlUse] : undefined;
        if (to) out[to].push(it.uri); // items no filter matches are not used
      }
      return out;
    }
    // Vertex's default (and fractionSplit): a random assignment by fraction; the items' ml_use is ignored.
    const fr = (idc.fractionSplit as Record<string, number> | undefined) ?? { trainingFraction: 0.8, validationFraction: 0.1, testFraction: 0.1 };
    const shuffled = shuffle(items.map((i) => i.uri), dataset);
    const nTrain = Math.round(shuffled.length * (fr.trainingFraction ?? 0));
    const nVal = Math.round(shuffled.length * (fr.validationFraction ?? 0));
    out.training = shuffled.slice(0, nTrain);
    out.validation = shuffled.slice(nTrain, nTrain + nVal);
    out.test = shuffled.slice(nTrain + nVal);
    return out;
  };

  /** The checks of a TrainingPipeline beyond its proto: definition URI, inputs, budget, dataset. */
  const pipelineViolation = (body: Record<string, unknown>): Violation | undefined => {
    if (body.trainingTaskDefinition !== KNOWN_URIS.imageClassificationDefinition) {
      return invalid('training_pipeline.training_task_definition', `Unsupported training task definition: ${String(body.trainingTaskDefinition)} (the fake serves AutoML image classification).`);
    }
    const inputs = body.trainingTaskInputs;
    const v = checkMessage(`${V1}schema.trainingjob.definition.AutoMlImageClassificationInputs`, inputs, 'training_pipeline.training_task_inputs');
    if (v) return v;
    const ti = (inputs ?? {}) as Record<string, unknown>;
    const type = String(ti.modelType ?? 'CLOUD');
    const budget = Number(ti.budgetMilliNodeHours ?? (type.startsWith('MOBILE') ? 24_000 : 192_000));
    const [lo, hi] = type.startsWith('MOBILE') ? [1_000, 100_000] : [8_000, 800_000];
    if (!(budget >= lo && budget <= hi)) {
      return invalid('training_pipeline.training_task_inputs.budget_milli_node_hours', `For model type ${type} the budget must be between ${lo} and ${hi} milli node hours, inclusive (got ${budget}).`);
    }
    const lv = labelViolation(body.labels, 'training_pipeline');
    if (lv) return lv;
    const idc = body.inputDataConfig as Record<string, unknown> | undefined;
    if (!idc?.datasetId) return invalid('training_pipeline.input_data_config.dataset_id', 'An AutoML image pipeline needs input_data_config.dataset_id.');
    return undefined;
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
    let body: Record<string, unknown> = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return refuse(res, url.pathname, invalid('', `Invalid JSON payload received. Unexpected token.\n${raw.slice(0, 40)}`));
      }
    }
    // Operations are polled at /ui/... or /v1/...
    const path = url.pathname.replace(/^\/(ui|v1)\//, '');
    const loc = `projects/${fake.opts.project}/locations/${fake.opts.location}`;
    const filter = url.searchParams.get('filter') ?? '';
    let m: RegExpExecArray | null;
    /** The body checked as the request message it fills (`at` names that field in messages, as Vertex does). */
    const check = (type: string, at: string, value: unknown = body): Violation | undefined => checkMessage(V1 + type, value, at);

    if ((m = /^(.+\/operations\/\d+)$/.exec(path)) && method === 'GET') {
      const op = ops.get(m[1]!);
      if (!op) return sendJson(res, 404, googleError(404, `Operation ${m[1]} not found.`));
      op.pollsLeft--;
      return sendJson(res, 200, opJson(op, op.pollsLeft <= 0));
    }
    if (!path.startsWith(loc)) return sendJson(res, 404, googleError(404, `The resource ${path} was not found (fake serves ${loc}).`));

    if (path === `${loc}/datasets` && method === 'POST') {
      const v =
        check('Dataset', 'dataset') ??
        (!body.displayName ? invalid('dataset.display_name', 'display_name is required.') : undefined) ??
        (!KNOWN_URIS.datasetMetadata.has(String(body.metadataSchemaUri)) ? invalid('dataset.metadata_schema_uri', `Unsupported metadata schema: ${String(body.metadataSchemaUri)}`) : undefined) ??
        labelViolation(body.labels, 'dataset');
      if (v) return refuse(res, url.pathname, v);
      const id = String(++seq);
      const name = `${loc}/datasets/${id}`;
      const ds = { ...body, name, createTime: now() };
      fake.datasets.set(name, ds);
      fake.items.set(name, new Map());
      const op = newOp(name, 'CreateDatasetOperationMetadata', () => ({ response: { '@type': T + 'Dataset', ...datasetJson(name) } }));
      return sendJson(res, 200, opJson(op, false));
    }
    if (path === `${loc}/datasets` && method === 'GET') {
      const found: Record<string, unknown>[] = [];
      for (const name of fake.datasets.keys()) {
        const ok = matchesFilter(filter, fake.datasets.get(name)!.labels as Record<string, string> | undefined);
        if (typeof ok === 'object') return refuse(res, url.pathname, ok);
        if (ok) found.push(datasetJson(name));
      }
      return sendJson(res, 200, { datasets: found });
    }
    if ((m = /^(.+\/datasets\/\d+)$/.exec(path)) && method === 'GET') {
      return fake.datasets.has(m[1]!) ? sendJson(res, 200, datasetJson(m[1]!)) : sendJson(res, 404, googleError(404, `Dataset ${m[1]} not found.`));
    }
    if ((m = /^(.+\/datasets\/\d+):import$/.exec(path)) && method === 'POST') {
      const ds = m[1]!;
      const configs = (body.importConfigs ?? []) as Array<Record<string, unknown>>;
      const v =
        check('ImportDataRequest', 'import_data_request') ??
        (configs.length === 0 ? invalid('import_configs', 'import_configs is required.') : undefined) ??
        configs.map((c, i) => (!KNOWN_URIS.imageImport.has(String(c.importSchemaUri)) ? invalid(`import_configs[${i}].import_schema_uri`, `Unsupported import schema: ${String(c.importSchemaUri)}`) : undefined)).find(Boolean);
      if (v) return refuse(res, url.pathname, v);
      if (!fake.datasets.has(ds)) return sendJson(res, 404, googleError(404, `Dataset ${ds} not found.`));
      const injected = fake.failNextImport;
      fake.failNextImport = undefined;
      const result = injected ? { failures: [] as string[], error: injected } : runImport(ds, configs.flatMap((c) => ((c.gcsSource as { uris?: string[] } | undefined)?.uris ?? [])));
      fake.imports.push({ dataset: ds, body, failures: result.failures });
      const op = newOp(
        ds,
        'ImportDataOperationMetadata',
        () => (result.error ? { error: result.error } : { response: { '@type': T + 'ImportDataResponse' } }),
        () => ({
          genericMetadata: {
            createTime: now(),
            updateTime: now(),
            // Vertex lists at most 20 (GenericOperationMetadata.partial_failures).
            ...(result.failures.length ? { partialFailures: result.failures.slice(0, 20).map((message) => ({ code: 3, message })) } : {}),
          },
        }),
      );
      return sendJson(res, 200, opJson(op, false));
    }
    if (path === `${loc}/trainingPipelines` && method === 'POST') {
      const v = check('TrainingPipeline', 'training_pipeline') ?? pipelineViolation(body);
      if (v) return refuse(res, url.pathname, v);
      const dataset = `${loc}/datasets/${String((body.inputDataConfig as Record<string, unknown>).datasetId)}`;
      if (!fake.datasets.has(dataset)) return sendJson(res, 404, googleError(404, `Dataset ${dataset} not found.`));
      const split = splitDataset(dataset, body.inputDataConfig as Record<string, unknown>);
      if ('field' in split) return refuse(res, url.pathname, split);
      const id = String(++seq);
      const name = `${loc}/trainingPipelines/${id}`;
      const script = [...fake.opts.pipelineStates];
      const failure = fake.failNextPipeline;
      fake.failNextPipeline = undefined;
      if (failure) {
        script.splice(script.length - 1, 1, 'FAILED');
        fake.pipelineErrors.set(name, failure);
      }
      const items = fake.items.get(dataset)!;
      const labels = fake.opts.labels ?? [...new Set([...items.values()].flatMap((i) => [...i.labels]))].sort();
      const p: FakePipeline = { name, body, script, state: script[0]!, createTime: now(), gets: 0, cancelled: false, split, labels };
      fake.pipelines.set(name, p);
      return sendJson(res, 200, pipelineJson(p, intEnums));
    }
    if (path === `${loc}/trainingPipelines` && method === 'GET') {
      const found: Record<string, unknown>[] = [];
      for (const p of fake.pipelines.values()) {
        const ok = matchesFilter(filter, p.body.labels as Record<string, string> | undefined);
        if (typeof ok === 'object') return refuse(res, url.pathname, ok);
        if (ok) found.push(pipelineJson(p, intEnums));
      }
      return sendJson(res, 200, { trainingPipelines: found });
    }
    if ((m = /^(.+\/trainingPipelines\/\d+)$/.exec(path)) && method === 'GET') {
      const p = fake.pipelines.get(m[1]!);
      if (!p) return sendJson(res, 404, googleError(404, `TrainingPipeline ${m[1]} not found.`));
      advance(p);
      return sendJson(res, 200, pipelineJson(p, intEnums));
    }
    if ((m = /^(.+\/trainingPipelines\/\d+):cancel$/.exec(path)) && method === 'POST') {
      const v = check('CancelTrainingPipelineRequest', 'cancel_training_pipeline_request');
      if (v) return refuse(res, url.pathname, v);
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
      const out = body.outputConfig as { exportFormatId?: string; artifactDestination?: { outputUriPrefix?: string } } | undefined;
      const formats = ((fake.models.get(model)?.supportedExportFormats ?? []) as Array<{ id: string }>).map((f) => f.id);
      const v =
        check('ExportModelRequest', 'export_model_request') ??
        (fake.models.has(model) && !formats.includes(String(out?.exportFormatId)) ? invalid('output_config.export_format_id', `Model ${model} does not support export format ${String(out?.exportFormatId)} (supported: ${formats.join(', ')}).`) : undefined) ??
        (!/^gs:\/\/[^/]+\//.test(out?.artifactDestination?.outputUriPrefix ?? '') ? invalid('output_config.artifact_destination.output_uri_prefix', 'A gs:// output URI prefix is required.') : undefined);
      if (v) return refuse(res, url.pathname, v);
      if (!fake.models.has(model)) return sendJson(res, 404, googleError(404, `Model ${model} not found.`));
      fake.exports.push({ model, body });
      const prefix = out?.artifactDestination?.outputUriPrefix ?? '';
      const folder = `${prefix.replace(/\/?$/, '/')}model-${model.split('/').pop()}/${out?.exportFormatId ?? 'tflite'}/${now().replace(/[:.]/g, '-')}/`;
      let written = false;
      const op = newOp(
        model,
        'ExportModelOperationMetadata',
        () => {
          if (!written) {
            writeExport(folder, modelLabels(model));
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
        modelEvaluationSlices: modelLabels(m[1]!).map((label, i) => ({
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

  /** A dataset as GET returns it: dataItemCount is how many images the imports kept (int64: a string). */
  function datasetJson(name: string): Record<string, unknown> {
    return { ...fake.datasets.get(name)!, dataItemCount: String(fake.items.get(name)?.size ?? 0), updateTime: now() };
  }

  /** The labels of the model: those of the dataset its pipeline trained on. */
  function modelLabels(model: string): string[] {
    const p = [...fake.pipelines.values()].find((x) => x.modelName === model);
    return p?.labels ?? fake.opts.labels ?? [];
  }

  function writeExport(folder: string, labels: string[]): void {
    const gcs = fake.opts.gcs;
    if (!gcs) return;
    const m = /^gs:\/\/([^/]+)\/(.*)$/.exec(folder);
    if (!m) return;
    const [, bucket, prefix] = m as unknown as [string, string, string];
    const tflite = fake.opts.tfliteBytes ?? Buffer.from(fakeVertexTflite(labels.length, 224, fake.opts.dictFile ? undefined : labels));
    gcs.putObject(bucket, `${prefix}model.tflite`, tflite);
    if (fake.opts.dictFile) gcs.putObject(bucket, `${prefix}dict.txt`, labels.join('\n') + '\n', 'text/plain');
    gcs.putObject(bucket, `${prefix}tflite_metadata.json`, JSON.stringify({ inputShape: [1, 224, 224, 3], inputType: 'uint8', outputShape: [1, labels.length], outputType: 'uint8' }), 'application/json');
  }

  function evaluationJson(model: string): Record<string, unknown> {
    const labels = modelLabels(model);
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
    items: new Map<string, Map<string, FakeDataItem>>(),
    imports: [] as FakeVertex['imports'],
    rejected: [] as FakeVertex['rejected'],
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

/** A deterministic shuffle (seeded by the dataset name), standing in for Vertex's random split. */
function shuffle<T>(xs: T[], seed: string): T[] {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 3266489909) >>> 0;
    const j = h % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
