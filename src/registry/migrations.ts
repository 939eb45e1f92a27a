/**
 * Registry schema, one list per dialect, applied in order and recorded in `schema_migrations`.
 * `model_registry` keeps the seed's four columns first, so the app's existing
 * `INSERT INTO model_registry (version, tflite_url, labels_sha256, metrics) VALUES (...)` still works:
 * every newer column is nullable or defaulted. A table the seed created by hand is adopted: the missing
 * columns are added to it (SQLite cannot add a column with a computed default, so there `created_at`
 * stays NULL for rows inserted by hand).
 */
export interface Migration {
  id: number;
  name: string;
  sqlite: string[];
  postgres: string[];
}

/** Columns added after the seed's four, for adopting a pre-existing table. */
export const ADDED_COLUMNS: Array<{ name: string; sqlite: string; postgres: string }> = [
  { name: 'tflite_sha256', sqlite: 'TEXT', postgres: 'TEXT' },
  { name: 'thresholds', sqlite: 'TEXT CHECK (thresholds IS NULL OR json_valid(thresholds))', postgres: 'JSONB' },
  { name: 'created_at', sqlite: 'TEXT', postgres: 'TIMESTAMPTZ NOT NULL DEFAULT now()' },
  { name: 'published_by', sqlite: 'TEXT', postgres: 'TEXT' },
  { name: 'source_run', sqlite: 'TEXT', postgres: 'TEXT' },
  { name: 'unevaluated', sqlite: 'INTEGER NOT NULL DEFAULT 0', postgres: 'BOOLEAN NOT NULL DEFAULT false' },
  { name: 'content_sha256', sqlite: 'TEXT', postgres: 'TEXT' },
];

const SQLITE_NOW = `(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`;

export const MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'model_registry, active pointer, append-only events',
    sqlite: [
      `CREATE TABLE IF NOT EXISTS model_registry (
        version TEXT PRIMARY KEY,
        tflite_url TEXT NOT NULL,
        labels_sha256 TEXT NOT NULL,
        metrics TEXT CHECK (metrics IS NULL OR json_valid(metrics)),
        tflite_sha256 TEXT,
        thresholds TEXT CHECK (thresholds IS NULL OR json_valid(thresholds)),
        created_at TEXT DEFAULT ${SQLITE_NOW},
        published_by TEXT,
        source_run TEXT,
        unevaluated INTEGER NOT NULL DEFAULT 0,
        content_sha256 TEXT
      )`,
      // (columns missing from an adopted seed table are added in code before this list continues)
      `CREATE TABLE IF NOT EXISTS registry_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        active_version TEXT REFERENCES model_registry(version),
        updated_at TEXT NOT NULL DEFAULT ${SQLITE_NOW}
      )`,
      `INSERT OR IGNORE INTO registry_state (id, active_version) VALUES (1, NULL)`,
      `CREATE TABLE IF NOT EXISTS registry_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('publish', 'activate', 'rollback')),
        version TEXT NOT NULL REFERENCES model_registry(version),
        from_version TEXT,
        at TEXT NOT NULL DEFAULT ${SQLITE_NOW},
        actor TEXT NOT NULL,
        details TEXT CHECK (details IS NULL OR json_valid(details))
      )`,
      `CREATE TRIGGER IF NOT EXISTS model_registry_no_update BEFORE UPDATE ON model_registry
        BEGIN SELECT RAISE(ABORT, 'edgewise: published versions are immutable'); END`,
      `CREATE TRIGGER IF NOT EXISTS model_registry_no_delete BEFORE DELETE ON model_registry
        BEGIN SELECT RAISE(ABORT, 'edgewise: published versions are immutable'); END`,
      `CREATE TRIGGER IF NOT EXISTS registry_events_no_update BEFORE UPDATE ON registry_events
        BEGIN SELECT RAISE(ABORT, 'edgewise: registry_events is append-only'); END`,
      `CREATE TRIGGER IF NOT EXISTS registry_events_no_delete BEFORE DELETE ON registry_events
        BEGIN SELECT RAISE(ABORT, 'edgewise: registry_events is append-only'); END`,
    ],
    postgres: [
      `CREATE TABLE IF NOT EXISTS model_registry (
        version TEXT PRIMARY KEY,
        tflite_url TEXT NOT NULL,
        labels_sha256 TEXT NOT NULL,
        metrics JSONB
      )`,
      ...ADDED_COLUMNS.map((c) => `ALTER TABLE model_registry ADD COLUMN IF NOT EXISTS ${c.name} ${c.postgres}`),
      `CREATE TABLE IF NOT EXISTS registry_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        active_version TEXT REFERENCES model_registry(version),
        updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`,
      `INSERT INTO registry_state (id, active_version) VALUES (1, NULL) ON CONFLICT (id) DO NOTHING`,
      `CREATE TABLE IF NOT EXISTS registry_events (
        id BIGSERIAL PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('publish', 'activate', 'rollback')),
        version TEXT NOT NULL REFERENCES model_registry(version),
        from_version TEXT,
        at TIMESTAMPTZ NOT NULL DEFAULT now(),
        actor TEXT NOT NULL,
        details JSONB
      )`,
      `CREATE OR REPLACE FUNCTION edgewise_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'edgewise: % rows are immutable (append-only)', TG_TABLE_NAME; END $$`,
      `DROP TRIGGER IF EXISTS model_registry_immutable ON model_registry`,
      `CREATE TRIGGER model_registry_immutable BEFORE UPDATE OR DELETE ON model_registry
        FOR EACH ROW EXECUTE FUNCTION edgewise_refuse_change()`,
      `DROP TRIGGER IF EXISTS registry_events_append_only ON registry_events`,
      `CREATE TRIGGER registry_events_append_only BEFORE UPDATE OR DELETE ON registry_events
        FOR EACH ROW EXECUTE FUNCTION edgewise_refuse_change()`,
    ],
  },
];
