import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink';
import { render as renderTesting } from 'ink-testing-library';
import { afterAll, describe, expect, it } from 'vitest';
import TuneScreen from '../../screens/tune.js';
import { TuneApp } from '../../screens/tune/standalone.js';
import { bruteForceMetrics } from '../../src/tune/brute-force.js';
import { ThresholdEngine } from '../../src/tune/engine.js';
import { loadPredictions, scoreNegatives } from '../../src/tune/predictions.js';
import { createTuneLoadStep } from '../../src/tune/screen-steps.js';
import { suggest } from '../../src/tune/suggest.js';
import { flush, keys, SizedStdout, waitFor } from '../helpers/ink.js';
import { cleanupWorkspaces, predictionsWorkspace } from '../tune/fixtures.js';
import { FakeStdin as Stdin } from '../helpers/ink.js';


/** A workspace whose sliders start at tau 0.30, margin 0.00 (a saved thresholds file). */
function workspace(seed = 21) {
  const fx = predictionsWorkspace({ seed, test: 300, validation: 200 });
  writeFileSync(join(fx.root, 'ml/metrics/thresholds_v001.json'), JSON.stringify({ version: 'v001', tau: 0.3, margin: 0 }));
  const loaded = loadPredictions(fx.path);
  const engine = new ThresholdEngine(loaded.labels, loaded.splits.validation);
  return { fx, loaded, engine };
}

function sliders(frame: string): { tau: number; margin: number } {
  const t = /tau\s+(\d\.\d\d)/.exec(frame);
  const m = /margin\s+(\d\.\d\d)/.exec(frame);
  if (!t || !m) throw new Error(`no sliders in frame:\n${frame}`);
  return { tau: Number(t[1]), margin: Number(m[1]) };
}

function coverageShown(frame: string): string {
  const c = /validation\s+n=\d+\s+coverage ([\d.]+%)/.exec(frame);
  if (!c) throw new Error(`no coverage in frame:\n${frame}`);
  return c[1]!;
}

function fits(frame: string, columns: number, rows: number): void {
  const lines = frame.replace(/\n$/, '').split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect([...l].length).toBeLessThanOrEqual(columns);
}

