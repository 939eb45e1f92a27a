import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { readRegularFile } from '../core/regular-file.js';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../core/atomic.js';
import { InputError, throwIfCancelled } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import { hashValue, sha256 } from '../core/hash.js';
import { ProgressTracker } from '../core/progress.js';
import type { Step, StepContext } from '../core/step.js';
import { checkBalance, countLabels } from './class-balance.js';
import { decodeFingerprint } from '../images/thumb-match.js';
import { clusterSteps, KEEP_RULE, NEAR_CONFIRM, type ClusterOptions, type ClusterResult, type DedupeItem, type Override } from './clusters.js';
import { Findings, type SeverityFinding } from './findings.js';
import { HashCache, MEASURE_VERSION } from '../images/hash-cache.js';
import { checkImage, type Backend } from './image-checks.js';
import type { ImageMeasure } from '../images/image-measure.js';
import { createMeasurer } from '../images/measure-pool.js';
import { normaliseManifestPath, resolveImagePathSync } from '../manifest/image-paths.js';
import { decodeManifest, parseManifest, type ManifestRow } from '../manifest/manifest.js';
import type { ValidateSettings } from '../config/schema.js';
import { formatCleanManifest, type ReportImage, type ValidationReport } from './validate-report.js';
import { suggestLabelMapping, vertexLabelProblem } from '../split/vertex-labels.js';
import { plural } from '../core/text.js';

export interface ValidateInput {
  /** Per image path (as in the manifest): keep or drop, overriding the keep rule (from the review screen). */
  overrides?: Record<string, Override>;
  /** Apply the suggested mapping for labels Vertex would reject (also `validate.acceptLabelMapping`). */
  acceptLabelMapping?: boolean;
  /**
   * Compute everything and write nothing but the hash cache; the full report comes back in the output
   * (the review screen runs this first, then writes with the person's overrides).
   */
  dryRun?: boolean;
}

export interface ValidateOutput {
  /** Workspace-relative, like every path a step records. */
  reportPath: string;
  cleanManifestPath: string;
  summary: ValidationReport['summary'];
  /** Up to 20 errors, for the end-of-run summary (all are in the report). */
  topErrors: ValidationReport['errors'];
  classCounts: Record<string, number>;
  suggestedLabelMapping: Record<string, string>;
  /** Only for a dry run: the report that would be written. */
  report?: ValidationReport;
  dryRun?: boolean;
}

/** Names of the finding counters sent as `metric` events while the step runs. */
export const VALIDATE_METRICS = ['errors', 'warnings', 'duplicates', 'conflicts'] as const;

interface Scanned {
  row: ManifestRow;
  abs?: string;
  size?: number;
  mtimeMs?: number;
  measure?: ImageMeasure;
  findings: SeverityFinding[];
}

/** [path, size, mtime] of every file under the images folder (sync: one pool trip per file adds up). */
function walkStats(dir: string, base = ''): Array<[string, number, number]> {
  const out: Array<[string, number, number]> = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walkStats(join(dir, e.name), rel));
    else {
      try {
        const st = statSync(join(dir, e.name));
        out.push([rel, st.size, st.mtimeMs]);
      } catch {
        out.push([rel, -1, 0]);
      }
    }
  }
  return out;
}

function normaliseSplit(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (s === '') return undefined;
  if (s.startsWith('train')) return 'training';
  if (s === 'val' || s === 'valid' || s === 'validation') return 'validation';
  return 'test';
}

/** The manifest's bytes: a regular file only (a FIFO or a link to /dev/zero would hang or fill memory), capped in size. */
function readManifest(path: string, name: string, settings: ValidateSettings): Promise<Buffer> {
  return readRegularFile(path, { name: `the manifest ${name}`, code: 'manifest', maxBytes: settings.maxManifestBytes, maxBytesSetting: 'validate.maxManifestBytes' });
}

