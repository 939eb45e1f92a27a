// Row code both stores share: driver rows to typed rows, and the order of version names.
import type { RegistryEvent, RegistryEventKind, VersionRow } from './types.js';

/** A row as a driver returns it: JSON columns as text (SQLite) or parsed (PostgreSQL), timestamps as text or Date. */
export type Raw = Record<string, unknown>;

function parseJson<T>(v: unknown): T | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? (JSON.parse(v) as T) : (v as T);
}

export function rowFromRaw(r: Raw): VersionRow {
  return {
    version: String(r.version),
    tflite_url: String(r.tflite_url),
    labels_sha256: String(r.labels_sha256),
    metrics: parseJson(r.metrics),
    tflite_sha256: (r.tflite_sha256 as string | null) ?? null,
    thresholds: parseJson(r.thresholds),
    created_at: r.created_at instanceof Date ? r.created_at.toISOString() : ((r.created_at as string | null) ?? null),
    published_by: (r.published_by as string | null) ?? null,
    source_run: (r.source_run as string | null) ?? null,
    unevaluated: Boolean(r.unevaluated),
    content_sha256: (r.content_sha256 as string | null) ?? null,
  };
}

export function eventFromRaw(r: Raw): RegistryEvent {
  return {
    id: Number(r.id),
    kind: r.kind as RegistryEventKind,
    version: String(r.version),
    from_version: (r.from_version as string | null) ?? null,
    at: r.at instanceof Date ? r.at.toISOString() : String(r.at),
    actor: String(r.actor),
    details: parseJson(r.details),
  };
}

/** Orders `v001 < v002 < v010`, hand-inserted odd names last. */
export function compareVersions(a: string, b: string): number {
  const na = /^v(\d+)$/.exec(a)?.[1];
  const nb = /^v(\d+)$/.exec(b)?.[1];
  if (na !== undefined && nb !== undefined) return Number(na) - Number(nb);
  if (na !== undefined) return -1;
  if (nb !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
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
