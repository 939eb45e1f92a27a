import { describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink';
import UploadScreen from '../../screens/upload.js';
import TrainingStatusScreen, { initialPaneUi, paneKeyActions, paneReducer, timelineItems } from '../../screens/training-status.js';
import { runStepCollect } from '../../src/core/step.js';
import { uploadStep } from '../../src/cloud/upload-step.js';
import { flush, keys, SizedStdout, waitFor } from '../helpers/ink.js';
import { FakeStdin } from './ink-stdin.js';
import { replaceValidatedImage, type FakeCloud, type TestWorkspace, useFakeCloud } from './helpers.js';

let cloud: FakeCloud;
let ws: TestWorkspace;
useFakeCloud({
    vertex: { pipelineStates: ['QUEUED', 'QUEUED', 'RUNNING', ...Array<'RUNNING'>(8).fill('RUNNING'), 'SUCCEEDED'] },
    config: { train: { vertex: { pollMs: 30, operationPollMs: 10, retryBaseMs: 5, retryMaxMs: 40 } } },
  }, (c, w) => {
  cloud = c;
  ws = w;
});

function mount(el: (ctx: ReturnType<TestWorkspace['ctx']>, calls: { back: number; done: Array<string | undefined> }) => React.ReactElement, columns = 80, rows = 24) {
  const stdout = new SizedStdout(columns, rows);
  const stdin = new FakeStdin();
  const calls = { back: 0, done: [] as Array<string | undefined> };
  const inst = render(el(ws.ctx(), calls), { stdout: stdout as never, stdin: stdin as never, debug: true, exitOnCtrlC: false, patchConsole: false });
  return { stdout, stdin, calls, inst, all: () => stdout.frames.join(''), frame: () => stdout.lastFrame() ?? '' };
}

/** Every line fits, except a URL alone on its line: printed whole on purpose (the terminal wraps it). */
function fits(frame: string, columns: number, rows: number): void {
  const lines = frame.replace(/\n$/, '').split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) if (!/^https:\/\/\S+$/.test(l)) expect([...l].length, l).toBeLessThanOrEqual(columns);
}

describe('status pane reducer', () => {
  test('c then y in one chunk confirms; c then anything else keeps the pipeline', () => {
    const run = (chunk: string) => paneKeyActions(chunk, {}).reduce(paneReducer, initialPaneUi);
    expect(run('cy').cancels).toBe(1);
    expect(run('cn').cancels).toBe(0);
    expect(run('cd')).toMatchObject({ cancels: 0, detached: false, confirming: false });
    expect(run('d')).toMatchObject({ detached: true, detaches: 1 });
    // A ⏎ that would start a billed pipeline asks first: only y starts it.
    const start = (...then: Parameters<typeof paneReducer>[1][]) => [{ type: 'enter', ask: true } as const, ...then].reduce(paneReducer, initialPaneUi);
    expect(start()).toMatchObject({ askingStart: true, starts: 0, confirmedStarts: 0 });
    expect(start(...paneKeyActions('y', {}))).toMatchObject({ askingStart: false, confirmedStarts: 1 });
    expect(start(...paneKeyActions('n', {}))).toMatchObject({ askingStart: false, confirmedStarts: 0, declined: true });
    expect(start(...paneKeyActions('d', {}))).toMatchObject({ confirmedStarts: 0, declined: true, detaches: 0 });
  });
});

