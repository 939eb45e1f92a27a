import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../../src/core/context.js';
import { stepStates } from '../../src/core/status.js';
import { App } from '../../screens/app.js';
import { flush, keys, waitFor } from '../helpers/ink.js';
import { makeTempDir } from '../helpers/tmp.js';

function renderApp(root: string, onExit: (code: number) => void = () => {}) {
  const controller = new AbortController();
  const ui = render(
    <App
      loadContext={() => createContext({ root, env: {}, signal: controller.signal })}
      loadStates={(ctx) => stepStates(root, ctx.journal)}
      detected={{ imageFolders: [{ path: 'photos', images: 12 }], project: 'detected-proj', projectSource: 'test' }}
      controller={controller}
      onExit={onExit}
    />,
  );
  return { ...ui, controller };
}

describe('wizard: first-time setup and home', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
    process.env.EDGEWISE_NO_PREFS = '1';
  });
  afterEach(() => tmp.cleanup());

  it('opens on the configure screen in an empty workspace and offers detected values', async () => {
    const ui = renderApp(tmp.dir);
    await flush();
    expect(ui.lastFrame()).toContain('Where should models train?');
    ui.stdin.write(keys.enter);
    await flush();
    expect(ui.lastFrame()).toContain('Images folder');
    expect(ui.lastFrame()).toContain('photos (12 images)');
    ui.unmount();
  });

  it('completes the local setup from keys sent one at a time', async () => {
    const ui = renderApp(tmp.dir);
    await flush();
    ui.stdin.write(keys.enter);
    await flush();
    ui.stdin.write(keys.enter);
    await flush();
    expect(ui.lastFrame()).toContain('Which network should local training start from?');
    expect(ui.lastFrame()).toContain('downloads once (≈9 MB)');
    ui.stdin.write(keys.down);
    await flush();
    ui.stdin.write(keys.enter);
    await waitFor(() => existsSync(join(tmp.dir, 'edgewise.json')));
    expect(JSON.parse(readFileSync(join(tmp.dir, 'edgewise.json'), 'utf8'))).toEqual({
      backend: 'local',
      paths: { images: 'photos' },
      train: { backbone: 'tm-mobilenet_v2_1.00_224' },
    });
    await waitFor(() => /✔ 1\. Configure/.test(ui.lastFrame() ?? ''));
    expect(ui.lastFrame()).toContain('workspace');
    ui.unmount();
  });

  it('completes the Vertex setup when every key arrives coalesced in one chunk (SSH)', async () => {
    const ui = renderApp(tmp.dir);
    await flush();
    // vertex, accept images, replace the detected project, accept region, bucket, model type, 24 node hours -> 2
    const erase = keys.backspace.repeat(20);
    ui.stdin.write(`${keys.down}${keys.enter}${keys.enter}${erase}my-project-1${keys.enter}${keys.enter}my-bucket${keys.enter}${keys.down}${keys.enter}${erase}2${keys.enter}`);
    await waitFor(() => existsSync(join(tmp.dir, 'edgewise.json')));
    expect(JSON.parse(readFileSync(join(tmp.dir, 'edgewise.json'), 'utf8'))).toEqual({
      backend: 'vertex',
      paths: { images: 'photos' },
      project: 'my-project-1',
      region: 'us-central1',
      bucket: 'my-bucket',
      modelType: 'MOBILE_TF_HIGH_ACCURACY_1',
      budgetMilliNodeHours: 2000,
    });
    ui.unmount();
  });

  it('refuses an invalid bucket name in place, naming the rule', async () => {
    const ui = renderApp(tmp.dir);
    await flush();
    ui.stdin.write(`${keys.down}${keys.enter}${keys.enter}${keys.enter}${keys.enter}Bad_Bucket${keys.enter}`);
    await flush(10);
    expect(ui.lastFrame()).toContain('only lowercase letters');
    expect(ui.lastFrame()).toContain('Cloud Storage bucket');
    expect(existsSync(join(tmp.dir, 'edgewise.json'))).toBe(false);
    ui.unmount();
  });

  it('home: shows step states, moves with coalesced arrows, toggles help, quits with q', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(tmp.dir, 'edgewise.json'), '{"backend":"local"}');
    let code: number | undefined;
    const ui = renderApp(tmp.dir, (c) => {
      code = c;
    });
    await flush();
    const frame = ui.lastFrame() ?? '';
    expect(frame).toContain('✔ 1. Configure');
    expect(frame).toContain('backend local');
    ui.stdin.write('?');
    await flush();
    expect(ui.lastFrame()).toContain('show or hide this help');
    ui.stdin.write('?');
    await flush();
    expect(ui.lastFrame()).toContain('Configure');
    ui.stdin.write('q');
    await flush();
    expect(code).toBe(0);
    ui.unmount();
  });

  it('Ctrl-C aborts the shared controller and exits with 130', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(tmp.dir, 'edgewise.json'), '{}');
    let code: number | undefined;
    const ui = renderApp(tmp.dir, (c) => {
      code = c;
    });
    await flush();
    ui.stdin.write(keys.ctrlC);
    await flush();
    expect(ui.controller.signal.aborted).toBe(true);
    expect(code).toBe(130);
    ui.unmount();
  });
});
