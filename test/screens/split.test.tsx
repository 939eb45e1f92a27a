import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import SplitScreen, { initialSplitUi, splitKeyActions, splitUiReducer } from '../../screens/split.js';
import { parseConfig } from '../../src/config/load.js';
import { createContext } from '../../src/core/context.js';
import { readSplitsCsv } from '../../src/split/split-io.js';
import { flush, keys, SizedStdout, waitFor } from '../helpers/ink.js';
import { makeTempDir } from '../helpers/tmp.js';
import { FakeStdin as Stdin } from '../helpers/ink.js';


let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('edgewise-split-screen-');
});
afterEach(() => tmp.cleanup());

function workspace(withManifest = true, classes = ['ants', 'bees', 'wasps'], splitOf?: (i: number) => string) {
  if (withManifest) {
    const lines = [`image,label,sha256,group${splitOf ? ',split' : ''}`];
    for (const c of classes) for (let i = 0; i < 50; i++) lines.push(`${c}/${i}.jpg,${c},h${c}${i},${c}-${Math.floor(i / 2)}${splitOf ? `,${splitOf(i)}` : ''}`);
    mkdirSync(join(tmp.dir, 'ml', 'dataset'), { recursive: true });
    writeFileSync(join(tmp.dir, 'ml', 'dataset', 'manifest.clean.csv'), lines.join('\n') + '\n');
  }
  return createContext({ root: tmp.dir, config: parseConfig({ bucket: 'demo-bkt' }, 'test') });
}

function renderAt(withManifest = true, columns = 80, rows = 24, classes?: string[], splitOf?: (i: number) => string) {
  const ctx = workspace(withManifest, classes, splitOf);
  const stdout = new SizedStdout(columns, rows);
  const stdin = new Stdin();
  const calls = { back: 0, done: [] as Array<string | undefined> };
  const inst = render(
    <SplitScreen ctx={ctx} isActive columns={columns} rows={rows} onBack={() => calls.back++} onDone={(s) => calls.done.push(s)} />,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    { stdout: stdout as any, stdin: stdin as any, debug: true, exitOnCtrlC: false, patchConsole: false },
  );
  const frame = (): string => stdout.lastFrame() ?? '';
  return { stdin, calls, inst, frame };
}

function fits(frame: string, columns: number, rows: number): void {
  const lines = frame.replace(/\n$/, '').split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect([...l].length).toBeLessThanOrEqual(columns);
}