describe('status pane timeline', () => {
  test('lines carry the time they arrived; a state entered earlier says "since"; a console URL gets its own whole line', () => {
    let k = 0;
    const next = () => k++;
    const log = timelineItems({ type: 'log', message: 'Following projects/p/locations/us-central1/trainingPipelines/1004\n  console: https://console.cloud.google.com/vertex-ai/locations/us-central1/training/1004/cpu?project=demo-project' }, next, '2026-12-06T09:47:49.000Z');
    const running = timelineItems({ type: 'status', state: 'RUNNING', message: 'elapsed 16s', data: { pipeline: 'p', at: '2026-12-06T09:47:33.000Z' } }, next, '2026-12-06T09:47:49.500Z');
    expect(log.map((i) => [i.time, i.text, i.tone])).toEqual([
      ['09:47:49', 'Following projects/p/locations/us-central1/trainingPipelines/1004', 'log'],
      ['09:47:49', 'https://console.cloud.google.com/vertex-ai/locations/us-central1/training/1004/cpu?project=demo-project', 'link'],
    ]);
    expect(running).toEqual([{ key: 2, time: '09:47:49', text: 'RUNNING (since 09:47:33)  elapsed 16s', tone: 'state' }]);
    // A state entered just now needs no "since".
    expect(timelineItems({ type: 'status', state: 'QUEUED', data: { at: '2026-12-06T09:47:49.000Z' } }, next, '2026-12-06T09:47:49.400Z')[0]!.text).toBe('QUEUED');
  });

  test('asked about missing images: y trains without them; any other key stops', () => {
    const ask = (chunk: string) => paneKeyActions(chunk, {}).reduce(paneReducer, paneReducer(initialPaneUi, { type: 'ask-missing' }));
    expect(ask('y')).toMatchObject({ forcedStarts: 1, askingMissing: false });
    expect(ask('n')).toMatchObject({ forcedStarts: 0, askingMissing: false, starts: 0 });
    expect(ask('d')).toMatchObject({ forcedStarts: 0, detaches: 0 });
  });
});

describe('upload screen', () => {
  test('dry run, then upload with file and byte progress, then continue (80×24)', async () => {
    const ui = mount((ctx, calls) => <UploadScreen ctx={ctx} isActive columns={80} rows={24} onBack={() => calls.back++} onDone={(s) => calls.done.push(s)} />);
    await flush();
    expect(ui.frame()).toContain('Upload to gs://edgewise-demo-bucket/edgewise/');
    ui.stdin.write('d');
    await waitFor(() => ui.frame().includes('Dry run:'));
    expect(ui.frame()).toMatch(/Dry run: 13 object\(s\) would be uploaded/);
    expect(cloud.gcs.counts.uploads).toBe(0);
    ui.stdin.write(keys.enter);
    await waitFor(() => ui.frame().includes('✔ 13 object(s) uploaded'));
    expect(ui.frame()).toMatch(/files\s+█+ 12\/12 files/);
    expect(ui.frame()).toMatch(/bytes\s+█+ 23\.4 KB\/23\.4 KB/);
    fits(ui.frame(), 80, 24);
    ui.stdin.write(keys.enter);
    await waitFor(() => ui.calls.done.length > 0);
    expect(ui.calls.done[0]).toBe('13 uploaded, 0 unchanged');
    ui.inst.unmount();
  });
});

