import { lstatSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { readRegularFile } from '../core/regular-file.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/atomic.js';
import { InputError, throwIfCancelled } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import { hashValue, sha256 } from '../core/hash.js';
import type { Step, StepContext } from '../core/step.js';
import type { Workspace } from '../core/workspace.js';
import { checkBalance, countLabels } from './class-balance.js';
import { KEEP_RULE, type ClusterResult, type Override } from './clusters.js';
import { findDuplicates, judgeDuplicates, normaliseOverrides, type DuplicateDecision } from './duplicates.js';
import { Findings } from './findings.js';
import { MEASURE_VERSION } from '../images/hash-cache.js';
import type { Backend } from './image-checks.js';
import { mapLabels, vertexLabelFindings, type LabelMapping } from './label-mapping.js';
import { measureImages } from './measure-images.js';
import { decodeManifest, parseManifest, type ParsedManifest } from '../manifest/manifest.js';
import type { ValidateSettings } from '../config/schema.js';
import { scanFiles, unlistedFiles, walkStats, type Scanned } from './scan-files.js';
import { formatCleanManifest, type CleanRow, type ReportImage, type ValidationReport } from './validate-report.js';
import { plural } from '../core/text.js';

// The entry point's names for the screens and tests: the live counters, and the index phase on its own.
export { VALIDATE_METRICS } from './findings.js';
export { indexNearDuplicates } from './duplicates.js';

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

  /** The phases in order; each adds its findings as it goes (their counters are sent as `metric` events). */
  async *run(input, ctx): AsyncGenerator<StepEvent, ValidateOutput, void> {
    const ws = ctx.workspace;
    const settings: ValidateSettings = ctx.config.validate;
    const backend: Backend = ctx.config.backend;
    const imagesDir = ws.rel(ws.imagesDir);
    const imagesReal = await findInputs(ws);
    const findings = new Findings();

    const manifest = yield* readManifestRows(ws, settings, findings);
    const labels = mapLabels(manifest.rows, settings.labelMapping, input.acceptLabelMapping ?? settings.acceptLabelMapping);
    // Vertex's label rules mean nothing to the local backend: no finding there at all.
    if (backend === 'vertex') findings.record(vertexLabelFindings(manifest.rows, labels));
    const scanned = yield* scanFiles(manifest, imagesReal, imagesDir, findings, ctx.signal);
    findings.record(unlistedFiles(manifest, imagesReal, imagesDir));
    const measured = yield* measureImages(scanned, ws.cacheDir, settings, backend, findings, ctx.signal);
    const overrides = normaliseOverrides(settings.overrides, input.overrides);
    const duplicates = yield* findDuplicates(scanned, labels, settings, overrides, ctx.signal);
    const decision = judgeDuplicates(duplicates, overrides, new Map(manifest.rows.map((r) => [r.image, r.line])), findings);
    const kept = keptImages(scanned, decision);
    const classCounts = countLabels(kept.map((s) => labels.of(s.row.label)));
    findings.record(checkBalance(classCounts, { smallClass: settings.smallClass, maxImbalance: settings.maxImbalance, backend, item: ws.rel(ws.manifest) }));
    yield* findings.metrics();

    const cleanRows = kept.map((s) => cleanRow(s, labels, decision));
    const report = buildReport({ ws, settings, backend, manifest, scanned, labels, duplicates, decision, overrides, findings, classCounts, cleanRows, ...measured });
    throwIfCancelled(ctx.signal);
    const unusable = unusableDataset(scanned, cleanRows.length, imagesDir);
    return yield* writeOutputs(report, cleanRows, manifest, unusable, input, ctx);
  },
};

/** Both inputs must be there; returns the images folder's real path (image paths are confined to it). */
async function findInputs(ws: Workspace): Promise<string> {
  const manifestName = ws.rel(ws.manifest);
  // lstat: a symlink loop or a dangling link is "there" and gets its own error from readManifest.
  if (!lstatSync(ws.manifest, { throwIfNoEntry: false })) {
    throw new InputError(`The manifest ${manifestName} does not exist.`, {
      code: 'manifest.not_found',
      item: manifestName,
      hint: 'Put the photos in one folder per label (optionally inside train/, validation/, test/) and run `edgewise init --images DIR`, which writes the manifest; or write a CSV with a header "image,label" and one row per image (paths relative to the images folder), or set paths.manifest in edgewise.json.',
    });
  }
  try {
    return await realpath(ws.imagesDir);
  } catch {
    throw new InputError(`The images folder ${ws.rel(ws.imagesDir)} does not exist.`, {
      code: 'images.not_found',
      item: ws.rel(ws.imagesDir),
      hint: 'Put the images there, or set paths.images in edgewise.json.',
    });
  }
}

