import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { EdgewiseError } from '../core/errors.js';
import { crashPoint } from './crash.js';
import { ADDED_COLUMNS, MIGRATIONS } from './migrations.js';
import { RegistryConflict, type RegistryStore } from './store.js';
import { compareVersions, eventFromRaw, nextVersionAfter, rowFromRaw, type Raw } from './rows.js';
import type { NewVersion, RegistryEvent, RegistryEventKind, VersionRow } from './types.js';

/** The default registry: one SQLite file (WAL, waits up to 10 s for another writer). */
export class SqliteStore implements RegistryStore {
  readonly kind = 'sqlite' as const;
  private constructor(private readonly db: Database.Database, readonly location: string) {}

  static open(path: string): SqliteStore {
    mkdirSync(dirname(path), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(path, { timeout: 10_000 });
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
    } catch (e) {
      throw new EdgewiseError(`Cannot open the registry database ${path}: ${(e as Error).message}`, {
        code: 'registry.open', item: path, cause: e,
        hint: 'Check the file is a SQLite database you can write, or point workspace.registry elsewhere (edgewise.json "registry").',
      });
    }
    return new SqliteStore(db, path);
  }

  /** BEGIN IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking. */
  private tx<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
  }

  async migrate(): Promise<void> {
    this.tx(() => {
      this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))`);
      const done = new Set((this.db.prepare('SELECT id FROM schema_migrations').all() as Raw[]).map((r) => Number(r.id)));
      for (const m of MIGRATIONS) {
        if (done.has(m.id)) continue;
        const [createTable, ...rest] = m.sqlite;
        if (createTable) this.db.exec(createTable);
        if (m.id === 1) this.adoptSeedTable();
        for (const sql of rest) this.db.exec(sql);
        this.db.prepare('INSERT INTO schema_migrations (id, name) VALUES (?, ?)').run(m.id, m.name);
      }
    });
  }

  /** A model_registry the seed created by hand has only four columns: add the rest. */
  private adoptSeedTable(): void {
    const have = new Set((this.db.prepare('SELECT name FROM pragma_table_info(?)').all('model_registry') as Raw[]).map((r) => String(r.name)));
    for (const c of ADDED_COLUMNS) {
      if (!have.has(c.name)) this.db.exec(`ALTER TABLE model_registry ADD COLUMN ${c.name} ${c.sqlite}`);
    }
  }

  async list(): Promise<VersionRow[]> {
    const rows = (this.db.prepare('SELECT * FROM model_registry').all() as Raw[]).map(rowFromRaw);
    return rows.sort((a, b) => compareVersions(a.version, b.version));
  }

  async get(version: string): Promise<VersionRow | undefined> {
    const r = this.db.prepare('SELECT * FROM model_registry WHERE version = ?').get(version) as Raw | undefined;
    return r ? rowFromRaw(r) : undefined;
  }

  async active(): Promise<string | undefined> {
    const r = this.db.prepare('SELECT active_version FROM registry_state WHERE id = 1').get() as Raw | undefined;
    return (r?.active_version as string | null | undefined) ?? undefined;
  }

  async events(version?: string): Promise<RegistryEvent[]> {
    const rows = version === undefined
      ? this.db.prepare('SELECT * FROM registry_events ORDER BY id').all()
      : this.db.prepare('SELECT * FROM registry_events WHERE version = ? ORDER BY id').all(version);
    return (rows as Raw[]).map(eventFromRaw);
  }

  async insertAndActivate(row: NewVersion, actor: string, details: Record<string, unknown>): Promise<void> {
    this.tx(() => {
      const taken = (this.db.prepare('SELECT version FROM model_registry').all() as Raw[]).map((r) => String(r.version));
      if (taken.includes(row.version) || nextVersionAfter(taken) !== row.version) throw new RegistryConflict(row.version, this.location);
      const prev = this.db.prepare('SELECT active_version FROM registry_state WHERE id = 1').get() as Raw | undefined;
      this.db
        .prepare(`INSERT INTO model_registry (version, tflite_url, labels_sha256, metrics, tflite_sha256, thresholds, created_at,
          published_by, source_run, unevaluated, content_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(row.version, row.tflite_url, row.labels_sha256, row.metrics === null ? null : JSON.stringify(row.metrics), row.tflite_sha256,
          row.thresholds === null ? null : JSON.stringify(row.thresholds), row.created_at, row.published_by, row.source_run,
          row.unevaluated ? 1 : 0, row.content_sha256);
      const ev = this.db.prepare('INSERT INTO registry_events (kind, version, from_version, actor, details) VALUES (?, ?, ?, ?, ?)');
      ev.run('publish', row.version, null, actor, JSON.stringify(details));
      ev.run('activate', row.version, (prev?.active_version as string | null) ?? null, actor, JSON.stringify(details));
      this.db.prepare(`UPDATE registry_state SET active_version = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = 1`).run(row.version);
      crashPoint('registry.before-commit');
    });
  }

  async activate(version: string, kind: Exclude<RegistryEventKind, 'publish'>, actor: string, details: Record<string, unknown>): Promise<string | undefined> {
    return this.tx(() => {
      const prev = ((this.db.prepare('SELECT active_version FROM registry_state WHERE id = 1').get() as Raw | undefined)?.active_version as string | null) ?? undefined;
      this.db.prepare('INSERT INTO registry_events (kind, version, from_version, actor, details) VALUES (?, ?, ?, ?, ?)').run(kind, version, prev ?? null, actor, JSON.stringify(details));
      this.db.prepare(`UPDATE registry_state SET active_version = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = 1`).run(version);
      crashPoint('registry.before-commit');
      return prev;
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
