import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { describeError } from '../../src/core/errors.js';
import { Workspace } from '../../src/core/workspace.js';
import { WorkspaceLock } from '../../src/registry/lock.js';
import { lockPath } from '../../src/registry/pending.js';
import { publish } from '../../src/registry/publish.js';
import { listVersions } from '../../src/registry/versions.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { expectConsistent } from './consistency.js';
import { makeWorkspace, writeRun } from './fixtures.js';

/**
 * A PostgreSQL registry that stops answering after the connection is made (the server frozen with
 * SIGSTOP while publish runs). Before the fix publish waited for ever, holding the workspace lock.
 * With registryTimeoutSeconds 2 it fails with registry.timeout, releases the lock, and the next command
 * (once the server answers) finds the workspace consistent.
 */
let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

function signalServer(sig: 'SIGSTOP' | 'SIGCONT'): void {
  for (const pid of server.pids()) {
    try {
      process.kill(pid, sig);
    } catch {
      // a child that just exited
    }
  }
}

/** Fails the test instead of hanging it when publish never returns. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_r, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms))]);
}

describe('a PostgreSQL registry that stops answering', () => {
  test('publish fails with registry.timeout, the lock is released, the next command recovers', async () => {
    const url = await server.createDatabase();
    const w = makeWorkspace(url);
    const ws = new Workspace(w.root, ConfigSchema.parse({ registry: url, registryTimeoutSeconds: 2 }));
    try {
      writeRun(w.root, 'a', { labels: ['ant', 'bee'] });
      expect((await publish(ws, {})).version).toBe('v001');
      writeRun(w.root, 'b', { model: 'model b' });
      let frozen = false;
      const started = performance.now();
      const err = await within(
        publish(ws, { model: 'b' }, (e) => {
          // Connected, recovered and staged: freeze the server just before the registry transaction.
          if (e.type === 'log' && /^Publishing run b/.test(e.message)) {
            signalServer('SIGSTOP');
            frozen = true;
          }
        }).then(
          () => undefined,
          (e: unknown) => e,
        ),
        40_000,
      ).finally(() => signalServer('SIGCONT'));
      const seconds = (performance.now() - started) / 1000;
      expect(frozen).toBe(true);
      const d = describeError(err);
      expect(d.code, d.message).toBe('registry.timeout');
      expect(d.message).toContain('did not answer within 2 s');
      console.log(`publish against a frozen server failed after ${seconds.toFixed(1)} s`);
      // The workspace lock is free at once.
      const lock = await WorkspaceLock.acquire(lockPath(ws), { timeoutMs: 1000 });
      lock.release();
      // The server answers again: the next command finishes or undoes the interrupted publish.
      await listVersions(ws);
      expect(await expectConsistent(ws)).toMatch(/^v00[12]$/);
    } finally {
      signalServer('SIGCONT');
      w.cleanup();
    }
  }, 90_000);
});
