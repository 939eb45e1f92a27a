import { EdgewiseError, InputError } from '../core/errors.js';
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

/** Where the registry lives: a PostgreSQL URL, or a SQLite file (path as given: relative to the workspace). */
export type RegistryLocation = { kind: 'postgres'; url: string } | { kind: 'sqlite'; path: string };

const WHERE = 'the registry location (--registry, EDGEWISE_REGISTRY, DATABASE_URL or "registry" in edgewise.json)';

/**
 * Reads a registry location. Accepted: postgres:// and postgresql:// URLs, `sqlite:PATH` (also sqlite://PATH
 * and sqlite:///ABS/PATH) and plain file paths. Anything else holding `://` (pg://, postgresql+psycopg2://,
 * mysql://, a URL with spaces before it) is refused, naming the scheme with the password hidden: before,
 * such a value became a SQLite file named after the URL, password and all, and publish "succeeded" into it.
 */
export function parseRegistryLocation(raw: string): RegistryLocation {
  if (isPostgresUrl(raw)) return { kind: 'postgres', url: raw };
  const sqlite = /^sqlite:(?:\/\/)?(.*)$/is.exec(raw);
  if (sqlite) {
    const path = sqlite[1]!;
    if (path === '' || path.includes('://')) throw badLocation(raw, 'a sqlite: URL needs a file path after it', 'Write sqlite:ml/registry.db or just ml/registry.db.');
    return { kind: 'sqlite', path };
  }
  if (!raw.includes('://')) return { kind: 'sqlite', path: raw };
  const m = /^(\s*)([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(raw);
  if (!m) throw badLocation(raw, 'is neither a file path nor a postgres:// URL', 'Use postgres://USER@HOST/DB (password in PGPASSWORD or ~/.pgpass) or a SQLite file path.');
  const scheme = m[2]!;
  if (m[1]) throw badLocation(raw, `has whitespace before "${scheme}://"`, 'Remove the spaces around the value.');
  const hint = /^postgres(ql)?\+/i.test(scheme)
    ? `"${scheme}" is SQLAlchemy's driver syntax; edgewise connects itself: write ${scheme.slice(0, scheme.indexOf('+'))}://…`
    : /^(pg|pgsql|psql)$/i.test(scheme)
      ? `Write postgres://… (or postgresql://…) instead of ${scheme}://…`
      : 'The registry is a PostgreSQL database (postgres://…) or a SQLite file (a path or sqlite:PATH).';
  throw badLocation(raw, `uses the unsupported scheme "${scheme}://"`, hint);
}

function badLocation(raw: string, problem: string, hint: string): InputError {
  return new InputError(`${WHERE[0]!.toUpperCase()}${WHERE.slice(1)} ${redactUrl(raw)} ${problem}.`, { code: 'registry.bad_location', item: redactUrl(raw), hint });
}

/** The password in a URL (user:PASSWORD@ or ?password=…), if any: what must never be printed or stored. */
function urlSecrets(url: string): string[] {
  const out: string[] = [];
  const userinfo = /^\s*[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@\s]*?:([^@\s]*)@/.exec(url);
  if (userinfo?.[1]) out.push(userinfo[1]);
  for (const m of url.matchAll(/[?&](?:password|sslpassword)=([^&#\s]*)/gi)) if (m[1]) out.push(m[1]);
  return out;
}

/** The URL without its password (user:***@, password=***), for messages, logs and --json. */
export function redactUrl(url: string): string {
  return url
    .replace(/^(\s*[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@\s]*?:)[^@\s]*@/, '$1***@')
    .replace(/([?&](?:password|sslpassword)=)[^&#\s]*/gi, '$1***');
}

/** `text` with every occurrence of `url`'s password (raw or percent-decoded) replaced by ***: for messages from drivers. */
export function redactSecretsOf(url: string, text: string): string {
  let out = text.split(url).join(redactUrl(url));
  for (const secret of urlSecrets(url)) {
    let decoded = secret;
    try {
      decoded = decodeURIComponent(secret);
    } catch {
      /* not percent-encoded */
    }
    for (const s of new Set([secret, decoded])) if (s.length > 0) out = out.split(s).join('***');
  }
  return out;
}
