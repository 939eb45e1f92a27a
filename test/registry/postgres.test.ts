import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createContext } from '../../src/core/context.js';
import { runStep } from '../../src/core/step.js';
import { publishStep } from '../../src/registry/publish.js';
import { findPostgresBin, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { makeWorkspace, writeRun } from './fixtures.js';
import { rawSql, registrySuite } from './suite.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

// The same suite as sqlite.test.ts, each test on its own empty database.
registrySuite('postgres', () => server.createDatabase());

test('DATABASE_URL selects the PostgreSQL registry when nothing else does', async () => {
  const url = await server.createDatabase();
  const w = makeWorkspace();
  try {
    writeRun(w.root, 'r1');
    const ctx = createContext({ root: w.root, env: { DATABASE_URL: url } });
    expect(ctx.workspace.registry).toBe(url);
    const out = await runStep(publishStep, {}, ctx);
    expect(out.version).toBe('v001');
    expect(existsSync(join(w.root, 'ml', 'registry.db'))).toBe(false);
    expect((await rawSql(url, 'SELECT version, published_by FROM model_registry')).map((r) => r.version)).toEqual(['v001']);
  } finally {
    w.cleanup();
  }
});

test('without the server binaries the helper fails with the install command (never a skip)', () => {
  expect(() => findPostgresBin('/nonexistent/postgresql')).toThrow(/apt-get install postgresql/);
});

test('an unreachable PostgreSQL registry is a clear error naming the URL without its password', async () => {
  const { openStore } = await import('../../src/registry/open-store.js');
  const err = await openStore('postgres://edgewise:s3cret@127.0.0.1:1/registry').then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string; hint?: string },
  );
  expect(err?.code).toBe('registry.connect');
  expect(err?.message).toContain('127.0.0.1:1/registry');
  expect(err?.message).not.toContain('s3cret');
  expect(err?.hint).toMatch(/DATABASE_URL/);
});
