import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../../src/config/schema.js';
import { createContext } from '../../src/core/context.js';
import type { StepContext } from '../../src/core/step.js';
import type { ClassifierLoader, ImageClassifier } from '../../src/evaluate/classifier.js';

/** Deterministic hash of a string to [0, 1). */
function unit(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return ((h >>> 0) % 100000) / 100000;
}

const created: string[] = [];

/** Removes every workspace made by this module (call from afterAll). */
export function removeFakeWorkspaces(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface FakeWorkspace {
  root: string;
  labels: string[];
  ctx(signal?: AbortSignal): StepContext;
}

/**
 * A workspace with splits.csv, empty image files and ml/models/v001 (a dummy model.tflite + labels.txt).
 * Image names are `<label>_<n>.png`; `extraTestLabel` adds test images of a label the model does not have.
 */
export function makeFakeWorkspace(opts: { labels?: string[]; perSplit?: number; extraTestLabel?: string; versions?: string[] } = {}): FakeWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'edgewise-eval-'));
  created.push(root);
  const labels = opts.labels ?? ['ant', 'bee', 'wasp'];
  const perSplit = opts.perSplit ?? 12;
  const images = join(root, 'ml/dataset/images');
  mkdirSync(images, { recursive: true });
  const rows = ['image,label,split,cluster'];
  const add = (label: string, split: string, n: number): void => {
    for (let i = 0; i < n; i++) {
      const name = `${label}_${split}_${i}.png`;
      writeFileSync(join(images, name), 'x');
      rows.push(`${name},${label},${split},${name}`);
    }
  };
  for (const l of labels) {
    add(l, 'train', 2);
    add(l, 'validation', perSplit);
    add(l, 'test', perSplit);
  }
  if (opts.extraTestLabel) add(opts.extraTestLabel, 'test', 3);
  writeFileSync(join(root, 'ml/dataset/splits.csv'), rows.join('\n') + '\n');
  for (const v of opts.versions ?? ['v001']) {
    const dir = join(root, 'ml/models', v);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'model.tflite'), `fake tflite ${v}`);
    writeFileSync(join(dir, 'labels.txt'), labels.join('\n') + '\n');
  }
  const config = ConfigSchema.parse({});
  return { root, labels, ctx: (signal) => createContext({ root, config, ...(signal ? { signal } : {}) }) };
}

/**
 * A fake over-confident classifier: right about 75 % of the time, always ≥ 0.9 sure. It reads the true label
 * from the file name, as a real model reads it from the pixels.
 */
export function fakeClassifier(labels: readonly string[], opts: { batchSize?: number; onBatch?: (n: number) => void; numClasses?: number } = {}): ImageClassifier & { calls: number } {
  const K = opts.numClasses ?? labels.length;
  const c = {
    numClasses: K,
    batchSize: opts.batchSize ?? 5,
    calls: 0,
    async classify(paths: readonly string[]): Promise<number[][]> {
      c.calls++;
      opts.onBatch?.(c.calls);
      return paths.map((p) => {
        const name = p.split('/').pop()!;
        const truth = labels.indexOf(name.split('_')[0]!);
        const u = unit(name);
        const right = u < 0.75 || truth < 0;
        const top = right && truth >= 0 ? truth : (Math.max(truth, 0) + 1 + Math.floor(unit(name + 'x') * (K - 1))) % K;
        const conf = 0.9 + 0.099 * unit(name + 'c');
        return Array.from({ length: K }, (_, k) => (k === top ? conf : (1 - conf) / (K - 1)));
      });
    },
  };
  return c;
}

export const loaderFor = (c: ImageClassifier): ClassifierLoader => async () => c;