export const validateStep: Step<ValidateInput, ValidateOutput> = {
  name: 'validate',
  title: 'Validate and deduplicate the dataset',

  async fingerprint(input, ctx) {
    const ws = ctx.workspace;
    // A dry run is never recorded (nor skipped): it writes nothing.
    if (input.dryRun || !lstatSync(ws.manifest, { throwIfNoEntry: false })) return undefined;
    return hashValue({
      v: MEASURE_VERSION,
      manifest: sha256(await readManifest(ws.manifest, ws.rel(ws.manifest), ctx.config.validate)),
      files: walkStats(ws.imagesDir),
      settings: ctx.config.validate,
      backend: ctx.config.backend,
      input,
    });
  },

  artifacts(output, ctx) {
    return [ctx.workspace.rel(output.reportPath), ctx.workspace.rel(output.cleanManifestPath)];
  },

  // The journal and the hash cache (.edgewise), the report and clean manifest; a dry run writes nothing.
  writes: (input, ctx) => (input.dryRun ? [] : [ctx.workspace.stateDir, ctx.workspace.datasetDir]),

  async *run(input, ctx): AsyncGenerator<StepEvent, ValidateOutput, void> {
    const ws = ctx.workspace;
    const settings: ValidateSettings = ctx.config.validate;
    const backend: Backend = ctx.config.backend;
    const manifestName = ws.rel(ws.manifest);
    // lstat: a symlink loop or a dangling link is "there" and gets its own error from readManifest.
    if (!lstatSync(ws.manifest, { throwIfNoEntry: false })) {
      throw new InputError(`The manifest ${manifestName} does not exist.`, {
        code: 'manifest.not_found',
        item: manifestName,
        hint: 'Put the photos in one folder per label (optionally inside train/, validation/, test/) and run `edgewise init --images DIR`, which writes the manifest; or write a CSV with a header "image,label" and one row per image (paths relative to the images folder), or set paths.manifest in edgewise.json.',
      });
    }
    let imagesReal: string;
    try {
      imagesReal = await realpath(ws.imagesDir);
    } catch {
      throw new InputError(`The images folder ${ws.rel(ws.imagesDir)} does not exist.`, {
        code: 'images.not_found',
        item: ws.rel(ws.imagesDir),
        hint: 'Put the images there, or set paths.images in edgewise.json.',
      });
    }
    const findings = new Findings();
    const counters = { errors: 0, warnings: 0, duplicates: 0, conflicts: 0 };
    // Findings are counted as they are found (metric events); the full list is in the report, and the
    // command prints it once at the end rather than interleaved with progress.
    const record = function* (list: SeverityFinding[]): Generator<StepEvent> {
      for (const f of list) {
        findings.add(f.severity, f);
        if (f.severity === 'error') counters.errors++;
        else counters.warnings++;
      }
    };
    const metrics = function* (): Generator<StepEvent> {
      for (const name of VALIDATE_METRICS) yield { type: 'metric', name, value: counters[name] };
    };

    // Manifest.
    const decoded = decodeManifest(await readManifest(ws.manifest, manifestName, settings), manifestName);
    const manifest = parseManifest(decoded.text, manifestName);
    yield* record(decoded.findings);
    yield* record(manifest.findings);
    yield { type: 'log', message: `${manifestName}: ${manifest.records} rows, ${manifest.rows.length} images (column "${manifest.imageColumn}"${manifest.hasSplit ? ', with a split column' : ''})` };

    // Labels: trimmed already; mapping (accepted or configured) applied; Vertex's rules checked.
    const rawLabels = new Set(manifest.rows.map((r) => r.label));
    const suggested = suggestLabelMapping([...rawLabels].map((l) => settings.labelMapping[l] ?? l));
    const accept = input.acceptLabelMapping ?? settings.acceptLabelMapping;
    const applied: Record<string, string> = {};
    for (const l of rawLabels) {
      const configured = settings.labelMapping[l];
      const mapped = configured ?? l;
      const final = accept && suggested[mapped] ? suggested[mapped] : mapped;
      if (final !== l) applied[l] = final;
    }
    const labelOf = (l: string): string => applied[l] ?? l;
    const firstLine = new Map<string, number>();
    for (const r of manifest.rows) if (!firstLine.has(r.label)) firstLine.set(r.label, r.line);
    // Vertex's label rules mean nothing to the local backend: no finding there at all.
    for (const l of backend === 'vertex' ? [...rawLabels].sort() : []) {
      const problem = vertexLabelProblem(labelOf(l));
      if (!problem) continue;
      const to = suggested[labelOf(l)];
      yield* record([
        {
          severity: 'error',
          code: 'label.vertex_rule',
          item: `label "${l}"`,
          line: firstLine.get(l)!,
          message: `label "${labelOf(l)}" ${problem}; Vertex AI would reject it`,
          hint: `Accept the suggested mapping "${labelOf(l)}" -> "${to}" with \`edgewise validate --accept-label-mapping\` (it is recorded in report.json and reversible), or set validate.labelMapping in edgewise.json.`,
        },
      ]);
    }

    // Scan: every path resolved (symlinks followed and confined), every file stat'ed.
    const scanned: Scanned[] = [];
    const rowImages = new Set(manifest.rows.map((r) => r.image));
    const scanTracker = new ProgressTracker('scan', manifest.rows.length, 'files');
    for (const row of manifest.rows) {
      throwIfCancelled(ctx.signal);
      const s: Scanned = { row, findings: [] };
      let r = resolveImagePathSync(imagesReal, row.image);
      // Names are exact ("photo .jpg" exists); a cell padded with spaces around a name that exists is read
      // as that name.
      const trimmed = normaliseManifestPath(row.image.trim());
      if ('missing' in r && 'path' in trimmed && trimmed.path !== row.image && !rowImages.has(trimmed.path)) {
        const t = resolveImagePathSync(imagesReal, trimmed.path);
        if (!('missing' in t)) {
          row.image = trimmed.path;
          r = t;
        }
      }
      if ('missing' in r) {
        s.findings.push({ severity: 'error', code: 'image.missing', item: row.image, line: row.line, message: `the file does not exist in ${ws.rel(ws.imagesDir)}`, hint: 'Copy the image there, fix the path, or remove the manifest line.' });
      } else if ('code' in r) {
        s.findings.push({ severity: 'error', code: r.code, item: row.image, line: row.line, message: r.message, hint: r.hint });
      } else {
        const st = statSync(r.abs);
        if (!st.isFile()) {
          const what = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
          s.findings.push({ severity: 'error', code: 'image.not_a_file', item: row.image, line: row.line, message: `the path is ${what}, not an image file`, hint: 'List image files only.' });
        } else {
          s.abs = r.abs;
          s.size = st.size;
          s.mtimeMs = st.mtimeMs;
        }
      }
      yield* record(s.findings);
      scanned.push(s);
      const ev = scanTracker.update(scanned.length);
      if (ev) {
        yield ev;
        yield* metrics();
      }
    }
    if (manifest.rows.length === 0) yield scanTracker.event(0);
    // Files in the images folder that no manifest row names (often a forgotten export step).
    // Rows refused by the manifest checks (e.g. an empty label) still name their image: not "unlisted".
    const listed = new Set([...manifest.rows.map((r) => r.image), ...manifest.findings.map((f) => f.item)]);
    const unlisted = walkStats(imagesReal)
      .map(([p]) => p)
      .filter((p) => !listed.has(p) && !p.split('/').some((part) => part.startsWith('.')));
    if (unlisted.length > 0) {
      yield* record([
        {
          severity: 'warning',
          code: 'images.unlisted',
          item: ws.rel(ws.imagesDir),
          message: `${unlisted.length} file${unlisted.length === 1 ? ' is' : 's are'} in the images folder but not in the manifest (e.g. ${unlisted.slice(0, 3).join(', ')})`,
          hint: 'Add them to the manifest with their labels if they belong to the dataset.',
        },
      ]);
    }

    // Decode + hash: cached measures reused, the rest measured in parallel.
    const limits = { maxPixels: settings.maxPixels, maxReadBytes: settings.maxReadBytes };
    const cache = new HashCache(ws.cacheDir, limits);
    const toMeasure: Scanned[] = [];
    let cached = 0;
    for (const s of scanned) {
      if (!s.abs) continue;
      const hit = cache.get(s.row.image, s.size!, s.mtimeMs!);
      if (hit) {
        s.measure = hit;
        cached++;
      } else toMeasure.push(s);
    }
    const judge = (s: Scanned): SeverityFinding[] => {
      const list = s.measure ? checkImage(s.row.image, s.row.line, s.measure, settings, backend) : [];
      s.findings.push(...list);
      return list;
    };
    for (const s of scanned) if (s.measure) yield* record(judge(s));
    const withFile = scanned.filter((s) => s.abs);
    const hashTracker = new ProgressTracker('hash', withFile.length, 'images');
    let done = cached;
    yield hashTracker.event(done);
    const measurer = createMeasurer(toMeasure.length, settings.concurrency ? { inFlight: settings.concurrency } : {});
    try {
      const files = toMeasure.map((s) => ({ path: s.abs!, size: s.size! }));
      for await (const { index, result } of measurer.measureAll(files, limits, ctx.signal)) {
        const s = toMeasure[index]!;
        if ('error' in result) {
          const f: SeverityFinding = { severity: 'error', code: 'image.unreadable', item: s.row.image, line: s.row.line, message: `the file cannot be read: ${result.error}`, hint: 'Check its permissions.' };
          s.findings.push(f);
          yield* record([f]);
        } else {
          s.measure = result;
          cache.set(s.row.image, s.size!, s.mtimeMs!, result);
          yield* record(judge(s));
        }
        done++;
        const ev = hashTracker.update(done);
        if (ev) {
          yield ev;
          yield* metrics();
        }
      }
      if (measurer.fallback) {
        yield { type: 'warning', code: 'validate.threads', message: `The measuring threads failed (${measurer.fallback}); the rest was measured on one thread, more slowly.` };
      }
    } finally {
      await measurer.close();
      // Keep what was measured even when cancelled: the next run starts from there.
      await cache.save().catch(() => undefined);
    }
    throwIfCancelled(ctx.signal);
    yield* metrics();

    // Index: near duplicates among images without errors.
    const clean = withFile.filter((s) => s.measure?.hashes && !s.findings.some((f) => f.severity === 'error'));
    const items: DedupeItem[] = clean.map((s) => {
      const m = s.measure!;
      const split = normaliseSplit(s.row.split);
      return {
        image: s.row.image,
        label: labelOf(s.row.label),
        sha256: m.sha256!,
        phash: m.hashes!.phash,
        dhash: m.hashes!.dhash,
        line: s.row.line,
        pixels: (m.width ?? 0) * (m.height ?? 0),
        bytes: m.bytes,
        ...(split ? { split } : {}),
        ...(m.fingerprint ? { fingerprint: decodeFingerprint(m.fingerprint) } : {}),
      };
    });
    const overrides: Record<string, Override> = {};
    for (const [k, v] of Object.entries({ ...settings.overrides, ...input.overrides })) {
      const n = normaliseManifestPath(k);
      overrides['path' in n ? n.path : k] = v;
    }
    const indexTracker = new ProgressTracker('index', items.length, 'images');
    const { clusters, groups: similarGroups } = yield* indexNearDuplicates(
      items,
      {
        nearRadius: settings.nearRadius,
        nearDhashRadius: settings.nearDhashRadius,
        confirm: settings.confirmRecrops ? NEAR_CONFIRM : false,
        similarRadius: settings.similarRadius,
        similarDhashRadius: settings.similarDhashRadius,
        overrides,
      },
      indexTracker,
      ctx.signal,
    );
    throwIfCancelled(ctx.signal);

    const lineOf = new Map(manifest.rows.map((r) => [r.image, r.line]));
    const inCluster = new Set(clusters.flatMap((c) => c.members.map((m) => m.image)));
    for (const [image, choice] of Object.entries(overrides)) {
      if (inCluster.has(image)) continue;
      yield* record([
        {
          severity: 'warning',
          code: 'override.unused',
          item: image,
          message: `the override "${choice}" names an image that is in no duplicate cluster; it has no effect`,
          hint: 'Check the path (relative to the images folder) or remove the override.',
        },
      ]);
    }
    const groupOf = new Map<string, string>();
    const dropped = new Set<string>();
    for (const c of clusters) {
      const keep = c.members.find((m) => m.image === c.keep);
      for (const m of c.members) {
        groupOf.set(m.image, c.id);
        if (!m.kept) {
          dropped.add(m.image);
          counters.duplicates++;
          const same = keep && m.sha256 === keep.sha256;
          yield* record([
            {
              severity: 'warning',
              code: c.kind === 'exact' || same ? 'duplicate.exact' : 'duplicate.near',
              item: m.image,
              line: lineOf.get(m.image)!,
              message: keep
                ? same
                  ? `byte-identical to "${keep.image}"; dropped from the cleaned manifest (cluster ${c.id})`
                  : m.recrop
                    ? `near duplicate of "${keep.image}" (pHash distance ${m.distance}), confirmed as a re-crop: its thumbnail lines up with a crop, resize or small turn of the other's (validate.confirmRecrops); dropped from the cleaned manifest (cluster ${c.id})`
                    : `near duplicate of "${keep.image}" (pHash distance ${m.distance}); dropped from the cleaned manifest (cluster ${c.id})`
                : `in duplicate cluster ${c.id}, dropped by an override along with every other member`,
              hint: 'Nothing to do unless the wrong copy was kept: choose another in the wizard\'s review list.',
            },
          ]);
        }
      }
      if (c.labelConflict) {
        counters.conflicts++;
        const keptLabel = keep?.label;
        const ref = keep ?? c.members[0]!;
        for (const m of c.members) {
          if (m.label === keptLabel) continue;
          // Byte-identical only when the bytes are: a resized or re-encoded copy can have pHash distance 0.
          const how = m.sha256 === ref.sha256 ? 'byte-identical' : `nearly identical (pHash distance ${m.distance}${m.recrop ? ', a re-crop' : ''})`;
          yield* record([
            {
              severity: 'error',
              code: 'duplicate.label_conflict',
              item: m.image,
              line: lineOf.get(m.image)!,
              message: `labelled "${m.label}" but ${how} to "${ref.image}" labelled "${keptLabel ?? ref.label}" (cluster ${c.id})`,
              hint: 'Decide which label is right and fix the manifest; until then only the kept copy is trained on.',
            },
          ]);
        }
      }
      if (c.splitLeak) {
        yield* record([
          {
            severity: 'warning',
            code: 'split.leakage',
            item: c.keep ?? c.members[0]!.image,
            message: `duplicates in cluster ${c.id} sit in different splits of the manifest (${c.members.map((m) => m.image).join(', ')}); scores on the held-out split would be optimistic`,
            hint: 'Only the kept copy stays in the cleaned manifest; if you keep several, give them one split.',
          },
        ]);
      }
    }

    // Similar groups take precedence: they contain whole duplicate clusters.
    for (const g of similarGroups) for (const m of g.members) groupOf.set(m, g.id);

    // Cleaned manifest + balance over what will be trained on.
    const rejected = new Set(scanned.filter((s) => s.findings.some((f) => f.severity === 'error')).map((s) => s.row.image));
    const keptScans = scanned.filter((s) => s.abs && s.measure?.sha256 && !rejected.has(s.row.image) && !dropped.has(s.row.image));
    const classCounts = countLabels(keptScans.map((s) => labelOf(s.row.label)));
    yield* record(checkBalance(classCounts, { smallClass: settings.smallClass, maxImbalance: settings.maxImbalance, backend, item: manifestName }));
    yield* metrics();

    const cleanRows = keptScans.map((s) => ({
      image: s.row.image,
      label: labelOf(s.row.label),
      sha256: s.measure!.sha256!,
      group: groupOf.get(s.row.image) ?? s.measure!.sha256!,
      ...(s.row.split !== undefined ? { split: s.row.split } : {}),
      extra: s.row.extra,
    }));

    const images: ReportImage[] = scanned.map((s) => {
      const m = s.measure;
      const img: ReportImage = {
        image: s.row.image,
        line: s.row.line,
        label: labelOf(s.row.label),
        status: rejected.has(s.row.image) || !m?.sha256 ? 'rejected' : dropped.has(s.row.image) ? 'dropped' : 'kept',
      };
      if (applied[s.row.label]) img.originalLabel = s.row.label;
      if (s.row.split !== undefined) img.split = s.row.split;
      if (m) {
        img.bytes = m.bytes;
        if (m.sha256) img.sha256 = m.sha256;
        if (m.sniffed) img.format = m.sniffed;
        if (m.width !== undefined) img.width = m.width;
        if (m.height !== undefined) img.height = m.height;
        if (m.orientation && m.orientation !== 1) img.orientation = m.orientation;
        if (m.hashes) img.hashes = m.hashes;
        if (m.quality) img.quality = m.quality;
      }
      if (img.status !== 'rejected' && m?.sha256) img.group = groupOf.get(s.row.image) ?? m.sha256;
      return img;
    });

    const summary: ValidationReport['summary'] = {
      rows: manifest.records,
      images: scanned.length,
      kept: cleanRows.length,
      dropped: dropped.size,
      // Images that failed their checks, plus manifest rows refused before any image was read.
      rejected: images.filter((i) => i.status === 'rejected').length + (manifest.records - manifest.rows.length),
      errors: findings.errors.length,
      warnings: findings.warnings.length,
      exactClusters: clusters.filter((c) => c.kind === 'exact').length,
      nearClusters: clusters.filter((c) => c.kind === 'near').length,
      labelConflicts: clusters.filter((c) => c.labelConflict).length,
      splitLeaks: clusters.filter((c) => c.splitLeak).length,
      hashed: toMeasure.length,
      cached,
    };
    // Findings in manifest order (those about the whole dataset last), whatever phase found them.
    const byLine = (a: { line?: number }, b: { line?: number }): number => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER);
    findings.errors.sort(byLine);
    findings.warnings.sort(byLine);
    const report: ValidationReport = {
      version: 1,
      createdAt: new Date().toISOString(),
      manifest: manifestName,
      imagesDir: ws.rel(ws.imagesDir),
      backend,
      settings: { ...settings },
      keepRule: KEEP_RULE,
      overrides,
      summary,
      errors: findings.errors,
      warnings: findings.warnings,
      clusters,
      similarGroups,
      classCounts,
      labelMapping: applied,
      suggestedLabelMapping: suggested,
      images,
    };
    throwIfCancelled(ctx.signal);
    const result: ValidateOutput = {
      // Workspace-relative: the journal keeps this output, and a moved workspace must not print old paths.
      reportPath: ws.rel(ws.reportPath),
      cleanManifestPath: ws.rel(ws.cleanManifest),
      summary,
      topErrors: findings.errors.slice(0, 20),
      classCounts,
      suggestedLabelMapping: suggested,
    };
    const unusable = unusableDataset(scanned, cleanRows.length, ws.rel(ws.imagesDir));
    if (input.dryRun) {
      if (unusable) throw unusable;
      return { ...result, report, dryRun: true };
    }
    await writeJsonAtomic(ws.reportPath, report);
    yield { type: 'artifact', path: ws.rel(ws.reportPath), kind: 'report', description: `${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}` };
    if (unusable) {
      // The report says why; no cleaned manifest is written, and an earlier validate no longer counts as done.
      ctx.journal.forgetStep('validate');
      throw unusable;
    }
    await writeFileAtomic(ws.cleanManifest, formatCleanManifest(cleanRows, manifest.hasSplit, manifest.extraColumns));
    yield { type: 'artifact', path: ws.rel(ws.cleanManifest), kind: 'manifest', description: `${cleanRows.length} images` };
    return result;
  },
};

