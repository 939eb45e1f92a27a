import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../../src/core/context.js';
import { Journal } from '../../src/core/journal.js';
import { stepStates } from '../../src/core/status.js';
import { App } from '../../screens/app.js';
import { flush, keys, waitFor } from '../helpers/ink.js';
import { makeTempDir } from '../helpers/tmp.js';

function renderApp(root: string) {
  const controller = new AbortController();
  return render(
    <App
      loadContext={() => createContext({ root, env: {}, signal: controller.signal })}
      loadStates={(ctx) => stepStates(root, ctx.journal)}
      detected={{ imageFolders: [] }}
      controller={controller}
      onExit={() => {}}
    />,
  );
}

const line = (frame: string, title: string): string => frame.split('\n').find((l) => new RegExp(`\\d?\\.? ${title} `).test(l)) ?? '';

/** The home screen as the journey needs it: the next step of the configured backend, and what runs remotely. */
describe('home: where the workspace stands, per backend', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
    process.env.EDGEWISE_NO_PREFS = '1';
  });
  afterEach(() => tmp.cleanup());

  function journal(): Journal {
    mkdirSync(join(tmp.dir, '.edgewise'), { recursive: true });
    return new Journal(join(tmp.dir, '.edgewise', 'journal.json'));
  }
  const record = (j: Journal, name: string, at: string) => j.recordStep(name, { inputsHash: 'x', finishedAt: at, output: {}, artifacts: [] });

  it('local: vertex-only screens are dimmed and never "Next"; Versions has no state; all done says so', async () => {
    writeFileSync(join(tmp.dir, 'edgewise.json'), '{"backend":"local"}');
    const j = journal();
    record(j, 'validate', '2026-01-01T00:00:01Z');
    record(j, 'split', '2026-01-01T00:00:02Z');
    const ui = renderApp(tmp.dir);
    await flush();
    let frame = ui.lastFrame() ?? '';
    expect(line(frame, 'Upload')).toContain('vertex only');
    expect(line(frame, 'Vertex training')).toContain('vertex only');
    expect(line(frame, 'Versions')).toContain('open');
    expect(frame).toContain('Next: Train');
    ui.unmount();
    for (const [i, s] of ['train', 'eval', 'tune', 'publish'].entries()) record(j, s, `2026-01-01T00:00:1${i}Z`);
    const again = renderApp(tmp.dir);
    await flush();
    frame = again.lastFrame() ?? '';
    expect(frame).toContain('Every step is done');
    again.unmount();
  });

  it('vertex: upload is done from its journal resource, stale after a new split; a running pipeline offers to reattach', async () => {
    writeFileSync(join(tmp.dir, 'edgewise.json'), '{"backend":"vertex","project":"p-123456","bucket":"b-1"}');
    const j = journal();
    record(j, 'validate', '2026-01-01T00:00:01Z');
    record(j, 'split', '2026-01-01T00:00:02Z');
    j.setResource('gcs.upload', { at: '2026-01-01T00:00:03Z' });
    j.setResource('vertex.pipeline', { name: 'projects/p/locations/us-central1/trainingPipelines/77', state: 'RUNNING' });
    const ui = renderApp(tmp.dir);
    await flush();
    let frame = ui.lastFrame() ?? '';
    expect(line(frame, 'Upload')).toContain('done');
    expect(line(frame, 'Train')).toContain('local only');
    expect(line(frame, 'Vertex training')).toContain('RUNNING in Vertex AI: 77 · ⏎ reattaches');
    expect(frame).toContain('Next: Vertex training');
    ui.unmount();

    record(j, 'split', '2026-01-01T00:00:09Z');
    j.setResource('vertex.pipeline', { name: 'projects/p/locations/us-central1/trainingPipelines/77', state: 'SUCCEEDED' });
    const again = renderApp(tmp.dir);
    await flush();
    frame = again.lastFrame() ?? '';
    expect(line(frame, 'Upload')).toContain('out of date');
    expect(line(frame, 'Vertex training')).toContain('done');
    again.unmount();
  });

  it('? shows the keys of the open screen over it, and esc returns to the same screen state', async () => {
    writeFileSync(join(tmp.dir, 'edgewise.json'), '{"backend":"local"}');
    const ui = renderApp(tmp.dir);
    await flush();
    ui.stdin.write('j?'); // coalesced: move, then help
    await flush();
    let frame = ui.lastFrame() ?? '';
    expect(frame).toContain('show or hide this help');
    expect(frame).not.toContain('Next:');
    ui.stdin.write(keys.escape);
    await flush(8);
    frame = ui.lastFrame() ?? '';
    expect(frame).toContain('Next:');
    // The cursor moved by the `j` before the `?` is still there: the screen stayed mounted under the help.
    expect(frame.split('\n').find((l) => l.startsWith('❯'))).toMatch(/3\. Split/);
    // On the Split screen, `?` shows its keys whole: a long description wraps instead of being cut.
    ui.stdin.write(keys.enter);
    await flush(8);
    ui.stdin.write('?');
    await waitFor(() => (ui.lastFrame() ?? '').includes('On this screen'));
    const help = (ui.lastFrame() ?? '').split('\n').map((l) => l.trim()).join(' ');
    expect(help).toContain("take an empty validation/test split out of train (when the manifest's split column has none)");
    ui.unmount();
  });
});
