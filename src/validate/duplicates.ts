import { throwIfCancelled } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import { ProgressTracker } from '../core/progress.js';
import type { ValidateSettings } from '../config/schema.js';
import { createPairMatcher, type PairMatcher } from '../images/measure-pool.js';
import { decodeFingerprint } from '../images/thumb-match.js';
import { normaliseManifestPath } from '../manifest/image-paths.js';
import { finishClusters, indexSteps, NEAR_CONFIRM, type Cluster, type ClusterOptions, type ClusterResult, type DedupeItem, type Override } from './clusters.js';
import type { Findings, SeverityFinding } from './findings.js';
import type { LabelMapping } from './label-mapping.js';
import type { Scanned } from './scan-files.js';

/** Overrides keyed by canonical manifest path (config validate.overrides, then the run's own). */
export function normaliseOverrides(...sources: Array<Record<string, Override> | undefined>): Record<string, Override> {
  const overrides: Record<string, Override> = {};
  for (const [k, v] of Object.entries(Object.assign({}, ...sources) as Record<string, Override>)) {
    const n = normaliseManifestPath(k);
    overrides['path' in n ? n.path : k] = v;
  }
  return overrides;
}

/** The index phase: near duplicates among the images that were hashed and have no error. */
export async function* findDuplicates(scanned: readonly Scanned[], labels: LabelMapping, settings: ValidateSettings, overrides: Record<string, Override>, signal?: AbortSignal): AsyncGenerator<StepEvent, ClusterResult> {
  const items = scanned.filter((s) => s.abs && s.measure?.hashes && !s.findings.some((f) => f.severity === 'error')).map((s) => dedupeItem(s, labels));
  const opts: ClusterOptions = {
    nearRadius: settings.nearRadius,
    nearDhashRadius: settings.nearDhashRadius,
    confirm: settings.confirmRecrops ? NEAR_CONFIRM : false,
    similarRadius: settings.similarRadius,
    similarDhashRadius: settings.similarDhashRadius,
    overrides,
  };
  const result = yield* indexNearDuplicates(items, opts, new ProgressTracker('index', items.length, 'images'), signal);
  throwIfCancelled(signal);
  return result;
}

function dedupeItem(s: Scanned, labels: LabelMapping): DedupeItem {
  const m = s.measure!;
  const split = normaliseSplit(s.row.split);
  return {
    image: s.row.image,
    label: labels.of(s.row.label),
    sha256: m.sha256!,
    phash: m.hashes!.phash,
    dhash: m.hashes!.dhash,
    line: s.row.line,
    pixels: (m.width ?? 0) * (m.height ?? 0),
    bytes: m.bytes,
    ...(split ? { split } : {}),
    ...(m.fingerprint ? { fingerprint: decodeFingerprint(m.fingerprint) } : {}),
  };
}

/** The manifest's split column as one of three names (for the leak check): train*, val/valid/validation, else test. */
function normaliseSplit(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (s === '') return undefined;
  if (s.startsWith('train')) return 'training';
  if (s === 'val' || s === 'valid' || s === 'validation') return 'validation';
  return 'test';
}

/**
 * Near-duplicate pairs and clusters, reporting progress while the search runs. Between steps the event loop
 * gets a turn every 50 ms (a screen draws the bar, Ctrl-C lands) instead of the whole phase's progress
 * arriving at once when it ends. Then the re-crop candidates are compared on the measuring threads
 * (measure-pool.ts; progress in pairs), and the clusters built from their decisions: the same clusters as
 * comparing them one by one (clusters.ts: indexSteps), whatever order the threads finish in.
 */
export async function* indexNearDuplicates(
  items: DedupeItem[],
  opts: ClusterOptions,
  tracker: ProgressTracker,
  signal?: AbortSignal,
  matcherFor: (pairs: number) => PairMatcher = createPairMatcher,
): AsyncGenerator<StepEvent, ClusterResult> {
  const steps = indexSteps(items, opts);
  let lastTurn = performance.now();
  let reported = -1;
  let next = steps.next();
  while (!next.done) {
    const ev = tracker.update(Math.min(next.value, items.length));
    if (ev) {
      reported = ev.done;
      yield ev;
    }
    if (performance.now() - lastTurn > 50) {
      await new Promise((r) => setImmediate(r));
      throwIfCancelled(signal);
      lastTurn = performance.now();
    }
    next = steps.next();
  }
  if (reported < items.length) yield tracker.event(items.length);
  const graph = next.value;
  const confirmed = graph.candidates.map(() => false);
  // Pairs where either image has no fingerprint (an old cache entry) are not compared: the hashes decide.
  const compared = graph.candidates.flatMap(([ia, ib], k) => (items[ia]!.fingerprint && items[ib]!.fingerprint ? [k] : []));
  if (opts.confirm && compared.length > 0) {
    // Pairs of item indices; the matcher sends each batch only the fingerprints its pairs use.
    const fps = items.map((it) => it.fingerprint);
    const pairs = compared.map((k) => [graph.candidates[k]![0], graph.candidates[k]![1]] as const);
    const pairTracker = new ProgressTracker(tracker.phase, pairs.length, 'pairs');
    const matcher = matcherFor(pairs.length);
    let done = 0;
    try {
      yield pairTracker.event(0);
      for await (const { index, same } of matcher.matchAll(fps, pairs, opts.confirm, signal)) {
        confirmed[compared[index]!] = same;
        const ev = pairTracker.update(++done);
        if (ev) yield ev;
      }
    } finally {
      await matcher.close();
    }
    throwIfCancelled(signal);
    if (matcher.fallback) yield { type: 'warning', code: 'validate.threads', message: `The comparing threads failed (${matcher.fallback}); the rest was compared on one thread, more slowly.` };
  }
  return finishClusters(graph, confirmed, opts);
}

