import { existsSync, readFileSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, test } from 'vitest';
import { sha256, sha256File } from '../../src/core/hash.js';
import type { Workspace } from '../../src/core/workspace.js';
import { artifactsDir, artifactsRoot, inspectPublic } from '../../src/registry/artifacts.js';
import { publish } from '../../src/registry/publish.js';
import { rollback } from '../../src/registry/rollback.js';
import { openStore } from '../../src/registry/open-store.js';
import { listVersions, versionsTable } from '../../src/registry/versions.js';
import type { ModelJson } from '../../src/registry/types.js';
import { makeWorkspace, writeRun } from './fixtures.js';

/** Runs raw SQL the way the app (or a person) would, outside edgewise's store. */
export async function rawSql(location: string, sql: string): Promise<Array<Record<string, unknown>>> {
  if (location.startsWith('postgres')) {
    const c = new pg.Client({ connectionString: location });
    await c.connect();
    try {
      return (await c.query(sql)).rows as Array<Record<string, unknown>>;
    } finally {
      await c.end();
    }
  }
  const db = new Database(location);
  try {
    const st = db.prepare(sql);
    return st.reader ? (st.all() as Array<Record<string, unknown>>) : (st.run(), []);
  } finally {
    db.close();
  }
}

/** The seed's own statement, verbatim (seed/000_*.txt, "Update Model Registry"). */
export const SEED_INSERT = `INSERT INTO model_registry (version, tflite_url, labels_sha256, metrics) 
VALUES (
  'v002', 
  '/models/local_model_v002.tflite',
  'new-sha256-hash',
  '{"top1": 0.87, "top3": 0.94, "ece": 0.06}'
);`;

function readModelJson(ws: Workspace): ModelJson {
  return JSON.parse(readFileSync(join(ws.publicModelsDir, 'model.json'), 'utf8')) as ModelJson;
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string; hint?: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string; hint?: string };
  }
  throw new Error('expected a rejection');
}

/** Everything public/models serves, for "nothing changed" assertions. */
function publicSnapshot(ws: Workspace): Record<string, string> {
  if (!existsSync(ws.publicModelsDir)) return {};
  return Object.fromEntries(readdirSync(ws.publicModelsDir).sort().map((f) => [f, sha256(readFileSync(join(ws.publicModelsDir, f)))]));
}

/**
 * The registry suite, run once per backend. `location()` gives a fresh registry: undefined means the
 * default SQLite file in the workspace, otherwise a postgres:// URL of an empty database.
 */
