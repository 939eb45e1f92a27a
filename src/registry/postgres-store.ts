import pg from 'pg';
import { EdgewiseError } from '../core/errors.js';
import { crashPoint } from './crash.js';
import { MIGRATIONS } from './migrations.js';
import { compareVersions, eventFromRaw, nextVersionAfter, rowFromRaw, type Raw } from './rows.js';
import { RegistryConflict, redactSecretsOf, redactUrl, type RegistryStore } from './store.js';
import type { NewVersion, RegistryEvent, RegistryEventKind, VersionRow } from './types.js';

/** Serialises edgewise's writers (migrations, publish, activate) on one database: pg_advisory_xact_lock key. */
const WRITER_LOCK = 0x65646777; // "edgw"

/** Default for registry.timeoutSeconds: a registry that has not answered a query in this long is given up on. */
export const DEFAULT_REGISTRY_TIMEOUT_MS = 30_000;

/** The registry on PostgreSQL: one client per command, every write in one transaction. */
export class PostgresStore implements RegistryStore {
  readonly kind = 'postgres' as const;
  /** Set once the connection timed out or dropped: every later query fails at once with the same error. */
  private broken: EdgewiseError | undefined;
  private constructor(private readonly client: pg.Client, readonly location: string, private readonly timeoutMs: number) {}

