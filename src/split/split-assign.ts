import { sha256 } from '../core/hash.js';
import { InputError } from '../core/errors.js';

/**
 * The split assignment itself: pure, no I/O. Rules, in order of precedence:
 *  1. a split the user gave in the manifest is kept (a group spanning several is reported as a leak);
 *  2. an image that was already assigned (previous splits.csv, same settings) keeps its split, so adding
 *     images never moves existing ones; a group takes the split most of its old members had;
 *  3. every other group is placed whole, per class, biggest first: it goes to the split its hash prefers
 *     unless that would take the class past its (rounded) target there, in which case it goes where the
 *     class is furthest below target; then a split the class still has no image in takes the smallest
 *     group just placed from a split holding several (the per-class minimum, reported).
 * The hash of (seed, group id) decides both the preference and the order, never a shuffle of the list,
 * so the result is a function of the set of groups and the seed.
 */
export type SplitName = 'train' | 'validation' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'validation', 'test'];

export interface SplitRatios {
  train: number;
  validation: number;
  test: number;
}

export interface SplitItem {
  image: string;
  label: string;
  /** Images sharing a group (duplicate cluster) must land in the same split. */
  group: string;
  /** The split column of the user's manifest, when it had one for this row. */
  fixed?: SplitName;
}

export interface AssignOptions {
  ratios: SplitRatios;
  seed: string;
  /** image → split from the previous run; pass only when made with the same settings. */
  previous?: ReadonlyMap<string, SplitName>;
}

export interface LeakReport {
  group: string;
  /** image count per split for this group. */
  splits: Partial<Record<SplitName, number>>;
  images: string[];
}

export interface MinimumAssignment {
  label: string;
  split: SplitName;
  group: string;
  images: number;
}

export interface AssignResult {
  /** Aligned with the input items. */
  splits: SplitName[];
  /** Groups whose user-given splits differ (kept as given). */
  leaks: LeakReport[];
  /** Groups placed to give a class its first validation/test/train image. */
  minimums: MinimumAssignment[];
  /** Classes left without an image in some split (only possible when the user or previous run fixed it). */
  missing: Array<{ label: string; split: SplitName }>;
  /** How many images got their split from each source. */
  sources: { manifest: number; previous: number; assigned: number };
}

interface Group {
  id: string;
  members: number[];
  label: string;
  /** Preference point in [0,1) and processing order, both from the hash of (seed, group). */
  u: number;
  order: string;
  split?: SplitName;
  source?: 'manifest' | 'previous';
}

/** Two independent uniform values from one hash of (seed, group). */
export function groupHash(seed: string, group: string): { u: number; order: string } {
  const h = sha256(`${seed}\u0000${group}`);
  return { u: parseInt(h.slice(0, 13), 16) / 2 ** 52, order: h.slice(13, 29) };
}

/** The split a hash point prefers: cumulative ratios over the splits in train, validation, test order. */
export function preferredSplit(u: number, ratios: SplitRatios): SplitName {
  const total = ratios.train + ratios.validation + ratios.test;
  let acc = 0;
  let last: SplitName = 'train';
  for (const s of SPLITS) {
    if (ratios[s] <= 0) continue;
    last = s;
    acc += ratios[s] / total;
    if (u < acc) return s;
  }
  return last;
}

/** The most frequent key; ties go to the first in `order`. */
function majority<K extends string>(counts: Map<K, number>, order: readonly K[]): K | undefined {
  let best: K | undefined;
  let bestN = 0;
  for (const k of order) {
    const n = counts.get(k) ?? 0;
    if (n > bestN) {
      best = k;
      bestN = n;
    }
  }
  return best;
}