export function registrySuite(backend: 'sqlite' | 'postgres', location: () => Promise<string | undefined>): void {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    while (cleanups.length) cleanups.pop()!();
  });
  async function setup(): Promise<{ root: string; ws: Workspace }> {
    const w = makeWorkspace(await location());
    cleanups.push(w.cleanup);
    return w;
  }

  describe(`registry on ${backend}`, () => {
    test('migrations are recorded once and the seed INSERT works against the created schema', async () => {
      const { ws } = await setup();
      for (let i = 0; i < 2; i++) await (await openStore(ws.registry)).close();
      const migs = await rawSql(ws.registry, 'SELECT id FROM schema_migrations');
      expect(migs.map((r) => Number(r.id))).toEqual([1]);
      await rawSql(ws.registry, SEED_INSERT);
      const store = await openStore(ws.registry);
      try {
        const row = await store.get('v002');
        expect(row).toMatchObject({ version: 'v002', tflite_url: '/models/local_model_v002.tflite', labels_sha256: 'new-sha256-hash', tflite_sha256: null, unevaluated: false });
        expect(row?.metrics).toEqual({ top1: 0.87, top3: 0.94, ece: 0.06 });
        expect(row?.created_at == null || !Number.isNaN(Date.parse(row.created_at))).toBe(true);
      } finally {
        await store.close();
      }
    });

    test('two checkouts sharing one registry: the second publish of the same run fills its own public/models', async () => {
      const a = await setup();
      const shared = a.ws.registry;
      const b = makeWorkspace(shared);
      cleanups.push(b.cleanup);
      for (const root of [a.root, b.root]) writeRun(root, 'run-a', { labels: ['ant', 'bee'] });
      expect(await publish(a.ws, { actor: 'a' })).toMatchObject({ status: 'published', version: 'v001' });
      const events: string[] = [];
      const second = await publish(b.ws, { actor: 'b' }, (e) => {
        if (e.type === 'artifact') events.push(e.path);
      });
      expect(second).toMatchObject({ status: 'already-published', version: 'v001', active: 'v001' });
      expect(publicSnapshot(b.ws)).toEqual(publicSnapshot(a.ws));
      expect(readModelJson(b.ws)).toEqual(readModelJson(a.ws));
      expect(await inspectPublic(b.ws)).toMatchObject({ version: 'v001', problems: [] });
      expect(events).toEqual(['public/models/local_model_v001.tflite', 'public/models/label_map.json', 'public/models/model.json']);
      // The registry is unchanged: one version, one publish and one activation.
      expect((await listVersions(b.ws)).events.length).toBe(2);
      // Once there, nothing more is written.
      const again: string[] = [];
      await publish(b.ws, { actor: 'b' }, (e) => {
        if (e.type === 'artifact') again.push(e.path);
      });
      expect(again).toEqual([]);
    });

    test('publish writes model.json, label_map.json and the model file, a row, events and the active pointer', async () => {
      const { root, ws } = await setup();
      writeRun(root, 'run-a', { labels: ['ant', 'bee'], top1: 0.81 });
      const r = await publish(ws, { actor: 'tester' });
      expect(r).toMatchObject({ status: 'published', version: 'v001', run: 'run-a', previous: undefined, active: 'v001', evaluated: true });
      const mj = readModelJson(ws);
      const modelSha = await sha256File(join(root, 'ml/models/run-a/model.tflite'));
      expect(mj).toMatchObject({
        version: 'v001', tflite_url: '/models/local_model_v001.tflite', tflite_sha256: modelSha, labels_url: '/models/label_map.json',
        labels_sha256: sha256('ant\nbee'), thresholds: { tau: 0.6, margin: 0.1 }, temperature: 1.3,
        metrics: { top1: 0.81, top3: 0.95, ece: 0.05, coverage: 0.7, selective_accuracy: 0.93 }, source_run: 'run-a', evaluated: true,
        input: { width: 224, height: 224, channels: 3, dtype: 'float32' },
      });
      expect(Date.parse(mj.created_at)).not.toBeNaN();
      expect(JSON.parse(readFileSync(join(ws.publicModelsDir, 'label_map.json'), 'utf8'))).toEqual(['ant', 'bee']);
      expect(await sha256File(join(ws.publicModelsDir, 'local_model_v001.tflite'))).toBe(modelSha);
      const v = await listVersions(ws);
      expect(v.active).toBe('v001');
      expect(v.public).toEqual({ version: 'v001', problems: [] });
      expect(v.versions[0]).toMatchObject({ version: 'v001', tflite_sha256: modelSha, published_by: 'tester', source_run: 'run-a', active: true, thresholds: { tau: 0.6, margin: 0.1, temperature: 1.3 } });
      expect(v.events.map((e) => [e.kind, e.version, e.from_version, e.actor])).toEqual([['publish', 'v001', null, 'tester'], ['activate', 'v001', null, 'tester']]);
      expect(existsSync(join(artifactsDir(ws, 'v001'), 'MANIFEST.json'))).toBe(true);
      expect(existsSync(join(ws.stateDir, 'registry-pending.json'))).toBe(false);
    });

    test('the publish step records itself in the run journal, so the wizard shows publish as done', async () => {
      const { root, ws } = await setup();
      writeRun(root, 'r1');
      const { createContext } = await import('../../src/core/context.js');
      const { runStep } = await import('../../src/core/step.js');
      const { stepStates } = await import('../../src/core/status.js');
      const { publishStep } = await import('../../src/registry/publish.js');
      const ctx = createContext({ root, config: ws.config });
      expect(stepStates(root, ctx.journal).publish).toBe('todo');
      expect((await runStep(publishStep, {}, ctx)).version).toBe('v001');
      expect(ctx.journal.step('publish')?.artifacts).toEqual(['public/models/model.json', 'public/models/local_model_v001.tflite']);
      expect(stepStates(root, ctx.journal).publish).toBe('done');
    });

    test('the next publish takes the next version; the same content again is reported, not duplicated', async () => {
      const { root, ws } = await setup();
      writeRun(root, 'v001');
      await publish(ws, {});
      writeRun(root, 'v002', { model: 'second model', top1: 0.9 });
      const second = await publish(ws, {});
      expect(second).toMatchObject({ status: 'published', version: 'v002', previous: 'v001', active: 'v002' });
      const again = await publish(ws, { model: 'v002' });
      expect(again).toMatchObject({ status: 'already-published', version: 'v002' });
      const v = await listVersions(ws);
      expect(v.versions.map((x) => x.version)).toEqual(['v001', 'v002']);
      expect(versionsTable(v)).toMatch(/^\*\s+v002 /m);
      expect(versionsTable(v)).toMatch(/^\s+v001 /m);
    });

    test('refuses labels that do not match the label file, and changes nothing', async () => {
      const { root, ws } = await setup();
      writeRun(root, 'r1');
      await publish(ws, {});
      const before = publicSnapshot(ws);
      writeRun(root, 'r2', { model: 'other', labels: ['ant', 'bee', 'wasp'], infoLabels: ['ant', 'wasp', 'bee'] });
      const e = await errorOf(publish(ws, { model: 'r2' }));
      expect(e.code).toBe('publish.labels_mismatch');
      expect(e.message).toContain('labels.txt');
      expect(e.message).toContain('output 1');
      writeRun(root, 'r3', { model: 'third', infoLabelsSha: 'f'.repeat(64) });
      expect((await errorOf(publish(ws, { model: 'r3' }))).code).toBe('publish.labels_mismatch');
      expect(publicSnapshot(ws)).toEqual(before);
      expect((await listVersions(ws)).versions).toHaveLength(1);
      expect(readdirSync(artifactsRoot(ws))).toEqual(['v001']);
    });

    test('a cancelled publish (Ctrl-C before the commit) leaves nothing behind', async () => {
      const { root, ws } = await setup();
      writeRun(root, 'r1');
      await publish(ws, {});
      const before = publicSnapshot(ws);
      writeRun(root, 'r2', { model: 'two' });
      const ac = new AbortController();
      ac.abort();
      expect((await errorOf(publish(ws, { model: 'r2', signal: ac.signal }))).code).toBe('cancelled');
      expect(publicSnapshot(ws)).toEqual(before);
      expect(readdirSync(artifactsRoot(ws))).toEqual(['v001']);
      expect(existsSync(join(ws.stateDir, 'registry-pending.json'))).toBe(false);
      expect((await listVersions(ws)).versions.map((v) => v.version)).toEqual(['v001']);
    });

    test('refuses metrics computed on a different model file', async () => {
      const { root, ws } = await setup();
      writeRun(root, 'r1', { evaluatedSha: 'e'.repeat(64) });
      const e = await errorOf(publish(ws, {}));
      expect(e.code).toBe('publish.metrics_stale');
      expect(e.message).toContain('metrics_r1.json');
      expect((await listVersions(ws)).versions).toHaveLength(0);
    });

    test('refuses an unevaluated model unless forced, and records the force', async () => {
      const { root, ws } = await setup();
      writeRun(root, 'r1', { metrics: false, thresholds: false });
      const e = await errorOf(publish(ws, {}));
      expect(e.code).toBe('publish.unevaluated');
      expect(e.message).toContain('metrics_r1.json');
      expect(existsSync(join(ws.publicModelsDir, 'model.json'))).toBe(false);
      const r = await publish(ws, { forceUnevaluated: true });
      expect(r).toMatchObject({ version: 'v001', evaluated: false });
      const v = await listVersions(ws);
      expect(v.versions[0]?.unevaluated).toBe(true);
      expect(v.events[0]?.details).toMatchObject({ forced_unevaluated: true });
      expect(readModelJson(ws)).toMatchObject({ evaluated: false, thresholds: { tau: 0, margin: 0 } });
      expect(versionsTable(v)).toContain('v001!');
    });

    test('refuses a version whose files already exist with different content', async () => {
      const { root, ws } = await setup();
      writeRun(root, 'r1');
      mkdirSync(ws.publicModelsDir, { recursive: true });
      writeFileSync(join(ws.publicModelsDir, 'local_model_v001.tflite'), 'hand-copied model');
      const e = await errorOf(publish(ws, {}));
      expect(e.code).toBe('publish.version_exists');
      expect(e.message).toContain('local_model_v001.tflite');
      expect(readFileSync(join(ws.publicModelsDir, 'local_model_v001.tflite'), 'utf8')).toBe('hand-copied model');
      expect((await listVersions(ws)).versions).toHaveLength(0);
    });

    test('rollback restores the previous version; twice walks back; --to goes anywhere', async () => {
      const { root, ws } = await setup();
      for (const [i, run] of ['a', 'b', 'c'].entries()) {
        writeRun(root, run, { model: `model ${run}`, labels: i === 2 ? ['ant', 'bee', 'hornet'] : ['ant', 'bee', 'wasp'] });
        await publish(ws, { model: run });
      }
      expect((await rollback(ws, { actor: 'ops' })).version).toBe('v002');
      expect(readModelJson(ws).version).toBe('v002');
      expect(JSON.parse(readFileSync(join(ws.publicModelsDir, 'label_map.json'), 'utf8'))).toEqual(['ant', 'bee', 'wasp']);
      expect(await inspectPublic(ws)).toMatchObject({ version: 'v002', problems: [] });
      expect((await rollback(ws, {})).version).toBe('v001');
      expect((await errorOf(rollback(ws, {}))).code).toBe('rollback.no_previous');
      const to = await rollback(ws, { to: 'v003' });
      expect(to).toMatchObject({ status: 'rolled-back', version: 'v003', from: 'v001' });
      expect(readModelJson(ws)).toMatchObject({ version: 'v003', labels_sha256: sha256('ant\nbee\nhornet') });
      expect((await rollback(ws, {})).version).toBe('v001');
      const v = await listVersions(ws);
      expect(v.active).toBe('v001');
      const rb = v.events.filter((e) => e.kind === 'rollback');
      expect(rb.map((e) => [e.version, e.from_version])).toEqual([['v002', 'v003'], ['v001', 'v002'], ['v003', 'v001'], ['v001', 'v003']]);
      expect(rb[0]?.actor).toBe('ops');
      expect(Date.parse(rb[0]!.at)).not.toBeNaN();
    });

    test('rollback refuses missing or altered artifacts and leaves public/models alone', async () => {
      const { root, ws } = await setup();
      writeRun(root, 'a');
      await publish(ws, {});
      writeRun(root, 'b', { model: 'model b' });
      await publish(ws, { model: 'b' });
      const before = publicSnapshot(ws);
      writeFileSync(join(artifactsDir(ws, 'v001'), 'model.tflite'), 'tampered');
      const altered = await errorOf(rollback(ws, {}));
      expect(altered.code).toBe('registry.artifact');
      expect(altered.message).toMatch(/model\.tflite was altered/);
      writeFileSync(join(artifactsDir(ws, 'v001'), 'model.tflite'), 'TFL3 fake model for a');
      const mjPath = join(artifactsDir(ws, 'v001'), 'model.json');
      const mj = readFileSync(mjPath, 'utf8');
      writeFileSync(mjPath, mj.replace('"tau": 0.6', '"tau": 0.1'));
      expect((await errorOf(rollback(ws, {}))).message).toMatch(/model\.json was altered/);
      writeFileSync(mjPath, mj);
      const { rmSync } = await import('node:fs');
      rmSync(join(artifactsDir(ws, 'v001'), 'label_map.json'));
      expect((await errorOf(rollback(ws, {}))).message).toMatch(/label_map\.json is missing/);
      expect(publicSnapshot(ws)).toEqual(before);
      expect((await listVersions(ws)).active).toBe('v002');
      expect((await errorOf(rollback(ws, { to: 'v042' }))).code).toBe('rollback.unknown_version');
    });

    test('rows inserted by the seed count for numbering but cannot be restored', async () => {
      const { root, ws } = await setup();
      await (await openStore(ws.registry)).close();
      await rawSql(ws.registry, SEED_INSERT);
      writeRun(root, 'r1');
      expect((await publish(ws, {})).version).toBe('v003');
      const e = await errorOf(rollback(ws, { to: 'v002' }));
      expect(e.code).toBe('registry.artifact');
      expect(e.message).toContain('registered by hand');
    });

    test('a version taken by another writer is a clear conflict that writes nothing', async () => {
      const { ws } = await setup();
      const store = await openStore(ws.registry);
      try {
        const row = { version: 'v001', tflite_url: '/models/local_model_v001.tflite', labels_sha256: sha256('a'), metrics: { top1: 0.5 }, tflite_sha256: sha256('m'),
          thresholds: { tau: 0.5, margin: 0.1 }, created_at: new Date().toISOString(), published_by: 'x', source_run: 'r', unevaluated: false, content_sha256: sha256('c') };
        await store.insertAndActivate(row, 'x', {});
        const dup = await errorOf(store.insertAndActivate({ ...row, tflite_sha256: sha256('other') }, 'y', {}));
        expect(dup.code).toBe('registry.conflict');
        expect(dup.hint).toMatch(/publish` again/);
        expect((await errorOf(store.insertAndActivate({ ...row, version: 'v003' }, 'y', {}))).code).toBe('registry.conflict');
        expect((await store.list()).map((r) => [r.version, r.tflite_sha256])).toEqual([['v001', sha256('m')]]);
        expect(await store.events()).toHaveLength(2);
        expect(await store.active()).toBe('v001');
      } finally {
        await store.close();
      }
    });

    test('a model_registry table the seed created by hand is adopted: columns added, its rows kept', async () => {
      const { root, ws } = await setup();
      mkdirSync(join(root, 'ml'), { recursive: true });
      await rawSql(ws.registry, `CREATE TABLE model_registry (version TEXT PRIMARY KEY, tflite_url TEXT, labels_sha256 TEXT, metrics ${backend === 'postgres' ? 'JSONB' : 'JSON'})`);
      await rawSql(ws.registry, SEED_INSERT);
      writeRun(root, 'r1');
      expect((await publish(ws, {})).version).toBe('v003');
      const v = await listVersions(ws);
      expect(v.versions.map((x) => [x.version, x.source_run])).toEqual([['v002', null], ['v003', 'r1']]);
      expect(v.versions[0]?.metrics).toEqual({ top1: 0.87, top3: 0.94, ece: 0.06 });
      await rawSql(ws.registry, SEED_INSERT.replace(/v002/g, 'v004'));
      expect((await listVersions(ws)).versions.map((x) => x.version)).toEqual(['v002', 'v003', 'v004']);
    });

    test('published versions and events cannot be changed', async () => {
      const { root, ws } = await setup();
      writeRun(root, 'r1');
      await publish(ws, {});
      await expect(rawSql(ws.registry, `UPDATE model_registry SET tflite_url = 'x'`)).rejects.toThrow(/immutable/);
      await expect(rawSql(ws.registry, 'DELETE FROM model_registry')).rejects.toThrow(/immutable/);
      await expect(rawSql(ws.registry, 'DELETE FROM registry_events')).rejects.toThrow(/append-only/);
      expect((await listVersions(ws)).versions).toHaveLength(1);
    });
  });
}
