import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic.js';
import { EdgewiseError, InputError, throwIfCancelled } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import { hashValue, sha256File } from '../core/hash.js';
import type { Step, StepContext } from '../core/step.js';
import { assignSplits, SPLITS, type LeakReport, type MinimumAssignment, type SplitItem, type SplitName } from './split-assign.js';
import { formatSplitsCsv, readCleanManifest, readSplitsCsv, type SplitRow } from './split-io.js';
import { resolveSplitSettings, type SplitOverrides, type SplitSettings } from './split-settings.js';
import { formatVertexCsv } from './vertex-csv.js';

export interface SplitInput extends SplitOverrides {
  /** Ignore the previous splits.csv and assign every image afresh from the seed. */
  fresh?: boolean;
  /** Compute and report, write nothing (the wizard's live preview). */
  dryRun?: boolean;
  /**
   * When the manifest's split column leaves a held-out split with a ratio above 0 empty (train/val only
   * but a test share asked): take it out of train, per class, duplicate clusters kept together.
   */
  carveFromTrain?: boolean;
}

export interface SplitClassRow {
  label: string;
  total: number;
  counts: Record<SplitName, number>;
  /** ratio × total, in images. */
  target: Record<SplitName, number>;
}

export interface SplitOutput {
  settings: SplitSettings;
  dryRun: boolean;
  images: number;
  groups: number;
  classes: SplitClassRow[];
  totals: Record<SplitName, number>;
  /** Largest |count − target| over classes and splits, in images. */
  maxDeviation: number;
  /** Groups that the manifest's own split column puts in more than one split (first 20 listed). */
  leaks: { groups: number; images: number; examples: LeakReport[] };
  minimums: MinimumAssignment[];
  missing: Array<{ label: string; split: SplitName }>;
  sources: { manifest: number; previous: number; assigned: number };
  /** Compared with the previous splits.csv (all zero when there was none). */
  changes: { previous: number; moved: number; added: number; removed: number; kept: boolean };
  /** Held-out splits taken out of the manifest's train images (--carve-from-train), and how many images. */
  carved?: { splits: SplitName[]; images: number };
  splitsCsv: string;
  vertexCsv?: string;
  vertexSkipped?: string;
}

const MAX_LEAK_WARNINGS = 20;

function settingsOf(input: SplitInput, ctx: StepContext): SplitSettings {
  const { fresh: _f, dryRun: _d, carveFromTrain: _c, ...over } = input;
  return resolveSplitSettings(ctx.config.split, over);
}

function sameSettings(a: unknown, b: SplitSettings): boolean {
  return hashValue(a) === hashValue(b);
}

export function deviationOf(classes: readonly SplitClassRow[]): number {
  let max = 0;
  for (const c of classes) for (const s of SPLITS) max = Math.max(max, Math.abs(c.counts[s] - c.target[s]));
  return Math.round(max * 100) / 100;
}