describe('split screen', () => {
  it('previews the per-class table and leakage check at 80×24 without writing anything', async () => {
    const ui = renderAt();
    await waitFor(() => ui.frame().includes('Leakage check'));
    const f = ui.frame();
    // Clusters are pairs, so an odd target of 5 is met within one image.
    expect(f).toMatch(/ants\s+40\s+[456]\s+[456]\s+50/);
    expect(f).toMatch(/total\s+120\s+\d+\s+\d+\s+150/);
    expect(f).toMatch(/Largest per-class deviation [01] image/);
    expect(f).toContain('✔ Leakage check: no cluster');
    expect(f).toContain('Preview: nothing written yet');
    fits(f, 80, 24);
    expect(existsSync(join(tmp.dir, 'ml', 'dataset', 'splits.csv'))).toBe(false);
    ui.inst.unmount();
  });

  it("when the manifest's split column decides every image, the ratio controls say so and do nothing", async () => {
    const ui = renderAt(true, 80, 24, undefined, (i) => (i < 40 ? 'train' : i < 45 ? 'validation' : 'test'));
    await waitFor(() => ui.frame().includes("The manifest's split column decides every image"));
    expect(ui.frame()).toMatch(/total\s+120\s+15\s+15\s+150/);
    ui.stdin.write(`${keys.right}${keys.right}+`);
    await flush();
    expect(ui.frame()).toMatch(/validation\s+10%/);
    expect(ui.frame()).not.toContain('◂ ▸');
    expect(ui.frame()).not.toContain('±5%');
    fits(ui.frame(), 80, 24);
    ui.inst.unmount();
  });

  it('a split column with train/validation only: the error says why, and c takes test out of train', async () => {
    const ui = renderAt(true, 80, 24, undefined, (i) => (i < 44 ? 'train' : 'validation'));
    await waitFor(() => ui.frame().includes('No image for test (10 %)'));
    expect(ui.frame()).toContain('c takes it out of train');
    fits(ui.frame(), 80, 24);
    ui.stdin.write('c');
    await waitFor(() => ui.frame().includes('test taken out of train'));
    expect(ui.frame()).toMatch(/total\s+\d+\s+18\s+[1-9]\d*\s+150/);
    ui.stdin.write(keys.enter);
    await waitFor(() => ui.frame().includes('✔ Wrote'));
    const written = await readSplitsCsv(join(tmp.dir, 'ml', 'dataset', 'splits.csv'));
    expect(written!.filter((r) => r.split === 'test').length).toBeGreaterThan(0);
    fits(ui.frame(), 80, 24);
    ui.inst.unmount();
  });

  it('applies coalesced keys in order: two → then ↓++⏎ in one chunk, then ⏎ goes back', async () => {
    const ui = renderAt();
    await waitFor(() => ui.frame().includes('Leakage check'));
    ui.stdin.write(keys.right);
    ui.stdin.write(keys.right);
    await flush();
    expect(ui.frame()).toMatch(/validation\s+20%/);
    expect(ui.frame()).toMatch(/train\s+70%/);
    // Focus test, +1% twice, and Enter, all in one chunk as over SSH.
    ui.stdin.write(`${keys.down}++${keys.enter}`);
    await waitFor(() => ui.frame().includes('✔ Wrote'));
    const f = ui.frame();
    expect(f).toMatch(/test\s+12%/);
    expect(f).toMatch(/train\s+68%/);
    expect(f).toContain('ml/dataset/vertex_dataset.csv');
    fits(f, 80, 24);
    const rows = (await readSplitsCsv(join(tmp.dir, 'ml', 'dataset', 'splits.csv')))!;
    const count = (s: string): number => rows.filter((r) => r.split === s && r.label === 'ants').length;
    expect([count('train'), count('validation'), count('test')]).toEqual([34, 10, 6]);
    await waitFor(() => ui.calls.done.length === 1);
    expect(ui.calls.done[0]).toMatch(/102 train \/ 30 validation \/ 18 test, 0 moved/);
    // The chosen ratios are saved, so a later headless `edgewise split` keeps this split.
    await waitFor(() => existsSync(join(tmp.dir, 'edgewise.json')));
    const { readFileSync } = await import('node:fs');
    expect((JSON.parse(readFileSync(join(tmp.dir, 'edgewise.json'), 'utf8')) as { split: unknown }).split).toEqual({ train: 0.68, validation: 0.2, test: 0.12, seed: 'edgewise' });
    expect(ui.calls.back).toBe(0);
    ui.stdin.write(keys.enter);
    await waitFor(() => ui.calls.back === 1);
    ui.inst.unmount();
  });

  it('fits 80×24 with many classes by listing the first ones', async () => {
    const ui = renderAt(true, 80, 24, Array.from({ length: 30 }, (_, i) => `class_with_a_long_name_${i}`));
    await waitFor(() => ui.frame().includes('Leakage check'));
    expect(ui.frame()).toMatch(/… \d+ more classes/);
    fits(ui.frame(), 80, 24);
    ui.inst.unmount();
  });

  it('shows the validate hint when there is no cleaned manifest, and Esc goes back', async () => {
    const ui = renderAt(false);
    await waitFor(() => ui.frame().includes('edgewise validate'));
    expect(ui.frame()).toContain('does not exist');
    ui.stdin.write(keys.escape);
    await waitFor(() => ui.calls.back === 1);
    ui.inst.unmount();
  });
});

describe('split screen keys', () => {
  it('turns a chunk of keys into actions in order and keeps train at 5% or more', () => {
    expect(splitKeyActions('++-\r', {}).map((a) => a.type)).toEqual(['adjust', 'adjust', 'adjust', 'enter']);
    let s = initialSplitUi(0.1, 0.1);
    for (let i = 0; i < 20; i++) s = splitUiReducer(s, { type: 'adjust', delta: 5 });
    expect(s.validation).toBe(50);
    s = splitUiReducer(s, { type: 'focus', delta: 1 });
    for (let i = 0; i < 20; i++) s = splitUiReducer(s, { type: 'adjust', delta: 5 });
    expect(s.test).toBe(45);
    expect(100 - s.validation - s.test).toBe(5);
    // Enter runs; a ratio change makes the run stale so Enter runs again instead of continuing.
    s = splitUiReducer(s, { type: 'enter' });
    expect([s.runs, s.continues]).toEqual([1, 0]);
    s = splitUiReducer(s, { type: 'enter' });
    expect([s.runs, s.continues]).toEqual([1, 1]);
    s = splitUiReducer(s, { type: 'adjust', delta: -1 });
    s = splitUiReducer(s, { type: 'enter' });
    expect([s.runs, s.continues, s.stale]).toEqual([2, 0, false]);
  });
});
