import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { runStepCollect } from '../../src/core/step.js';
import { createEvalStep } from '../../src/evaluate/eval-step.js';
import type { MetricsFile } from '../../src/evaluate/types.js';
import { tuneSaveStep } from '../../src/tune/screen-steps.js';
import { tuneStep } from '../../src/tune/step.js';
import { fakeClassifier, loaderFor, makeFakeWorkspace, removeFakeWorkspaces } from './fake-workspace.js';

afterAll(removeFakeWorkspaces);

/** Real (tiny) PNGs in place of the fake workspace's placeholder test images, so thumbnails can be made. */
async function realTestImages(root: string): Promise<void> {
  const dir = join(root, 'ml/dataset/images');
  let i = 0;
  for (const f of readdirSync(dir).filter((n) => n.includes('_test_'))) {
    const colour = { r: (i * 37) % 256, g: (i * 91) % 256, b: 200 };
    i++;
    writeFileSync(join(dir, f), await sharp({ create: { width: 240, height: 160, channels: 3, background: colour } }).png().toBuffer());
  }
}

const read = (root: string, p: string): string => readFileSync(join(root, p), 'utf8');

describe('the HTML report of a run follows its saved thresholds', () => {
  it('eval writes it with thumbnails and "not tuned yet"; tune redraws it with the chosen point; nothing ships', async () => {
    const ws = makeFakeWorkspace();
    await realTestImages(ws.root);
    const ev = await runStepCollect(createEvalStep(loaderFor(fakeClassifier(ws.labels))), {}, ws.ctx());
    const first = read(ws.root, ev.output.reportPath);
    expect(first).toContain('<strong>Not tuned yet</strong>');
    expect(first).toContain('id="rc-curve"');
    expect(first).not.toContain('id="rc-chosen"');
    // Every mistake shown has its thumbnail: the images are in the images folder.
    const m = JSON.parse(read(ws.root, ev.output.metricsPath)) as MetricsFile;
    expect(m.most_confident_mistakes.length).toBeGreaterThan(0);
    expect(first.match(/<img src="data:image\/jpeg;base64,/g)).toHaveLength(m.most_confident_mistakes.length);
    // The saved thresholds live in thresholds_vNNN.json only (publish and the report read them there): the
    // metrics file has no thresholds field to go stale, and tune leaves it as eval wrote it.
    expect(m).not.toHaveProperty('thresholds');
    const metricsBefore = read(ws.root, ev.output.metricsPath);

    const tune = await runStepCollect(tuneStep, { tau: 0.5, margin: 0.1 }, ws.ctx());
    expect(read(ws.root, ev.output.metricsPath)).toBe(metricsBefore);
    expect(tune.output.report).toBe('ml/metrics/report_v001.html');
    expect(tune.events.filter((e) => e.type === 'artifact').map((e) => (e as { path: string }).path)).toEqual(['ml/metrics/thresholds_v001.json', 'ml/metrics/report_v001.html']);
    const second = read(ws.root, 'ml/metrics/report_v001.html');
    expect(second).not.toContain('Not tuned yet');
    expect(second).toContain('Shown: the thresholds <strong>saved</strong> by <code>edgewise tune</code> in ml/metrics/thresholds_v001.json');
    expect(second).toContain('id="rc-chosen"');
    const table = /<table id="thresholds-table">([\s\S]*?)<\/table>/.exec(second)![1]!;
    expect(table).toContain('<td>0.50</td>');
    expect(table).toContain(`<td>${(100 * tune.output.measured_on.coverage).toFixed(1)}% (${tune.output.measured_on.answered} of ${tune.output.measured_on.n})</td>`);
    expect(table).toContain(`<td>${(100 * tune.output.measured_on.selective_accuracy!).toFixed(1)}%</td>`);
    expect(second.match(/<img src="data:image\/jpeg;base64,/g)).toHaveLength(m.most_confident_mistakes.length);
    expect(second).toContain('Nothing was published when this report was written');
    // Nothing ships: no public/ folder appeared.
    expect(existsSync(join(ws.root, 'public'))).toBe(false);

    // The wizard's save (the Tune screen's `s`) redraws it too.
    const record = { ...JSON.parse(read(ws.root, 'ml/metrics/thresholds_v001.json')), tau: 0.4, margin: 0, saved_at: new Date().toISOString() };
    const screen = await runStepCollect(tuneSaveStep, record, ws.ctx());
    expect(screen.output.report).toEqual({ path: 'ml/metrics/report_v001.html' });
    const third = read(ws.root, 'ml/metrics/report_v001.html');
    expect(/<table id="thresholds-table">([\s\S]*?)<\/table>/.exec(third)![1]).toContain('<td>0.40</td>');
    expect(third).not.toContain('id="rc-margin-curve"'); // margin 0: the margin-0 curve holds the point
  });

  it('a later eval keeps showing the saved thresholds and says they predate it', async () => {
    const ws = makeFakeWorkspace();
    const step = createEvalStep(loaderFor(fakeClassifier(ws.labels)));
    await runStepCollect(step, {}, ws.ctx());
    await runStepCollect(tuneStep, { tau: 0.5, margin: 0 }, ws.ctx());
    writeFileSync(join(ws.root, 'ml/models/v001/model.tflite'), 'retrained'); // eval runs again
    await new Promise((r) => setTimeout(r, 5)); // created_at strictly after saved_at
    const again = await runStepCollect(step, {}, ws.ctx());
    expect(again.events.some((e) => e.type === 'step-skip')).toBe(false);
    const html = read(ws.root, again.output.reportPath);
    expect(html).toContain('id="rc-chosen"');
    expect(html).toContain('id="thresholds-stale"');
  });

  it('thresholds are saved even when the run cannot be drawn, and tune says why the report was not redrawn', async () => {
    const ws = makeFakeWorkspace();
    await runStepCollect(createEvalStep(loaderFor(fakeClassifier(ws.labels))), {}, ws.ctx());
    writeFileSync(join(ws.root, 'ml/metrics/metrics_v001.json'), JSON.stringify({ version: 'v001' }));
    const before = read(ws.root, 'ml/metrics/report_v001.html');
    const tune = await runStepCollect(tuneStep, { tau: 0.9, margin: 0 }, ws.ctx());
    expect(tune.output.saved).toBe('ml/metrics/thresholds_v001.json');
    expect(tune.output.report).toBeUndefined();
    const warning = tune.events.find((e) => e.type === 'warning' && e.code === 'tune.report_not_redrawn');
    expect(warning).toMatchObject({ message: expect.stringMatching(/^The HTML report was not redrawn: ml\/metrics\/metrics_v001\.json and ml\/metrics\/predictions_v001\.json cannot be drawn \(.+\); rerun `edgewise eval`\.$/) });
    expect(read(ws.root, 'ml/metrics/report_v001.html')).toBe(before);
  });
});
