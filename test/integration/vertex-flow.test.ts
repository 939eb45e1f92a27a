import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runStepCollect, type RunnerEvent } from '../../src/core/step.js';
import { sha256 } from '../../src/core/hash.js';
import { uploadStep } from '../../src/cloud/upload-step.js';
import { vertexTrainStep } from '../../src/train/vertex/pipeline-step.js';
import { vertexWatchStep, vertexStatusStep } from '../../src/train/vertex/watch.js';
import { vertexExportStep } from '../../src/train/vertex/export-step.js';
import { BUCKET, type FakeCloud, type TestWorkspace, useFakeCloud } from './helpers.js';

let cloud: FakeCloud;
let ws: TestWorkspace;
useFakeCloud({}, (c, w) => {
  cloud = c;
  ws = w;
});

const statuses = (events: RunnerEvent[]): string[] => events.filter((e) => e.type === 'status').map((e) => (e as { state: string }).state);

describe('vertex end to end through the real SDK clients', () => {
  test('upload → dataset → import → pipeline QUEUED→RUNNING→SUCCEEDED → export → download', async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    const { output, events } = await runStepCollect(vertexTrainStep, {}, ws.ctx());
    expect(output.state).toBe('SUCCEEDED');
    expect(output.model).toMatch(/models\/\d+$/);
    expect(statuses(events)).toEqual(['DATASET_CREATING', 'DATASET_READY', 'IMPORTING', 'IMPORTED', 'QUEUED', 'RUNNING', 'SUCCEEDED']);
    const running = events.find((e) => e.type === 'status' && e.state === 'RUNNING') as { data: Record<string, unknown> };
    expect(running.data).toMatchObject({ budgetMilliNodeHours: 24000, console: expect.stringContaining('console.cloud.google.com/vertex-ai/locations/us-central1/training/') });
    expect(typeof running.data.costMilliNodeHours).toBe('number');
    expect(typeof running.data.startTime).toBe('string');

    // What the fake received: the AutoML pipeline with the mobile model type, budget and early stopping.
    const p = [...cloud.vertex.pipelines.values()][0]!;
    expect(p.body.trainingTaskDefinition).toBe('gs://google-cloud-aiplatform/schema/trainingjob/definition/automl_image_classification_1.0.0.yaml');
    expect(p.body.trainingTaskInputs).toEqual({ modelType: 'MOBILE_TF_VERSATILE_1', budgetMilliNodeHours: 24000, disableEarlyStopping: false, multiLabel: false });
    expect(cloud.vertex.rejected).toEqual([]);
    expect(p.gets).toBeGreaterThanOrEqual(6);
    expect(cloud.vertex.imports[0]!.body).toMatchObject({ importConfigs: [{ gcsSource: { uris: [`gs://${BUCKET}/edgewise/vertex_dataset.csv`] } }] });

    const j = ws.ctx().journal;
    expect(j.resource('vertex.dataset')).toMatchObject({ name: expect.stringMatching(/datasets\/\d+$/) });
    expect(j.resource('vertex.pipeline')).toMatchObject({ state: 'SUCCEEDED', transitions: [{ state: 'QUEUED' }, { state: 'RUNNING' }, { state: 'SUCCEEDED' }] });
    expect(j.resource('vertex.model')).toMatchObject({ name: output.model });

    const ex = await runStepCollect(vertexExportStep, {}, ws.ctx());
    expect(ex.output.version).toBe('v001');
    expect(cloud.vertex.exports[0]!.body).toMatchObject({ outputConfig: { exportFormatId: 'tflite', artifactDestination: { outputUriPrefix: `gs://${BUCKET}/edgewise/exports/v001/` } } });
    const dir = join(ws.root, 'ml/models/v001');
    const labels = readFileSync(join(dir, 'labels.txt'), 'utf8');
    expect(labels).toBe('ants\nbees\n');
    const info = JSON.parse(readFileSync(join(dir, 'model_info.json'), 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({ backend: 'vertex', model: output.model, labels: ['ants', 'bees'], labels_sha256: sha256('ants\nbees'), input: { width: 224, height: 224, channels: 3, dtype: 'uint8', source: 'tflite' } });
    const exported = [...cloud.gcs.buckets.get(BUCKET)!.objects.values()].find((o) => o.name.endsWith('model.tflite'))!;
    expect(readFileSync(join(dir, 'model.tflite')).equals(exported.data)).toBe(true);
    const evaluation = JSON.parse(readFileSync(join(dir, 'vertex_evaluation.json'), 'utf8')) as { evaluations: Array<{ metrics: { auPrc: number }; slices: Array<{ dimension: string; value: string }> }> };
    expect(evaluation.evaluations[0]!.metrics.auPrc).toBeCloseTo(0.88);
    expect(evaluation.evaluations[0]!.slices.map((s) => [s.dimension, s.value])).toEqual([['annotationSpec', 'ants'], ['annotationSpec', 'bees']]);

    // A second export run is skipped: same model, files present.
    const again = await runStepCollect(vertexExportStep, {}, ws.ctx());
    expect(again.events.some((e) => e.type === 'step-skip')).toBe(true);
    expect(cloud.vertex.exports.length).toBe(1);
  });

  test('killing the watcher mid-training leaves the pipeline running; watch follows the same one to the end', async () => {
    cloud.vertex.opts.pipelineStates = ['QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED'];
    await runStepCollect(uploadStep, {}, ws.ctx());
    const ac = new AbortController();
    const seen: string[] = [];
    const { runStep } = await import('../../src/core/step.js');
    const first = runStep(vertexTrainStep, {}, ws.ctx(ac.signal), {
      onEvent: (e) => {
        if (e.type === 'status') seen.push(e.state);
        if (e.type === 'status' && e.state === 'RUNNING') ac.abort();
      },
    });
    await expect(first).rejects.toMatchObject({ exitCode: 130 });
    const p = [...cloud.vertex.pipelines.values()];
    expect(p).toHaveLength(1);
    expect(p[0]!.cancelled).toBe(false);
    expect(p[0]!.state).toBe('RUNNING');

    const status = await runStepCollect(vertexStatusStep, {}, ws.ctx());
    expect(status.output.pipeline).toBe(p[0]!.name);
    // --force while it runs would start a second billed pipeline: refused.
    await expect(runStepCollect(vertexTrainStep, { newPipeline: true }, ws.ctx())).rejects.toMatchObject({ code: 'vertex.pipeline_running', hint: expect.stringContaining('edgewise cancel') });
    expect(cloud.vertex.pipelines.size).toBe(1);

    const watched = await runStepCollect(vertexWatchStep, {}, ws.ctx());
    expect(watched.output).toMatchObject({ pipeline: p[0]!.name, state: 'SUCCEEDED', model: expect.stringMatching(/models\//) });
    expect(cloud.vertex.pipelines.size).toBe(1);

    // Training again with the same data and settings reattaches instead of starting a second pipeline.
    const again = await runStepCollect(vertexTrainStep, {}, ws.ctx());
    expect(again.output).toMatchObject({ pipeline: p[0]!.name, reattached: true });
    expect(cloud.vertex.pipelines.size).toBe(1);
    expect(cloud.vertex.imports.length).toBe(1);
  });
});
