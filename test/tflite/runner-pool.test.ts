import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/core/errors.js';
import { BuiltinOperator, TensorType } from '../../src/tflite/schema/model-subset_generated.js';
import { serializeModel, toBytes } from '../../src/tflite/write-model.js';

/**
 * The pool's worker threads need the compiled worker script, so when `dist/` is built (npm test builds first)
 * the test runs the compiled pool with real threads; from sources alone it checks the in-thread fallback.
 */
const compiled = resolve('dist/src/tflite/runner-pool.js');
const useDist = existsSync(compiled) && existsSync(resolve('dist/src/tflite/runner-worker.js'));
type PoolModule = typeof import('../../src/tflite/runner-pool.js');
const load = async (): Promise<PoolModule> =>
  useDist ? ((await import(pathToFileURL(compiled).href)) as PoolModule) : await import('../../src/tflite/runner-pool.js');

function scaleModel(): Uint8Array {
  // float [1,2,2,3] → MUL by 2 → RESHAPE [1,12]
  return serializeModel({
    description: 'scale',
    tensors: [
      { name: 'x', shape: [1, 2, 2, 3], type: TensorType.FLOAT32 },
      { name: 'k', shape: [1], type: TensorType.FLOAT32, data: toBytes(Float32Array.from([2])) },
      { name: 'y', shape: [1, 2, 2, 3], type: TensorType.FLOAT32 },
      { name: 's', shape: [2], type: TensorType.INT32, data: toBytes(Int32Array.from([1, 12])) },
      { name: 'out', shape: [1, 12], type: TensorType.FLOAT32 },
    ],
    operators: [
      { op: BuiltinOperator.MUL, inputs: [0, 1], outputs: [2], options: { kind: 'Mul', activation: 0 } },
      { op: BuiltinOperator.RESHAPE, inputs: [2, 3], outputs: [4], options: { kind: 'Reshape', newShape: [1, 12] } },
    ],
    inputs: [0],
    outputs: [4],
  });
}

describe('loadTflitePool', () => {
  it('returns results in input order with progress, on worker threads when compiled', async () => {
    const { loadTflitePool } = await load();
    const pool = await loadTflitePool(scaleModel(), { threads: 2, softmax: 'never' });
    expect(pool.threads).toBe(useDist ? 2 : 1);
    const inputs = Array.from({ length: 9 }, (_, i) => Float32Array.from({ length: 12 }, (_, k) => i + k / 100));
    const seen: number[] = [];
    const out = await pool.runBatches(inputs, { onProgress: (p) => seen.push(p.done) });
    expect(seen.at(-1)).toBe(9);
    out.forEach((o, i) => expect(o[5]).toBeCloseTo(2 * (i + 0.05), 5));
    const ac = new AbortController();
    ac.abort();
    await expect(pool.runBatches(inputs, { signal: ac.signal })).rejects.toSatisfy((e: unknown) => (e as Error).name === 'CancelledError' || e instanceof CancelledError);
    await expect(pool.runBatches([new Float32Array(3)])).rejects.toThrow(/expects 2×2×3 = 12/);
    pool.dispose();
  });
});

describe.runIf(useDist)('loadTflitePool threads', () => {
  it('an idle pool does not keep the process alive (its threads are released between batches)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgewise-pool-'));
    try {
      writeFileSync(join(dir, 'scale.tflite'), scaleModel());
      // A script that uses the pool and never disposes it: it must end by itself once the batch is done.
      const script = `
        const { loadTflitePool } = await import(${JSON.stringify(pathToFileURL(compiled).href)});
        const pool = await loadTflitePool(${JSON.stringify(join(dir, 'scale.tflite'))}, { threads: 2, softmax: 'never' });
        const [out] = await pool.runBatches([new Float32Array(12).fill(1)]);
        console.log('threads', pool.threads, 'out', out[0]);`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
      expect(run.stderr).toBe('');
      expect(run.stdout.trim()).toBe('threads 2 out 2');
      expect(run.signal).toBeNull(); // not killed by the timeout: it ended by itself
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
