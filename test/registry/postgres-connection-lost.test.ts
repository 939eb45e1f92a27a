import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { describeError, ExitCode } from '../../src/core/errors.js';
import type { StepEvent } from '../../src/core/events.js';
import { Workspace } from '../../src/core/workspace.js';
import { WorkspaceLock } from '../../src/registry/lock.js';
import { lockPath, pendingPath } from '../../src/registry/pending.js';
import { publish } from '../../src/registry/publish.js';
import { listVersions } from '../../src/registry/versions.js';
import { existsSync } from 'node:fs';
import { findPostgresBin, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { expectConsistent } from './consistency.js';
import { makeWorkspace, writeRun } from './fixtures.js';

/**
 * The PostgreSQL connection dropped while publish runs, at three moments: before the registry
 * transaction (the server ends the session: pg_terminate_backend), inside it (terminated while its INSERT
 * waits for a table lock another session holds), and after COMMIT reached the server but before its answer did (a
 * proxy in between cuts the client off). Each time: `registry.connection_lost`, exit code 1, the workspace
 * lock released, and the next command (`versions`) finds one consistent state: the old version active,
 * or the new one fully in place.
 */
let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

function dbName(url: string): string {
  return new URL(url).pathname.slice(1);
}

/** Ends every session on `db` but the caller's, synchronously (psql), so it can run inside an event hook. */
function terminateSessions(db: string): number {
  const r = spawnSync(join(findPostgresBin(), 'psql'), ['-h', '127.0.0.1', '-p', String(server.port), '-U', 'postgres', '-d', 'postgres', '-Atc',
    `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid()`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

function failure(p: Promise<unknown>): Promise<unknown> {
  return Promise.race([
    p.then(() => new Error('publish succeeded'), (e: unknown) => e),
    new Promise((_r, reject) => setTimeout(() => reject(new Error('publish still waiting after 60 s')), 60_000)),
  ]);
}

async function expectLockFree(ws: Workspace): Promise<void> {
  const lock = await WorkspaceLock.acquire(lockPath(ws), { timeoutMs: 1000 });
  lock.release();
}

function expectConnectionLost(err: unknown): void {
  const d = describeError(err);
  expect(d.code, d.message + (d.stack ?? '')).toBe('registry.connection_lost');
  expect(d.exitCode).toBe(ExitCode.failed);
  expect(d.message).toMatch(/^The connection to the PostgreSQL registry postgres:\/\/postgres@127\.0\.0\.1:\d+\/\S+ was lost/);
  expect(d.hint).toContain('run edgewise versions');
}

async function setUp(url: string): Promise<{ ws: Workspace; cleanup(): void }> {
  const w = makeWorkspace(url);
  const ws = new Workspace(w.root, ConfigSchema.parse({ registry: url, registryTimeoutSeconds: 20 }));
  writeRun(w.root, 'a', { labels: ['ant', 'bee'] });
  expect((await publish(ws, {})).version).toBe('v001');
  writeRun(w.root, 'b', { model: 'model b' });
  return { ws, cleanup: w.cleanup };
}

describe('the PostgreSQL connection dropped mid-publish', () => {
  test('before the registry transaction: connection_lost, lock released, v001 still active', async () => {
    const url = await server.createDatabase();
    const { ws, cleanup } = await setUp(url);
    try {
      let ended = 0;
      const err = await failure(publish(ws, { model: 'b' }, (e: StepEvent) => {
        // Connected, recovered and staged: the server ends the session just before the transaction.
        if (e.type === 'log' && /^Publishing run b/.test(e.message)) ended = terminateSessions(dbName(url));
      }));
      expect(ended).toBe(1);
      expectConnectionLost(err);
      await expectLockFree(ws);
      const v = await listVersions(ws);
      expect(v.active).toBe('v001');
      expect(await expectConsistent(ws)).toBe('v001');
    } finally {
      cleanup();
    }
  }, 90_000);

  test('inside the transaction (its INSERT waiting for a table lock): connection_lost, v001 still active', async () => {
    const url = await server.createDatabase();
    const { ws, cleanup } = await setUp(url);
    // Another session holds a lock that lets readers through but stops the version's INSERT: publish
    // waits inside its transaction (after BEGIN, the writers' lock and its reads).
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    // Watched from another session: pg_stat_activity is a snapshot for the length of a transaction.
    const watcher = new pg.Client({ connectionString: url });
    await watcher.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE model_registry IN EXCLUSIVE MODE');
      const running = failure(publish(ws, { model: 'b' }));
      let waiting: number | undefined;
      for (let i = 0; i < 600 && waiting === undefined; i++) {
        const { rows } = await watcher.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND wait_event = 'relation' AND pid <> pg_backend_pid()`, [dbName(url)]);
        waiting = (rows[0] as { pid?: number } | undefined)?.pid;
        if (waiting === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      expect(waiting, 'publish never waited for the table lock').toBeDefined();
      await watcher.query('SELECT pg_terminate_backend($1)', [waiting]);
      const err = await running;
      expectConnectionLost(err);
      await holder.query('ROLLBACK');
      await expectLockFree(ws);
      // The intent journal is left for the next command, which undoes the staged version.
      expect(existsSync(pendingPath(ws))).toBe(true);
      const v = await listVersions(ws);
      expect(v.active).toBe('v001');
      expect(await expectConsistent(ws)).toBe('v001');
    } finally {
      await holder.end().catch(() => {});
      await watcher.end().catch(() => {});
      cleanup();
    }
  }, 90_000);

  test('after COMMIT reached the server, before its answer: connection_lost, the next command finishes v002', async () => {
    const url = await server.createDatabase();
    const proxy = await cutAfterCommit(server.port);
    const viaProxy = url.replace(`:${server.port}/`, `:${proxy.port}/`);
    const { ws, cleanup } = await setUp(viaProxy);
    try {
      proxy.armed = true;
      const err = await failure(publish(ws, { model: 'b' }));
      expect(proxy.cut).toBe(1);
      expectConnectionLost(err);
      await expectLockFree(ws);
      // The server committed: the next command sees v002 in the registry and completes public/models.
      expect(existsSync(pendingPath(ws))).toBe(true);
      const v = await listVersions(ws);
      expect(v.active).toBe('v002');
      expect(await expectConsistent(ws)).toBe('v002');
    } finally {
      proxy.close();
      cleanup();
    }
  }, 90_000);
});

/**
 * A TCP proxy to the server that, once armed, forwards the COMMIT (a simple-query message) that follows the
 * version's INSERT and then
 * cuts the client's connection, keeping the server's side open until the server has answered: the commit
 * happens, the client never hears of it.
 */
async function cutAfterCommit(port: number): Promise<{ port: number; armed: boolean; cut: number; close(): void }> {
  const sockets = new Set<Socket>();
  const state = { port: 0, armed: false, cut: 0, close: () => {} };
  const commit = Buffer.from('COMMIT\0');
  const insert = Buffer.from('INSERT INTO model_registry');
  const srv: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let cutting = false;
    let inserted = false;
    client.on('data', (d: Buffer) => {
      // The COMMIT of publish's transaction, not the one that ends the migrations check.
      if (d.includes(insert)) inserted = true;
      if (state.armed && inserted && !cutting && d[0] === 0x51 /* Q */ && d.includes(commit)) {
        cutting = true;
        state.armed = false;
        state.cut++;
        upstream.write(d);
        client.destroy();
        // The server's answer (CommandComplete "COMMIT") is read and dropped, then the session ends.
        upstream.on('data', (reply: Buffer) => {
          if (reply.includes(Buffer.from('COMMIT'))) upstream.end();
        });
        return;
      }
      if (!cutting) upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (!cutting) client.write(d);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => {
      if (!cutting) upstream.end();
    });
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  state.port = (srv.address() as { port: number }).port;
  state.close = () => {
    for (const s of sockets) s.destroy();
    srv.close();
  };
  return state;
}
