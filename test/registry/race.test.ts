import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inspectPublic } from '../../src/registry/artifacts.js';
import { openStore } from '../../src/registry/open-store.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { expectConsistent } from './consistency.js';
import { bundleChild, makeWorkspace, runChild, workspaceAt, writeRun } from './fixtures.js';

/** Two publishes started at the same moment: two distinct versions or one clear conflict, never corruption. */
let child: { path: string; cleanup(): void };
let server: TestPostgres;
beforeAll(async () => {
  child = await bundleChild();
  server = await startPostgres();
});
afterAll(async () => {
  child?.cleanup();
  await server?.stop();
});

for (const backend of ['sqlite', 'postgres'] as const) {
  describe.concurrent(`simultaneous publishes on ${backend}`, () => {
    const registry = async (): Promise<string | undefined> => (backend === 'postgres' ? server.createDatabase() : undefined);

    test('in one workspace: both succeed with distinct versions', async () => {
      const w = makeWorkspace(await registry());
      try {
        writeRun(w.root, 'a', { model: 'model a' });
        writeRun(w.root, 'b', { model: 'model b' });
        const base = { root: w.root, op: 'publish', ...(w.ws.config.registry ? { registry: w.ws.config.registry } : {}) };
        const [ra, rb] = await Promise.all([runChild(child.path, { ...base, model: 'a' }), runChild(child.path, { ...base, model: 'b' })]);
        expect(ra.result?.ok, ra.stdout + ra.stderr).toBe(true);
        expect(rb.result?.ok, rb.stdout + rb.stderr).toBe(true);
        const versions = [ra.result?.output?.version, rb.result?.output?.version].sort();
        expect(versions).toEqual(['v001', 'v002']);
        const active = await expectConsistent(w.ws);
        // The one that committed last is active, and it is the one whose files public/models serves.
        expect(active).toBe('v002');
      } finally {
        w.cleanup();
      }
    });

    test('in one workspace, the same model twice: one version, the other run says so', async () => {
      const w = makeWorkspace(await registry());
      try {
        writeRun(w.root, 'a');
        const base = { root: w.root, op: 'publish', ...(w.ws.config.registry ? { registry: w.ws.config.registry } : {}) };
        const rs = await Promise.all([runChild(child.path, base), runChild(child.path, base)]);
        const statuses = rs.map((r) => r.result?.output?.status).sort();
        expect(statuses).toEqual(['already-published', 'published']);
        expect(rs.map((r) => r.result?.output?.version)).toEqual(['v001', 'v001']);
        expect(await expectConsistent(w.ws)).toBe('v001');
      } finally {
        w.cleanup();
      }
    });

    test('two workspaces sharing one registry: distinct versions or a clear conflict', async () => {
      const shared = backend === 'postgres' ? await server.createDatabase() : join(mkdtempSync(join(tmpdir(), 'edgewise-shared-')), 'registry.db');
      const ws = [makeWorkspace(shared), makeWorkspace(shared)];
      try {
        const outcomes: string[] = [];
        for (let round = 0; round < 3; round++) {
          ws.forEach((w, i) => writeRun(w.root, `r${round}`, { model: `model ${round} from workspace ${i}` }));
          const rs = await Promise.all(ws.map((w) => runChild(child.path, { root: w.root, registry: shared, op: 'publish', model: `r${round}` })));
          for (const r of rs) {
            if (r.result?.ok) outcomes.push(String(r.result.output?.version));
            else {
              expect(r.result?.error?.code, r.stdout + r.stderr).toBe('registry.conflict');
              expect(r.result?.error?.message).toMatch(/at the same moment; this publish changed nothing/);
              expect(r.code).toBe(1);
            }
          }
        }
        if (process.env.EDGEWISE_TEST_DEBUG) console.log(backend, outcomes);
        // Every success got its own version; the registry holds exactly those, numbered without gaps.
        expect(new Set(outcomes).size).toBe(outcomes.length);
        const store = await openStore(shared);
        try {
          const rows = await store.list();
          expect(rows.map((r) => r.version).sort()).toEqual([...outcomes].sort());
          expect(rows.map((r) => r.version)).toEqual(rows.map((_, i) => `v${String(i + 1).padStart(3, '0')}`));
          const events = await store.events();
          for (const r of rows) expect(events.filter((e) => e.version === r.version).map((e) => e.kind)).toEqual(['publish', 'activate']);
          expect(rows.map((r) => r.version)).toContain(await store.active());
        } finally {
          await store.close();
        }
        // Each workspace's public/models is whole (it serves the last version it published itself).
        for (const w of ws) expect((await inspectPublic(workspaceAt(w.root, shared))).problems).toEqual([]);
      } finally {
        ws.forEach((w) => w.cleanup());
        if (backend === 'sqlite') rmSync(join(shared, '..'), { recursive: true, force: true });
      }
    });
  });
}
