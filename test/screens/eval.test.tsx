import { render } from 'ink';
import { afterAll, describe, expect, it } from 'vitest';
import EvalScreen from '../../screens/eval.js';
import { createEvalStep } from '../../src/evaluate/eval-step.js';
import type { ImageClassifier } from '../../src/evaluate/classifier.js';
import { fakeClassifier, loaderFor, makeFakeWorkspace, removeFakeWorkspaces } from '../evaluate/fake-workspace.js';
import { flush, keys, SizedStdout, waitFor } from '../helpers/ink.js';
import { FakeStdin as Stdin } from '../helpers/ink.js';


function renderAt(model: ImageClassifier, columns = 80, rows = 24) {
  const ws = makeFakeWorkspace({ labels: ['ant', 'bee', 'wasp', 'hornet'], perSplit: 15 });
  const stdout = new SizedStdout(columns, rows);
  const stdin = new Stdin();
  const calls = { back: 0, done: [] as Array<string | undefined> };
  const inst = render(
    <EvalScreen
      ctx={ws.ctx()}
      isActive
      columns={columns}
      rows={rows}
      step={createEvalStep(loaderFor(model))}
      onBack={() => calls.back++}
      onDone={(s) => calls.done.push(s)}
    />,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    { stdout: stdout as any, stdin: stdin as any, debug: true, exitOnCtrlC: false, patchConsole: false },
  );
  const frame = (): string => stdout.lastFrame() ?? '';
  return { stdout, stdin, calls, inst, frame };
}

function fits(frame: string, columns: number, rows: number): void {
  const lines = frame.replace(/\n$/, '').split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect([...l].length).toBeLessThanOrEqual(columns);
}

afterAll(removeFakeWorkspaces);

describe('eval screen', () => {
  it('runs the step and shows the report scrollable at 80×24, keys one at a time or coalesced', async () => {
    const ui = renderAt(fakeClassifier(['ant', 'bee', 'wasp', 'hornet']));
    await waitFor(() => ui.frame().includes('lines 1–'));
    const top = ui.frame();
    expect(top).toContain('Evaluate v001');
    expect(top).toContain('■ Evaluation of v001: 60 test images');
    expect(top).toMatch(/lines 1–21 of \d+/);
    fits(top, 80, 24);
    await flush();
    expect(ui.calls.done[0]).toMatch(/^v001: top-1 0\.\d{3}, ECE 0\.\d{3}$/);

    ui.stdin.write('j');
    await flush();
    expect(ui.frame()).toMatch(/lines 2–22 of/);
    // Four downs arriving in one chunk (SSH) move four lines.
    ui.stdin.write(`${keys.down}${keys.down}${keys.down}${keys.down}`);
    await flush();
    expect(ui.frame()).toMatch(/lines 6–26 of/);
    ui.stdin.write('G');
    await flush();
    expect(ui.frame()).toContain('■ Most confidently wrong');
    expect(ui.frame()).not.toContain('■ Evaluation of');
    fits(ui.frame(), 80, 24);
    ui.stdin.write('g');
    await flush();
    expect(ui.frame()).toContain('■ Evaluation of');

    ui.stdin.write(keys.escape);
    await flush(8);
    expect(ui.calls.back).toBe(1);
    ui.inst.unmount();
  });

  it('cancels a running evaluation with esc and writes nothing', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const base = fakeClassifier(['ant', 'bee', 'wasp', 'hornet'], { batchSize: 4 });
    const slow: ImageClassifier = {
      numClasses: 4,
      batchSize: 4,
      async classify(paths, signal) {
        if (base.calls >= 2) await gate;
        return base.classify(paths, signal);
      },
    };
    const ui = renderAt(slow);
    await waitFor(() => /test .*\d+\/60 img/.test(ui.frame()));
    fits(ui.frame(), 80, 24);
    ui.stdin.write(keys.escape);
    await flush();
    release();
    await waitFor(() => ui.frame().includes('Cancelled'));
    expect(ui.calls.back).toBe(0);
    expect(ui.calls.done).toEqual([]);
    ui.inst.unmount();
  });

  it('fits a narrow 60×20 terminal', async () => {
    const ui = renderAt(fakeClassifier(['ant', 'bee', 'wasp', 'hornet']), 60, 20);
    await waitFor(() => ui.frame().includes('lines 1–'));
    fits(ui.frame(), 60, 20);
    ui.inst.unmount();
  });
});