/** The manifest phase: bytes decoded (encoding findings), then rows parsed (row findings). */
async function* readManifestRows(ws: Workspace, settings: ValidateSettings, findings: Findings): AsyncGenerator<StepEvent, ParsedManifest> {
  const name = ws.rel(ws.manifest);
  const decoded = decodeManifest(await readManifest(ws.manifest, name, settings), name);
  const manifest = parseManifest(decoded.text, name);
  findings.record(decoded.findings);
  findings.record(manifest.findings);
  yield { type: 'log', message: `${name}: ${manifest.records} rows, ${manifest.rows.length} images (column "${manifest.imageColumn}"${manifest.hasSplit ? ', with a split column' : ''})` };
  return manifest;
}

/** What will be trained on: images read and hashed, without an error, not dropped as a duplicate. */
function keptImages(scanned: readonly Scanned[], { dropped }: DuplicateDecision): Scanned[] {
  return scanned.filter((s) => s.abs && s.measure?.sha256 && !isRejected(s) && !dropped.has(s.row.image));
}

function isRejected(s: Scanned): boolean {
  return s.findings.some((f) => f.severity === 'error');
}

function cleanRow(s: Scanned, labels: LabelMapping, { groupOf }: DuplicateDecision): CleanRow {
  return {
    image: s.row.image,
    label: labels.of(s.row.label),
    sha256: s.measure!.sha256!,
    group: groupOf.get(s.row.image) ?? s.measure!.sha256!,
    ...(s.row.split !== undefined ? { split: s.row.split } : {}),
    extra: s.row.extra,
  };
}

/** Everything the phases found, for report.json. */
interface Validated {
  ws: Workspace;
  settings: ValidateSettings;
  backend: Backend;
  manifest: ParsedManifest;
  scanned: readonly Scanned[];
  labels: LabelMapping;
  duplicates: ClusterResult;
  decision: DuplicateDecision;
  overrides: Record<string, Override>;
  findings: Findings;
  classCounts: Record<string, number>;
  cleanRows: readonly CleanRow[];
  hashed: number;
  cached: number;
}

function buildReport(v: Validated): ValidationReport {
  const { clusters, groups } = v.duplicates;
  const images = v.scanned.map((s) => reportImage(s, v.labels, v.decision));
  const summary: ValidationReport['summary'] = {
    rows: v.manifest.records,
    images: v.scanned.length,
    kept: v.cleanRows.length,
    dropped: v.decision.dropped.size,
    // Images that failed their checks, plus manifest rows refused before any image was read.
    rejected: images.filter((i) => i.status === 'rejected').length + (v.manifest.records - v.manifest.rows.length),
    errors: v.findings.errors.length,
    warnings: v.findings.warnings.length,
    exactClusters: clusters.filter((c) => c.kind === 'exact').length,
    nearClusters: clusters.filter((c) => c.kind === 'near').length,
    labelConflicts: clusters.filter((c) => c.labelConflict).length,
    splitLeaks: clusters.filter((c) => c.splitLeak).length,
    hashed: v.hashed,
    cached: v.cached,
  };
  // Findings in manifest order (those about the whole dataset last), whatever phase found them.
  const byLine = (a: { line?: number }, b: { line?: number }): number => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER);
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    manifest: v.ws.rel(v.ws.manifest),
    imagesDir: v.ws.rel(v.ws.imagesDir),
    backend: v.backend,
    settings: { ...v.settings },
    keepRule: KEEP_RULE,
    overrides: v.overrides,
    summary,
    errors: v.findings.errors.sort(byLine),
    warnings: v.findings.warnings.sort(byLine),
    clusters,
    similarGroups: groups,
    classCounts: v.classCounts,
    labelMapping: v.labels.applied,
    suggestedLabelMapping: v.labels.suggested,
    images,
  };
}

function reportImage(s: Scanned, labels: LabelMapping, { dropped, groupOf }: DuplicateDecision): ReportImage {
  const m = s.measure;
  const img: ReportImage = {
    image: s.row.image,
    line: s.row.line,
    label: labels.of(s.row.label),
    status: isRejected(s) || !m?.sha256 ? 'rejected' : dropped.has(s.row.image) ? 'dropped' : 'kept',
  };
  if (labels.applied[s.row.label]) img.originalLabel = s.row.label;
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
}

/**
 * The write phase: report.json, then the cleaned manifest, each announced as an artifact. A dataset that
 * cannot be trained on fails after its report is written (the report says why), and a dry run writes nothing.
 */
async function* writeOutputs(report: ValidationReport, cleanRows: readonly CleanRow[], manifest: ParsedManifest, unusable: InputError | undefined, input: ValidateInput, ctx: StepContext): AsyncGenerator<StepEvent, ValidateOutput> {
  const ws = ctx.workspace;
  const { summary } = report;
  const result: ValidateOutput = {
    // Workspace-relative: the journal keeps this output, and a moved workspace must not print old paths.
    reportPath: ws.rel(ws.reportPath),
    cleanManifestPath: ws.rel(ws.cleanManifest),
    summary,
    topErrors: report.errors.slice(0, 20),
    classCounts: report.classCounts,
    suggestedLabelMapping: report.suggestedLabelMapping,
  };
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
}

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
