import { render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import ExportScreen from '../../screens/export.js';
import { createContext } from '../../src/core/context.js';
import { CancelledError, throwIfCancelled } from '../../src/core/errors.js';
import type { Step } from '../../src/core/step.js';
import type { ExportInput, ExportOutput } from '../../src/train/vertex/export-step.js';
import { flush, keys, waitFor } from '../helpers/ink.js';
import { makeTempDir } from '../helpers/tmp.js';

const output: ExportOutput = {
  backend: 'vertex',
  version: 'v001',
  model: 'projects/p/locations/us-central1/models/42',
  modelDir: 'ml/models/v001',
  tflite: 'ml/models/v001/model.tflite',
  labelsFile: 'ml/models/v001/labels.txt',
  infoFile: 'ml/models/v001/model_info.json',
  evaluationFile: 'ml/models/v001/vertex_evaluation.json',
} as ExportOutput;

/** A stand-in export: reports progress, then waits on a gate the test opens (or is cancelled). */
function fakeStep(gate: Promise<void>): Step<ExportInput, ExportOutput> {
  return {
    name: 'vertex-export',
    title: 'Export',
    async *run(_i, ctx) {
      yield { type: 'status', state: 'EXPORTING', message: 'operation 7' };
      yield { type: 'progress', phase: 'download', done: 1, total: 2, unit: 'file' };
      await Promise.race([gate, new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new CancelledError())))]);
      throwIfCancelled(ctx.signal);
      yield { type: 'artifact', path: output.tflite };
      return output;
    },
  };
}

describe('export screen (Vertex)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('runs on ⏎, shows progress and the result, and ⏎ again continues home', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const calls = { back: 0, done: [] as Array<string | undefined> };
    const ctx = createContext({ root: tmp.dir, env: {} });
    const ui = render(<ExportScreen ctx={ctx} isActive columns={80} rows={24} onBack={() => calls.back++} onDone={(s) => calls.done.push(s)} step={fakeStep(gate)} />);
    await flush();
    expect(ui.lastFrame()).toContain('⏎ export and download');
    ui.stdin.write(keys.enter);
    await waitFor(() => (ui.lastFrame() ?? '').includes('EXPORTING: operation 7'));
    expect(ui.lastFrame()).toContain('1/2 file');
    open();
    await waitFor(() => (ui.lastFrame() ?? '').includes('✔ v001: ml/models/v001/model.tflite'));
    expect(calls).toEqual({ back: 0, done: [] });
    ui.stdin.write(keys.enter);
    await flush();
    expect(calls).toEqual({ back: 1, done: ['v001 exported'] });
    ui.unmount();
  });

  it('esc while exporting stops waiting and goes back', async () => {
    const calls = { back: 0 };
    const ctx = createContext({ root: tmp.dir, env: {} });
    const ui = render(<ExportScreen ctx={ctx} isActive columns={80} rows={24} onBack={() => calls.back++} onDone={() => {}} step={fakeStep(new Promise(() => {}))} />);
    await flush();
    // Start, then leave while it runs.
    ui.stdin.write(keys.enter);
    await waitFor(() => (ui.lastFrame() ?? '').includes('Exporting…'));
    ui.stdin.write(keys.escape);
    await waitFor(() => calls.back === 1);
    ui.unmount();
  });
});