/** Reads report.json back (the command's --json output and the review screen use it). */
export async function readValidationReport(ctx: StepContext): Promise<ValidationReport> {
  return JSON.parse(await readFile(ctx.workspace.reportPath, 'utf8')) as ValidationReport;
}

/**
 * A validate whose images are (mostly) not there, or that keeps nothing, is a failure, not "✔ done": the
 * usual cause is an images folder that is not the one the manifest's paths are relative to.
 */
function unusableDataset(scanned: ReadonlyArray<{ row: { image: string }; findings: ReadonlyArray<{ code: string }> }>, kept: number, imagesDir: string): InputError | undefined {
  const missing = scanned.filter((s) => s.findings.some((f) => f.code === 'image.missing')).map((s) => s.row.image);
  const examples = missing.slice(0, 3).join(', ');
  if (scanned.length > 0 && missing.length * 2 > scanned.length) {
    return new InputError(`${missing.length} of ${scanned.length} images in the manifest are missing from ${imagesDir} (e.g. ${examples}).`, {
      code: 'validate.images_missing',
      item: imagesDir,
      hint: 'Point paths.images in edgewise.json (or `edgewise init --images DIR`) at the folder the manifest\'s paths are relative to, or fix the paths; ml/dataset/report.json lists every one.',
    });
  }
  if (kept === 0) {
    return new InputError(`No image passed validation (${scanned.length} checked): there is nothing to train on.`, {
      code: 'validate.nothing_kept',
      item: imagesDir,
      hint: 'Fix the errors listed by `edgewise validate` (ml/dataset/report.json) and run it again.',
    });
  }
  return undefined;
}

/**
 * The index phase: near-duplicate pairs and clusters, reporting progress while the search runs. Between
 * steps the event loop gets a turn every 50 ms (a screen draws the bar, Ctrl-C lands) instead of the whole
 * phase's progress arriving at once when it ends.
 */
export async function* indexNearDuplicates(items: DedupeItem[], opts: ClusterOptions, tracker: ProgressTracker, signal?: AbortSignal): AsyncGenerator<StepEvent, ClusterResult> {
  const steps = clusterSteps(items, opts);
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
  return next.value;
}