describe('training status pane', () => {
  test('⏎ trains: live header with budget, timeline of transitions, ends SUCCEEDED (80×24)', async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    const ui = mount((ctx, calls) => <TrainingStatusScreen ctx={ctx} isActive columns={80} rows={24} onBack={() => calls.back++} onDone={(s) => calls.done.push(s)} />);
    await flush();
    expect(ui.frame()).toContain('not started');
    // Starting is billed: the pane asks first, with model type, budget and price; n leaves nothing created.
    ui.stdin.write(keys.enter);
    await waitFor(() => ui.frame().includes('Start Vertex AI training?'));
    const ask = ui.frame().replace(/\s+/g, ' ');
    expect(ask).toContain('Model type MOBILE_TF_VERSATILE_1');
    expect(ask).toContain('Budget 24 node hours');
    expect(ask).toMatch(/Price US\$18\.00 per node hour \(Vertex AI pricing page, AutoML image classification, Training \(Edge on-device model\), as of 2026-12-06/);
    expect(ask).toContain('At most US$432.00');
    fits(ui.frame(), 80, 24);
    ui.stdin.write('n');
    await waitFor(() => ui.frame().includes('Not started: nothing was created'));
    await flush();
    expect(cloud.vertex.datasets.size + cloud.vertex.pipelines.size).toBe(0);
    ui.stdin.write(keys.enter);
    await waitFor(() => ui.frame().includes('Start Vertex AI training?'));
    ui.stdin.write('y');
    await waitFor(() => ui.frame().includes('Training finished') && /\d\d:\d\d:\d\d SUCCEEDED/.test(ui.all()), 5000);
    const all = ui.all();
    for (const s of ['DATASET_READY', 'IMPORTED', 'QUEUED', 'RUNNING', 'SUCCEEDED']) expect(all).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d ${s}`));
    expect(ui.frame()).toMatch(/SUCCEEDED\s+elapsed \d+s\s+\d+\.\d of 24 node hours/);
    fits(ui.frame(), 80, 24);
    // The console URL, longer than 80 columns, is printed whole on a line of its own.
    const url = `https://console.cloud.google.com/vertex-ai/locations/us-central1/training/${[...cloud.vertex.pipelines.keys()][0]!.split('/').pop()}/cpu?project=demo-project`;
    expect(url.length).toBeGreaterThan(80);
    expect(ui.frame().split('\n')).toContain(url);
    // Timeline times never go backwards.
    const times = ui.frame().split('\n').map((l) => /^(\d\d:\d\d:\d\d) /.exec(l)?.[1]).filter((t): t is string => t !== undefined);
    expect(times.length).toBeGreaterThan(5);
    expect([...times].sort()).toEqual(times);
    expect(ui.calls.done).toHaveLength(1);
    ui.inst.unmount();
  });

  test('images Vertex could not import are named in the timeline; it asks, and y trains without them (80×24)', async () => {
    replaceValidatedImage(ws, 'ants/ants_2.jpg', 'not an image');
    await runStepCollect(uploadStep, {}, ws.ctx());
    const ui = mount((ctx, calls) => <TrainingStatusScreen ctx={ctx} isActive columns={80} rows={24} onBack={() => calls.back++} onDone={(s) => calls.done.push(s)} />);
    // ⏎ asks about the cost first; y starts.
    ui.stdin.write(keys.enter + 'y');
    await waitFor(() => ui.frame().includes('Train without them?'), 5000);
    expect(ui.all()).toContain('⚠ Vertex could not import ants/ants_2.jpg:');
    expect(cloud.vertex.pipelines.size).toBe(0);
    fits(ui.frame(), 80, 24);
    ui.stdin.write('y');
    await waitFor(() => ui.frame().includes('Training finished'), 8000);
    expect(cloud.vertex.pipelines.size).toBe(1);
    expect(Object.values([...cloud.vertex.pipelines.values()][0]!.split).flat()).toHaveLength(11);
    ui.inst.unmount();
  });

  test('d detaches (pipeline keeps running); reopening reattaches; c + y cancels it', async () => {
    await runStepCollect(uploadStep, {}, ws.ctx());
    const a = mount((ctx, calls) => <TrainingStatusScreen ctx={ctx} isActive columns={80} rows={24} onBack={() => calls.back++} onDone={(s) => calls.done.push(s)} />);
    a.stdin.write(keys.enter + 'y');
    await waitFor(() => /RUNNING/.test(a.frame()), 5000);
    a.stdin.write('d');
    await waitFor(() => a.frame().includes('Detached'));
    expect(a.frame().replace(/\s+/g, ' ')).toContain('Reattach with `edgewise watch`');
    const p = [...cloud.vertex.pipelines.values()][0]!;
    expect(p.cancelled).toBe(false);
    a.inst.unmount();

    // A new screen (a later session) reattaches on its own, then cancels after confirmation.
    const b = mount((ctx, calls) => <TrainingStatusScreen ctx={ctx} isActive columns={80} rows={24} onBack={() => calls.back++} onDone={(s) => calls.done.push(s)} />);
    await waitFor(() => /RUNNING/.test(b.frame()), 5000);
    b.stdin.write('c');
    await waitFor(() => b.frame().includes('Cancel the training pipeline?'));
    expect(p.cancelled).toBe(false);
    b.stdin.write('y');
    await waitFor(() => p.cancelled, 5000);
    await waitFor(() => /CANCELLED/.test(b.all()), 5000);
    expect(cloud.vertex.pipelines.size).toBe(1);
    b.inst.unmount();
  });
});
