import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/tmp.js';
import { floatEngineHere } from './embedding-helpers.js';
import { syntheticWorkspace } from './fixture.js';

/** `edgewise train` as a user runs it: the compiled CLI (npm test builds first), so the worker threads run. */
const CLI = resolve('dist/src/cli/main.js');
const tmp = makeTempDir('edgewise-train-cli-');

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '-w', tmp.dir, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('Compile first: npm run build (dist/src/cli/main.js is missing).');
  await syntheticWorkspace(tmp.dir, { perClass: 8, size: [64, 96] });
});
afterAll(() => tmp.cleanup());

// The engine the CLI child (same environment) embeds with: onnxruntime where it loads, else its fallback.
const here = await floatEngineHere();

describe('edgewise train', () => {
  it(`--json streams per-epoch metrics and ends with the model, embedding with ${here.ortMissing === undefined ? 'onnxruntime' : `${here.backend} (onnxruntime does not load here)`}`, () => {
    const r = cli(['train', '--backend', 'local', '--json']);
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.filter((e) => e.type === 'metric' && e.name === 'val_accuracy').length).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'progress' && e.phase === 'embed')).toBe(true);
    const result = events.at(-1)! as { type: string; ok: boolean; output: { version: string; tflite: string; embedded: { threads: number; computed: number } } };
    expect(result).toMatchObject({ type: 'result', ok: true });
    if (here.ortMissing === undefined) {
      // onnxruntime (the optional dependency) on the int8 feature .onnx (the default precision there),
      // calibrated on train images and written once into the cache beside the float one it is checked against.
      expect(result.output.embedded).toMatchObject({ threads: 1, computed: 24, backend: 'onnxruntime-int8' });
      const onnxFiles = readdirSync(join(tmp.dir, '.edgewise', 'cache', 'feature-onnx')).filter((f) => f.endsWith('.onnx'));
      expect(onnxFiles.sort((a, b) => a.length - b.length)).toEqual([expect.not.stringMatching(/-int8\.onnx$/), expect.stringMatching(/-int8\.onnx$/)]);
      expect(events.some((e) => e.type === 'log' && /Calibrating the int8 feature model on \d+ train image/.test(String(e.message)))).toBe(true);
      expect(events.some((e) => e.type === 'warning')).toBe(false);
    } else {
      // Its fallback, saying so (the case below forces it everywhere).
      expect(result.output.embedded).toMatchObject({ computed: 24, backend: here.backend });
      expect(events.filter((e) => e.type === 'warning')).toMatchObject([{ code: 'train.onnx_unavailable' }]);
    }
    expect(readFileSync(join(tmp.dir, result.output.tflite)).subarray(4, 8).toString('latin1')).toBe('TFL3');
  });

  it('a second run with nothing changed is skipped; a bad --backend exits 2 naming the flag', () => {
    const again = cli(['train']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/up to date/);
    const bad = cli(['train', '--backend', 'gpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr + bad.stdout).toContain('--backend');
  });

  it('without onnxruntime-node: LiteRT on 2 worker threads, with a train.onnx_unavailable warning', async () => {
    const ws = join(tmp.dir, 'no-ort');
    await syntheticWorkspace(ws, { perClass: 4, size: [64, 96] });
    const r = spawnSync(process.execPath, [CLI, '-w', ws, 'train', '--backend', 'local', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', FORCE_COLOR: '0', EDGEWISE_ONNXRUNTIME: 'edgewise-no-such-onnxruntime' },
    });
    expect(r.status).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.find((e) => e.type === 'warning')).toMatchObject({ code: 'train.onnx_unavailable' });
    // Both worker threads embed with LiteRT on the feature .tflite converted once into the workspace cache.
    expect((events.at(-1) as { output: { embedded: unknown } }).output.embedded).toMatchObject({ threads: 2, computed: 12, backend: 'litert' });
    expect(readdirSync(join(ws, '.edgewise', 'cache', 'feature-tflite')).filter((f) => f.endsWith('.tflite'))).toHaveLength(1);
  });
});
