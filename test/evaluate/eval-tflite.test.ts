import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStepCollect } from '../../src/core/step.js';
import { evalStep } from '../../src/evaluate/eval-step.js';
import type { PredictionsFile } from '../../src/evaluate/types.js';
import { makeColourWorkspace } from './colour-model.js';
import { removeFakeWorkspaces } from './fake-workspace.js';

afterAll(removeFakeWorkspaces);

describe('eval step on a real .tflite (converter → runner → LiteRT)', () => {
  it('scores a colour classifier', async () => {
    const ws = await makeColourWorkspace();
    const { output, events } = await runStepCollect(evalStep, {}, ws.ctx());
    const m = output.metrics;
    expect(m.n).toBe(18);
    expect(m.top1).toBeCloseTo(15 / 18, 12);
    expect(m.most_confident_mistakes.map((w) => w.image).sort()).toEqual(['blue_test_5.png', 'green_test_5.png', 'red_test_5.png']);
    expect(m.most_confident_mistakes.find((w) => w.image === 'red_test_5.png')!.predicted).toBe('green');
    expect(m.confusion_matrix.matrix).toEqual([[5, 1, 0], [0, 5, 1], [1, 0, 5]]);
    expect(events.some((e) => e.type === 'warning')).toBe(false);
    // A pure red image: softmax(8 · mean colour) = [e^(8·230/255), 1, 1] / Σ.
    const pred = JSON.parse(readFileSync(join(ws.root, output.predictionsPath), 'utf8')) as PredictionsFile;
    const red0 = pred.test.probs[pred.test.images.indexOf('red_test_0.png')]!;
    const e = Math.exp(8 * (230 / 255));
    expect(red0[0]).toBeCloseTo(e / (e + 2), 3);
  });
});
