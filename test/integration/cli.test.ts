import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { installNetworkGuard, type NetworkGuard } from './guard.js';
import { TOKEN, fakeConfig, makeWorkspace, replaceValidatedImage, startFakeCloud, type FakeCloud, type TestWorkspace } from './helpers.js';

/** The commands as a user runs them: compiled CLI processes against the fakes (npm test builds first). */
const CLI = resolve('dist/src/cli/main.js');
const PRELOAD = resolve('dist/test/integration/guard-preload.js');

let guard: NetworkGuard;
let cloud: FakeCloud;
let ws: TestWorkspace;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  events: Array<Record<string, unknown>>;
}

function cli(args: string[], opts: { onLine?: (ev: Record<string, unknown>, kill: () => void) => void; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, CLI, '-w', ws.root, ...args], {
      env: { ...process.env, GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN, CI: 'true', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let buf = '';
    const events: Array<Record<string, unknown>> = [];
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.startsWith('{')) continue;
        const ev = JSON.parse(line) as Record<string, unknown>;
        events.push(ev);
        opts.onLine?.(ev, () => child.kill('SIGINT'));
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolvePromise({ code, stdout, stderr, events }));
  });
}

beforeAll(async () => {
  if (!existsSync(CLI) || !existsSync(PRELOAD)) throw new Error('Compile first: npm run build (dist/src/cli/main.js is missing).');
  guard = installNetworkGuard();
  cloud = await startFakeCloud({ pipelineStates: ['QUEUED', 'RUNNING', ...Array<'RUNNING'>(12).fill('RUNNING'), 'SUCCEEDED'] });
  const cfg = fakeConfig(cloud, { train: { vertex: { pollMs: 40, operationPollMs: 10, retryBaseMs: 5, retryMaxMs: 40 } } });
  ws = makeWorkspace(cfg);
  writeFileSync(join(ws.root, 'edgewise.json'), JSON.stringify(cfg, null, 2));
});
afterAll(async () => {
  await cloud?.close();
  ws?.cleanup();
  guard?.uninstall();
  expect(guard.violations).toEqual([]);
});

describe('cloud commands (compiled CLI against the fakes)', () => {
  // Seven CLI processes, each loading the cloud SDKs: over a minute on a loaded machine (11-23 s each measured at load 30).
  test('upload, train (watcher killed), status, watch, cancel guard, export, upload rerun', { timeout: 300_000 }, async () => {
    const up = await cli(['upload', '--json']);
    expect(up.stderr).not.toContain('NETWORK GUARD');
    expect(up.code).toBe(0);
    const upResult = up.events.at(-1)!;
    expect(upResult).toMatchObject({ type: 'result', ok: true, output: { uploaded: ws.images.length + 1 } });

    // Ctrl-C while training: exit 130, the pipeline is left running, the message says how to reattach.
    const train = await cli(['train', '--backend', 'vertex', '--json'], {
      onLine: (ev, kill) => {
        if (ev.type === 'status' && ev.state === 'RUNNING') kill();
      },
    });
    expect(train.code).toBe(130);
    const err = train.events.at(-1)!;
    expect(err).toMatchObject({ type: 'error', exitCode: 130 });
    expect(String(err.message)).toContain('edgewise watch');
    const pipelines = [...cloud.vertex.pipelines.values()];
    expect(pipelines).toHaveLength(1);
    expect(pipelines[0]!.cancelled).toBe(false);

    const st = await cli(['status']);
    expect(st.code).toBe(0);
    expect(st.stdout).toMatch(/RUNNING/);
    expect(st.stdout).toContain('Follow it: edgewise watch');

    const cancel = await cli(['cancel']);
    expect(cancel.code).toBe(2);
    expect(cancel.stderr).toContain('--yes');
    expect(pipelines[0]!.cancelled).toBe(false);

    const watch = await cli(['watch', '--json']);
    expect(watch.code).toBe(0);
    expect(watch.events.at(-1)).toMatchObject({ type: 'result', output: { pipeline: pipelines[0]!.name, state: 'SUCCEEDED' } });
    expect(cloud.vertex.pipelines.size).toBe(1);

    const ex = await cli(['export']);
    expect(ex.code).toBe(0);
    expect(ex.stdout).toContain('ml/models/v001');
    expect(readFileSync(join(ws.root, 'ml/models/v001/labels.txt'), 'utf8')).toBe('ants\nbees\n');

    const again = await cli(['upload', '--json']);
    expect(again.events.at(-1)).toMatchObject({ output: { uploaded: 0, skipped: ws.images.length } });
  });
});

describe('import partial failures on the command line', () => {
  test('train --json names each image Vertex could not import, refuses with exit 2, and trains with --force', { timeout: 300_000 }, async () => {
    const main = ws;
    const cfg = fakeConfig(cloud, { prefix: 'partial', train: { vertex: { pollMs: 10, operationPollMs: 10, retryBaseMs: 5, retryMaxMs: 40 } } });
    ws = makeWorkspace(cfg);
    try {
      writeFileSync(join(ws.root, 'edgewise.json'), JSON.stringify(cfg, null, 2));
      // An image Vertex cannot decode (uploaded as it is: upload does not judge images).
      const broken = 'bees/bees_3.jpg';
      replaceValidatedImage(ws, broken, 'this is not an image');
      const run = await cli(['train', '--backend', 'vertex', '--json']);
      expect(run.code).toBe(2);
      expect(run.events).toContainEqual(expect.objectContaining({ type: 'warning', code: 'vertex.import_item_failed', item: `gs://${cfg.bucket}/partial/images/${broken}` }));
      expect(run.events).toContainEqual(expect.objectContaining({ type: 'warning', code: 'vertex.import_incomplete', message: expect.stringContaining("11 of the CSV's 12 images") }));
      expect(run.events.at(-1)).toMatchObject({ type: 'error', code: 'vertex.images_missing', hint: expect.stringContaining('--force') });
      const before = cloud.vertex.pipelines.size;
      const forced = await cli(['train', '--backend', 'vertex', '--json', '--force']);
      expect(forced.code).toBe(0);
      expect(forced.events.at(-1)).toMatchObject({ type: 'result', output: { state: 'SUCCEEDED' } });
      expect(cloud.vertex.pipelines.size).toBe(before + 1);
    } finally {
      ws.cleanup();
      ws = main;
    }
  });
});
