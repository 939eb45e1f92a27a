import { describe, expect, test } from 'vitest';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runStepCollect } from '../../src/core/step.js';
import { uploadStep } from '../../src/cloud/upload-step.js';
import { vertexTrainStep } from '../../src/train/vertex/pipeline-step.js';
import { vertexExportStep } from '../../src/train/vertex/export-step.js';
import { createEvalStep } from '../../src/evaluate/eval-step.js';
import { renderTerminalReport } from '../../src/evaluate/terminal-report.js';
import { fakeClassifier, loaderFor, makeFakeWorkspace } from '../evaluate/fake-workspace.js';
import { type TestWorkspace, useFakeCloud } from './helpers.js';

let ws: TestWorkspace;
useFakeCloud({ vertex: { labels: ['ants', 'bees'] } }, (_c, w) => {
  ws = w;
});

describe("Vertex's own evaluation, as export really writes it", () => {
  test('export against the fake → eval summarises auPrc, logLoss, precision/recall at 0.5 beside edgewise’s numbers', async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    await runStepCollect(vertexTrainStep, {}, ws.ctx());
    const ex = await runStepCollect(vertexExportStep, {}, ws.ctx());

    // Evaluate a workspace whose model folder holds the exported vertex_evaluation.json, untouched.
    const evalWs = makeFakeWorkspace({ labels: ['ants', 'bees'] });
    copyFileSync(join(ws.root, ex.output.evaluationFile), join(evalWs.root, 'ml/models/v001/vertex_evaluation.json'));
    const { output } = await runStepCollect(createEvalStep(loaderFor(fakeClassifier(evalWs.labels))), {}, evalWs.ctx());

    // The fake's overall evaluation: auPrc 0.88, logLoss 0.12, at 0.5 precision 0.93 / recall 0.83 / F1 0.88.
    const v = output.metrics.vertex!;
    expect(v.summary.auPrc).toBeCloseTo(0.88, 6);
    expect(v.summary.logLoss).toBeCloseTo(0.12, 6);
    expect(v.summary['precisionAt0.5']).toBeCloseTo(0.93, 6);
    expect(v.summary['recallAt0.5']).toBeCloseTo(0.83, 6);
    expect(v.n).toBe(20); // the fake's 2×2 confusion matrix: 9 on the diagonal, 1 elsewhere
    expect(v.evaluation_name).toMatch(/models\/\d+\/evaluations\/1$/);
    expect(v.edgewise.logLoss).toBeCloseTo(output.metrics.calibration.nll, 12);

    const onDisk = JSON.parse(readFileSync(join(evalWs.root, output.metricsPath), 'utf8')) as typeof output.metrics;
    expect(onDisk.vertex!.summary).toEqual(v.summary);

    const lines = renderTerminalReport(output.metrics, { width: 80 });
    const at = lines.indexOf("■ Vertex AI's own evaluation beside edgewise's");
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^metric\s+Vertex \(n=20\)\s+edgewise \(n=24\)$/);
    expect(lines[at + 2]).toMatch(/^auPrc \(micro\)\s+0\.880\s+\d\.\d{3}$/);
    expect(lines[at + 3]).toMatch(/^logLoss\s+0\.120\s+\d\.\d{3}$/);
    expect(lines.join('\n')).toMatch(/precision at 0\.5\s+0\.930/);

    const html = readFileSync(join(evalWs.root, output.reportPath), 'utf8');
    expect(html).toContain('<h2 id="vertex">');
    expect(html).toContain('<td>precision at 0.5</td><td>0.930</td>');
  });
});