function renderAt(ctx: ReturnType<typeof workspace>['fx']['ctx'], columns = 80, rows = 24) {
  const stdout = new SizedStdout(columns, rows);
  const stdin = new Stdin();
  const exits: Array<{ code: number; summary?: string }> = [];
  const inst = render(<TuneApp ctx={ctx} extra={{ target: 0.9 }} onExit={(code, summary) => exits.push({ code, ...(summary ? { summary } : {}) })} />, {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    stdout: stdout as any,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    stdin: stdin as any,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return { stdout, stdin, exits, inst, frame: () => stdout.lastFrame() ?? '' };
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

describe('tune screen', () => {
  afterAll(cleanupWorkspaces);
  it('moves the sliders one key at a time and the numbers follow the brute force', async () => {
    const { fx, loaded } = workspace();
    const calls = { back: 0 };
    const r = renderTesting(<TuneScreen ctx={fx.ctx} isActive columns={80} rows={24} onBack={() => calls.back++} onDone={() => {}} />);
    await waitFor(() => (r.lastFrame() ?? '').includes('coverage'));
    await flush();
    expect(sliders(r.lastFrame()!)).toEqual({ tau: 0.3, margin: 0 });
    const expectShown = (tau: number, margin: number) => {
      const f = r.lastFrame()!;
      expect(sliders(f)).toEqual({ tau, margin });
      expect(coverageShown(f)).toBe(pct(bruteForceMetrics(loaded.labels, loaded.splits.validation, tau, margin).coverage));
    };
    const press = async (k: string) => {
      r.stdin.write(k);
      await flush();
    };
    await press(keys.right);
    expectShown(0.31, 0);
    await press(']');
    expectShown(0.36, 0);
    await press('\u001B[1;2C'); // Shift+→
    expectShown(0.41, 0);
    await press('\u001B[5~'); // PageUp
    expectShown(0.46, 0);
    await press('[');
    expectShown(0.41, 0);
    await press(keys.left);
    expectShown(0.4, 0);
    await press(keys.tab);
    await press(keys.right);
    await press(keys.right);
    expectShown(0.4, 0.02);
    await press(keys.left);
    await press(keys.left);
    await press(keys.left); // clamps at 0
    expectShown(0.4, 0);
    // Unsaved values: the first q says so and stays, the second leaves.
    await press('q');
    expect(calls.back).toBe(0);
    expect(r.lastFrame()).toContain('are not saved: s saves, esc again leaves without saving');
    await press('q');
    expect(calls.back).toBe(1);
    r.unmount();
  });

  it('applies keys that arrive coalesced in one chunk, in order', async () => {
    const { fx, loaded } = workspace();
    const r = renderTesting(<TuneScreen ctx={fx.ctx} isActive columns={80} rows={24} onBack={() => {}} onDone={() => {}} />);
    await waitFor(() => (r.lastFrame() ?? '').includes('coverage'));
    await flush();
    // →→]] Tab → (as SSH delivers them: one read)
    r.stdin.write(`${keys.right}${keys.right}]]\t${keys.right}`);
    await flush();
    expect(sliders(r.lastFrame()!)).toEqual({ tau: 0.42, margin: 0.01 });
    // Typing a value and Enter in one chunk, then switching back and typing tau.
    r.stdin.write('0.07\r\t0.55\r');
    await flush();
    expect(sliders(r.lastFrame()!)).toEqual({ tau: 0.55, margin: 0.07 });
    expect(coverageShown(r.lastFrame()!)).toBe(pct(bruteForceMetrics(loaded.labels, loaded.splits.validation, 0.55, 0.07).coverage));
    // Percent form and a bad value.
    r.stdin.write('\t80\r');
    await flush();
    expect(sliders(r.lastFrame()!).margin).toBe(0.8);
    r.stdin.write('1.5\r');
    await flush();
    expect(r.lastFrame()).toContain('"1.5" is not a number from 0 to 1');
    expect(sliders(r.lastFrame()!).margin).toBe(0.8);
    r.unmount();
  });

  it('jumps to the suggestion for a typed target', async () => {
    const { fx, engine } = workspace();
    const r = renderTesting(<TuneScreen ctx={fx.ctx} isActive columns={80} rows={24} onBack={() => {}} onDone={() => {}} />);
    await waitFor(() => (r.lastFrame() ?? '').includes('coverage'));
    await flush();
    r.stdin.write('t85\r');
    await flush();
    const s = suggest(engine, { targetAccuracy: 0.85 })!;
    expect(s).toBeDefined();
    expect(sliders(r.lastFrame()!)).toEqual({ tau: s.tau, margin: s.margin });
    expect(r.lastFrame()).toContain(`Suggestion for 85%: highest coverage ${pct(s.coverage)}`);
    expect(coverageShown(r.lastFrame()!)).toBe(pct(s.coverage));
    r.stdin.write('t101\r');
    await flush();
    expect(r.lastFrame()).toContain('is not a number from 0 to 1');
    r.unmount();
  });

  it('saves the thresholds with the held-out numbers, leaving a model.json of another run alone', async () => {
    const { fx, loaded } = workspace();
    mkdirSync(join(fx.root, 'public/models'), { recursive: true });
    const other = JSON.stringify({ version: 'v001', source_run: 'v009', thresholds: { tau: 0.1, margin: 0.1 }, metrics: { top1: 0.5 } });
    writeFileSync(join(fx.root, 'public/models/model.json'), other);
    const done: Array<string | undefined> = [];
    const r = renderTesting(<TuneScreen ctx={fx.ctx} isActive columns={80} rows={24} onBack={() => {}} onDone={(s) => done.push(s)} />);
    await waitFor(() => (r.lastFrame() ?? '').includes('coverage'));
    await flush();
    r.stdin.write(`]]${keys.tab}${keys.right}s`);
    await waitFor(() => (r.lastFrame() ?? '').includes('Saved ml/metrics/thresholds_v001.json'));
    await flush();
    expect(r.lastFrame()).not.toContain('shipped as');
    const t = JSON.parse(readFileSync(join(fx.root, 'ml/metrics/thresholds_v001.json'), 'utf8')) as Record<string, unknown>;
    const want = bruteForceMetrics(loaded.labels, loaded.splits.test, 0.4, 0.01);
    expect(t).toMatchObject({ version: 'v001', tau: 0.4, margin: 0.01, temperature: 1.3, coverage: want.coverage, selective_accuracy: want.selectiveAccuracy, top1: want.top1, tuned_on: 'validation', measured_on: 'test' });
    expect(t.target).toBeUndefined();
    // Published versions are immutable: only a model.json of this same run is re-shipped (test/tune/step.test.ts).
    expect(readFileSync(join(fx.root, 'public/models/model.json'), 'utf8')).toBe(other);
    expect(done).toHaveLength(1);
    fx.ctx.journal.reload();
    expect(fx.ctx.journal.step('tune')?.artifacts).toEqual(['ml/metrics/thresholds_v001.json']);
    // Saving the suggestion records its target.
    r.stdin.write('gs');
    await waitFor(() => (JSON.parse(readFileSync(join(fx.root, 'ml/metrics/thresholds_v001.json'), 'utf8')) as { target?: number }).target === 0.95);
    r.unmount();
  });

  it('fits 80×24, follows a resize, and Ctrl-C exits with 130', async () => {
    const { fx } = workspace();
    const app = renderAt(fx.ctx, 80, 24);
    await waitFor(() => app.frame().includes('coverage'));
    fits(app.frame(), 80, 24);
    expect(app.frame()).toContain('Risk vs coverage');
    expect(app.frame()).toContain('Selective accuracy');
    expect(app.frame()).toContain('[ ] ±0.05');
    app.stdout.resize(60, 20);
    await flush();
    fits(app.frame(), 60, 20);
    // The core stays at 60×20: the curve and the heatmap, smaller, and every key hint on two lines, none cut.
    expect(app.frame()).toContain('Risk vs coverage');
    expect(app.frame()).toContain('Selective accuracy (m)');
    for (const hint of ['←→ ±0.01', '[ ] ±0.05', 'tab switch', 'm heatmap', 't target', 'g suggestion', 's save', 'esc back']) expect(app.frame()).toContain(hint);
    app.stdin.write(keys.right);
    await flush();
    expect(sliders(app.frame()).tau).toBe(0.31);
    app.stdout.resize(40, 12);
    await flush();
    fits(app.frame(), 40, 12);
    app.stdout.resize(100, 30);
    await flush();
    fits(app.frame(), 100, 30);
    expect(app.frame()).toContain('Selective accuracy');
    // A tall terminal: the curve grows into the rows (it stopped at 8 and left the rest empty), the heatmap up to its 21 margins.
    app.stdout.resize(120, 50);
    await flush();
    fits(app.frame(), 120, 50);
    const plotRows = app.frame().split('\n').filter((l) => l.includes(' │')).length;
    expect(plotRows).toBeGreaterThanOrEqual(30);
    expect(app.frame().split('\n').length).toBeGreaterThanOrEqual(47);
    expect(app.frame()).toMatch(/ 1\.00 [░▒▓█◆ ]{21}/); // the heatmap reaches its last margin row
    app.stdin.write(`${keys.right}${keys.ctrlC}`);
    await waitFor(() => app.exits.length > 0);
    expect(app.exits[0]!.code).toBe(130);
    app.inst.unmount();
  });

  it('scores negatives while loading and shows the false-accept rate live', async () => {
    const { fx, loaded } = workspace(23);
    const neg = predictionsWorkspace({ seed: 99, test: 40, validation: 0 }).probs.test;
    mkdirSync(join(fx.root, 'neg'), { recursive: true });
    neg.forEach((_, i) => writeFileSync(join(fx.root, 'neg', `n${String(i).padStart(2, '0')}.jpg`), String(i)));
    const loadStep = createTuneLoadStep(async () => ({
      numClasses: 4,
      classify: async (paths: readonly string[]) => paths.map((p) => neg[Number(readFileSync(p, 'utf8'))]!),
    }));
    const r = renderTesting(<TuneScreen ctx={fx.ctx} isActive columns={80} rows={24} negatives="neg" loadStep={loadStep} onBack={() => {}} onDone={() => {}} />);
    await waitFor(() => (r.lastFrame() ?? '').includes('coverage'));
    await flush();
    const negScored = scoreNegatives(neg, loaded.temperature);
    const far = (tau: number) => pct(bruteForceMetrics(loaded.labels, loaded.splits.validation, tau, 0, negScored).negatives!.falseAcceptRate!);
    expect(r.lastFrame()).toContain(`FAR ${far(0.3)}`); // 'false accepts' when the line has room
    r.stdin.write(']]]]');
    await flush();
    expect(r.lastFrame()).toContain(`FAR ${far(0.5)}`);
    expect(far(0.5)).not.toBe(far(0.3));
    r.unmount();
  });

  it('shows the load error with its hint and goes back on esc', async () => {
    const fx = predictionsWorkspace({ seed: 2 });
    writeFileSync(fx.path, '{ not json');
    let back = 0;
    const r = renderTesting(<TuneScreen ctx={fx.ctx} isActive columns={80} rows={24} onBack={() => back++} onDone={() => {}} />);
    await waitFor(() => (r.lastFrame() ?? '').includes('not valid JSON'));
    expect(r.lastFrame()).toContain('edgewise eval');
    r.stdin.write(keys.escape);
    await flush(8);
    expect(back).toBe(1);
    expect(existsSync(join(fx.root, 'ml/metrics/thresholds_v001.json'))).toBe(false);
    r.unmount();
  });
});
