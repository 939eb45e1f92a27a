import { describe, expect, test } from 'vitest';
import { normaliseState, pipelineFailure, snapshotOf, trainingPipelineBody, valueHelpers, isoOf } from '../../src/cloud/vertex.js';
import { elapsedOf, statusData } from '../../src/train/vertex/watch.js';
import { modelInputOf } from '../../src/train/vertex/export-step.js';

describe('pipeline snapshots', () => {
  test('states arrive as names or numbers; timestamps as {seconds, nanos}', () => {
    expect(normaliseState('PIPELINE_STATE_RUNNING')).toBe('RUNNING');
    expect(normaliseState(4)).toBe('SUCCEEDED');
    expect(normaliseState('nonsense')).toBe('UNSPECIFIED');
    expect(isoOf({ seconds: '1700000000', nanos: 500_000_000 })).toBe('2023-11-14T22:13:20.500Z');
  });

  test('trainingTaskInputs go out as a protobuf Value and budget/cost come back as numbers', async () => {
    const h = await valueHelpers();
    const body = trainingPipelineBody({ displayName: 'd', dataset: 'projects/p/locations/l/datasets/77', modelDisplayName: 'm', modelType: 'MOBILE_TF_LOW_LATENCY_1', budgetMilliNodeHours: 8000, disableEarlyStopping: true, token: 'r1-abc' }, h);
    expect(body.trainingTaskInputs).toHaveProperty('structValue');
    // edgewise's split, not Vertex's random one; the request token as a label.
    expect(body.inputDataConfig).toEqual({
      datasetId: '77',
      filterSplit: {
        trainingFilter: 'labels.aiplatform.googleapis.com/ml_use=training',
        validationFilter: 'labels.aiplatform.googleapis.com/ml_use=validation',
        testFilter: 'labels.aiplatform.googleapis.com/ml_use=test',
      },
    });
    expect(body.labels).toEqual({ 'edgewise-request': 'r1-abc' });
    const snap = snapshotOf(
      {
        name: 'projects/p/locations/us-central1/trainingPipelines/9',
        state: 'PIPELINE_STATE_FAILED',
        trainingTaskInputs: body.trainingTaskInputs,
        trainingTaskMetadata: h.toValue({ costMilliNodeHours: '1500' }),
        createTime: { seconds: '1700000000', nanos: 0 },
        endTime: { seconds: '1700003600', nanos: 0 },
        error: { code: 8, message: 'Quota exceeded for aiplatform.googleapis.com/custom_model_training_cpus' },
      },
      h,
    );
    expect(snap).toMatchObject({ state: 'FAILED', budgetMilliNodeHours: 8000, costMilliNodeHours: 1500, modelType: 'MOBILE_TF_LOW_LATENCY_1' });
    expect(elapsedOf(snap)).toBe(3600);
    expect(statusData(snap, 'p')).toMatchObject({ at: '2023-11-14T23:13:20.000Z', elapsedSeconds: 3600 });
    const err = pipelineFailure(snap, 'https://console');
    expect(err.message).toContain('the project ran out of quota: Quota exceeded');
    expect(err.hint).toContain('Request more quota');
  });
});

describe('model input spec', () => {
  test('from the .tflite input tensor, else from tflite_metadata.json, else unknown', () => {
    const info = { inputs: [0], tensors: [{ index: 0, name: 'x', shape: [1, 192, 160, 3], type: 'uint8', typeCode: 3, buffer: 0, dataBytes: 0, quantization: { scale: [0.0078125], zeroPoint: [128], quantizedDimension: 0 } }] };
    expect(modelInputOf(info as never, undefined)).toEqual({ width: 160, height: 192, channels: 3, dtype: 'uint8', layout: 'NHWC', range: [0, 255], quantization: { scale: 0.0078125, zeroPoint: 128 }, source: 'tflite' });
    expect(modelInputOf(undefined, { inputShape: [1, 224, 224, 3], inputType: 'float32' })).toEqual({ width: 224, height: 224, channels: 3, dtype: 'float32', layout: 'NHWC', source: 'tflite_metadata.json' });
    expect(modelInputOf(undefined, undefined)).toBeUndefined();
  });
});