function countBy<K>(keys: Iterable<K>): Map<K, number> {
  const m = new Map<K, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

export function assignSplits(items: readonly SplitItem[], opts: AssignOptions): AssignResult {
  const { ratios, seed, previous } = opts;
  const active = SPLITS.filter((s) => ratios[s] > 0);
  if (active.length === 0) throw new InputError('All split ratios are 0.', { code: 'split.ratios', hint: 'Give train a ratio above 0, e.g. --train 0.8 --validation 0.1 --test 0.1.' });

  const groups = new Map<string, Group>();
  items.forEach((it, i) => {
    let g = groups.get(it.group);
    if (!g) {
      g = { id: it.group, members: [], label: '', ...groupHash(seed, it.group) };
      groups.set(it.group, g);
    }
    g.members.push(i);
  });

  const result: AssignResult = { splits: new Array<SplitName>(items.length), leaks: [], minimums: [], missing: [], sources: { manifest: 0, previous: 0, assigned: 0 } };

  for (const g of groups.values()) {
    const labels = countBy(g.members.map((i) => items[i]!.label));
    g.label = majority(labels, [...labels.keys()].sort()) ?? '';
    const userSplits = countBy(g.members.flatMap((i) => (items[i]!.fixed ? [items[i]!.fixed!] : [])));
    if (userSplits.size > 0) {
      g.split = majority(userSplits, SPLITS)!;
      g.source = 'manifest';
      if (userSplits.size > 1) {
        result.leaks.push({
          group: g.id,
          splits: Object.fromEntries(userSplits) as LeakReport['splits'],
          images: g.members.map((i) => items[i]!.image),
        });
      }
      continue;
    }
    if (previous) {
      const before = countBy(g.members.flatMap((i) => {
        const s = previous.get(items[i]!.image);
        return s && ratios[s] > 0 ? [s] : [];
      }));
      const s = majority(before, SPLITS);
      if (s) {
        g.split = s;
        g.source = 'previous';
      }
    }
  }

  // Per class: counts of the groups already placed, then place the free ones.
  const byClass = new Map<string, Group[]>();
  for (const g of groups.values()) {
    const list = byClass.get(g.label) ?? [];
    list.push(g);
    byClass.set(g.label, list);
  }
  for (const [label, list] of [...byClass.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    placeClass(label, list, active, ratios, result);
  }

  items.forEach((it, i) => {
    const g = groups.get(it.group)!;
    result.splits[i] = it.fixed ?? g.split!;
    const src = it.fixed ? 'manifest' : g.source === 'manifest' ? 'manifest' : g.source === 'previous' ? 'previous' : 'assigned';
    result.sources[src]++;
  });
  return result;
}

function placeClass(label: string, list: Group[], active: readonly SplitName[], ratios: SplitRatios, result: AssignResult): void {
  const total = list.reduce((n, g) => n + g.members.length, 0);
  const ratioSum = active.reduce((n, s) => n + ratios[s], 0);
  const count: Record<SplitName, number> = { train: 0, validation: 0, test: 0 };
  for (const g of list) if (g.split) count[g.split] += g.members.length;
  const target = (s: SplitName): number => (ratios[s] / ratioSum) * total;

  // Deterministic order: by hash, so the same set of groups always gives the same placement.
  const free = list.filter((g) => !g.split).sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  const place = (g: Group, s: SplitName): void => {
    g.split = s;
    count[s] += g.members.length;
  };

  if (list.length < active.length && free.length === list.length) {
    const images = total === 1 ? '1 image' : `${total} images`;
    throw new InputError(
      `Class "${label}" has ${list.length === 1 ? 'only 1 group' : `only ${list.length} groups`} of distinct images (${images}); it needs at least ${active.length} to put one in each of ${active.join(', ')}.`,
      {
        code: 'split.class_too_small',
        item: label,
        hint: `Add more distinct images of "${label}", remove the class from the manifest, or set the ratio of a held-out split to 0 (e.g. --test 0).`,
      },
    );
  }

  // Big groups first so a late large cluster cannot overshoot a small split; then hash order.
  free.sort((a, b) => b.members.length - a.members.length || (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  for (const g of free) {
    const size = g.members.length;
    const pref = preferredSplit(g.u, ratios);
    if (count[pref] + size <= Math.round(target(pref))) {
      place(g, pref);
      continue;
    }
    let best = active[0]!;
    for (const s of active) if (target(s) - count[s] > target(best) - count[best]) best = s;
    place(g, best);
  }

  // Minimum: a split the class has no image in takes the smallest group placed in this run from a split
  // that has more than one group (held-out splits first). Only happens for small classes.
  for (const s of [...active].reverse()) {
    if (count[s] > 0) continue;
    const groupsIn = (x: SplitName): number => list.filter((g) => g.split === x).length;
    let donor: Group | undefined;
    for (const g of free) {
      if (g.split === s || groupsIn(g.split!) < 2) continue;
      const better =
        !donor ||
        g.members.length < donor.members.length ||
        (g.members.length === donor.members.length && count[g.split!] - target(g.split!) > count[donor.split!] - target(donor.split!));
      if (better) donor = g;
    }
    if (!donor) continue;
    count[donor.split!] -= donor.members.length;
    place(donor, s);
    result.minimums.push({ label, split: s, group: donor.id, images: donor.members.length });
  }

  for (const s of active) if (count[s] === 0) result.missing.push({ label, split: s });
}
