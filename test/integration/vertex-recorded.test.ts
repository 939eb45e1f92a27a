import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { runStepCollect } from '../../src/core/step.js';
import { uploadStep } from '../../src/cloud/upload-step.js';
import { vertexTrainStep } from '../../src/train/vertex/pipeline-step.js';
import { vertexExportStep } from '../../src/train/vertex/export-step.js';
import { TOKEN, fakeConfig, makeWorkspace, startFakeCloud } from './helpers.js';
import { installNetworkGuard } from './guard.js';
import { checkMessage, V1 } from './fakes/proto-check.js';
import { startSocatRecorder, type RecordedRequest } from './fakes/socat-recorder.js';

/**
 * What reaches the Vertex endpoint, seen from outside the project's code: socat relays the SDK's traffic to
 * the fake and dumps the bytes; the requests are read back from that dump and checked against the SDK's
 * protos and the contract (docs/notes/vertex-contract.md), not against the fake's records.
 */
describe('requests on the wire (recorded by socat between the SDK and the fake)', { timeout: 240_000 }, () => {
  const guard = installNetworkGuard();
  beforeAll(() => vi.stubEnv('GOOGLE_OAUTH_ACCESS_TOKEN', TOKEN));
  afterAll(() => {
    vi.unstubAllEnvs();
    guard.uninstall();
  });

  test('the whole Vertex flow: every body parses as its proto message; the pipeline carries filterSplit and valid inputs', async () => {
    const cloud = await startFakeCloud();
    const relay = await startSocatRecorder(cloud.vertex.port);
    const ws = makeWorkspace(fakeConfig(cloud, { vertex: { apiEndpoint: relay.url } }));
    let requests: RecordedRequest[];
    try {
      await runStepCollect(uploadStep, {}, ws.ctx());
      await runStepCollect(vertexTrainStep, {}, ws.ctx());
      await runStepCollect(vertexExportStep, {}, ws.ctx());
    } finally {
      requests = await relay.stop();
      await cloud.close();
      ws.cleanup();
    }
    expect(guard.violations).toEqual([]);

    const path = (r: RecordedRequest): string => r.target.split('?')[0]!;
    const posts = requests.filter((r) => r.method === 'POST');
    const kinds = posts.map((r) => path(r).replace(/^\/v1\/projects\/[^/]+\/locations\/[^/]+\//, '').replace(/\d+/g, 'N'));
    expect(kinds).toEqual(['datasets', 'datasets/N:import', 'trainingPipelines', 'models/N:export']);
    for (const r of requests) expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    // Every call reached the endpoint: polls of the pipeline and the operations too.
    expect(requests.filter((r) => r.method === 'GET' && /trainingPipelines\/\d+$/.test(path(r))).length).toBeGreaterThanOrEqual(3);

    // Each body parses as the message its REST binding names (body "dataset", "training_pipeline" or "*").
    const types: Record<string, string> = { datasets: 'Dataset', 'datasets/N:import': 'ImportDataRequest', trainingPipelines: 'TrainingPipeline', 'models/N:export': 'ExportModelRequest' };
    const bodies = posts.map((r) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>);
    posts.forEach((_, i) => expect(checkMessage(V1 + types[kinds[i]!]!, bodies[i], kinds[i]!)).toBeUndefined());

    const pipeline = bodies[2]!;
    expect(pipeline.trainingTaskDefinition).toBe('gs://google-cloud-aiplatform/schema/trainingjob/definition/automl_image_classification_1.0.0.yaml');
    expect(checkMessage(`${V1}schema.trainingjob.definition.AutoMlImageClassificationInputs`, pipeline.trainingTaskInputs, 'training_task_inputs')).toBeUndefined();
    const inputs = pipeline.trainingTaskInputs as { modelType: string; budgetMilliNodeHours: number | string };
    expect(inputs.modelType).toMatch(/^MOBILE_TF_/);
    expect(Number(inputs.budgetMilliNodeHours)).toBeGreaterThanOrEqual(1000);
    expect(Number(inputs.budgetMilliNodeHours)).toBeLessThanOrEqual(100_000);
    expect(pipeline.inputDataConfig).toEqual({
      datasetId: expect.stringMatching(/^\d+$/),
      filterSplit: {
        trainingFilter: 'labels.aiplatform.googleapis.com/ml_use=training',
        validationFilter: 'labels.aiplatform.googleapis.com/ml_use=validation',
        testFilter: 'labels.aiplatform.googleapis.com/ml_use=test',
      },
    });
    expect(pipeline.labels).toEqual({ 'edgewise-request': expect.stringMatching(/^[a-z0-9_-]{1,63}$/) });
    expect(bodies[0]!.labels).toEqual({ 'edgewise-request': expect.stringMatching(/^[a-z0-9_-]{1,63}$/) });
    expect(bodies[1]).toMatchObject({ importConfigs: [{ importSchemaUri: 'gs://google-cloud-aiplatform/schema/dataset/ioformat/image_classification_single_label_io_format_1.0.0.yaml' }] });
  });
});
