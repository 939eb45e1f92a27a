import type { Step } from '../core/step.js';
import type { Workspace } from '../core/workspace.js';
import { publishedMetrics, publishedTemperature, readPublishInputs } from './inputs.js';
import { sameContent } from './publish.js';
import { readRegistry } from './session.js';
import { nextVersionAfter } from './store.js';
import { streamEvents } from './stream.js';
import type { PublishedMetrics } from './types.js';

/** One side of the publish screen's comparison. */
export interface PlanSide {
  version: string;
  run: string | null;
  metrics: Partial<PublishedMetrics>;
  tau: number | null;
  margin: number | null;
  temperature: number | null;
  labels: number | null;
}

/** What `publish` would do, without doing it: the screen shows this before asking to confirm. */
export interface PublishPlan {
  run: string;
  evaluated: boolean;
  /** The version it would get, or the version that already has exactly this content. */
  version: string;
  alreadyPublishedAs?: string;
  current: PlanSide | null;
  next: PlanSide;
  labelsChanged: boolean;
}

export async function planPublish(ws: Workspace, opts: { model?: string; forceUnevaluated?: boolean; signal?: AbortSignal } = {}): Promise<PublishPlan> {
  const inp = await readPublishInputs(ws, { ...(opts.model !== undefined ? { model: opts.model } : {}), forceUnevaluated: Boolean(opts.forceUnevaluated) });
  return readRegistry(ws, async ({ store }) => {
    const rows = await store.list();
    const activeVersion = await store.active();
    const active = rows.find((r) => r.version === activeVersion);
    const same = rows.find((r) => sameContent(r, inp));
    const version = same?.version ?? nextVersionAfter(rows.map((r) => r.version));
    const current: PlanSide | null = active
      ? {
          version: active.version,
          run: active.source_run,
          metrics: (active.metrics ?? {}) as Partial<PublishedMetrics>,
          tau: active.thresholds?.tau ?? null,
          margin: active.thresholds?.margin ?? null,
          temperature: active.thresholds?.temperature ?? null,
          labels: null,
        }
      : null;
    return {
      run: inp.run,
      evaluated: inp.evaluated,
      version,
      ...(same ? { alreadyPublishedAs: same.version } : {}),
      current,
      next: {
        version, run: inp.run, metrics: publishedMetrics(inp),
        tau: inp.thresholds?.tau ?? 0, margin: inp.thresholds?.margin ?? 0, temperature: publishedTemperature(inp), labels: inp.labels.length,
      },
      labelsChanged: active !== undefined && active.labels_sha256 !== inp.labelsSha256,
    };
  }, opts.signal ? { signal: opts.signal } : {});
}

export const publishPlanStep: Step<{ model?: string; forceUnevaluated?: boolean }, PublishPlan> = {
  name: 'publish-plan',
  title: 'What publishing would change',
  run(input, ctx) {
    return streamEvents(async () => planPublish(ctx.workspace, { ...input, signal: ctx.signal }));
  },
};
