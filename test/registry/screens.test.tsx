import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink';
import type { ReactElement } from 'react';
import { afterEach, describe, expect, test } from 'vitest';
import PublishScreen from '../../screens/publish.js';
import VersionsScreen from '../../screens/versions.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { createContext } from '../../src/core/context.js';
import { publish } from '../../src/registry/publish.js';
import { flush, keys, SizedStdout, waitFor } from '../helpers/ink.js';
import { makeWorkspace, writeRun } from './fixtures.js';
import { FakeStdin as Stdin } from '../helpers/ink.js';


const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** A workspace with v001 published (labels ant/bee/wasp, top-1 0.8) and a better run r2 ready. */
async function workspace() {
  const w = makeWorkspace();
  cleanups.push(w.cleanup);
  writeRun(w.root, 'r1', { top1: 0.8 });
  await publish(w.ws, { model: 'r1' });
  writeRun(w.root, 'r2', { model: 'model two', top1: 0.9, tau: 0.7 });
  return w;
}

function mount(el: (p: { onBack(): void; onDone(s?: string): void; columns: number; rows: number }) => ReactElement, columns = 80, rows = 24) {
  const stdout = new SizedStdout(columns, rows);
  const stdin = new Stdin();
  const calls = { back: 0, done: [] as Array<string | undefined> };
  const inst = render(el({ onBack: () => calls.back++, onDone: (s) => calls.done.push(s), columns, rows }), {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    stdout: stdout as any, stdin: stdin as any, debug: true, exitOnCtrlC: false, patchConsole: false,
  });
  cleanups.push(() => inst.unmount());
  const frame = (): string => stdout.lastFrame() ?? '';
  return { stdin, calls, frame };
}

function fits(frame: string, columns: number, rows: number): void {
  const lines = frame.replace(/\n$/, '').split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect([...l].length).toBeLessThanOrEqual(columns);
}

describe('publish screen', () => {
  test('shows old vs new, publishes on y, and the files change only then', async () => {
    const w = await workspace();
    const ctx = createContext({ root: w.root, config: ConfigSchema.parse({}) });
    const s = mount((p) => <PublishScreen ctx={ctx} isActive model="r2" {...p} />);
    await waitFor(() => s.frame().includes('new v002'));
    const f = s.frame();
    expect(f).toContain('Publish run r2 as v002');
    expect(f).toMatch(/top-1\s+0\.800\s+0\.900\s+\+0\.100/);
    expect(f).toMatch(/tau\s+0\.600\s+0\.700\s+\+0\.100/);
    fits(f, 80, 24);
    expect(JSON.parse(readFileSync(join(w.ws.publicModelsDir, 'model.json'), 'utf8')).version).toBe('v001');
    s.stdin.write('y');
    await waitFor(() => s.frame().includes('published and active'));
    expect(JSON.parse(readFileSync(join(w.ws.publicModelsDir, 'model.json'), 'utf8')).version).toBe('v002');
    s.stdin.write(keys.enter);
    await waitFor(() => s.calls.done.length > 0);
    expect(s.calls.done).toEqual(['v002 published and active']);
  });

  test('n goes back with nothing published; a refused model shows the reason', async () => {
    const w = await workspace();
    const ctx = createContext({ root: w.root, config: ConfigSchema.parse({}) });
    const s = mount((p) => <PublishScreen ctx={ctx} isActive model="r2" {...p} />);
    await waitFor(() => s.frame().includes('make it active?'));
    s.stdin.write('n');
    await waitFor(() => s.calls.back === 1);
    expect(JSON.parse(readFileSync(join(w.ws.publicModelsDir, 'model.json'), 'utf8')).version).toBe('v001');

    writeRun(w.root, 'r3', { model: 'three', metrics: false });
    const r = mount((p) => <PublishScreen ctx={ctx} isActive model="r3" {...p} />);
    await waitFor(() => r.frame().includes('not evaluated'));
    expect(r.frame()).toContain('--force-unevaluated');
    r.stdin.write('y');
    await flush();
    r.stdin.write(keys.escape);
    await waitFor(() => r.calls.back === 1);
  });
});

