import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigSchema } from '../../src/config/schema.js';
import { sha256 } from '../../src/core/hash.js';
import { Workspace } from '../../src/core/workspace.js';

/** A fresh workspace folder whose registry is `registry` (a postgres URL) or the default SQLite file. */
export function makeWorkspace(registry?: string): { root: string; ws: Workspace; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'edgewise-reg-'));
  return { root, ws: workspaceAt(root, registry), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function workspaceAt(root: string, registry?: string): Workspace {
  return new Workspace(root, ConfigSchema.parse(registry ? { registry } : {}));
}

export interface FakeRun {
  labels?: string[];
  /** Bytes of the fake model.tflite. */
  model?: string;
  top1?: number;
  tau?: number;
  metrics?: boolean;
  thresholds?: boolean;
  /** Labels to write into model_info.json instead of `labels` (a mismatch). */
  infoLabels?: string[];
  infoLabelsSha?: string;
  /** tflite_sha256 the metrics claim was evaluated (default: the real one). */
  evaluatedSha?: string;
}

/** Writes ml/models/<run>/{model.tflite, labels.txt, model_info.json} and its metrics/thresholds files. */
export function writeRun(root: string, run: string, o: FakeRun = {}): void {
  const labels = o.labels ?? ['ant', 'bee', 'wasp'];
  const dir = join(root, 'ml', 'models', run);
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(root, 'ml', 'metrics'), { recursive: true });
  writeFileSync(join(dir, 'model.tflite'), o.model ?? `TFL3 fake model for ${run}`);
  writeFileSync(join(dir, 'labels.txt'), labels.join('\n') + '\n');
  const info = {
    backend: 'local',
    input: { width: 224, height: 224, channels: 3, dtype: 'float32', range: [0, 1] },
    labels: o.infoLabels ?? labels,
    labels_sha256: o.infoLabelsSha ?? sha256((o.infoLabels ?? labels).join('\n')),
    created_at: '2026-01-01T00:00:00.000Z',
  };
  writeFileSync(join(dir, 'model_info.json'), JSON.stringify(info));
  const top1 = o.top1 ?? 0.8;
  const model = { path: `ml/models/${run}/model.tflite`, tflite_sha256: o.evaluatedSha ?? sha256(o.model ?? `TFL3 fake model for ${run}`), labels, labels_sha256: sha256(labels.join('\n')) };
  if (o.metrics !== false) writeFileSync(join(root, 'ml', 'metrics', `metrics_${run}.json`), JSON.stringify({ version: run, model, n: 30, top1, top3: 0.95, ece: 0.05, temperature: 1.3 }));
  if (o.thresholds !== false) {
    writeFileSync(join(root, 'ml', 'metrics', `thresholds_${run}.json`), JSON.stringify({ version: run, tau: o.tau ?? 0.6, margin: 0.1, temperature: 1.3, coverage: 0.7, selective_accuracy: 0.93, top1 }));
  }
}

/**
 * The child process the crash and race tests run: test/registry/child.ts bundled with rolldown into a temp
 * folder (with node_modules linked beside it, so the native drivers resolve). No build step needed.
 */
export async function bundleChild(): Promise<{ path: string; cleanup(): void }> {
  const { build } = await import('rolldown');
  const dir = mkdtempSync(join(tmpdir(), 'edgewise-child-'));
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
  const out = join(dir, 'child.mjs');
  await build({
    input: resolve('test/registry/child.ts'),
    platform: 'node',
    external: [/^[^./]/],
    logLevel: 'silent',
    output: { dir, format: 'esm', entryFileNames: 'child.mjs', chunkFileNames: '[name]-[hash].mjs' },
  });
  return { path: out, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The JSON line the child printed on success or on a handled error. */
  result?: { ok: boolean; output?: Record<string, unknown>; error?: { code: string; message: string } };
}

export function runChild(childPath: string, args: Record<string, unknown>, env: Record<string, string> = {}): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, [childPath, JSON.stringify(args)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').filter(Boolean).pop();
      let result: ChildResult['result'];
      try {
        result = line ? (JSON.parse(line) as ChildResult['result']) : undefined;
      } catch {
        result = undefined;
      }
      resolvePromise({ code, signal, stdout, stderr, ...(result ? { result } : {}) });
    });
  });
}
