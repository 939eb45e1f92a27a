import { describe, expect, test, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStepCollect } from '../../src/core/step.js';
import { uploadStep } from '../../src/cloud/upload-step.js';
import { vertexTrainStep } from '../../src/train/vertex/pipeline-step.js';
import { vertexExportStep } from '../../src/train/vertex/export-step.js';
import { type FakeCloud, type TestWorkspace, useFakeCloud } from './helpers.js';
import { permissionDeniedBody, serviceDisabledBody } from './fakes/vertex.js';

let cloud: FakeCloud;
let ws: TestWorkspace;
useFakeCloud({ prepare: (w) => runStepCollect(uploadStep, {}, w.ctx()) }, (c, w) => {
  cloud = c;
  ws = w;
});

describe('vertex faults', () => {
  test('503s and 429s from Vertex are retried and the run completes', async () => {
    cloud.vertex.faults.push(
      { method: 'POST', path: /datasets$/, status: 503, times: 2 },
      { method: 'GET', path: /trainingPipelines\/\d+$/, status: 429, times: 2 },
      { method: 'GET', path: /operations\/\d+$/, status: 503, times: 1 },
    );
    const { output } = await runStepCollect(vertexTrainStep, {}, ws.ctx());
    expect(output.state).toBe('SUCCEEDED');
    expect(cloud.vertex.datasets.size).toBe(1);
    expect(cloud.vertex.pipelines.size).toBe(1);
  });

  test('a failing import says what to check, and keeps the dataset for the retry', async () => {
    cloud.vertex.failNextImport = { code: 3, message: 'Error: 4 images could not be read: gs://edgewise-demo-bucket/edgewise/images/ants/ants_0.jpg is not a valid image.' };
    await expect(runStepCollect(vertexTrainStep, {}, ws.ctx())).rejects.toMatchObject({
      code: 'vertex.import_failed',
      message: expect.stringContaining('ants_0.jpg is not a valid image'),
      hint: expect.stringContaining('at least 10 per label'),
    });
    const j = ws.ctx().journal;
    const ds = j.resource<{ name: string }>('vertex.dataset')!;
    expect(ds.name).toMatch(/datasets\//);
    expect(j.resource('vertex.import')).toMatchObject({ state: 'failed' });
    expect(cloud.vertex.pipelines.size).toBe(0);
    // Retry: same dataset reused, import runs again and training proceeds.
    const { output } = await runStepCollect(vertexTrainStep, {}, ws.ctx());
    expect(output.state).toBe('SUCCEEDED');
    expect(cloud.vertex.datasets.size).toBe(1);
    expect(cloud.vertex.imports.length).toBe(2);
  });

  test('a FAILED pipeline ends with the error in plain words and the console URL; export refuses', async () => {
    cloud.vertex.failNextPipeline = { code: 3, message: 'Label "bees" has 6 training images; at least 10 are required.' };
    const err = await runStepCollect(vertexTrainStep, {}, ws.ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'vertex.pipeline_failed',
      message: expect.stringContaining('Vertex rejected the training data or settings: Label "bees" has 6 training images'),
      hint: expect.stringContaining('https://console.cloud.google.com/vertex-ai/locations/us-central1/training/'),
    });
    const j = ws.ctx().journal;
    expect(j.resource('vertex.pipeline')).toMatchObject({ state: 'FAILED', error: { code: 3 } });
    await expect(runStepCollect(vertexExportStep, {}, ws.ctx())).rejects.toMatchObject({ code: 'vertex.not_trained', hint: expect.stringContaining('--force') });
    // A new train run starts a fresh pipeline (the failed one is not reattached to).
    const { output } = await runStepCollect(vertexTrainStep, {}, ws.ctx());
    expect(output.state).toBe('SUCCEEDED');
    expect(cloud.vertex.pipelines.size).toBe(2);
  });

  test('export downloads survive a corrupted body and a reset mid-download: files end verified and complete', async () => {
    await runStepCollect(vertexTrainStep, {}, ws.ctx());
    cloud.gcs.corruptNextDownloads = 1;
    cloud.gcs.faults.push({ method: 'GET', path: /model\.tflite$/, reset: 'midbody', afterBytes: 100 });
    const { output } = await runStepCollect(vertexExportStep, {}, ws.ctx());
    const remote = [...cloud.gcs.buckets.get('edgewise-demo-bucket')!.objects.values()].find((o) => o.name.endsWith('model.tflite'))!;
    expect(readFileSync(join(ws.root, output.tflite)).equals(remote.data)).toBe(true);
    expect(readFileSync(join(ws.root, output.labelsFile), 'utf8')).toBe('ants\nbees\n');
  });

  test('without a label file in the export, the labels come from inside the .tflite', async () => {
    await runStepCollect(vertexTrainStep, {}, ws.ctx());
    cloud.vertex.opts.dictFile = false;
    cloud.vertex.opts.labels = ['ants', 'bees'];
    const { output } = await runStepCollect(vertexExportStep, {}, ws.ctx());
    expect(output.labels).toEqual(['ants', 'bees']);
    const info = JSON.parse(readFileSync(join(ws.root, output.infoFile), 'utf8')) as { labels_source: string };
    expect(info.labels_source).toMatch(/^tflite:/);
  });

  test('an export that fails leaves no model folder', async () => {
    await runStepCollect(vertexTrainStep, {}, ws.ctx());
    cloud.vertex.faults.push({ method: 'POST', path: /:export$/, status: 400, body: { error: { code: 400, status: 'FAILED_PRECONDITION', message: 'Model of type CLOUD cannot be exported as tflite.' } } });
    await expect(runStepCollect(vertexExportStep, {}, ws.ctx())).rejects.toMatchObject({ message: expect.stringContaining('cannot be exported as tflite') });
    expect(existsSync(join(ws.root, 'ml/models/v001'))).toBe(false);
  });

  test('a disabled Vertex API says which command enables it', async () => {
    cloud.vertex.faults.push({ method: 'POST', path: /datasets$/, status: 403, body: serviceDisabledBody('demo-project') });
    await expect(runStepCollect(vertexTrainStep, {}, ws.ctx())).rejects.toMatchObject({
      code: 'cloud.service_disabled',
      hint: 'Run `gcloud services enable aiplatform.googleapis.com --project demo-project`, wait a minute, and retry.',
    });
  });

  test('a missing permission names the permission and the role to grant', async () => {
    cloud.vertex.faults.push({ method: 'POST', path: /trainingPipelines$/, status: 403, body: permissionDeniedBody('aiplatform.trainingPipelines.create', 'projects/demo-project/locations/us-central1') });
    const err = await runStepCollect(vertexTrainStep, {}, ws.ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'cloud.permission_denied', item: 'aiplatform.trainingPipelines.create', hint: expect.stringContaining('--role=roles/aiplatform.user') });
    // Nothing lost: the dataset and import are in the journal and are reused on retry.
    const j = ws.ctx().journal;
    expect(j.resource('vertex.import')).toMatchObject({ state: 'done' });
    const { output } = await runStepCollect(vertexTrainStep, {}, ws.ctx());
    expect(output.state).toBe('SUCCEEDED');
    expect(cloud.vertex.imports.length).toBe(1);
  });

  test('a rejected access token says it expired and how to get a fresh one', async () => {
    vi.stubEnv('GOOGLE_OAUTH_ACCESS_TOKEN', 'stale-token');
    await expect(runStepCollect(vertexTrainStep, {}, ws.ctx())).rejects.toMatchObject({
      code: 'cloud.token_expired',
      item: 'GOOGLE_OAUTH_ACCESS_TOKEN',
      hint: expect.stringContaining('export GOOGLE_OAUTH_ACCESS_TOKEN=$(gcloud auth print-access-token)'),
    });
  });

  test('missing credentials fail before any request, naming where it looked', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'edgewise-nocreds-'));
    vi.stubEnv('GOOGLE_OAUTH_ACCESS_TOKEN', '');
    vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', '');
    vi.stubEnv('CLOUDSDK_CONFIG', empty);
    vi.stubEnv('METADATA_SERVER_DETECTION', 'none');
    const before = cloud.vertex.requests.length + cloud.gcs.requests.length;
    const err = await runStepCollect(vertexTrainStep, {}, ws.ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'cloud.no_credentials', hint: expect.stringContaining('gcloud auth application-default login') });
    expect((err as { hint: string }).hint).toContain(join(empty, 'application_default_credentials.json'));
    expect(cloud.vertex.requests.length + cloud.gcs.requests.length).toBe(before);
    expect(existsSync(join(ws.root, '.edgewise/journal.json'))).toBe(true);
  });
});
