import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../../src/config/schema.js';
import { createContext } from '../../src/core/context.js';
import type { StepContext } from '../../src/core/step.js';
import { randomRows, rng } from './random-predictions.js';

export interface PredictionsFixture {
  root: string;
  ctx: StepContext;
  path: string;
  labels: string[];
  probs: { test: number[][]; validation: number[][] };
  truth: { test: number[]; validation: number[] };
}

const created: string[] = [];

/** Removes every workspace made by predictionsWorkspace (call from afterAll). */
export function cleanupWorkspaces(): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A workspace holding ml/metrics/predictions_<version>.json made of random (but sensible) predictions. */
export function predictionsWorkspace(opts: { seed?: number; test?: number; validation?: number; k?: number; labels?: string[]; temperature?: number; version?: string; root?: string } = {}): PredictionsFixture {
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'edgewise-tune-'));
  if (!opts.root) created.push(root);
  const r = rng(opts.seed ?? 1);
  const k = opts.labels?.length ?? opts.k ?? 4;
  const labels = opts.labels ?? Array.from({ length: k }, (_, i) => ['bee', 'ant', 'wasp', 'fly', 'moth', 'beetle'][i] ?? `class${i}`);
  const test = randomRows(r, opts.test ?? 200, k);
  const validation = randomRows(r, opts.validation ?? 120, k);
  const version = opts.version ?? 'v001';
  const dir = join(root, 'ml', 'metrics');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `predictions_${version}.json`);
  const split = (s: { probs: number[][]; truth: number[] }) => ({ images: s.probs.map((_, i) => `img_${i}.jpg`), truth: s.truth, probs: s.probs });
  writeFileSync(path, JSON.stringify({ version, labels, temperature: opts.temperature ?? 1.3, test: split(test), validation: split(validation) }));
  const ctx = createContext({ root, config: ConfigSchema.parse({}) });
  return { root, ctx, path, labels, probs: { test: test.probs, validation: validation.probs }, truth: { test: test.truth, validation: validation.truth } };
}
