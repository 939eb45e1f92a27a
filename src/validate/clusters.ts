import { sha256 } from '../core/hash.js';
import { NearDupIndex } from './neardup-index.js';
import { hammingHex, hexToHalves } from '../images/perceptual-hash.js';
import { isSamePhoto, type Fingerprint, type MatchRule } from '../images/thumb-match.js';

/** One image that passed every error check, ready for duplicate detection. */
export interface DedupeItem {
  image: string;
  label: string;
  sha256: string;
  phash: string;
  dhash: string;
  line: number;
  pixels: number;
  bytes: number;
  /** The manifest's split cell (normalised: training | validation | test), when there is one. */
  split?: string;
  /** The fingerprint thumbnail (thumb-match.ts) that confirms candidates the hashes alone do not. */
  fingerprint?: Fingerprint;
}

export interface ClusterMember {
  image: string;
  label: string;
  sha256: string;
  /** pHash Hamming distance to the kept image (0 for byte-identical copies). */
  distance: number;
  /** After overrides: is this member in the cleaned manifest? */
  kept: boolean;
  /**
   * The hashes alone do not join this member to the kept image: it is here because a thumbnail lined up
   * with a crop (or a small turn) of another member's (thumb-match.ts). Absent otherwise.
   */
  recrop?: true;
}

export interface Cluster {
  /** Stable across runs: derived from the member paths. */
  id: string;
  kind: 'exact' | 'near';
  members: ClusterMember[];
  /** The image kept (the rule's choice, or the first kept after overrides; null when all are dropped). */
  keep: string | null;
  labelConflict: boolean;
  /** Members sit in different splits of the manifest's split column. */
  splitLeak: boolean;
}

export type Override = 'keep' | 'drop';

export interface ClusterOptions {
  nearRadius: number;
  nearDhashRadius: number;
  /**
   * Looser radii (pHash, dHash) for "similar" images: not dropped, but kept in one split (group) so bursts
   * of near-identical shots cannot leak between train and test. 0 turns it off.
   */
  similarRadius?: number;
  similarDhashRadius?: number;
  /** Per image path: keep or drop, overriding the rule. */
  overrides?: Record<string, Override>;
  /**
   * Pairs within this pHash radius that miss the hash rule are duplicates when their fingerprints line up
   * (thumb-match.ts): re-crops, whose dHash moves with the frame. Off unless given (NEAR_CONFIRM).
   */
  confirm?: ({ radius: number } & MatchRule) | false;
  onIndexProgress?: (done: number, total: number) => void;
}

/**
 * Re-crops caught by the thumbnail comparison: candidates up to pHash 12 (the index's widest radius),
 * confirmed by thumb-match.ts's rule. Measured by bench/neardup-recrop.ts (docs/notes/hashing.md).
 */
export const NEAR_CONFIRM = { radius: 12, minLayout: 0.85, minDetail: 0.65, maxToneShift: 4, maxShading: 8 } as const;

export class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    while (this.parent[i] !== i) {
      this.parent[i] = this.parent[this.parent[i]!]!;
      i = this.parent[i]!;
    }
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/**
 * The majority label of a cluster; a tie goes to the label seen first in the manifest.
 */
function majorityLabel(items: DedupeItem[]): string {
  const count = new Map<string, { n: number; firstLine: number }>();
  for (const it of items) {
    const c = count.get(it.label);
    if (c) c.n++;
    else count.set(it.label, { n: 1, firstLine: it.line });
  }
  return [...count.entries()].sort((a, b) => b[1].n - a[1].n || a[1].firstLine - b[1].firstLine)[0]![0];
}

/**
 * THE KEEP RULE (deterministic, documented in the report): among a cluster's members, keep the first by
 *   1. carrying the cluster's majority label (ties: the label that appears first in the manifest),
 *   2. more pixels (the least downscaled copy),
 *   3. more bytes (the least compressed copy),
 *   4. earlier manifest line.
 * Every other member is dropped from the cleaned manifest; no file is ever touched.
 */
export const KEEP_RULE =
  'keep the member with the cluster\'s majority label (tie: label first seen in the manifest), then most pixels, then most bytes, then earliest manifest line';

