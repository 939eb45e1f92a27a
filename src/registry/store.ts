import { EdgewiseError } from '../core/errors.js';
import type { NewVersion, RegistryEvent, RegistryEventKind, VersionRow } from './types.js';

/**
 * The registry behind one interface. Every write is one transaction; every query is parameterised.
 * Versions are immutable and events append-only (the schema enforces both with triggers).
 */
export interface RegistryStore {
  readonly kind: 'sqlite' | 'postgres';
  /** For messages: the SQLite path or the URL without its password. */
  readonly location: string;
  /** Applies pending migrations (recorded in schema_migrations); safe to run concurrently. */
  migrate(): Promise<void>;
  list(): Promise<VersionRow[]>;
  get(version: string): Promise<VersionRow | undefined>;
  active(): Promise<string | undefined>;
  events(version?: string): Promise<RegistryEvent[]>;
  /**
   * In one transaction: checks `row.version` is still the next free version (else a RegistryConflict),
   * inserts the row, appends publish + activate events and points `active` at it.
   */
  insertAndActivate(row: NewVersion, actor: string, details: Record<string, unknown>): Promise<void>;
  /** In one transaction: points `active` at an existing version and appends an event. Returns the previous active. */
  activate(version: string, kind: Exclude<RegistryEventKind, 'publish'>, actor: string, details: Record<string, unknown>): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Another writer took the version first: nothing was written, publishing again assigns the next one. */
export class RegistryConflict extends EdgewiseError {
  constructor(version: string, location: string) {
    super(`Another publish registered ${version} in ${location} at the same moment; this publish changed nothing.`, {
      code: 'registry.conflict',
      item: version,
      hint: 'Run `edgewise publish` again: it will take the next free version.',
    });
    this.name = 'RegistryConflict';
  }
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/** Opens (and migrates) the store for a SQLite path or a postgres:// URL. Drivers load lazily. */
export async function openStore(location: string, opts: { timeoutMs?: number } = {}): Promise<RegistryStore> {
  let store: RegistryStore;
  if (isPostgresUrl(location)) {
    const { PostgresStore } = await import('./postgres-store.js');
    store = await PostgresStore.connect(location, opts.timeoutMs);
  } else {
    const { SqliteStore } = await import('./sqlite-store.js');
    store = SqliteStore.open(location);
  }
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

/** Next `vNNN` after the highest parseable version (hand-inserted odd names are ignored). */
export function nextVersionAfter(versions: string[]): string {
  let max = 0;
  for (const v of versions) {
    const m = /^v(\d+)$/.exec(v);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return `v${String(max + 1).padStart(3, '0')}`;
}
