import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { StepEvent } from '../../src/core/events.js';
import { describeError } from '../../src/core/errors.js';
import { publish } from '../../src/registry/publish.js';
import { expectConsistent } from './consistency.js';
import { makeWorkspace, writeRun } from './fixtures.js';

/**
 * public/models on a real, nearly full disk: a 1 MB tmpfs mounted over it (the tests run as root here and
 * in CI; mount failing fails the test, it is not skipped). Before the fix, publish committed v002 to the
 * registry, printed "wrote public/models/local_model_v002.tflite", then failed with ENOSPC as an
 * unexpected error, leaving the registry on v002 and public/models on v001.
 */
const mounted: string[] = [];
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const m of mounted.splice(0)) execFileSync('umount', [m]);
  for (const c of cleanups.splice(0)) c();
});

function tmpfsAt(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounted.push(dir);
}

/** Fills the disk holding `dir` until about `leave` bytes are free. */
function fillTo(dir: string, leave: number): string {
  const filler = join(dir, '.filler');
  const free = Number(execFileSync('df', ['--output=avail', '-B1', dir], { encoding: 'utf8' }).trim().split('\n').pop());
  writeFileSync(filler, Buffer.alloc(Math.max(0, free - leave)));
  return filler;
}

describe('publish on a full disk', () => {
  test('refuses before the registry commit, says "disk full" and what was kept; works once space is freed', async () => {
    const w = makeWorkspace();
    cleanups.push(w.cleanup);
    tmpfsAt(w.ws.publicModelsDir, '1m');
    writeRun(w.root, 'a', { labels: ['ant', 'bee'] });
    expect((await publish(w.ws, {})).version).toBe('v001');
    const filler = fillTo(w.ws.publicModelsDir, 64 * 1024);
    // A 300 KB model does not fit in the 64 KB left.
    writeRun(w.root, 'b', { model: 'TFL3' + 'b'.repeat(300 * 1024), labels: ['ant', 'bee', 'wasp'] });
    const events: StepEvent[] = [];
    const err = await publish(w.ws, { model: 'b' }, (e) => events.push(e)).then(
      () => undefined,
      (e: unknown) => e,
    );
    const d = describeError(err);
    expect(d.code).toBe('publish.disk_full');
    expect(d.message).toMatch(/^Disk full/);
    expect(d.message).toContain('v001 is still active');
    expect(events.filter((e) => e.type === 'artifact')).toEqual([]);
    // The registry, public/models and the artifacts all still say v001; no staging or journal is left.
    expect(await expectConsistent(w.ws)).toBe('v001');
    expect(readdirSync(w.ws.publicModelsDir).filter((f) => f.startsWith('.staged-'))).toEqual([]);

    rmSync(filler);
    const out = await publish(w.ws, { model: 'b' }, (e) => events.push(e));
    expect(out.version).toBe('v002');
    expect(events.filter((e) => e.type === 'artifact').map((e) => (e as { path: string }).path)).toContain('public/models/local_model_v002.tflite');
    expect(await expectConsistent(w.ws)).toBe('v002');
  });

  test('a disk that fills while public files are staged: nothing committed, the next command finds it consistent', async () => {
    const w = makeWorkspace();
    cleanups.push(w.cleanup);
    tmpfsAt(w.ws.publicModelsDir, '1m');
    writeRun(w.root, 'a', { labels: ['ant', 'bee'] });
    await publish(w.ws, {});
    writeRun(w.root, 'b', { model: 'TFL3' + 'b'.repeat(300 * 1024) });
    // Room for the check (the model and the small files with its margin), but the filler grows in
    // between: written by the emit hook when publish says it starts.
    const filler = join(w.ws.publicModelsDir, '.filler');
    const err = await publish(w.ws, { model: 'b' }, (e) => {
      if (e.type === 'log' && /^Publishing run b/.test(e.message)) fillTo(w.ws.publicModelsDir, 16 * 1024);
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(describeError(err)).toMatchObject({ code: 'publish.disk_full' });
    expect(describeError(err).message).toContain('v001 is still active');
    rmSync(filler);
    expect(await expectConsistent(w.ws)).toBe('v001');
  });
});
