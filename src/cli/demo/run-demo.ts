import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Harness } from '../harness.js';
import { saveConfig, readConfigFile, CONFIG_FILE } from '../../config/load.js';
import { generateSyntheticDataset } from '../../synthetic/synthetic.js';
import { demoStages } from './stages.js';

export interface DemoOptions {
  classes: number;
  perClass: number;
  seed: string;
}

export interface DemoResult {
  workspace: string;
  stages: Array<{ name: string; summary: string }>;
}

/**
 * `edgewise demo`: a synthetic workspace taken through every step that exists, on the local backend.
 * Rerunning it reuses the workspace, so finished steps are skipped by the journal.
 */
export async function runDemo(h: Harness, opts: DemoOptions): Promise<DemoResult> {
  const stages: DemoResult['stages'] = [];
  const manifest = join(h.root, 'ml', 'dataset', 'manifest.csv');
  if (!existsSync(manifest)) {
    const title = `Generating a synthetic dataset (${opts.classes} classes × ${opts.perClass} images, with planted faults)`;
    const started = performance.now();
    h.reporter.event({ type: 'step-start', step: 'demo', title });
    const ds = await generateSyntheticDataset({ root: h.root, classes: opts.classes, perClass: opts.perClass, seed: opts.seed });
    h.reporter.event({ type: 'step-end', step: 'demo', title, seconds: (performance.now() - started) / 1000 });
    stages.push({ name: 'dataset', summary: `${ds.images.length} images in ${ds.labels.length} classes (${ds.labels.join(', ')}) plus ${ds.faults.length} planted faults → ml/dataset/` });
  } else {
    stages.push({ name: 'dataset', summary: 'reused the dataset already in the workspace' });
  }
  if (!readConfigFile(h.root)) {
    await saveConfig(h.root, { backend: 'local', bucket: 'edgewise-demo-bucket', project: 'edgewise-demo', datasetDisplayName: 'edgewise-demo' });
    stages.push({ name: 'configure', summary: `wrote ${CONFIG_FILE} (backend: local)` });
  }
  for (const stage of demoStages) {
    if (h.signal.aborted) break;
    const summary = await stage.run(h);
    stages.push({ name: stage.name, summary });
  }
  return { workspace: h.root, stages };
}
