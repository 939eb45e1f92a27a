import pg from 'pg';
import { EdgewiseError } from '../core/errors.js';
import { crashPoint } from './crash.js';
import { MIGRATIONS } from './migrations.js';
import { compareVersions, eventFromRaw, rowFromRaw } from './sqlite-store.js';
import { RegistryConflict, nextVersionAfter, redactSecretsOf, redactUrl, type RegistryStore } from './store.js';
import type { NewVersion, RegistryEvent, RegistryEventKind, VersionRow } from './types.js';

type Raw = Record<string, unknown>;

/** Serialises edgewise's writers (migrations, publish, activate) on one database: pg_advisory_xact_lock key. */
const WRITER_LOCK = 0x65646777; // "edgw"

/** The registry on PostgreSQL: one client per command, every write in one transaction. */
export class PostgresStore implements RegistryStore {
  readonly kind = 'postgres' as const;
  private constructor(private readonly client: pg.Client, readonly location: string) {}

  static async connect(url: string): Promise<PostgresStore> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
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
    return new PostgresStore(client, redactUrl(url));
  }

  private async tx<T>(fn: () => Promise<T>): Promise<T> {
    await this.client.query('BEGIN');
    try {
      await this.client.query('SELECT pg_advisory_xact_lock($1)', [WRITER_LOCK]);
      const out = await fn();
      await this.client.query('COMMIT');
      return out;
    } catch (e) {
      await this.client.query('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  async migrate(): Promise<void> {
    await this.tx(async () => {
      await this.client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      const done = new Set((await this.client.query('SELECT id FROM schema_migrations')).rows.map((r: Raw) => Number(r.id)));
      for (const m of MIGRATIONS) {
        if (done.has(m.id)) continue;
        for (const sql of m.postgres) await this.client.query(sql);
        await this.client.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      }
    });
  }

  async list(): Promise<VersionRow[]> {
    const { rows } = await this.client.query('SELECT * FROM model_registry');
    return (rows as Raw[]).map(rowFromRaw).sort((a, b) => compareVersions(a.version, b.version));
  }

  async get(version: string): Promise<VersionRow | undefined> {
    const { rows } = await this.client.query('SELECT * FROM model_registry WHERE version = $1', [version]);
    const r = rows[0] as Raw | undefined;
    return r ? rowFromRaw(r) : undefined;
  }

  async active(): Promise<string | undefined> {
    const { rows } = await this.client.query('SELECT active_version FROM registry_state WHERE id = 1');
    return ((rows[0] as Raw | undefined)?.active_version as string | null | undefined) ?? undefined;
  }

  async events(version?: string): Promise<RegistryEvent[]> {
    const { rows } = version === undefined
      ? await this.client.query('SELECT * FROM registry_events ORDER BY id')
      : await this.client.query('SELECT * FROM registry_events WHERE version = $1 ORDER BY id', [version]);
    return (rows as Raw[]).map(eventFromRaw);
  }

  async insertAndActivate(row: NewVersion, actor: string, details: Record<string, unknown>): Promise<void> {
    await this.tx(async () => {
      const taken = (await this.client.query('SELECT version FROM model_registry')).rows.map((r: Raw) => String(r.version));
      if (taken.includes(row.version) || nextVersionAfter(taken) !== row.version) throw new RegistryConflict(row.version, this.location);
      const prev = await this.active();
      await this.client.query(
        `INSERT INTO model_registry (version, tflite_url, labels_sha256, metrics, tflite_sha256, thresholds, created_at,
          published_by, source_run, unevaluated, content_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [row.version, row.tflite_url, row.labels_sha256, row.metrics === null ? null : JSON.stringify(row.metrics), row.tflite_sha256,
          row.thresholds === null ? null : JSON.stringify(row.thresholds), row.created_at, row.published_by, row.source_run,
          row.unevaluated, row.content_sha256],
      );
      const ev = 'INSERT INTO registry_events (kind, version, from_version, actor, details) VALUES ($1, $2, $3, $4, $5)';
      await this.client.query(ev, ['publish', row.version, null, actor, JSON.stringify(details)]);
      await this.client.query(ev, ['activate', row.version, prev ?? null, actor, JSON.stringify(details)]);
      await this.client.query('UPDATE registry_state SET active_version = $1, updated_at = now() WHERE id = 1', [row.version]);
      crashPoint('registry.before-commit');
    });
  }

  async activate(version: string, kind: Exclude<RegistryEventKind, 'publish'>, actor: string, details: Record<string, unknown>): Promise<string | undefined> {
    return this.tx(async () => {
      const prev = await this.active();
      await this.client.query('INSERT INTO registry_events (kind, version, from_version, actor, details) VALUES ($1, $2, $3, $4, $5)',
        [kind, version, prev ?? null, actor, JSON.stringify(details)]);
      await this.client.query('UPDATE registry_state SET active_version = $1, updated_at = now() WHERE id = 1', [version]);
      crashPoint('registry.before-commit');
      return prev;
    });
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}
