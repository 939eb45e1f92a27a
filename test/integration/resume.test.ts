import { describe, expect, test } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runStep, runStepCollect } from '../../src/core/step.js';
import { uploadStep } from '../../src/cloud/upload-step.js';
import { vertexTrainStep } from '../../src/train/vertex/pipeline-step.js';
import { vertexExportStep } from '../../src/train/vertex/export-step.js';
import { type FakeCloud, type TestWorkspace, useFakeCloud } from './helpers.js';

/** A session killed while waiting on a long-running operation resumes that same operation. */
let cloud: FakeCloud;
let ws: TestWorkspace;
useFakeCloud({ vertex: { lroPolls: 6 }, prepare: (w) => runStepCollect(uploadStep, {}, w.ctx()) }, (c, w) => {
  cloud = c;
  ws = w;
});

const abortOn = (state: string) => {
  const ac = new AbortController();
  return { signal: ac.signal, onEvent: (e: { type: string; state?: string }) => e.type === 'status' && e.state === state && ac.abort() };
};

describe('resume after a killed session', () => {
  test('dataset creation and import: the journaled operations are waited on again, nothing is created twice', async () => {
    const a = abortOn('DATASET_CREATING');
    await expect(runStep(vertexTrainStep, {}, ws.ctx(a.signal), { onEvent: a.onEvent })).rejects.toMatchObject({ exitCode: 130 });
    expect(ws.ctx().journal.resource('vertex.datasetOperation')).toMatch(/operations\/\d+$/);
    expect(ws.ctx().journal.resource('vertex.dataset')).toBeUndefined();

    const b = abortOn('IMPORTING');
    await expect(runStep(vertexTrainStep, {}, ws.ctx(b.signal), { onEvent: b.onEvent })).rejects.toMatchObject({ exitCode: 130 });
    expect(ws.ctx().journal.resource('vertex.import')).toMatchObject({ state: 'running' });

    const { output, events } = await runStepCollect(vertexTrainStep, {}, ws.ctx());
    expect(output.state).toBe('SUCCEEDED');
    expect(events.some((e) => e.type === 'log' && e.message.startsWith('Resuming the import'))).toBe(true);
    expect(cloud.vertex.datasets.size).toBe(1);
    expect(cloud.vertex.imports.length).toBe(1);
  });

  test('export: a killed export is resumed, not started again, and no half model folder is left', async () => {
    await runStepCollect(vertexTrainStep, {}, ws.ctx());
    const a = abortOn('EXPORTING');
    await expect(runStep(vertexExportStep, {}, ws.ctx(a.signal), { onEvent: a.onEvent })).rejects.toMatchObject({ exitCode: 130 });
    expect(existsSync(join(ws.root, 'ml/models/v001'))).toBe(false);
    const { output, events } = await runStepCollect(vertexExportStep, {}, ws.ctx());
    expect(output.version).toBe('v001');
    expect(events.some((e) => e.type === 'log' && e.message.startsWith('Resuming the export'))).toBe(true);
    expect(cloud.vertex.exports.length).toBe(1);
  });
});