export const splitStep: Step<SplitInput, SplitOutput> = {
  name: 'split',
  title: 'Split into train / validation / test',

  async fingerprint(input, ctx) {
    if (input.dryRun) return undefined;
    const path = ctx.workspace.cleanManifest;
    return hashValue({
      manifest: existsSync(path) ? await sha256File(path) : 'missing',
      settings: settingsOf(input, ctx),
      fresh: Boolean(input.fresh),
      carve: Boolean(input.carveFromTrain),
      bucket: ctx.config.bucket ?? null,
      prefix: ctx.config.prefix,
    });
  },

  artifacts(output) {
    return [output.splitsCsv, ...(output.vertexCsv ? [output.vertexCsv] : [])];
  },

  writes: (input, ctx) => (input.dryRun ? [] : [ctx.workspace.stateDir, ctx.workspace.datasetDir]),

  async *run(input, ctx): AsyncGenerator<StepEvent, SplitOutput, void> {
    const ws = ctx.workspace;
    const settings = settingsOf(input, ctx);
    const manifest = await readCleanManifest(ws.cleanManifest);
    if (manifest.rows.length === 0) {
      // Nothing to split: a success here would leave train to discover it.
      throw new InputError(`${ws.rel(ws.cleanManifest)} lists no image: there is nothing to split.`, {
        code: 'split.no_images',
        item: ws.rel(ws.cleanManifest),
        hint: 'Run `edgewise validate` and fix what it rejected (its report lists every error), or add images to the manifest.',
      });
    }
    throwIfCancelled(ctx.signal);
    yield { type: 'progress', phase: 'read', done: manifest.rows.length, total: manifest.rows.length, unit: 'images' };

    // The previous run's splits: compared always, kept (sticky) unless --fresh or the settings changed.
    let previousRows: SplitRow[] | undefined;
    try {
      previousRows = await readSplitsCsv(ws.splitsCsv);
    } catch (e) {
      if (!input.fresh) throw e;
      yield { type: 'warning', code: 'split.previous_unreadable', message: `ignoring the unreadable previous ${ws.rel(ws.splitsCsv)}: ${(e as Error).message}` };
    }
    const prevRecord = ctx.journal.step('split')?.output as Partial<SplitOutput> | undefined;
    const settingsChanged = prevRecord?.settings !== undefined && !sameSettings(prevRecord.settings, settings);
    const keep = Boolean(previousRows) && !input.fresh && !settingsChanged;
    if (previousRows && !keep) {
      if (input.fresh) yield { type: 'log', message: 'assigning every image afresh (--fresh)' };
      else {
        const p = prevRecord!.settings!;
        yield {
          type: 'warning',
          code: 'split.reassigned',
          message: `split settings changed since the last run (was ${p.train}/${p.validation}/${p.test}, seed "${p.seed}"; now ${settings.train}/${settings.validation}/${settings.test}, seed "${settings.seed}"): every image is assigned afresh, so this test set is not comparable with earlier versions. To keep the previous split, pass its ratios (or set "split" in edgewise.json).`,
        };
      }
    }
    const previous = new Map(previousRows?.map((r) => [r.image, r.split]) ?? []);

    const res = assignSplits(manifest.rows, { ratios: settings, seed: settings.seed, ...(keep ? { previous } : {}) });
    throwIfCancelled(ctx.signal);
    const carved = yield* fillEmptySplits(manifest.rows, res.splits, settings, Boolean(input.carveFromTrain));

    const rows: SplitRow[] = manifest.rows.map((r, i) => ({ image: r.image, label: r.label, split: res.splits[i]!, cluster: r.group }));

    // Per-class counts by each image's own label.
    const byLabel = new Map<string, Record<SplitName, number>>();
    for (const r of rows) {
      const c = byLabel.get(r.label) ?? { train: 0, validation: 0, test: 0 };
      c[r.split]++;
      byLabel.set(r.label, c);
    }
    const classes: SplitClassRow[] = [...byLabel.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([label, counts]) => {
        const total = counts.train + counts.validation + counts.test;
        const target = { train: settings.train * total, validation: settings.validation * total, test: settings.test * total };
        return { label, total, counts, target };
      });
    const totals = { train: 0, validation: 0, test: 0 };
    for (const r of rows) totals[r.split]++;

    for (const leak of res.leaks.slice(0, MAX_LEAK_WARNINGS)) {
      const where = Object.entries(leak.splits).map(([s, n]) => `${n} in ${s}`).join(', ');
      yield {
        type: 'warning',
        code: 'split.leak',
        item: leak.images.slice(0, 3).join(', ') + (leak.images.length > 3 ? ', …' : ''),
        message: `near-identical images (cluster ${leak.group}) span splits in the manifest's split column (${where}); kept as given, but scores on the held-out split will be optimistic. Put them in one split or empty their split cells.`,
      };
    }
    if (res.leaks.length > MAX_LEAK_WARNINGS) {
      yield { type: 'warning', code: 'split.leak', message: `${res.leaks.length - MAX_LEAK_WARNINGS} more clusters span splits (all listed in the --json output's leaks).` };
    }
    for (const m of res.missing.filter((x) => !carved?.splits.includes(x.split))) {
      yield { type: 'warning', code: 'split.class_missing_split', item: m.label, message: `class "${m.label}" has no ${m.split} image (the manifest's split column or the previous split fixed all of its images); its ${m.split} scores will be missing.` };
    }
    for (const m of res.minimums) {
      yield { type: 'log', message: `class "${m.label}": placed cluster ${m.group} (${m.images} image${m.images === 1 ? '' : 's'}) in ${m.split} so the class has one` };
    }

    // Compare with the previous splits.csv.
    const now = new Map(rows.map((r) => [r.image, r.split]));
    let moved = 0;
    let removed = 0;
    for (const [image, split] of previous) {
      const s = now.get(image);
      if (s === undefined) removed++;
      else if (s !== split) moved++;
    }
    const added = rows.filter((r) => !previous.has(r.image)).length;
    const changes = { previous: previous.size, moved, added, removed, kept: keep };
    if (keep && moved > 0) {
      yield { type: 'warning', code: 'split.moved', message: `${moved} image${moved === 1 ? '' : 's'} changed split since the last run: clusters that now join images from different splits were brought together.` };
    }

    const output: SplitOutput = {
      settings,
      dryRun: Boolean(input.dryRun),
      images: rows.length,
      groups: new Set(rows.map((r) => r.cluster)).size,
      classes,
      totals,
      maxDeviation: deviationOf(classes),
      leaks: { groups: res.leaks.length, images: res.leaks.reduce((n, l) => n + l.images.length, 0), examples: res.leaks.slice(0, MAX_LEAK_WARNINGS).map((l) => ({ ...l, images: l.images.slice(0, 20) })) },
      minimums: res.minimums,
      missing: res.missing,
      sources: res.sources,
      ...(carved ? { carved } : {}),
      changes,
      splitsCsv: ws.rel(ws.splitsCsv),
    };
    if (input.dryRun) return output;

    const bucket = ctx.config.bucket;
    let vertexText: string | undefined;
    if (bucket) {
      try {
        vertexText = formatVertexCsv(rows, { bucket, prefix: ctx.config.prefix });
      } catch (e) {
        // On the vertex backend the import CSV is the point of split: refused, nothing written. Training
        // locally, a bucket set for later only costs the Vertex CSV: said, and the rest is written.
        if (ctx.config.backend === 'vertex' || (e as { code?: string }).code !== 'vertex_csv.bad_label') throw e;
        const err = e as EdgewiseError;
        const stale = existsSync(ws.vertexCsv) ? ` The existing ${ws.rel(ws.vertexCsv)} is now out of date.` : '';
        yield { type: 'warning', code: 'split.vertex_csv_skipped', item: err.item ?? ws.rel(ws.vertexCsv), message: `${err.message}${stale} ${err.hint ?? ''}`.trim() };
        output.vertexSkipped = 'labels Vertex AI cannot import';
      }
      for (const c of vertexText === undefined || ctx.config.backend !== 'vertex' ? [] : classes) {
        if (c.total < 10) yield { type: 'warning', code: 'split.vertex_min_images', item: c.label, message: `class "${c.label}" has ${c.total} images; Vertex AutoML needs at least 10 per label.` };
      }
    } else if (ctx.config.backend === 'vertex') {
      // Only Vertex training reads the import CSV: the local backend is not told about a bucket it never needs.
      output.vertexSkipped = 'no bucket configured';
      const stale = existsSync(ws.vertexCsv) ? ` The existing ${ws.rel(ws.vertexCsv)} is now out of date.` : '';
      yield {
        type: 'warning',
        code: 'split.no_bucket',
        message: `skipped ${ws.rel(ws.vertexCsv)}: no Cloud Storage bucket is configured. Set one with \`edgewise split --bucket NAME\`, \`edgewise init --bucket NAME\`, EDGEWISE_BUCKET or "bucket" in edgewise.json (only needed for Vertex training).${stale}`,
      };
    }

    throwIfCancelled(ctx.signal);
    try {
      if (vertexText !== undefined) {
        await writeFileAtomic(ws.vertexCsv, vertexText);
        output.vertexCsv = ws.rel(ws.vertexCsv);
      }
      await writeFileAtomic(ws.splitsCsv, formatSplitsCsv(rows));
    } catch (e) {
      throw new EdgewiseError(`Could not write the split files in ${ws.rel(ws.datasetDir)}: ${(e as Error).message}`, {
        code: 'split.write',
        item: ws.datasetDir,
        hint: 'Check that the folder is writable and the disk is not full, then rerun `edgewise split`.',
        cause: e,
      });
    }
    if (output.vertexCsv) yield { type: 'artifact', path: output.vertexCsv, kind: 'vertex-csv', description: `Vertex import CSV, ${rows.length} rows` };
    yield { type: 'artifact', path: output.splitsCsv, kind: 'splits', description: `${totals.train} train / ${totals.validation} validation / ${totals.test} test` };
    return output;
  },
};

