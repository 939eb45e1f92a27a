import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStepCollect } from '../../src/core/step.js';
import { bruteForceMetrics } from '../../src/tune/brute-force.js';
import { loadPredictions, scoreNegatives, scoreRows } from '../../src/tune/predictions.js';
import { createTuneStep, tuneStep, weakestLine } from '../../src/tune/step.js';
import { cleanupWorkspaces, predictionsWorkspace } from './fixtures.js';
import { writeRun } from '../registry/fixtures.js';
import { publish } from '../../src/registry/publish.js';
import { listVersions } from '../../src/registry/versions.js';
import { randomNegatives, rng } from './random-predictions.js';

describe('tune step', () => {
  afterAll(cleanupWorkspaces);
  it('suggests on validation, measures on test, and saves the thresholds file', async () => {
    const fx = predictionsWorkspace({ seed: 3 });
    const { output, events } = await runStepCollect(tuneStep, { targetAccuracy: 0.8 }, fx.ctx);
    expect(output.mode).toBe('target');
    expect(output.tuned_on.split).toBe('validation');
    expect(output.measured_on.split).toBe('test');
    expect(output.tuned_on.selective_accuracy!).toBeGreaterThanOrEqual(0.8);
    // The reported test numbers are the brute force at the chosen setting, after temperature.
    const test = scoreRows(fx.probs.test, fx.truth.test.map((t) => t), 1.3);
    const keep = [...fx.truth.test.keys()].filter((i) => fx.truth.test[i]! >= 0);
    const scored = scoreRows(keep.map((i) => fx.probs.test[i]!), keep.map((i) => fx.truth.test[i]!), 1.3);
    const want = bruteForceMetrics(fx.labels, scored, output.tau, output.margin);
    expect(test.p1.length).toBe(200);
    expect(output.measured_on.coverage).toBe(want.coverage);
    expect(output.measured_on.selective_accuracy).toBe(want.selectiveAccuracy);
    const file = JSON.parse(readFileSync(join(fx.root, 'ml/metrics/thresholds_v001.json'), 'utf8')) as Record<string, unknown>;
    expect(file).toMatchObject({ version: 'v001', tau: output.tau, margin: output.margin, temperature: 1.3, coverage: want.coverage, selective_accuracy: want.selectiveAccuracy, top1: want.top1, target: 0.8 });
    expect(typeof file.saved_at).toBe('string');
    expect(events.some((e) => e.type === 'artifact' && e.path === 'ml/metrics/thresholds_v001.json')).toBe(true);
    // The chosen setting is on (or tied with a point of) the frontier: nothing answers more at that accuracy.
    expect(output.pareto.length).toBeGreaterThan(1);
    const better = output.pareto.filter((p) => p.selective_accuracy >= 0.8 && p.coverage > output.tuned_on.coverage);
    expect(better).toEqual([]);
  });

  it('saving thresholds of the published run changes nothing that ships; publish then ships them as a new version of the same .tflite', async () => {
    const fx = predictionsWorkspace({ seed: 4 });
    writeRun(fx.root, 'v001', { labels: fx.labels });
    const first = await publish(fx.ctx.workspace, {});
    expect(first.version).toBe('v001');
    const pub = join(fx.root, 'public/models/model.json');
    const before = JSON.parse(readFileSync(pub, 'utf8')) as { version: string; source_run: string; tflite_sha256: string; thresholds: { tau: number; margin: number } };
    const publicBefore = readFileSync(pub, 'utf8');

    const { output, events } = await runStepCollect(tuneStep, { tau: 0.6, margin: 0.05 }, fx.ctx);
    // Only the thresholds file: model.json, the registry and the journal's publish are untouched.
    expect(output.saved).toBe('ml/metrics/thresholds_v001.json');
    expect(readFileSync(pub, 'utf8')).toBe(publicBefore);
    expect((await listVersions(fx.ctx.workspace)).versions.map((v) => v.version)).toEqual(['v001']);
    expect(events.filter((e) => e.type === 'artifact').map((e) => (e as { path: string }).path)).toEqual(['ml/metrics/thresholds_v001.json']);
    expect(output.live).toMatchObject({ version: 'v001', run: 'v001', tau: before.thresholds.tau, margin: before.thresholds.margin });
    expect(output.publish_pending).toBe(true);
    const { savedVsLive, describeSavedVsLive } = await import('../../src/registry/saved-vs-live.js');
    const d = savedVsLive(fx.ctx.workspace);
    expect(d).toMatchObject({ run: 'v001', saved: { tau: 0.6, margin: 0.05 }, live: { version: 'v001' } });
    expect(describeSavedVsLive(d!)).toBe(`saved for v001: tau 0.60, margin 0.05; live (v001): tau ${before.thresholds.tau.toFixed(2)}, margin ${before.thresholds.margin.toFixed(2)} — publish to ship`);

    // Publish is what ships them: the next version, the same model file (no "already published").
    const second = await publish(fx.ctx.workspace, {});
    expect(second).toMatchObject({ status: 'published', version: 'v002', previous: 'v001' });
    const after = JSON.parse(readFileSync(pub, 'utf8')) as typeof before & { metrics: { coverage: number } };
    expect(after.version).toBe('v002');
    expect(after.source_run).toBe('v001');
    expect(after.tflite_sha256).toBe(before.tflite_sha256);
    expect(after.thresholds).toEqual({ tau: 0.6, margin: 0.05 });
    expect(after.metrics.coverage).toBe(output.measured_on.coverage);
    expect(savedVsLive(fx.ctx.workspace)).toBeUndefined();

    // Another setting as v003, then back to v002's: publish makes v002 active again rather than adding a copy.
    await runStepCollect(tuneStep, { tau: 0.7, margin: 0 }, fx.ctx);
    expect((await publish(fx.ctx.workspace, {})).version).toBe('v003');
    await runStepCollect(tuneStep, { tau: 0.6, margin: 0.05 }, fx.ctx);
    const { planPublish, planVerdict } = await import('../../src/registry/plan.js');
    const plan = await planPublish(fx.ctx.workspace, {});
    expect(plan).toMatchObject({ alreadyPublishedAs: 'v002', current: { version: 'v003' } });
    expect(planVerdict(plan).kind).toBe('reactivate');
    const fourth = await publish(fx.ctx.workspace, {});
    expect(fourth).toMatchObject({ status: 'reactivated', version: 'v002', previous: 'v003', active: 'v002' });
    expect((JSON.parse(readFileSync(pub, 'utf8')) as typeof before).version).toBe('v002');
    expect((await listVersions(fx.ctx.workspace)).versions.map((v) => v.version)).toEqual(['v001', 'v002', 'v003']);
    expect(planVerdict(await planPublish(fx.ctx.workspace, {})).kind).toBe('nothing');
  });

  it('uses the newest predictions file, --model picks another, dry run writes nothing', async () => {
    const fx = predictionsWorkspace({ seed: 5, version: 'v001' });
    predictionsWorkspace({ seed: 6, version: 'v002', root: fx.root });
    const a = await runStepCollect(tuneStep, { tau: 0.5, margin: 0, dryRun: true }, fx.ctx);
    expect(a.output.version).toBe('v002');
    expect(existsSync(join(fx.root, 'ml/metrics/thresholds_v002.json'))).toBe(false);
    const b = await runStepCollect(tuneStep, { model: 'v001', tau: 0.5, margin: 0 }, fx.ctx);
    expect(b.output.version).toBe('v001');
  });

  it('limits false accepts on negatives (given as probability rows or scored from a folder)', async () => {
    const fx = predictionsWorkspace({ seed: 7 });
    const negProbs = randomNegatives(rng(99), 80, 4);
    const loose = await runStepCollect(tuneStep, { targetAccuracy: 0.7, negativeProbs: negProbs }, fx.ctx);
    const strict = await runStepCollect(tuneStep, { targetAccuracy: 0.7, negativeProbs: negProbs, maxFalseAccept: 0.05 }, fx.ctx);
    expect(strict.output.tuned_on.false_accept_rate!).toBeLessThanOrEqual(0.05);
    expect(loose.output.tuned_on.false_accept_rate!).toBeGreaterThan(0.05);
    expect(strict.output.tuned_on.coverage).toBeLessThanOrEqual(loose.output.tuned_on.coverage);
    const neg = scoreNegatives(negProbs, 1.3);
    const want = bruteForceMetrics(fx.labels, scoreRows([], [], 1), strict.output.tau, strict.output.margin, neg);
    expect(strict.output.tuned_on.false_accept_rate).toBe(want.negatives!.falseAcceptRate);

    // From a folder, through a classifier (a fake standing in for the .tflite runner).
    const dir = join(fx.root, 'negatives');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    negProbs.slice(0, 5).forEach((_, i) => writeFileSync(join(dir, i < 2 ? 'sub' : '', `n${i}.jpg`), String(i)));
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
    const seen: string[] = [];
    const step = createTuneStep(async () => ({
      numClasses: 4,
      batchSize: 2,
      async classify(paths: readonly string[]) {
        seen.push(...paths);
        return paths.map((p) => negProbs[Number(readFileSync(p, 'utf8'))]!);
      },
    }));
    const { output, events } = await runStepCollect(step, { tau: 0.5, margin: 0, negatives: 'negatives' }, fx.ctx);
    expect(seen).toHaveLength(5);
    expect(output.negatives).toEqual({ source: 'negatives', n: 5 });
    const five = bruteForceMetrics(fx.labels, scoreRows([], [], 1), 0.5, 0, scoreNegatives(negProbs.slice(0, 5), 1.3));
    expect(output.measured_on.false_accept_rate).toBe(five.negatives!.falseAcceptRate);
    expect(events.some((e) => e.type === 'progress' && e.phase === 'negatives' && e.done === 5)).toBe(true);
  });

  it('fails clearly: unreachable target, no predictions, a broken file', async () => {
    const fx = predictionsWorkspace({ seed: 8 });
    await expect(runStepCollect(tuneStep, { targetAccuracy: 1.0 + 1e-9 }, fx.ctx)).rejects.toMatchObject({ code: 'tune.unreachable', message: expect.stringContaining('No (tau, margin)') });
    const empty = predictionsWorkspace({ seed: 1 });
    await expect(runStepCollect(tuneStep, { model: 'v009', targetAccuracy: 0.9 }, empty.ctx)).rejects.toMatchObject({ exitCode: 2, hint: expect.stringContaining('edgewise eval') });
    const raw = JSON.parse(readFileSync(fx.path, 'utf8')) as { test: { probs: number[][] } };
    raw.test.probs[7] = [0.5, 0.5];
    writeFileSync(fx.path, JSON.stringify(raw));
    await expect(runStepCollect(tuneStep, { targetAccuracy: 0.9 }, fx.ctx)).rejects.toMatchObject({ exitCode: 2, item: expect.stringContaining('test.probs[7]') });
  });

  it('loadPredictions leaves out images whose label the model does not know', () => {
    const fx = predictionsWorkspace({ seed: 10 });
    const l = loadPredictions(fx.path);
    const unknown = fx.truth.test.filter((t) => t < 0).length;
    expect(unknown).toBeGreaterThan(0);
    expect(l.splits.test.unscored).toBe(unknown);
    expect(l.splits.test.p1.length).toBe(200 - unknown);
  });
});

describe('weakestLine', () => {
  const worst = [
    { label: 'longsleeve', accuracy: 0.72, coverage: 0.58 },
    { label: 'outwear', accuracy: 0.751, coverage: 0.61 },
    { label: 't-shirt', accuracy: 0.8, coverage: 0.66 },
  ];
  it('names every class when there is room (the CLI), whole classes only when there is not (a screen line)', () => {
    const all = 'Weakest on validation: longsleeve acc 72% cov 58% · outwear acc 75% cov 61% · t-shirt acc 80% cov 66%';
    expect(weakestLine(worst, 'validation')).toBe(all);
    expect(weakestLine(worst, 'validation', all.length)).toBe(all);
    expect(weakestLine(worst, 'validation', 100)).toBe('Weakest on validation: longsleeve acc 72% cov 58% · outwear acc 75% cov 61% (+1 more)');
    expect(weakestLine(worst, 'validation', 79)).toBe('Weakest on validation: longsleeve acc 72% cov 58% (+2 more)');
    expect(weakestLine(worst, 'validation', 59)).toBe('Weakest on validation: longsleeve acc 72% cov 58% (+2 more)');
    expect(weakestLine([], 'test', 40)).toBe('Weakest on test: –');
  });
});
