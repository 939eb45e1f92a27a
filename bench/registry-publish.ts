/**
 * Cost of the all-or-nothing publish and of rollback, as a ratio to the bare minimum I/O a hand publish
 * does (one atomic copy of the model + two atomic JSON writes), measured in the same process on the same
 * disk. Usage: node dist/bench/registry-publish.js [modelMB=8] [rounds=5]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema } from '../src/config/schema.js';
import { copyFileAtomic, writeJsonAtomic } from '../src/core/atomic.js';
import { sha256 } from '../src/core/hash.js';
import { Workspace } from '../src/core/workspace.js';
import { publish } from '../src/registry/publish.js';
import { rollback } from '../src/registry/rollback.js';

const mb = Number(process.argv[2] ?? 8);
const rounds = Number(process.argv[3] ?? 5);
const root = mkdtempSync(join(tmpdir(), 'edgewise-bench-'));
const ws = new Workspace(root, ConfigSchema.parse({}));
const labels = Array.from({ length: 20 }, (_, i) => `class_${i}`);

function writeRun(run: string): void {
  const dir = join(root, 'ml', 'models', run);
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(root, 'ml', 'metrics'), { recursive: true });
  writeFileSync(join(dir, 'model.tflite'), randomBytes(mb * 1024 * 1024));
  writeFileSync(join(dir, 'labels.txt'), labels.join('\n') + '\n');
  writeFileSync(join(dir, 'model_info.json'), JSON.stringify({ backend: 'local', input: { width: 224, height: 224, channels: 3, dtype: 'float32' }, labels, labels_sha256: sha256(labels.join('\n')) }));
  writeFileSync(join(root, 'ml', 'metrics', `metrics_${run}.json`), JSON.stringify({ top1: 0.9, top3: 0.97, ece: 0.04 }));
  writeFileSync(join(root, 'ml', 'metrics', `thresholds_${run}.json`), JSON.stringify({ version: run, tau: 0.6, margin: 0.1, temperature: 1.2, coverage: 0.8, selective_accuracy: 0.95, top1: 0.9 }));
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const base: number[] = [];
const pub: number[] = [];
const rb: number[] = [];
try {
  for (let i = 1; i <= rounds; i++) {
    const run = `v${String(i).padStart(3, '0')}`;
    writeRun(run);
    base.push(await time(async () => {
      await copyFileAtomic(join(root, 'ml', 'models', run, 'model.tflite'), join(root, 'baseline', `local_model_${run}.tflite`));
      await writeJsonAtomic(join(root, 'baseline', 'label_map.json'), labels);
      await writeJsonAtomic(join(root, 'baseline', 'model.json'), { version: run });
    }));
    pub.push(await time(() => publish(ws, { model: run })));
  }
  for (let i = 0; i < rounds; i++) rb.push(await time(() => rollback(ws, { to: i % 2 === 0 ? 'v001' : 'v002' })));
  const b = median(base);
  console.log(`model ${mb} MB, ${rounds} rounds, medians: baseline ${b.toFixed(1)} ms, publish ${median(pub).toFixed(1)} ms, rollback ${median(rb).toFixed(1)} ms`);
  console.log(`publish / baseline = ${(median(pub) / b).toFixed(2)}x   rollback / baseline = ${(median(rb) / b).toFixed(2)}x`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