/**
 * A split asked for (ratio above 0) that ends up with no image at all is an error, not a model evaluated on
 * nothing later: it happens when the manifest's split column has no row for it. With `carve`, a missing
 * validation/test split is taken out of train (same assignment rules: per class, clusters whole), in place.
 */
function* fillEmptySplits(items: readonly SplitItem[], splits: SplitName[], ratios: SplitSettings, carve: boolean): Generator<StepEvent, { splits: SplitName[]; images: number } | undefined, void> {
  const count = (s: SplitName): number => splits.filter((x) => x === s).length;
  const empty = SPLITS.filter((s) => ratios[s] > 0 && count(s) === 0);
  if (empty.length === 0 || items.length === 0) return undefined;
  const fromColumn = items.every((it) => it.fixed !== undefined);
  const why = fromColumn
    ? `the manifest's split column puts every image in ${SPLITS.filter((s) => count(s) > 0).join(' or ')}`
    : 'there are too few images to give it any';
  const asked = empty.map((s) => `${s} (${Math.round(ratios[s] * 100)} %)`).join(' and ');
  if (!carve || empty.includes('train')) {
    throw new EdgewiseError(`No image for ${asked}: ${why}.`, {
      code: 'split.empty_split',
      item: empty.join(','),
      hint: empty.includes('train')
        ? 'Add train rows to the manifest (or empty its split cells so edgewise assigns them).'
        : `Take it out of train, per class and keeping duplicates together: \`edgewise split --carve-from-train\` (c in the wizard's Split screen); or ask for none (${empty.map((s) => `--${s} 0`).join(' ')}); or add ${empty.join('/')} rows to the manifest's split column.`,
      exitCode: 2,
    });
  }
  const train = splits.flatMap((s, i) => (s === 'train' ? [i] : []));
  const sub = assignSplits(
    train.map((i) => ({ image: items[i]!.image, label: items[i]!.label, group: items[i]!.group })),
    { ratios: { train: ratios.train, validation: empty.includes('validation') ? ratios.validation : 0, test: empty.includes('test') ? ratios.test : 0 }, seed: ratios.seed },
  );
  let moved = 0;
  train.forEach((i, k) => {
    if (sub.splits[k] !== 'train') moved++;
    splits[i] = sub.splits[k]!;
  });
  yield { type: 'log', message: `took ${moved} image${moved === 1 ? '' : 's'} out of train for ${empty.join(' and ')} (${why}; per class, duplicate clusters kept together)` };
  return { splits: empty, images: moved };
}