export function chooseKeep(items: DedupeItem[]): DedupeItem {
  const major = majorityLabel(items);
  return [...items].sort(
    (a, b) =>
      Number(b.label === major) - Number(a.label === major) || b.pixels - a.pixels || b.bytes - a.bytes || a.line - b.line,
  )[0]!;
}

/**
 * Exact groups by SHA-256, near-duplicate pairs from the index over one representative per exact group
 * (pHash within nearRadius and dHash within nearDhashRadius), clusters as connected components.
 */
export interface ClusterResult {
  clusters: Cluster[];
  /** Similar-image groups of two or more images (only with similarRadius > 0): images that must share a split. */
  groups: Array<{ id: string; members: string[] }>;
}

export function findClusters(items: DedupeItem[], opts: ClusterOptions): Cluster[] {
  return findClustersAndGroups(items, opts).clusters;
}

export function findClustersAndGroups(items: DedupeItem[], opts: ClusterOptions): ClusterResult {
  const steps = clusterSteps(items, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    opts.onIndexProgress?.(r.value, items.length);
  }
}

/**
 * findClustersAndGroups in steps: yields the index search's progress (images, of the distinct ones) as it
 * goes, so validate can report it live; returns the clusters. The re-crop comparisons run here, one after
 * the other (validate runs them on worker threads instead: indexSteps, then finishClusters).
 */
export function* clusterSteps(items: DedupeItem[], opts: ClusterOptions): Generator<number, ClusterResult> {
  const graph = yield* indexSteps(items, opts);
  const confirm = opts.confirm || undefined;
  const confirmed = graph.candidates.map(([ia, ib]) => lineUp(items[ia]!, items[ib]!, confirm!));
  return finishClusters(graph, confirmed, opts);
}

/** Same photo by the thumbnails (thumb-match.ts); false when either has no fingerprint. */
export function lineUp(a: DedupeItem, b: DedupeItem, rule: MatchRule): boolean {
  if (!a.fingerprint || !b.fingerprint) return false;
  return isSamePhoto(a.fingerprint, b.fingerprint, rule);
}

/**
 * What the index search found, before the re-crop comparisons: the components the hashes make, and the
 * candidate pairs (item indices, in the search's order) whose thumbnails must be compared.
 */
export interface PairGraph {
  items: DedupeItem[];
  uf: UnionFind;
  hashUf: UnionFind;
  groupUf: UnionFind | undefined;
  /** [a, b, similar]: similar = the pair is within the similar radii (joins a group when not confirmed). */
  candidates: Array<[number, number, boolean]>;
}

/**
 * The index search with the hash rule applied, collecting the re-crop candidates instead of comparing them.
 * The result does not depend on when, or in which order, the comparisons finish: a component is the same
 * set of images whatever order its joins come in, so finishClusters gives the same clusters, marks and groups
 * as comparing each candidate the moment the search met it. A candidate whose images the hashes join
 * anyway (then or later in the search) is not compared: its join would change nothing.
 */
export function* indexSteps(items: DedupeItem[], opts: ClusterOptions): Generator<number, PairGraph> {
  const bySha = new Map<string, number[]>();
  items.forEach((it, i) => {
    const g = bySha.get(it.sha256);
    if (g) g.push(i);
    else bySha.set(it.sha256, [i]);
  });
  const reps = [...bySha.values()].map((g) => g[0]!);
  const hi = new Uint32Array(reps.length);
  const lo = new Uint32Array(reps.length);
  reps.forEach((r, k) => {
    const [h, l] = hexToHalves(items[r]!.phash);
    hi[k] = h;
    lo[k] = l;
  });
  const uf = new UnionFind(items.length);
  for (const g of bySha.values()) for (const i of g) uf.union(g[0]!, i);
  // The same components from the hashes alone: a member outside its keeper's is a re-crop the thumbnails found.
  const hashUf = new UnionFind(items.length);
  for (const g of bySha.values()) for (const i of g) hashUf.union(g[0]!, i);
  const similar = opts.similarRadius ?? 0;
  const similarDhash = opts.similarDhashRadius ?? 64;
  const confirm = opts.confirm || undefined;
  const groupUf = similar > 0 ? new UnionFind(items.length) : undefined;
  if (groupUf) for (const g of bySha.values()) for (const i of g) groupUf.union(g[0]!, i);
  const index = new NearDupIndex(hi, lo);
  const found: Array<[number, number, boolean]> = [];
  yield* index.pairSteps(Math.max(opts.nearRadius, similar, confirm?.radius ?? 0), (a, b, d) => {
    const ia = reps[a]!;
    const ib = reps[b]!;
    const dd = hammingHex(items[ia]!.dhash, items[ib]!.dhash);
    const isSimilar = d <= similar && dd <= similarDhash;
    if (d <= opts.nearRadius && dd <= opts.nearDhashRadius) {
      hashUf.union(ia, ib);
      uf.union(ia, ib);
      groupUf?.union(ia, ib);
    } else if (confirm && d <= confirm.radius && uf.find(ia) !== uf.find(ib)) found.push([ia, ib, isSimilar]);
    else if (groupUf && isSimilar) groupUf.union(ia, ib);
  });
  // Joined by hashes met later in the search: nothing to compare.
  const candidates = found.filter(([ia, ib, isSimilar]) => {
    if (uf.find(ia) !== uf.find(ib)) return true;
    if (groupUf && isSimilar) groupUf.union(ia, ib);
    return false;
  });
  return { items, uf, hashUf, groupUf, candidates };
}

