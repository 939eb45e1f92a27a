import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { generateSyntheticDataset } from '../../src/synthetic/synthetic.js';
import { formatSplitsCsv, type SplitRow } from '../../src/split/split-io.js';

/**
 * A small synthetic workspace with splits.csv written directly (per class: 60 % train, 15 % validation,
 * 25 % test), so train tests don't depend on the validate and split steps.
 */
export async function syntheticWorkspace(root: string, opts: { classes?: number; perClass?: number; seed?: string; size?: [number, number] } = {}): Promise<{ rows: SplitRow[]; labels: string[] }> {
  const ds = await generateSyntheticDataset({ root, classes: opts.classes ?? 3, perClass: opts.perClass ?? 40, faults: false, seed: opts.seed ?? 'train-test', ...(opts.size ? { size: opts.size } : {}) });
  const seen = new Map<string, number>();
  const perClass = opts.perClass ?? 40;
  const rows: SplitRow[] = ds.images.map((im) => {
    const k = seen.get(im.label) ?? 0;
    seen.set(im.label, k + 1);
    const split = k < perClass * 0.6 ? 'train' : k < perClass * 0.75 ? 'validation' : 'test';
    return { image: im.image, label: im.label, split, cluster: im.image };
  });
  writeSplits(root, rows);
  return { rows, labels: ds.labels };
}

export function writeSplits(root: string, rows: SplitRow[]): void {
  mkdirSync(join(root, 'ml', 'dataset'), { recursive: true });
  writeFileSync(join(root, 'ml', 'dataset', 'splits.csv'), formatSplitsCsv(rows));
}
