import { existsSync } from 'node:fs';
import type { Step } from '../core/step.js';
import { decimal, NO_VALUE } from '../core/text.js';
import type { Workspace } from '../core/workspace.js';
import { inspectPublic } from './artifacts.js';
import { readPending } from './pending.js';
import { readRegistry, registryLocation } from './session.js';
import { isPostgresUrl } from './store.js';
import { streamEvents } from '../core/event-queue.js';
import { savedVsLive, describeSavedVsLive, type SavedVsLive } from './saved-vs-live.js';
import type { RegistryEvent, VersionRow } from './types.js';

export interface VersionsResult {
  registry: string;
  active: string | undefined;
  versions: Array<VersionRow & { active: boolean }>;
  events: RegistryEvent[];
  /** What public/models serves right now, and any disagreement with the registry. */
  public: { version: string | undefined; problems: string[] };
  /** Thresholds saved for the live model's run that Publish has not shipped (they differ from model.json). */
  savedNotLive?: SavedVsLive;
  recovered?: string;
}

export async function listVersions(ws: Workspace, opts: { signal?: AbortSignal } = {}): Promise<VersionsResult> {
  const location = registryLocation(ws);
  if (!isPostgresUrl(location) && !existsSync(location) && !readPending(ws)) {
    // Nothing published yet: say so without creating an empty database file by looking.
    const pub = await inspectPublic(ws);
    return { registry: location, active: undefined, versions: [], events: [], public: { version: pub.version, problems: pub.problems } };
  }
  return readRegistry(ws, async ({ store, recovered }) => {
    const active = await store.active();
    const rows = await store.list();
    const pub = await inspectPublic(ws);
    const problems = [...pub.problems];
    const pending = savedVsLive(ws);
    if (active !== undefined && pub.version !== active) problems.push(`public/models serves ${pub.version ?? 'nothing'} but the registry's active version is ${active}`);
    return {
      registry: store.location,
      active,
      versions: rows.map((r) => ({ ...r, active: r.version === active })),
      events: await store.events(),
      public: { version: pub.version, problems },
      ...(pending ? { savedNotLive: pending } : {}),
      ...(recovered ? { recovered } : {}),
    };
  }, opts.signal ? { signal: opts.signal } : {});
}

export const versionsStep: Step<Record<string, never>, VersionsResult> = {
  name: 'versions',
  title: 'Versions',
  run(_input, ctx) {
    return streamEvents(async (emit) => {
      const r = await listVersions(ctx.workspace, { signal: ctx.signal });
      if (r.recovered) emit({ type: 'warning', code: 'registry.recovered', message: r.recovered });
      for (const p of r.public.problems) emit({ type: 'warning', code: 'registry.public_mismatch', message: p });
      return r;
    });
  },
};


/** The rows `edgewise versions` prints (fits 80 columns): marker, version, date, metrics, thresholds, run. */
export function versionsTable(r: VersionsResult): string {
  const head = ['', 'version', 'published', 'top1', 'top3', 'ece', 'tau', 'margin', 'cover', 'run'];
  const body = r.versions.map((v) => [
    v.active ? '*' : '',
    v.version + (v.unevaluated ? '!' : ''),
    v.created_at ? v.created_at.slice(0, 16).replace('T', ' ') : NO_VALUE,
    decimal(v.metrics?.top1), decimal(v.metrics?.top3), decimal(v.metrics?.ece),
    decimal(v.thresholds?.tau), decimal(v.thresholds?.margin), decimal(v.metrics?.coverage),
    v.source_run ?? NO_VALUE,
  ]);
  const rows = [head, ...body];
  const widths = head.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const lines = rows.map((row) => row.map((c, i) => (i >= 3 && i <= 8 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
  const notes = [`registry: ${r.registry}`, r.active ? `* active: ${r.active}` : 'no active version'];
  if (r.versions.some((v) => v.unevaluated)) notes.push('! published with --force-unevaluated');
  if (r.versions.length === 0) return `No versions published yet (registry: ${r.registry}). Run \`edgewise publish\`.`;
  const pending = r.savedNotLive ? [`! ${describeSavedVsLive(r.savedNotLive)}: edgewise publish --model ${r.savedNotLive.run}`] : [];
  return [...lines, '', notes.join('  ·  '), ...pending].join('\n');
}
