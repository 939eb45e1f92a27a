import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { publish } from '../../src/registry/publish.js';
import { listVersions } from '../../src/registry/versions.js';
import { expectConsistent } from './consistency.js';
import { makeWorkspace, writeRun } from './fixtures.js';

/**
 * A SIGKILL between an atomic write's temp file and its rename leaves `.registry-pending.json.<pid>.<hex>.tmp`
 * behind; before the fix no later run removed it. The next registry command removes temp files of ours
 * whose writer is dead, and leaves a live writer's (and anyone else's files) alone.
 */
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('stale temp files of atomic writes', () => {
  test('are removed by the next registry command; live or foreign files are kept', async () => {
    const w = makeWorkspace();
    cleanups.push(w.cleanup);
    writeRun(w.root, 'a', { labels: ['ant', 'bee'] });
    await publish(w.ws, {});
    const dead = deadPid();
    mkdirSync(w.ws.stateDir, { recursive: true });
    const stale = [join(w.ws.stateDir, `.registry-pending.json.${dead}.0badf00d.tmp`), join(w.ws.publicModelsDir, `.model.json.${dead}.12345678.tmp`)];
    const live = join(w.ws.stateDir, `.registry-pending.json.${process.pid}.aaaaaaaa.tmp`);
    const foreign = join(w.ws.stateDir, '.notes.tmp');
    for (const f of [...stale, live, foreign]) writeFileSync(f, '{"op":');
    await listVersions(w.ws);
    for (const f of stale) expect(existsSync(f), f).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(foreign)).toBe(true);
    expect(await expectConsistent(w.ws)).toBe('v001');
  });
});
