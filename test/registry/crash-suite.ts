import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PUBLISH_CRASH_POINTS, ROLLBACK_CRASH_POINTS } from '../../src/registry/crash.js';
import { publish } from '../../src/registry/publish.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { expectConsistent } from './consistency.js';
import { bundleChild, makeWorkspace, runChild, writeRun } from './fixtures.js';

/**
 * SIGKILL at every injected crash point of publish and rollback, on both backends. After the kill the
 * next command (here `versions`, in a fresh process) recovers; then the workspace must serve either the
 * old version or the new one, completely, and a further publish must work.
 */

const COMMITTED_FROM = { publish: PUBLISH_CRASH_POINTS.indexOf('publish.committed'), rollback: ROLLBACK_CRASH_POINTS.indexOf('rollback.committed') };

export function crashSuite(backend: 'sqlite' | 'postgres'): void {
  let child: { path: string; cleanup(): void };
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    child = await bundleChild();
    if (backend === 'postgres') server = await startPostgres();
  });
  afterAll(async () => {
    child?.cleanup();
    await server?.stop();
  });
  const registry = async (): Promise<string | undefined> => (backend === 'postgres' ? server!.createDatabase() : undefined);

  // Each scenario has its own workspace and database, so they run side by side (mostly waiting on fsync and process start).
  describe.concurrent(`crash safety on ${backend}`, () => {

    test.each(PUBLISH_CRASH_POINTS.map((p, i) => [p, i] as const))('publish killed at %s', async (point, i) => {
      const w = makeWorkspace(await registry());
      try {
        writeRun(w.root, 'a', { labels: ['ant', 'bee'] });
        await publish(w.ws, {});
        writeRun(w.root, 'b', { model: 'model b', labels: ['ant', 'bee', 'wasp'] });
        const args = { root: w.root, ...(backend === 'postgres' ? { registry: w.ws.config.registry } : {}) };
        const killed = await runChild(child.path, { ...args, op: 'publish', model: 'b' }, { EDGEWISE_CRASH_AT: point });
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        // Even before recovery, model.json is whole JSON (atomic writes).
        JSON.parse(readFileSync(join(w.ws.publicModelsDir, 'model.json'), 'utf8'));
        const next = await runChild(child.path, { ...args, op: 'versions' });
        expect(next.result?.ok, next.stdout + next.stderr).toBe(true);
        const active = await expectConsistent(w.ws);
        expect(active).toBe(i >= COMMITTED_FROM.publish ? 'v002' : 'v001');
        // And work goes on: the next publish takes the next free version.
        writeRun(w.root, 'c', { model: 'model c' });
        expect((await publish(w.ws, { model: 'c' })).version).toBe(i >= COMMITTED_FROM.publish ? 'v003' : 'v002');
      } finally {
        w.cleanup();
      }
    });

    test.each(ROLLBACK_CRASH_POINTS.map((p, i) => [p, i] as const))('rollback killed at %s', async (point, i) => {
      const w = makeWorkspace(await registry());
      try {
        writeRun(w.root, 'a', { labels: ['ant', 'bee'] });
        await publish(w.ws, {});
        writeRun(w.root, 'b', { model: 'model b', labels: ['ant', 'bee', 'wasp'] });
        await publish(w.ws, { model: 'b' });
        const args = { root: w.root, ...(backend === 'postgres' ? { registry: w.ws.config.registry } : {}) };
        const killed = await runChild(child.path, { ...args, op: 'rollback' }, { EDGEWISE_CRASH_AT: point });
        expect(killed.signal, killed.stderr).toBe('SIGKILL');
        const next = await runChild(child.path, { ...args, op: 'versions' });
        expect(next.result?.ok, next.stdout + next.stderr).toBe(true);
        expect(await expectConsistent(w.ws)).toBe(i >= COMMITTED_FROM.rollback ? 'v001' : 'v002');
      } finally {
        w.cleanup();
      }
    });

    test('a recovery that is itself killed is finished by the next one', async () => {
      const w = makeWorkspace(await registry());
      try {
        writeRun(w.root, 'a', { labels: ['ant', 'bee'] });
        await publish(w.ws, {});
        writeRun(w.root, 'b', { model: 'model b', labels: ['ant', 'bee', 'wasp'] });
        const args = { root: w.root, ...(backend === 'postgres' ? { registry: w.ws.config.registry } : {}) };
        expect((await runChild(child.path, { ...args, op: 'publish', model: 'b' }, { EDGEWISE_CRASH_AT: 'publish.committed' })).signal).toBe('SIGKILL');
        expect((await runChild(child.path, { ...args, op: 'versions' }, { EDGEWISE_CRASH_AT: 'materialize.label-map' })).signal).toBe('SIGKILL');
        expect((await runChild(child.path, { ...args, op: 'versions' })).result?.ok).toBe(true);
        expect(await expectConsistent(w.ws)).toBe('v002');
      } finally {
        w.cleanup();
      }
    });

    test('the very first publish killed before its commit leaves an empty registry and no files', async () => {
      const w = makeWorkspace(await registry());
      try {
        writeRun(w.root, 'a');
        const args = { root: w.root, ...(backend === 'postgres' ? { registry: w.ws.config.registry } : {}) };
        expect((await runChild(child.path, { ...args, op: 'publish' }, { EDGEWISE_CRASH_AT: 'registry.before-commit' })).signal).toBe('SIGKILL');
        const next = await runChild(child.path, { ...args, op: 'versions' });
        expect(next.result?.output?.active).toBeUndefined();
        expect(next.result?.output?.versions).toEqual([]);
        expect(await expectConsistent(w.ws)).toBeUndefined();
      } finally {
        w.cleanup();
      }
    });
  });
}