/** The clusters and groups once each candidate's comparison is known (`confirmed[k]` for candidates[k]). */
export function finishClusters(graph: PairGraph, confirmed: readonly boolean[], opts: ClusterOptions): ClusterResult {
  const { items, uf, hashUf, groupUf } = graph;
  // In the search's order, whatever order the comparisons finished in.
  graph.candidates.forEach(([ia, ib, isSimilar], k) => {
    if (confirmed[k]) {
      uf.union(ia, ib);
      groupUf?.union(ia, ib);
    } else if (groupUf && isSimilar) groupUf.union(ia, ib);
  });
  const comps = new Map<number, number[]>();
  items.forEach((_it, i) => {
    const r = uf.find(i);
    const c = comps.get(r);
    if (c) c.push(i);
    else comps.set(r, [i]);
  });
  const clusters: Cluster[] = [];
  for (const idx of comps.values()) {
    if (idx.length < 2) continue;
    const members = idx.map((i) => items[i]!).sort((a, b) => a.line - b.line);
    const rootOf = new Map(idx.map((i) => [items[i]!, hashUf.find(i)]));
    const ruleKeep = chooseKeep(members);
    const kept = members.filter((m) => (opts.overrides?.[m.image] ?? (m === ruleKeep ? 'keep' : 'drop')) === 'keep');
    const anchor = kept[0] ?? ruleKeep;
    const splits = new Set(members.map((m) => m.split ?? '').filter((s) => s !== ''));
    clusters.push({
      id: 'dup-' + sha256(members.map((m) => m.image).sort().join('\n')).slice(0, 12),
      kind: new Set(members.map((m) => m.sha256)).size === 1 ? 'exact' : 'near',
      members: members.map((m) => ({
        image: m.image,
        label: m.label,
        sha256: m.sha256,
        distance: m.sha256 === anchor.sha256 ? 0 : hammingHex(m.phash, anchor.phash),
        kept: kept.includes(m),
        ...(rootOf.get(m) !== rootOf.get(anchor) ? { recrop: true as const } : {}),
      })),
      keep: kept[0]?.image ?? null,
      labelConflict: new Set(members.map((m) => m.label)).size > 1,
      splitLeak: splits.size > 1,
    });
  }
  clusters.sort((a, b) => (a.members[0]!.image < b.members[0]!.image ? -1 : 1));
  const groups: ClusterResult['groups'] = [];
  if (groupUf) {
    const byRoot = new Map<number, string[]>();
    items.forEach((it, i) => {
      const r = groupUf.find(i);
      const g = byRoot.get(r);
      if (g) g.push(it.image);
      else byRoot.set(r, [it.image]);
    });
    for (const members of byRoot.values()) {
      // A group that is exactly one duplicate cluster adds nothing.
      if (members.length < 2 || clusters.some((c) => c.members.length === members.length && members.every((m) => c.members.some((x) => x.image === m)))) continue;
      members.sort();
      groups.push({ id: 'sim-' + sha256(members.join('\n')).slice(0, 12), members });
    }
    groups.sort((a, b) => (a.members[0]! < b.members[0]! ? -1 : 1));
  }
  return { clusters, groups };
}
