import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createContext } from '../../src/core/context.js';
import { sha256 } from '../../src/core/hash.js';
import { runStepCollect } from '../../src/core/step.js';
import type { SplitRow } from '../../src/split/split-io.js';
import { trainStep, type TrainOutput } from '../../src/train/step.js';
import { makeTempDir } from '../helpers/tmp.js';
import { syntheticWorkspace, writeSplits } from './fixture.js';

const tmp = makeTempDir('edgewise-train-');
let rows: SplitRow[];
let first: TrainOutput;
let firstEvents: Awaited<ReturnType<typeof runStepCollect>>['events'];

const ctx = (force = false) =>
  createContext({ root: tmp.dir, config: parseConfig({ train: { workers: 0 } }, 'test'), force });

beforeAll(async () => {
  ({ rows } = await syntheticWorkspace(tmp.dir));
  const r = await runStepCollect(trainStep, {}, ctx());
  first = r.output;
  firstEvents = r.events;
}, 180_000); // a whole train step with its quantized exports: a limit for a loaded machine, not a timing assertion
afterAll(() => tmp.cleanup());

describe('local training on synthetic shapes', () => {
  it('reaches ≥95 % top-1 on the test split', () => {
    expect(first.metrics.n_test).toBeGreaterThanOrEqual(12);
    expect(first.metrics.test_top1).toBeGreaterThanOrEqual(0.95);
  });

  it('writes model.tflite, labels.txt and model_info.json into v001', () => {
    expect(first.version).toBe('v001');
    const dir = join(tmp.dir, first.modelDir);
    const tflite = readFileSync(join(dir, 'model.tflite'));
    expect(tflite.subarray(4, 8).toString('latin1')).toBe('TFL3');
    const labels = readFileSync(join(dir, 'labels.txt'), 'utf8').trimEnd().split('\n');
    expect(labels).toEqual([...labels].sort());
    expect(labels).toEqual(first.labels);
    const info = JSON.parse(readFileSync(join(dir, 'model_info.json'), 'utf8')) as Record<string, unknown>;
    expect(info.backend).toBe('local');
    expect(info.labels).toEqual(labels);
    expect(info.labels_sha256).toBe(sha256(labels.join('\n')));
    expect(info.layer).toBe(first.layers.join('+'));
    expect((info.input as { width: number }).width).toBe(224);
    // Grid or global mean, whichever scored higher on validation (a tie keeps the mean), as the log says.
    const choice = info.pooling_validation_accuracy as { grid2: number; mean: number };
    expect(info.pooling).toBe(choice.grid2 > choice.mean ? 'grid2' : 'mean');
    expect(first.pooling).toBe(info.pooling);
    expect(firstEvents.some((e) => e.type === 'log' && /^Pooling: .* chosen on validation \(2×2 grid [\d.]+ ?%, global mean [\d.]+ ?%\)/.test(e.message))).toBe(true);
  });

  it('emits per-epoch loss, accuracy and val_accuracy metrics and embedding progress with a rate', () => {
    const names = new Set(firstEvents.filter((e) => e.type === 'metric').map((e) => (e as { name: string }).name));
    for (const n of ['loss', 'accuracy', 'val_accuracy']) expect(names.has(n)).toBe(true);
    const embedProgress = firstEvents.filter((e) => e.type === 'progress' && (e as { phase?: string }).phase === 'embed');
    expect(embedProgress.length).toBeGreaterThan(0);
    expect(embedProgress.some((e) => typeof (e as { rate?: number }).rate === 'number')).toBe(true);
  });

  it('after adding 5 images, a rerun embeds only those 5 and writes v002', async () => {
    const imagesDir = join(tmp.dir, 'ml', 'dataset', 'images');
    const trainRows = rows.filter((r) => r.split === 'train').slice(0, 5);
    const added: SplitRow[] = [];
    for (const [i, r] of trainRows.entries()) {
      const name = `added_${i}.png`;
      // New content: a mirrored, slightly brightened copy of a training image.
      await sharp(join(imagesDir, r.image)).flop().modulate({ brightness: 1.1 }).png().toFile(join(imagesDir, name));
      added.push({ image: name, label: r.label, split: 'train', cluster: name });
    }
    writeSplits(tmp.dir, [...rows, ...added]);
    const { output } = await runStepCollect(trainStep, {}, ctx());
    expect(output.embedded.computed).toBe(5);
    expect(output.embedded.cached).toBe(rows.length);
    expect(output.version).toBe('v002');
    expect(existsSync(join(tmp.dir, output.tflite))).toBe(true);
  });

  it('is reproducible: same data and seed give the same head metrics', async () => {
    const { output } = await runStepCollect(trainStep, {}, ctx(true));
    expect(output.embedded.computed).toBe(0);
    const prev = JSON.parse(readFileSync(join(tmp.dir, 'ml', 'models', 'v002', 'model_info.json'), 'utf8')) as { metrics: TrainOutput['metrics'] };
    expect(output.metrics.best_epoch).toBe(prev.metrics.best_epoch);
    expect(output.metrics.val_loss).toBeCloseTo(prev.metrics.val_loss!, 6);
  });
});