  static async connect(url: string, timeoutMs = DEFAULT_REGISTRY_TIMEOUT_MS): Promise<PostgresStore> {
    // Every wait is bounded: a server that stops answering after the connection is made (frozen, a
    // network that drops packets) would otherwise hold publish, and the workspace lock, for ever.
    // query_timeout is the client's own clock (works when the server is frozen); the server-side ones end
    // a statement, a lock wait or an abandoned transaction on its side too.
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      statement_timeout: timeoutMs,
      lock_timeout: timeoutMs,
      idle_in_transaction_session_timeout: timeoutMs,
      keepAlive: true,
    });
    // An idle-connection error after the command is done must not crash the process.
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => {});
      // The driver's own error (kept as the cause) can quote the URL: only a redacted copy is kept.
      const why = redactSecretsOf(url, (e as Error).message);
      const cause = Object.assign(new Error(why), { code: (e as { code?: unknown }).code });
      throw new EdgewiseError(`Cannot connect to the PostgreSQL registry ${redactUrl(url)}: ${why}`, {
        code: 'registry.connect', item: redactUrl(url), cause,
        hint: 'Check the server is running and the URL (host, port, database, user) in --registry, edgewise.json "registry" or DATABASE_URL.',
      });
    }
    return new PostgresStore(client, redactUrl(url), timeoutMs);
  }

  /** Every query goes through here: a timeout or a dropped connection becomes a named error, once. */
  private async q(sql: string, params?: unknown[]): Promise<pg.QueryResult> {
    if (this.broken) throw this.broken;
    try {
      return await this.client.query(sql, params);
    } catch (e) {
      const named = this.connectionError(e);
      if (!named) throw e;
      this.broken = named;
      // The socket may be stuck half-way through a reply: drop it rather than wait for an orderly end.
      (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      throw named;
    }
  }

  private connectionError(e: unknown): EdgewiseError | undefined {
    const err = e as Error & { code?: string };
    const secs = Math.round(this.timeoutMs / 1000);
    const after = 'When the server answers again, run edgewise versions: it finishes or undoes an interrupted publish or rollback.';
    // 57014: statement_timeout; 55P03: lock_timeout; 25P03: idle_in_transaction_session_timeout.
    if (err.message === 'Query read timeout' || err.code === '57014' || err.code === '55P03' || err.code === '25P03') {
      return new EdgewiseError(`The PostgreSQL registry ${this.location} did not answer within ${secs} s.`, {
        code: 'registry.timeout', item: this.location, cause: e,
        hint: `Check the server (is it overloaded, stopped or unreachable?). ${after} The limit is registryTimeoutSeconds in edgewise.json.`,
      });
    }
    // The server ended the session (57P01 pg_terminate_backend or a fast shutdown, 57P02 a crash, 57P03
    // starting up or shutting down) or the connection failed (class 08): as lost as a dropped socket.
    const serverEnded = err.code !== undefined && (/^57P0[123]$/.test(err.code) || /^08[0-9A-Z]{3}$/.test(err.code));
    if (serverEnded || err.code === undefined || /^E[A-Z]+$/.test(err.code)) {
      if (serverEnded || /Connection terminated|not queryable|connection error|ECONNRESET|EPIPE|ETIMEDOUT|ECONNREFUSED|socket/i.test(`${err.message} ${err.code ?? ''}`)) {
        return new EdgewiseError(`The connection to the PostgreSQL registry ${this.location} was lost (${err.message}).`, {
          code: 'registry.connection_lost', item: this.location, cause: e,
          hint: `Check the server is running and reachable. ${after}`,
        });
      }
    }
    return undefined;
  }

  private async tx<T>(fn: () => Promise<T>): Promise<T> {
    await this.q('BEGIN');
    try {
      await this.q('SELECT pg_advisory_xact_lock($1)', [WRITER_LOCK]);
      const out = await fn();
      await this.q('COMMIT');
      return out;
    } catch (e) {
      await this.q('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  async migrate(): Promise<void> {
    await this.tx(async () => {
      await this.q(`CREATE TABLE IF NOT EXISTS schema_migrations (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      const done = new Set((await this.q('SELECT id FROM schema_migrations')).rows.map((r: Raw) => Number(r.id)));
      for (const m of MIGRATIONS) {
        if (done.has(m.id)) continue;
        for (const sql of m.postgres) await this.q(sql);
        await this.q('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      }
    });
  }

  async list(): Promise<VersionRow[]> {
    const { rows } = await this.q('SELECT * FROM model_registry');
    return (rows as Raw[]).map(rowFromRaw).sort((a, b) => compareVersions(a.version, b.version));
  }

  async get(version: string): Promise<VersionRow | undefined> {
    const { rows } = await this.q('SELECT * FROM model_registry WHERE version = $1', [version]);
    const r = rows[0] as Raw | undefined;
    return r ? rowFromRaw(r) : undefined;
  }

  async active(): Promise<string | undefined> {
    const { rows } = await this.q('SELECT active_version FROM registry_state WHERE id = 1');
    return ((rows[0] as Raw | undefined)?.active_version as string | null | undefined) ?? undefined;
  }

  async events(version?: string): Promise<RegistryEvent[]> {
    const { rows } = version === undefined
      ? await this.q('SELECT * FROM registry_events ORDER BY id')
      : await this.q('SELECT * FROM registry_events WHERE version = $1 ORDER BY id', [version]);
    return (rows as Raw[]).map(eventFromRaw);
  }

  async insertAndActivate(row: NewVersion, actor: string, details: Record<string, unknown>): Promise<void> {
    await this.tx(async () => {
      const taken = (await this.q('SELECT version FROM model_registry')).rows.map((r: Raw) => String(r.version));
      if (taken.includes(row.version) || nextVersionAfter(taken) !== row.version) throw new RegistryConflict(row.version, this.location);
      const prev = await this.active();
      await this.q(
        `INSERT INTO model_registry (version, tflite_url, labels_sha256, metrics, tflite_sha256, thresholds, created_at,
          published_by, source_run, unevaluated, content_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [row.version, row.tflite_url, row.labels_sha256, row.metrics === null ? null : JSON.stringify(row.metrics), row.tflite_sha256,
          row.thresholds === null ? null : JSON.stringify(row.thresholds), row.created_at, row.published_by, row.source_run,
          row.unevaluated, row.content_sha256],
      );
      const ev = 'INSERT INTO registry_events (kind, version, from_version, actor, details) VALUES ($1, $2, $3, $4, $5)';
      await this.q(ev, ['publish', row.version, null, actor, JSON.stringify(details)]);
      await this.q(ev, ['activate', row.version, prev ?? null, actor, JSON.stringify(details)]);
      await this.q('UPDATE registry_state SET active_version = $1, updated_at = now() WHERE id = 1', [row.version]);
      crashPoint('registry.before-commit');
    });
  }

  async activate(version: string, kind: Exclude<RegistryEventKind, 'publish'>, actor: string, details: Record<string, unknown>): Promise<string | undefined> {
    return this.tx(async () => {
      const prev = await this.active();
      await this.q('INSERT INTO registry_events (kind, version, from_version, actor, details) VALUES ($1, $2, $3, $4, $5)',
        [kind, version, prev ?? null, actor, JSON.stringify(details)]);
      await this.q('UPDATE registry_state SET active_version = $1, updated_at = now() WHERE id = 1', [version]);
      crashPoint('registry.before-commit');
      return prev;
    });
  }

  async close(): Promise<void> {
    const stream = (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
    if (this.broken) {
      stream?.destroy();
      return;
    }
    // An orderly end waits for the server's reply: bounded too.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.client.end().catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, Math.min(this.timeoutMs, 5_000))))]);
    clearTimeout(timer);
    stream?.destroy();
  }
}
