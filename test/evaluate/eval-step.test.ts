import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStepCollect } from '../../src/core/step.js';
import { createEvalStep } from '../../src/evaluate/eval-step.js';
import type { MetricsFile, PredictionsFile } from '../../src/evaluate/types.js';
import { fakeClassifier, loaderFor, makeFakeWorkspace, removeFakeWorkspaces } from './fake-workspace.js';

afterAll(removeFakeWorkspaces);

describe('eval step (fake model)', () => {
  it('writes predictions, metrics and the HTML report for the latest version', async () => {
    const ws = makeFakeWorkspace({ versions: ['v001', 'v002'], extraTestLabel: 'hornet' });
    const model = fakeClassifier(ws.labels);
    const { output, events } = await runStepCollect(createEvalStep(loaderFor(model)), {}, ws.ctx());
    expect(output.version).toBe('v002');
    expect(output.metricsPath).toBe('ml/metrics/metrics_v002.json');

    const pred = JSON.parse(readFileSync(join(ws.root, 'ml/metrics/predictions_v002.json'), 'utf8')) as PredictionsFile;
    expect(pred.version).toBe('v002');
    expect(pred.labels).toEqual(ws.labels);
    expect(pred.test.images).toHaveLength(3 * 12 + 3);
    expect(pred.validation.images).toHaveLength(3 * 12);
    expect(pred.test.probs).toHaveLength(pred.test.images.length);
    expect(pred.test.probs.every((r) => r.length === 3)).toBe(true);
    // Unknown label → -1; others map to labels.txt order.
    const hornet = pred.test.images.findIndex((i) => i.startsWith('hornet_'));
    expect(pred.test.truth[hornet]).toBe(-1);
    expect(pred.test.truth[pred.test.images.indexOf('bee_test_0.png')]).toBe(1);
    expect(pred.temperature).toBeGreaterThan(1); // the fake model is over-confident

    const m = JSON.parse(readFileSync(join(ws.root, 'ml/metrics/metrics_v002.json'), 'utf8')) as MetricsFile;
    expect(m.n).toBe(36);
    expect(m.n_unscored).toBe(3);
    expect(m.unscored_labels).toEqual(['hornet']);
    expect(m.temperature).toBe(pred.temperature);
    expect(typeof m.top1).toBe('number');
    expect(m.top3).toBe(1); // 3 classes
    expect(m.ece).toBe(m.calibration.ece_equal_width);
    expect(m.ece_binning).toMatch(/15 equal-width/);
    expect(m.calibration.bins).toEqual({ equal_width: 15, equal_mass: 15 });
    expect(m.calibration.reliability).toHaveLength(15);
    expect(m.calibration_after_temperature.nll).toBeLessThan(m.calibration.nll);
    expect(m.confusion_matrix.matrix.flat().reduce((a, b) => a + b, 0)).toBe(36);
    expect(m.per_class.map((r) => r.support)).toEqual([12, 12, 12]);
    expect(m.most_confident_mistakes.length).toBeGreaterThan(0);
    expect(m.vertex).toBeUndefined();
    // Top-1 recomputed from the predictions file agrees.
    let hits = 0;
    pred.test.truth.forEach((t, i) => {
      if (t < 0) return;
      const row = pred.test.probs[i]!;
      if (row.indexOf(Math.max(...row)) === t) hits++;
    });
    expect(m.top1).toBeCloseTo(hits / 36, 12);
    expect(existsSync(join(ws.root, 'ml/metrics/report_v002.html'))).toBe(true);

    expect(events.some((e) => e.type === 'warning' && e.code === 'eval.unknown_labels')).toBe(true);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.some((e) => e.type === 'progress' && e.phase === 'test' && e.done === 39 && e.total === 39)).toBe(true);
    expect(progress.some((e) => e.type === 'progress' && e.phase === 'validation' && e.done === 36)).toBe(true);
    expect(events.filter((e) => e.type === 'artifact')).toHaveLength(3);
  });

  it('is skipped when nothing changed and reruns when the model changes', async () => {
    const ws = makeFakeWorkspace();
    const model = fakeClassifier(ws.labels);
    const step = createEvalStep(loaderFor(model));
    await runStepCollect(step, { version: 'v001' }, ws.ctx());
    const calls = model.calls;
    const again = await runStepCollect(step, { version: 'v001' }, ws.ctx());
    expect(again.events.some((e) => e.type === 'step-skip')).toBe(true);
    expect(model.calls).toBe(calls);
    expect(again.output.metrics.n).toBe(36);
    writeFileSync(join(ws.root, 'ml/models/v001/model.tflite'), 'retrained');
    await runStepCollect(step, { version: 'v001' }, ws.ctx());
    expect(model.calls).toBeGreaterThan(calls);
  });

  it('summarises Vertex evaluation numbers from the shape `edgewise export` writes, beside its own', async () => {
    const ws = makeFakeWorkspace();
    const evaluation = (name: string, createTime: string, auPrc: number) => ({
      name,
      createTime,
      metricsSchemaUri: 'gs://google-cloud-aiplatform/schema/modelevaluation/classification_metrics_1.0.0.yaml',
      metrics: { auPrc, logLoss: 0.21, confidenceMetrics: [{ recall: 1, precision: 0.33 }, { confidenceThreshold: 0.5, precision: 0.9, recall: 0.8, f1Score: 0.85 }], confusionMatrix: { rows: [[8, 2], [1, 9]] } },
      slices: [],
    });
    writeFileSync(
      join(ws.root, 'ml/models/v001/vertex_evaluation.json'),
      JSON.stringify({ model: 'projects/p/locations/l/models/m', fetched_at: '2026-12-06T10:00:00Z', evaluations: [evaluation('…/evaluations/old', '2026-12-01T00:00:00Z', 0.5), evaluation('…/evaluations/new', '2026-12-05T00:00:00Z', 0.93)] }),
    );
    const { output } = await runStepCollect(createEvalStep(loaderFor(fakeClassifier(ws.labels))), { model: 'ml/models/v001' }, ws.ctx());
    const v = output.metrics.vertex!;
    expect(v.summary).toEqual({ auPrc: 0.93, logLoss: 0.21, 'precisionAt0.5': 0.9, 'recallAt0.5': 0.8, 'f1At0.5': 0.85 });
    expect(v.evaluation_name).toBe('…/evaluations/new');
    expect(v.n).toBe(20);
    // edgewise's own numbers on its test split, same definitions.
    expect(v.edgewise.logLoss).toBeCloseTo(output.metrics.calibration.nll, 12);
    for (const k of ['auPrc', 'precisionAt0.5', 'recallAt0.5'] as const) expect(v.edgewise[k]).toBeGreaterThan(0);
  });

  it('cancels between batches and leaves no file behind', async () => {
    const ws = makeFakeWorkspace();
    const ac = new AbortController();
    const model = fakeClassifier(ws.labels, { batchSize: 4, onBatch: (n) => n === 3 && ac.abort() });
    await expect(runStepCollect(createEvalStep(loaderFor(model)), {}, ws.ctx(ac.signal))).rejects.toMatchObject({ exitCode: 130 });
    expect(model.calls).toBeLessThan(5);
    const dir = join(ws.root, 'ml/metrics');
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it('names the problem when inputs are wrong', async () => {
    const ws = makeFakeWorkspace();
    const step = (n?: number) => createEvalStep(loaderFor(fakeClassifier(ws.labels, n === undefined ? {} : { numClasses: n })));
    await expect(runStepCollect(step(4), {}, ws.ctx())).rejects.toMatchObject({ code: 'eval.labels_mismatch', exitCode: 2 });
    await expect(runStepCollect(step(), { version: 'v009' }, ws.ctx())).rejects.toMatchObject({ code: 'eval.no_tflite' });
    await expect(runStepCollect(step(), { version: 'latest' }, ws.ctx())).rejects.toMatchObject({ code: 'eval.bad_version' });
    writeFileSync(join(ws.root, 'ml/dataset/splits.csv'), 'image,label,split,cluster\nmissing.png,ant,test,c\n');
    await expect(runStepCollect(step(), {}, ws.ctx())).rejects.toMatchObject({ code: 'eval.missing_image', item: 'missing.png' });
    writeFileSync(join(ws.root, 'ml/dataset/splits.csv'), 'image,label,split,cluster\nant_train_0.png,ant,train,c\n');
    await expect(runStepCollect(step(), {}, ws.ctx())).rejects.toMatchObject({ code: 'eval.no_test_images' });
    const empty = makeFakeWorkspace({ versions: [] });
    await expect(runStepCollect(step(), {}, empty.ctx())).rejects.toMatchObject({ code: 'eval.no_model' });
    writeFileSync(join(ws.root, 'ml/models/v001/labels.txt'), 'ant\nbee\nant\n');
    await expect(runStepCollect(step(), {}, ws.ctx())).rejects.toMatchObject({ code: 'eval.bad_labels', item: expect.stringMatching(/labels\.txt:3$/) });
  });
});
