import { describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runStepCollect, type RunnerEvent } from '../../src/core/step.js';
import { uploadStep } from '../../src/cloud/upload-step.js';
import { openCloudSession } from '../../src/cloud/session.js';
import { trainingPipelineBody, valueHelpers } from '../../src/cloud/vertex.js';
import { vertexTrainStep } from '../../src/train/vertex/pipeline-step.js';
import { vertexExportStep } from '../../src/train/vertex/export-step.js';
import { BUCKET, PROJECT, TOKEN, fakeConfig, makeWorkspace, type FakeCloud, type TestWorkspace, useFakeCloud } from './helpers.js';

/**
 * The fake Vertex holds the client to Vertex's contract (docs/notes/vertex-contract.md): each check is shown
 * to refuse a bad body, and what Vertex does with the data (split, merge, partial failures, labels) is what
 * edgewise's own steps are tested against.
 */
let cloud: FakeCloud;
let ws: TestWorkspace;
useFakeCloud({}, (c, w) => {
  cloud = c;
  ws = w;
});

const LOC = `projects/${PROJECT}/locations/us-central1`;
const DEF = 'gs://google-cloud-aiplatform/schema/trainingjob/definition/automl_image_classification_1.0.0.yaml';

async function post(path: string, body: unknown): Promise<{ status: number; json: { error?: { code: number; status: string; message: string; details: Array<Record<string, unknown>> }; name?: string } }> {
  const res = await fetch(`${cloud.vertex.url}/v1/${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as never };
}

const goodPipeline = (datasetId: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  displayName: 'p',
  trainingTaskDefinition: DEF,
  trainingTaskInputs: { modelType: 'MOBILE_TF_VERSATILE_1', budgetMilliNodeHours: '24000', multiLabel: false },
  inputDataConfig: { datasetId },
  ...over,
});

/** The CSV's split: ml_use → gs:// URIs. */
function csvSplit(w: TestWorkspace): Record<string, string[]> {
  const out: Record<string, string[]> = { training: [], validation: [], test: [] };
  for (const line of readFileSync(join(w.root, 'ml/dataset/vertex_dataset.csv'), 'utf8').trim().split('\n')) {
    const [use, uri] = line.split(',');
    out[use!]!.push(uri!);
  }
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

const warnings = (events: RunnerEvent[], code: string): Array<{ item?: string; message: string }> =>
  events.filter((e) => e.type === 'warning' && e.code === code) as never;

describe('the fake refuses what Vertex refuses (400 INVALID_ARGUMENT)', { timeout: 240_000 }, () => {
  test('each check fails on a bad body, and passes the good one', async () => {
    const ds = await post(`${LOC}/datasets`, { displayName: 'd', metadataSchemaUri: 'gs://google-cloud-aiplatform/schema/dataset/metadata/image_1.0.0.yaml' });
    expect(ds.status).toBe(200);
    const datasetId = [...cloud.vertex.datasets.keys()][0]!.split('/').pop()!;

    const cases: Array<[string, string, unknown, RegExp]> = [
      ['unknown field', `${LOC}/trainingPipelines`, goodPipeline(datasetId, { trainingBudget: 1 }), /Unknown name "trainingBudget" at 'training_pipeline': Cannot find field/],
      ['wrong type', `${LOC}/trainingPipelines`, goodPipeline(datasetId, { displayName: 7 }), /Invalid value at 'training_pipeline.display_name' \(TYPE_STRING\), 7/],
      ['unknown enum name', `${LOC}/trainingPipelines`, goodPipeline(datasetId, { state: 'PIPELINE_STATE_DONE' }), /training_pipeline.state.*PipelineState/],
      ['nested unknown field', `${LOC}/trainingPipelines`, goodPipeline(datasetId, { inputDataConfig: { datasetId, split: 'x' } }), /Unknown name "split" at 'training_pipeline.input_data_config'/],
      ['two members of a oneof', `${LOC}/trainingPipelines`, goodPipeline(datasetId, { inputDataConfig: { datasetId, fractionSplit: { trainingFraction: 0.8 }, filterSplit: { trainingFilter: 'a' } } }), /Oneof field 'split' is already set/],
      ['inputs: unknown model type', `${LOC}/trainingPipelines`, goodPipeline(datasetId, { trainingTaskInputs: { modelType: 'MOBILE_TF_FAST', budgetMilliNodeHours: 24000 } }), /training_task_inputs.model_type.*ModelType/],
      ['inputs: unknown field', `${LOC}/trainingPipelines`, goodPipeline(datasetId, { trainingTaskInputs: { modelType: 'MOBILE_TF_VERSATILE_1', budget: 24000 } }), /Unknown name "budget" at 'training_pipeline.training_task_inputs'/],
      ['inputs: missing (a plain object the SDK sends as null)', `${LOC}/trainingPipelines`, goodPipeline(datasetId, { trainingTaskInputs: null }), /training_task_inputs/],
      ['mobile budget under 1,000', `${LOC}/trainingPipelines`, goodPipeline(datasetId, { trainingTaskInputs: { modelType: 'MOBILE_TF_VERSATILE_1', budgetMilliNodeHours: 999 } }), /between 1000 and 100000/],
      ['mobile budget over 100,000', `${LOC}/trainingPipelines`, goodPipeline(datasetId, { trainingTaskInputs: { modelType: 'MOBILE_TF_LOW_LATENCY_1', budgetMilliNodeHours: 100001 } }), /between 1000 and 100000/],
      ['unknown definition URI', `${LOC}/trainingPipelines`, goodPipeline(datasetId, { trainingTaskDefinition: 'gs://google-cloud-aiplatform/schema/trainingjob/definition/automl_image_classification_9.yaml' }), /Unsupported training task definition/],
      ['bad resource label', `${LOC}/trainingPipelines`, goodPipeline(datasetId, { labels: { 'edgewise-request': 'Upper Case' } }), /Invalid label/],
      ['unknown dataset schema URI', `${LOC}/datasets`, { displayName: 'd', metadataSchemaUri: 'gs://google-cloud-aiplatform/schema/dataset/metadata/photo_1.0.0.yaml' }, /Unsupported metadata schema/],
      ['unknown import schema URI', `${LOC}/datasets/${datasetId}:import`, { importConfigs: [{ gcsSource: { uris: ['gs://b/x.csv'] }, importSchemaUri: 'gs://google-cloud-aiplatform/schema/dataset/ioformat/image_single_label.yaml' }] }, /Unsupported import schema/],
      ['import: wrong type', `${LOC}/datasets/${datasetId}:import`, { importConfigs: { gcsSource: { uris: ['gs://b/x.csv'] } } }, /import_configs.*expected a list/],
      ['export: unknown format', `${LOC}/models/1:export`, { outputConfig: { exportFormatId: 'tflite', artifactDestination: { outputUriPrefix: 'gs://b/x/' } }, extra: true }, /Unknown name "extra"/],
      ['cancel: unknown field', `${LOC}/trainingPipelines/1:cancel`, { force: true }, /Unknown name "force"/],
    ];
    for (const [what, path, body, message] of cases) {
      const r = await post(path, body);
      expect({ what, status: r.status, code: r.json.error?.status }).toEqual({ what, status: 400, code: 'INVALID_ARGUMENT' });
      expect(r.json.error!.message, what).toMatch(message);
      expect(r.json.error!.details[0]).toMatchObject({ '@type': 'type.googleapis.com/google.rpc.BadRequest' });
    }
    expect(cloud.vertex.pipelines.size).toBe(0);
    // The good body passes (the checks are not a blanket refusal), with budgets at both ends of the range.
    for (const budget of ['1000', 100000]) {
      const ok = await post(`${LOC}/trainingPipelines`, goodPipeline(datasetId, { trainingTaskInputs: { modelType: 'MOBILE_TF_HIGH_ACCURACY_1', budgetMilliNodeHours: budget } }));
      expect(ok.status).toBe(200);
    }
    expect(cloud.vertex.pipelines.size).toBe(2);
  });

  test('the whole flow through the real SDK sends nothing the fake refuses', async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    await runStepCollect(vertexTrainStep, {}, ws.ctx());
    await runStepCollect(vertexExportStep, {}, ws.ctx());
    expect(cloud.vertex.rejected).toEqual([]);
    expect(cloud.vertex.exports).toHaveLength(1);
  });
});

// Each test runs several steps through the SDK (seconds each on a loaded 2-core machine): generous timeouts.
describe("Vertex's behaviour, modelled", { timeout: 240_000 }, () => {
  test("edgewise's split reaches Vertex: the pipeline's train/validation/test sets are exactly the CSV's (defect 1)", async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    await runStepCollect(vertexTrainStep, {}, ws.ctx());
    const p = [...cloud.vertex.pipelines.values()][0]!;
    const sorted = (xs: string[]): string[] => [...xs].sort();
    expect({ training: sorted(p.split.training), validation: sorted(p.split.validation), test: sorted(p.split.test) }).toEqual(csvSplit(ws));

    // Without a split in inputDataConfig (the old request), Vertex draws its own 80/10/10 and ignores ML_USE.
    const s = await openCloudSession(ws.ctx().config);
    try {
      const dataset = ws.ctx().journal.resource<{ name: string }>('vertex.dataset')!.name;
      const body = trainingPipelineBody({ displayName: 'x', token: 'rx', dataset, modelDisplayName: 'm', modelType: 'MOBILE_TF_VERSATILE_1', budgetMilliNodeHours: 24000, disableEarlyStopping: false }, await valueHelpers());
      delete (body.inputDataConfig as Record<string, unknown>).filterSplit;
      const [made] = await s.pipelines.createTrainingPipeline({ parent: s.parent, trainingPipeline: body as never });
      const random = cloud.vertex.pipelines.get(String(made.name))!.split;
      expect([random.training.length, random.validation.length, random.test.length]).toEqual([10, 1, 1]);
      // Images the CSV holds out for validation and test are trained on.
      expect(random.training.filter((u) => !csvSplit(ws).training!.includes(u)).length).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  });

  test('a changed CSV gets a new dataset; the same CSV reuses it; an import into one dataset merges (defect 2)', async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    const first = await runStepCollect(vertexTrainStep, {}, ws.ctx());
    const ds1 = first.output.dataset;
    expect(cloud.vertex.datasets.get(ds1)!.displayName).toMatch(/-[0-9a-f]{8}$/);
    expect(ws.ctx().journal.resource('vertex.dataset')).toMatchObject({ name: ds1, csvMd5: expect.any(String) });

    // Relabel one image and drop another, upload, train again.
    const csv = join(ws.root, 'ml/dataset/vertex_dataset.csv');
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    const relabelled = lines[0]!.split(',')[1]!;
    const dropped = lines[1]!.split(',')[1]!;
    lines[0] = lines[0]!.replace(/,ants$/, ',bees');
    lines.splice(1, 1);
    writeFileSync(csv, lines.join('\n') + '\n');
    await runStepCollect(uploadStep, {}, ws.ctx());
    const second = await runStepCollect(vertexTrainStep, { newPipeline: true }, ws.ctx());
    const ds2 = second.output.dataset;
    expect(ds2).not.toBe(ds1);
    expect(second.events.some((e) => e.type === 'log' && /The import CSV changed since dataset .* creating a new dataset for this CSV/.test(e.message))).toBe(true);
    const items2 = cloud.vertex.items.get(ds2)!;
    expect([...items2.get(relabelled)!.labels]).toEqual(['bees']);
    expect(items2.has(dropped)).toBe(false);
    const p2 = cloud.vertex.pipelines.get(second.output.pipeline)!;
    expect(Object.values(p2.split).flat()).not.toContain(dropped);

    // What the old client did: the changed CSV into the old dataset. Vertex merges: both labels, the dropped image stays.
    const s = await openCloudSession(ws.ctx().config);
    try {
      const [op] = await s.datasets.importData({ name: ds1, importConfigs: [{ gcsSource: { uris: [`gs://${BUCKET}/edgewise/vertex_dataset.csv`] }, importSchemaUri: 'gs://google-cloud-aiplatform/schema/dataset/ioformat/image_classification_single_label_io_format_1.0.0.yaml' }] });
      await op.promise();
    } finally {
      await s.close();
    }
    const items1 = cloud.vertex.items.get(ds1)!;
    expect([...items1.get(relabelled)!.labels].sort()).toEqual(['ants', 'bees']);
    expect(items1.has(dropped)).toBe(true);

    // The same CSV again: the dataset is reused, nothing re-imported.
    const imports = cloud.vertex.imports.length;
    const third = await runStepCollect(vertexTrainStep, {}, ws.ctx());
    expect(third.output.dataset).toBe(ds2);
    expect(cloud.vertex.imports.length).toBe(imports);
  });

  test('images Vertex cannot read are named as findings; training is refused unless --force (defect 3)', async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    const objects = cloud.gcs.buckets.get(BUCKET)!.objects;
    const gone = 'edgewise/images/ants/ants_1.jpg';
    const broken = 'edgewise/images/bees/bees_2.jpg';
    objects.delete(gone);
    objects.get(broken)!.data = Buffer.from('not an image at all');
    const err = await runStepCollect(vertexTrainStep, {}, ws.ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'vertex.images_missing', message: expect.stringContaining('2 image(s)'), hint: expect.stringContaining('--force') });
    expect(cloud.vertex.pipelines.size).toBe(0);
    const rec = ws.ctx().journal.resource<{ csvRows: number; dataItemCount: number; failures: string[] }>('vertex.import')!;
    expect(rec).toMatchObject({ csvRows: 12, dataItemCount: 10 });
    expect(rec.failures).toHaveLength(2);

    const forced = await runStepCollect(vertexTrainStep, {}, ws.ctx(undefined, { force: true }));
    const failed = warnings(forced.events, 'vertex.import_item_failed').map((w) => w.item).sort();
    // The import ran again (images may have been fixed), and named both again.
    expect(failed).toEqual([`gs://${BUCKET}/${gone}`, `gs://${BUCKET}/${broken}`]);
    expect(warnings(forced.events, 'vertex.import_incomplete')[0]!.message).toContain('10 of the CSV\'s 12 images');
    expect(forced.output.state).toBe('SUCCEEDED');
    const split = Object.values(cloud.vertex.pipelines.get(forced.output.pipeline)!.split).flat();
    expect(split).toHaveLength(10);
  });

  test('more than 20 failures: Vertex names 20, the count says how many are missing', async () => {
    const big = makeWorkspace(fakeConfig(cloud), { perLabel: 15 });
    try {
      await runStepCollect(uploadStep, {}, big.ctx());
      const objects = cloud.gcs.buckets.get(BUCKET)!.objects;
      for (const name of [...objects.keys()].filter((n) => n.includes('/images/')).slice(0, 25)) objects.delete(name);
      const err = await runStepCollect(vertexTrainStep, {}, big.ctx()).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'vertex.images_missing', message: expect.stringContaining('25 image(s)') });
      const rec = big.ctx().journal.resource<{ failures: string[] }>('vertex.import')!;
      expect(rec.failures).toHaveLength(20);
    } finally {
      big.cleanup();
    }
  });

  test("the exported model carries the workspace's labels, from the dataset it trained on", async () => {
    const other = makeWorkspace(fakeConfig(cloud), { labels: ['cat', 'dog', 'fox'], perLabel: 6 });
    try {
      await runStepCollect(uploadStep, {}, other.ctx());
      await runStepCollect(vertexTrainStep, {}, other.ctx());
      const { output } = await runStepCollect(vertexExportStep, {}, other.ctx());
      expect(output.labels).toEqual(['cat', 'dog', 'fox']);
      expect(readFileSync(join(other.root, output.labelsFile), 'utf8')).toBe('cat\ndog\nfox\n');
      // Under the timestamped folder Vertex names in outputInfo.artifactOutputUri.
      const names = [...cloud.gcs.buckets.get(BUCKET)!.objects.keys()].filter((n) => n.includes('/exports/'));
      expect(names.map((n) => n.replace(/^.*\//, '')).sort()).toEqual(['dict.txt', 'model.tflite', 'tflite_metadata.json']);
      expect(names[0]).toMatch(/exports\/v001\/model-\d+\/tflite\/\d{4}-\d\d-\d\dT[\d-]+Z\//);
    } finally {
      other.cleanup();
    }
  });
});

describe('a lost reply never starts a second billed pipeline (defect 5)', { timeout: 240_000 }, () => {
  test('the reply to the pipeline creation is lost and the lookup fails too: the rerun adopts the pipeline', async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    cloud.vertex.faults.push({ method: 'POST', path: /trainingPipelines$/, reset: 'reply' }, { method: 'GET', path: /trainingPipelines$/, status: 500, times: 7 });
    const err = await runStepCollect(vertexTrainStep, {}, ws.ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ hint: expect.stringContaining('finds it by its request label') });
    expect(cloud.vertex.pipelines.size).toBe(1);
    const token = ws.ctx().journal.resource<{ token: string }>('vertex.pipelineRequest')!.token;
    expect([...cloud.vertex.pipelines.values()][0]!.body.labels).toEqual({ 'edgewise-request': token });

    const again = await runStepCollect(vertexTrainStep, {}, ws.ctx());
    expect(again.output.state).toBe('SUCCEEDED');
    expect(again.output.pipeline).toBe([...cloud.vertex.pipelines.keys()][0]);
    expect(again.events.some((e) => e.type === 'log' && e.message.includes(`request ${token}`))).toBe(true);
    expect(cloud.vertex.pipelines.size).toBe(1);
    expect(ws.ctx().journal.resource('vertex.pipelineRequest')).toBeUndefined();
  });

  test('a lost reply in the same run is found by its label at once', async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    cloud.vertex.faults.push({ method: 'POST', path: /trainingPipelines$/, reset: 'reply' }, { method: 'POST', path: /datasets$/, reset: 'reply' });
    const { output } = await runStepCollect(vertexTrainStep, {}, ws.ctx());
    expect(output.state).toBe('SUCCEEDED');
    expect(cloud.vertex.pipelines.size).toBe(1);
    expect(cloud.vertex.datasets.size).toBe(1);
  });

  test('the process died after sending: the journal token finds the pipeline it created', async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    // A first run that stopped after the dataset and import (e.g. a permission error on the pipeline).
    cloud.vertex.faults.push({ method: 'POST', path: /trainingPipelines$/, status: 403 });
    await runStepCollect(vertexTrainStep, {}, ws.ctx()).catch(() => undefined);
    const j = ws.ctx().journal;
    const req = j.resource<{ token: string }>('vertex.pipelineRequest')!;
    expect(req.token).toMatch(/^r/);
    // As if that run's create had reached Vertex and the process died before the reply: a pipeline carries the token.
    const dataset = j.resource<{ name: string }>('vertex.dataset')!.name;
    const made = await post(`${LOC}/trainingPipelines`, goodPipeline(dataset.split('/').pop()!, { labels: { 'edgewise-request': req.token } }));
    expect(made.status).toBe(200);
    const { output } = await runStepCollect(vertexTrainStep, {}, ws.ctx());
    expect(output.pipeline).toBe(made.json.name);
    expect(cloud.vertex.pipelines.size).toBe(1);
  });
});
