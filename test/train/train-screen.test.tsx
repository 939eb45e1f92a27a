import { render } from 'ink';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import TrainScreen, { initialTrainUi, sparkline, trainUiReducer } from '../../screens/train.js';
import { parseConfig } from '../../src/config/load.js';
import { createContext } from '../../src/core/context.js';
import type { Step } from '../../src/core/step.js';
import type { TrainInput, TrainOutput } from '../../src/train/step.js';
import { flush, keys, SizedStdout, waitFor } from '../helpers/ink.js';
import { makeTempDir } from '../helpers/tmp.js';
import { FakeStdin as Stdin } from '../helpers/ink.js';


const output: TrainOutput = {
  backend: 'local',
  version: 'v003',
  modelDir: 'ml/models/v003',
  tflite: 'ml/models/v003/model.tflite',
  labelsFile: 'ml/models/v003/labels.txt',
  infoFile: 'ml/models/v003/model_info.json',
  labels: ['a', 'b'],
  backbone: 'nsfwjs-mobilenet_v2',
  layers: ['block_13_expand_relu'],
  pooling: 'mean',
  metrics: { train_accuracy: 1, val_accuracy: 0.9, val_loss: 0.3, test_top1: 0.95, epochs: 3, best_epoch: 2, n_train: 10, n_validation: 4, n_test: 4, head_samples_per_second: 1000 },
  embedded: { computed: 5, cached: 13, threads: 1, backend: 'wasm', rate: 20 },
};

/** A fake train step: epoch 1, then waits for the gate, then epochs 2–3 and the output. */
function fakeStep(gate: Promise<void>): Step<TrainInput, TrainOutput> {
  return {
    name: 'train',
    title: 'Train (local)',
    async *run() {
      yield { type: 'progress', phase: 'embed', done: 5, total: 5, unit: 'img', rate: 21.5 };
      yield { type: 'metric', name: 'loss', value: 0.9, step: 1 };
      yield { type: 'metric', name: 'accuracy', value: 0.5, step: 1 };
      yield { type: 'metric', name: 'val_accuracy', value: 0.55, step: 1 };
      await gate;
      for (const e of [2, 3]) {
        yield { type: 'metric', name: 'loss', value: 0.9 / e, step: e };
        yield { type: 'metric', name: 'accuracy', value: 0.5 + e / 10, step: e };
        yield { type: 'metric', name: 'val_accuracy', value: 0.6 + e / 10, step: e };
      }
      return output;
    },
  };
}

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('edgewise-train-screen-');
});
afterEach(() => tmp.cleanup());

function renderAt(step: Step<TrainInput, TrainOutput>, columns = 80, rows = 24) {
  const ctx = createContext({ root: tmp.dir, config: parseConfig({}, 'test') });
  const stdout = new SizedStdout(columns, rows);
  const stdin = new Stdin();
  const calls = { back: 0, done: [] as Array<string | undefined> };
  const inst = render(
    <TrainScreen ctx={ctx} isActive columns={columns} rows={rows} step={step} onBack={() => calls.back++} onDone={(s) => calls.done.push(s)} />,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    { stdout: stdout as any, stdin: stdin as any, debug: true, exitOnCtrlC: false, patchConsole: false },
  );
  return { stdin, calls, inst, frame: (): string => stdout.lastFrame() ?? '' };
}

describe('train screen', () => {
  it('shows the live per-epoch readout while training, then the result; ⏎ continues', async () => {
    let open!: () => void;
    const ui = renderAt(fakeStep(new Promise<void>((r) => (open = r))));
    await flush();
    expect(ui.frame()).toContain('⏎ trains');
    ui.stdin.write(keys.enter);
    await waitFor(() => ui.frame().includes('epoch 1')).catch((e) => { console.log(ui.frame()); throw e; });
    let f = ui.frame();
    expect(f).toContain('Training…');
    expect(f).toMatch(/loss\s+0\.9000/);
    expect(f).toMatch(/val accuracy\s+55\.0%/);
    expect(f).toContain('21.5 img/s');
    open();
    await waitFor(() => ui.frame().includes('✔ v003'));
    f = ui.frame();
    expect(f).toContain('epoch 3');
    expect(f).toMatch(/val accuracy\s+90\.0%/);
    expect(f).toContain('embedded 5 new, 13 cached');
    const lines = f.replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    ui.stdin.write(keys.enter);
    await waitFor(() => ui.calls.done.length === 1);
    expect(ui.calls.done[0]).toContain('v003');
    ui.inst.unmount();
  });

  it('esc while training cancels the step and goes back', async () => {
    const ui = renderAt(fakeStep(new Promise<void>(() => {})));
    ui.stdin.write(keys.enter);
    await waitFor(() => ui.frame().includes('epoch 1'));
    ui.stdin.write(keys.escape);
    await waitFor(() => ui.calls.back === 1);
    ui.inst.unmount();
  });
});

describe('train screen state', () => {
  it('every key is an action: coalesced ⏎⏎ counts twice, f and esc are recorded', () => {
    let s = trainUiReducer(initialTrainUi, { type: 'enter' });
    s = trainUiReducer(s, { type: 'enter' });
    s = trainUiReducer(s, { type: 'force' });
    expect(s).toEqual({ enters: 2, forces: 1, back: false });
    expect(trainUiReducer(s, { type: 'back' }).back).toBe(true);
  });

  it('sparkline scales between the minimum and maximum', () => {
    expect(sparkline([0, 0.5, 1], 10)).toBe('▁▅█');
    expect(sparkline([1, 2, 3, 4], 2)).toBe('▁█');
  });
});