/** What the clusters decide: who is dropped, and each image's split group when it has one. */
export interface DuplicateDecision {
  dropped: Set<string>;
  /** Image -> similar group id, else duplicate cluster id (images without one group by their SHA-256). */
  groupOf: Map<string, string>;
}

/**
 * The clusters as findings (unused overrides, dropped copies, label conflicts, split leaks, in that order per
 * cluster) and counters, and the decision they stand for.
 */
export function judgeDuplicates({ clusters, groups }: ClusterResult, overrides: Record<string, Override>, lineOf: ReadonlyMap<string, number>, findings: Findings): DuplicateDecision {
  findings.record(unusedOverrides(overrides, clusters));
  const groupOf = new Map<string, string>();
  const dropped = new Set<string>();
  for (const c of clusters) {
    for (const m of c.members) {
      groupOf.set(m.image, c.id);
      if (!m.kept) dropped.add(m.image);
    }
    const copies = droppedCopies(c, lineOf);
    findings.duplicates += copies.length;
    findings.record(copies);
    if (c.labelConflict) {
      findings.conflicts++;
      findings.record(labelConflicts(c, lineOf));
    }
    if (c.splitLeak) findings.record([splitLeak(c)]);
  }
  // Similar groups take precedence: they contain whole duplicate clusters.
  for (const g of groups) for (const m of g.members) groupOf.set(m, g.id);
  return { dropped, groupOf };
}

function unusedOverrides(overrides: Record<string, Override>, clusters: readonly Cluster[]): SeverityFinding[] {
  const inCluster = new Set(clusters.flatMap((c) => c.members.map((m) => m.image)));
  return Object.entries(overrides)
    .filter(([image]) => !inCluster.has(image))
    .map(([image, choice]) => ({
      severity: 'warning',
      code: 'override.unused',
      item: image,
      message: `the override "${choice}" names an image that is in no duplicate cluster; it has no effect`,
      hint: 'Check the path (relative to the images folder) or remove the override.',
    }));
}

/** One warning per member not kept, saying whose copy it is. */
function droppedCopies(c: Cluster, lineOf: ReadonlyMap<string, number>): SeverityFinding[] {
  const keep = c.members.find((m) => m.image === c.keep);
  return c.members
    .filter((m) => !m.kept)
    .map((m) => {
      const same = keep && m.sha256 === keep.sha256;
      const why = !keep
        ? `in duplicate cluster ${c.id}, dropped by an override along with every other member`
        : same
          ? `byte-identical to "${keep.image}"; dropped from the cleaned manifest (cluster ${c.id})`
          : m.recrop
            ? `near duplicate of "${keep.image}" (pHash distance ${m.distance}), confirmed as a re-crop: its thumbnail lines up with a crop, resize or small turn of the other's (validate.confirmRecrops); dropped from the cleaned manifest (cluster ${c.id})`
            : `near duplicate of "${keep.image}" (pHash distance ${m.distance}); dropped from the cleaned manifest (cluster ${c.id})`;
      return {
        severity: 'warning',
        code: c.kind === 'exact' || same ? 'duplicate.exact' : 'duplicate.near',
        item: m.image,
        line: lineOf.get(m.image)!,
        message: why,
        hint: 'Nothing to do unless the wrong copy was kept: choose another in the wizard\'s review list.',
      };
    });
}

/** One error per member whose label differs from the kept copy's. */
function labelConflicts(c: Cluster, lineOf: ReadonlyMap<string, number>): SeverityFinding[] {
  const keep = c.members.find((m) => m.image === c.keep);
  const ref = keep ?? c.members[0]!;
  return c.members
    .filter((m) => m.label !== keep?.label)
    .map((m) => {
      // Byte-identical only when the bytes are: a resized or re-encoded copy can have pHash distance 0.
      const how = m.sha256 === ref.sha256 ? 'byte-identical' : `nearly identical (pHash distance ${m.distance}${m.recrop ? ', a re-crop' : ''})`;
      return {
        severity: 'error',
        code: 'duplicate.label_conflict',
        item: m.image,
        line: lineOf.get(m.image)!,
        message: `labelled "${m.label}" but ${how} to "${ref.image}" labelled "${keep?.label ?? ref.label}" (cluster ${c.id})`,
        hint: 'Decide which label is right and fix the manifest; until then only the kept copy is trained on.',
      };
    });
}

function splitLeak(c: Cluster): SeverityFinding {
  return {
    severity: 'warning',
    code: 'split.leakage',
    item: c.keep ?? c.members[0]!.image,
    message: `duplicates in cluster ${c.id} sit in different splits of the manifest (${c.members.map((m) => m.image).join(', ')}); scores on the held-out split would be optimistic`,
    hint: 'Only the kept copy stays in the cleaned manifest; if you keep several, give them one split.',
  };
}