describe('versions screen', () => {
  test('lists versions with the active marker and rolls back after confirmation (keys coalesced)', async () => {
    const w = await workspace();
    await publish(w.ws, { model: 'r2' });
    const ctx = createContext({ root: w.root, config: ConfigSchema.parse({}) });
    const s = mount((p) => <VersionsScreen ctx={ctx} isActive {...p} />);
    await waitFor(() => s.frame().includes('v001'));
    expect(s.frame()).toMatch(/›\*\s+v002/);
    expect(s.frame()).toMatch(/ \s+v001\s/);
    fits(s.frame(), 80, 24);
    // r on the active version does nothing; down, r, y in one chunk rolls back to v001.
    s.stdin.write('r');
    await flush();
    expect(s.frame()).not.toContain('Roll back to');
    s.stdin.write(`${keys.down}r`);
    await waitFor(() => s.frame().includes('Roll back to v001 (now v002)?'));
    s.stdin.write('y');
    await waitFor(() => s.frame().includes('v001 is active again'));
    await waitFor(() => /\*\s+v001/.test(s.frame()));
    expect(JSON.parse(readFileSync(join(w.ws.publicModelsDir, 'model.json'), 'utf8')).version).toBe('v001');
    s.stdin.write(keys.escape);
    await waitFor(() => s.calls.done.length > 0);
    expect(s.calls.done).toEqual(['rolled back to v001']);
    // ...and leaves the screen (it used to stay on it, deaf to every key but Ctrl-C).
    await waitFor(() => s.calls.back === 1);
  });

  test('says when the thresholds saved for the live run differ from the live ones', async () => {
    const w = await workspace();
    const { writeFileSync } = await import('node:fs');
    const file = join(w.root, 'ml/metrics/thresholds_r1.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), tau: 0.27 }));
    const ctx = createContext({ root: w.root, config: ConfigSchema.parse({}) });
    const s = mount((p) => <VersionsScreen ctx={ctx} isActive {...p} />);
    await waitFor(() => s.frame().includes('v001'));
    await waitFor(() => s.frame().includes('publish to ship'));
    expect(s.frame().replace(/\s+/g, ' ')).toContain('! saved for r1: tau 0.27, margin 0.10; live (v001): tau 0.60, margin 0.10 — publish to ship');
    fits(s.frame(), 80, 24);
    const { listVersions, versionsTable } = await import('../../src/registry/versions.js');
    expect(versionsTable(await listVersions(w.ws))).toContain('! saved for r1: tau 0.27, margin 0.10; live (v001): tau 0.60, margin 0.10 — publish to ship: edgewise publish --model r1');
  });

  test('a refused rollback (altered artifact) is shown and changes nothing', async () => {
    const w = await workspace();
    await publish(w.ws, { model: 'r2' });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(w.root, 'ml/registry/artifacts/v001/model.tflite'), 'tampered');
    const ctx = createContext({ root: w.root, config: ConfigSchema.parse({}) });
    const s = mount((p) => <VersionsScreen ctx={ctx} isActive {...p} />, 60, 20);
    await waitFor(() => s.frame().includes('v001'));
    s.stdin.write(keys.down);
    await flush();
    s.stdin.write(keys.enter);
    await waitFor(() => s.frame().includes('Roll back to v001'));
    s.stdin.write('y');
    await waitFor(() => s.frame().includes('was altered'));
    fits(s.frame(), 60, 20);
    expect(JSON.parse(readFileSync(join(w.ws.publicModelsDir, 'model.json'), 'utf8')).version).toBe('v002');
  });
});

describe('screen key reducers', () => {
  test('publish: y only when there is something to confirm; keys wait while publishing', async () => {
    const { publishUiReducer, initialPublishUi } = await import('../../screens/publish.js');
    const key = (k: 'yes' | 'enter' | 'no' | 'back', o: Partial<{ canConfirm: boolean; finished: boolean }> = {}) => ({ type: 'key' as const, key: k, canConfirm: true, finished: false, ...o });
    expect(publishUiReducer(initialPublishUi, key('yes', { canConfirm: false }))).toEqual(initialPublishUi);
    const confirmed = publishUiReducer(initialPublishUi, key('yes'));
    expect(confirmed.stage).toBe('confirmed');
    const started = publishUiReducer(confirmed, { type: 'started' });
    expect(publishUiReducer(started, key('enter'))).toEqual(started);
    expect(publishUiReducer(started, key('enter', { finished: true })).leave).toBe('done');
    expect(publishUiReducer(initialPublishUi, key('back')).leave).toBe('back');
  });

  test('versions: the selection follows the version, not the row, across reloads', async () => {
    const { versionsUiReducer, initialVersionsUi, selectedIndex } = await import('../../screens/versions.js');
    const list = [{ version: 'v003', active: true }, { version: 'v002', active: false }, { version: 'v001', active: false }];
    const key = (k: 'up' | 'down' | 'rollback' | 'enter' | 'yes' | 'no' | 'back', o: Partial<{ busy: boolean }> = {}, versions = list) => ({ type: 'key' as const, key: k, busy: false, versions, ...o });
    expect(selectedIndex(initialVersionsUi, list)).toBe(0);
    expect(versionsUiReducer(initialVersionsUi, key('rollback')).confirming).toBeNull();
    let s = versionsUiReducer(initialVersionsUi, key('down'));
    s = versionsUiReducer(s, key('down'));
    s = versionsUiReducer(s, key('down'));
    expect(s.selected).toBe('v001');
    const reloaded = [{ version: 'v004', active: false }, ...list];
    expect(selectedIndex(s, reloaded)).toBe(3);
    expect(versionsUiReducer(s, key('rollback', {}, reloaded)).confirming).toBe('v001');
    expect(versionsUiReducer(s, key('down', { busy: true })).selected).toBe('v001');
    const asked = versionsUiReducer(s, key('rollback'));
    expect(versionsUiReducer(asked, key('no')).confirming).toBeNull();
    expect(versionsUiReducer(asked, key('yes')).requested).toBe('v001');
  });
});
