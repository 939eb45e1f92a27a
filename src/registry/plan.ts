import type { Step } from '../core/step.js';
import { decimal, NO_VALUE } from '../core/text.js';
import type { Workspace } from '../core/workspace.js';
import { publishedMetrics, publishedTemperature, readPublishInputs } from './inputs.js';
import { sameContent } from './publish.js';
import { readRegistry } from './session.js';
import { nextVersionAfter } from './rows.js';
import { streamEvents } from '../core/event-queue.js';
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
  /** The model file that would ship, and every file of the run with its test scores (side by side). */
  variant: { name: string; file: string; quantization: string };
  variants: { name: string; file: string; quantization: string; input_dtype: string; size_bytes: number; top1: number; top3: number; ece: number; ms_per_image: number | null }[];
}

export async function planPublish(ws: Workspace, opts: { model?: string; forceUnevaluated?: boolean; variant?: string; signal?: AbortSignal } = {}): Promise<PublishPlan> {
  const inp = await readPublishInputs(ws, { ...(opts.model !== undefined ? { model: opts.model } : {}), ...(opts.variant !== undefined ? { variant: opts.variant } : {}), forceUnevaluated: Boolean(opts.forceUnevaluated) });
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
      variant: { name: inp.variant.name, file: inp.variant.file, quantization: inp.variant.quantization },
      variants: Array.isArray(inp.metrics?.variants) ? (inp.metrics.variants as PublishPlan['variants']) : [],
    };
  }, opts.signal ? { signal: opts.signal } : {});
}

export const publishPlanStep: Step<{ model?: string; forceUnevaluated?: boolean; variant?: string }, PublishPlan> = {
  name: 'publish-plan',
  title: 'What publishing would change',
  run(input, ctx) {
    return streamEvents(async () => planPublish(ctx.workspace, { ...input, signal: ctx.signal }));
  },
};

/** One row of the old-vs-new comparison both front ends show before publishing. */
export interface PlanRow {
  label: string;
  now: number | null | undefined;
  next: number | null | undefined;
  /** true: higher is better; false: lower is better; null: neither (thresholds). */
  higherIsBetter: boolean | null;
}

export function planRows(p: PublishPlan): PlanRow[] {
  const rows: Array<{ label: string; get(s: PlanSide): number | null | undefined; higherIsBetter: boolean | null }> = [
    { label: 'top-1', get: (s) => s.metrics.top1, higherIsBetter: true },
    { label: 'top-3', get: (s) => s.metrics.top3, higherIsBetter: true },
    { label: 'ECE', get: (s) => s.metrics.ece, higherIsBetter: false },
    { label: 'coverage', get: (s) => s.metrics.coverage, higherIsBetter: true },
    { label: 'selective acc.', get: (s) => s.metrics.selective_accuracy, higherIsBetter: true },
    { label: 'tau', get: (s) => s.tau, higherIsBetter: null },
    { label: 'margin', get: (s) => s.margin, higherIsBetter: null },
    { label: 'temperature', get: (s) => s.temperature, higherIsBetter: null },
  ];
  return rows.map((r) => ({ label: r.label, now: p.current ? r.get(p.current) : undefined, next: r.get(p.next), higherIsBetter: r.higherIsBetter }));
}


/** The change column: empty when equal (to 3 decimals) or not comparable. */
export function planDelta(r: PlanRow): string {
  if (typeof r.now !== 'number' || typeof r.next !== 'number' || Math.abs(r.next - r.now) < 5e-4) return '';
  const d = r.next - r.now;
  return `${d > 0 ? '+' : ''}${d.toFixed(3)}`;
}

/** What publishing would do, in words: a new version, the live one again, or nothing. */
export function planVerdict(p: PublishPlan): { kind: 'new' | 'reactivate' | 'nothing'; text: string } {
  if (p.alreadyPublishedAs !== undefined && p.current?.version === p.alreadyPublishedAs) {
    return { kind: 'nothing', text: `Run ${p.run} with these thresholds is already live as ${p.alreadyPublishedAs}: nothing to publish.` };
  }
  if (p.alreadyPublishedAs !== undefined) {
    return { kind: 'reactivate', text: `${p.alreadyPublishedAs} already holds exactly this (run ${p.run}, same thresholds): publishing makes ${p.alreadyPublishedAs} active again.` };
  }
  const same = p.current?.run === p.run ? ` (same model as ${p.current.version}, new thresholds)` : '';
  return { kind: 'new', text: `Publishing makes run ${p.run} the new ${p.version}${same} and the active version.` };
}

/** The comparison as plain text (the CLI prints it before asking). */
export function planTable(p: PublishPlan): string {
  const col = 12;
  const head = `${'metric'.padEnd(16)}${(p.current ? `now ${p.current.version}` : 'now: none').padEnd(col)}${(p.alreadyPublishedAs ?? `new ${p.version}`).padEnd(col)}change`;
  const lines = planRows(p).map((r) => `${r.label.padEnd(16)}${(p.current ? decimal(r.now) : NO_VALUE).padEnd(col)}${decimal(r.next).padEnd(col)}${planDelta(r)}`.trimEnd());
  return [head, ...lines].join('\n');
}
