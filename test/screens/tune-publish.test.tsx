import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render as renderTesting } from 'ink-testing-library';
import { afterAll, describe, expect, it } from 'vitest';
import { HelpNotesContext } from '../../screens/components/help-bar.js';
import TuneScreen from '../../screens/tune.js';
import { runStepCollect } from '../../src/core/step.js';
import { publish } from '../../src/registry/publish.js';
import { listVersions } from '../../src/registry/versions.js';
import { tuneStep, weakestLine } from '../../src/tune/step.js';
import { flush, waitFor } from '../helpers/ink.js';
import { writeRun } from '../registry/fixtures.js';
import { cleanupWorkspaces, predictionsWorkspace } from '../tune/fixtures.js';

/** Run v001 evaluated, tuned (thresholds file) and published as v001: the live model. */
async function liveWorkspace() {
  const fx = predictionsWorkspace({ seed: 31, test: 300, validation: 200 });
  writeRun(fx.root, 'v001', { labels: fx.labels, tau: 0.3 });
  const first = await publish(fx.ctx.workspace, {});
  expect(first.version).toBe('v001');
  return fx;
}

const slider = (frame: string, name: 'tau' | 'margin'): number => Number(new RegExp(`${name}\\s+(\\d\\.\\d\\d)`).exec(frame)![1]);

describe('tune screen: saving ships nothing; Publish does', () => {
  afterAll(cleanupWorkspaces);

  it('s saves only the thresholds file and says what it wrote and what is live; p opens Publish for the run', async () => {
    const fx = await liveWorkspace();
    const modelJson = join(fx.root, 'public/models/model.json');
    const before = readFileSync(modelJson, 'utf8');
    const opened: Array<{ id: string; props?: Record<string, unknown> }> = [];
    const done: Array<string | undefined> = [];
    const r = renderTesting(
      <TuneScreen ctx={fx.ctx} isActive columns={80} rows={24} onBack={() => {}} onDone={(s) => done.push(s)} onOpen={(id, props) => opened.push({ id, ...(props ? { props } : {}) })} />,
    );
    await waitFor(() => (r.lastFrame() ?? '').includes('coverage'));
    await flush();
    expect(slider(r.lastFrame()!, 'tau')).toBe(0.3);
    // p does nothing before a save.
    r.stdin.write('p');
    await flush();
    expect(opened).toEqual([]);
    r.stdin.write(']]');
    await flush();
    r.stdin.write('s');
    await waitFor(() => (r.lastFrame() ?? '').includes('Saved ml/metrics/thresholds_v001.json'));
    const f = r.lastFrame()!.replace(/\n/g, ' ').replace(/\s+/g, ' ');
    expect(f).toContain('Saved ml/metrics/thresholds_v001.json: tau 0.40, margin 0.10 (nothing shipped). Live v001 still ships tau 0.30, margin 0.10: p opens Publish.');
    await waitFor(() => (r.lastFrame() ?? '').includes('s save  p publish'));
    expect(done.at(-1)).toContain('Live v001 still ships tau 0.30');
    // Nothing that ships changed: model.json byte for byte, one registry version.
    expect(readFileSync(modelJson, 'utf8')).toBe(before);
    expect((await listVersions(fx.ctx.workspace)).versions.map((v) => v.version)).toEqual(['v001']);
    r.stdin.write('p');
    await waitFor(() => opened.length > 0);
    expect(opened).toEqual([{ id: 'publish', props: { model: 'v001' } }]);
    r.unmount();
  });

  it('says what tau and margin mean with the values shown, on screen and in the help; the weakest line is the CLI\'s', async () => {
    const fx = await liveWorkspace();
    const notes: string[][] = [];
    const r = renderTesting(
      <HelpNotesContext.Provider value={(l) => notes.push(l)}>
        <TuneScreen ctx={fx.ctx} isActive columns={100} rows={30} onBack={() => {}} onDone={() => {}} />
      </HelpNotesContext.Provider>,
    );
    await waitFor(() => (r.lastFrame() ?? '').includes('coverage'));
    await flush();
    r.stdin.write(']');
    await flush();
    const frame = r.lastFrame()!;
    const tau = slider(frame, 'tau');
    const margin = slider(frame, 'margin');
    expect(tau).toBe(0.35);
    expect(frame).toContain('Answers only when the top probability ≥ 0.35 and beats the runner-up by ≥ 0.10');
    expect(notes.at(-1)![0]).toBe('tau 0.35: the app answers only when the top probability is at least 0.35;');
    expect(notes.at(-1)![1]).toBe('margin 0.10: ...and only when it beats the runner-up\'s by at least 0.10.');
    // The CLI at the same setting prints the same weakest-classes line, naming the split.
    const { output } = await runStepCollect(tuneStep, { tau, margin, dryRun: true }, fx.ctx);
    const cli = weakestLine(output.worst_classes, output.measured_on.split);
    expect(cli).toMatch(/^Weakest on (test|validation): /);
    expect(frame).toContain(cli);
    r.unmount();
  });
});
