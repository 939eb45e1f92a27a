import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { sha256, sha256File } from '../core/hash.js';
import type { Workspace } from '../core/workspace.js';
import { compareVersions } from './rows.js';
import type { PublishedMetrics } from './types.js';

/** Everything publish reads about one trained model, checked. */
export interface PublishInputs {
  /** The model folder's name: the training run's id (not the registry version). */
  run: string;
  modelDir: string;
  tflitePath: string;
  tfliteSha256: string;
  labelsPath: string;
  labels: string[];
  labelsSha256: string;
  modelInfoPath: string;
  modelInfo: ModelInfo;
  metricsPath: string;
  metrics: Record<string, unknown> | null;
  thresholdsPath: string;
  thresholds: ThresholdsFile | null;
  /** False when metrics or thresholds are missing (only allowed with --force-unevaluated). */
  evaluated: boolean;
  /** The model file of the run that ships (model_info.json `variants`): float32 unless a quantized one is picked. */
  variant: ChosenVariant;
}

/** One of the run's model files, as publish ships it. */
export interface ChosenVariant {
  name: string;
  file: string;
  quantization: string;
  /** What the app must feed it: dtype, value range, and the input quantization for integer inputs. */
  input: Record<string, unknown>;
  /** Its own scores on the test images (from metrics.variants), when evaluated. */
  scores: { top1: number; top3: number; ece: number; coverage: number | null; selective_accuracy: number | null } | null;
  /** How it was chosen. */
  chosenBy: 'option' | 'default' | 'only';
}

const InputSpec = z.looseObject({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  channels: z.number().int().positive(),
  dtype: z.string().min(1),
});

const ModelInfoSchema = z.looseObject({
  backend: z.string().optional(),
  input: InputSpec,
  labels: z.array(z.string()).optional(),
  labels_sha256: z.string().optional(),
  created_at: z.string().optional(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

const unit = z.number().min(0).max(1);
const MetricsSchema = z.looseObject({
  top1: unit,
  top3: unit.nullable().optional(),
  ece: unit.nullable().optional(),
});

const ThresholdsSchema = z.looseObject({
  version: z.string().optional(),
  tau: unit,
  margin: unit,
  temperature: z.number().positive().nullable().optional(),
  coverage: unit.nullable().optional(),
  selective_accuracy: unit.nullable().optional(),
  top1: unit.nullable().optional(),
});
export type ThresholdsFile = z.infer<typeof ThresholdsSchema>;

/** DESIGN.md: labels_sha256 = SHA-256 of the UTF-8 labels joined by "\n" in output order. */
export function labelsSha256(labels: string[]): string {
  return sha256(labels.join('\n'));
}

/** One label per line; a BOM, CRLF and one final newline are tolerated, blank or repeated labels are not. */
export function parseLabelsFile(path: string): string[] {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const seen = new Map<string, number>();
  lines.forEach((label, i) => {
    if (label.trim() === '') throw new InputError(`${path} line ${i + 1} is blank.`, { code: 'publish.labels', item: `${path}:${i + 1}`, hint: 'Write one label per line, in model output order, with no blank lines.' });
    if (label !== label.trim()) throw new InputError(`${path} line ${i + 1} has leading or trailing spaces: ${JSON.stringify(label)}.`, { code: 'publish.labels', item: `${path}:${i + 1}`, hint: 'Remove the spaces: labels are compared byte for byte.' });
    const prev = seen.get(label);
    if (prev !== undefined) throw new InputError(`${path} line ${i + 1} repeats the label "${label}" from line ${prev}.`, { code: 'publish.labels', item: `${path}:${i + 1}`, hint: 'Each output class needs its own label.' });
    seen.set(label, i + 1);
  });
  if (lines.length === 0) throw new InputError(`${path} has no labels.`, { code: 'publish.labels', item: path, hint: 'Re-run `edgewise export`: it writes the labels in model output order.' });
  return lines;
}

function readJson<T>(path: string, schema: z.ZodType<T>, what: string, hint: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`${path} is not valid JSON (${what}): ${(e as Error).message}`, { code: 'publish.bad_json', item: path, hint });
  }
  const res = schema.safeParse(raw);
  if (!res.success) {
    const issues = res.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InputError(`${path} is not a valid ${what}: ${issues}`, { code: 'publish.bad_input', item: path, hint });
  }
  return res.data;
}

/** The newest model folder (vNNN order) that holds a model.tflite. */
export function latestModelDir(ws: Workspace): string | undefined {
  if (!existsSync(ws.modelsDir)) return undefined;
  const runs = readdirSync(ws.modelsDir)
    .filter((n) => existsSync(join(ws.modelsDir, n, 'model.tflite')) && statSync(join(ws.modelsDir, n)).isDirectory())
    .sort(compareVersions);
  const last = runs[runs.length - 1];
  return last === undefined ? undefined : join(ws.modelsDir, last);
}

/** `model` is a run id (`v003`), a folder path, or undefined for the newest run. */
export function resolveModelDir(ws: Workspace, model: string | undefined): string {
  if (model === undefined) {
    const dir = latestModelDir(ws);
    if (!dir) throw new InputError(`No trained model found: ${ws.rel(ws.modelsDir)} has no folder with a model.tflite.`, { code: 'publish.no_model', item: ws.rel(ws.modelsDir), hint: 'Run `edgewise train` and `edgewise export` first, or pass --model <folder>.' });
    return dir;
  }
  const asRun = ws.modelDir(model);
  if (!model.includes('/') && existsSync(asRun)) return asRun;
  const p = isAbsolute(model) ? model : resolve(ws.root, model);
  if (existsSync(p)) return p;
  throw new InputError(`Model "${model}" not found (looked for ${ws.rel(asRun)} and ${ws.rel(p)}).`, { code: 'publish.no_model', item: model, hint: `Pass a run id from ${ws.rel(ws.modelsDir)} or a folder holding model.tflite, labels.txt and model_info.json.` });
}

/** Reads and cross-checks the model folder, its labels, metrics and thresholds. Throws InputError naming the file. */
export async function readPublishInputs(ws: Workspace, opts: { model?: string; forceUnevaluated?: boolean; variant?: string } = {}): Promise<PublishInputs> {
  const modelDir = resolveModelDir(ws, opts.model);
  const run = basename(modelDir);
  const floatPath = join(modelDir, 'model.tflite');
  const tflitePath = floatPath;
  const labelsPath = join(modelDir, 'labels.txt');
  const modelInfoPath = join(modelDir, 'model_info.json');
  for (const [p, what] of [[tflitePath, 'the model'], [labelsPath, 'the label file'], [modelInfoPath, 'the model info']] as const) {
    if (!existsSync(p)) throw new InputError(`${ws.rel(p)} is missing (${what} of run ${run}).`, { code: 'publish.missing_file', item: ws.rel(p), hint: 'Re-run `edgewise export` for this run; it writes model.tflite, labels.txt and model_info.json together.' });
  }
  if (statSync(tflitePath).size === 0) throw new InputError(`${ws.rel(tflitePath)} is empty.`, { code: 'publish.empty_model', item: ws.rel(tflitePath), hint: 'Re-run `edgewise export`.' });

  const labels = parseLabelsFile(labelsPath);
  const labelsHash = labelsSha256(labels);
  const modelInfo = readJson(modelInfoPath, ModelInfoSchema, 'model info', 'Re-run `edgewise export` to rewrite it.');
  if (modelInfo.labels !== undefined) {
    const a = modelInfo.labels;
    const i = Array.from({ length: Math.max(a.length, labels.length) }, (_, k) => k).find((k) => a[k] !== labels[k]);
    if (i !== undefined) {
      throw new InputError(
        `The labels in ${ws.rel(modelInfoPath)} do not match ${ws.rel(labelsPath)}: output ${i} is ${JSON.stringify(a[i] ?? null)} in the model info but ${JSON.stringify(labels[i] ?? null)} in labels.txt (line ${i + 1}).`,
        { code: 'publish.labels_mismatch', item: `${ws.rel(labelsPath)}:${i + 1}`, hint: 'The label file must list the model outputs in order: re-run `edgewise export` instead of editing either file.' },
      );
    }
  }
  if (modelInfo.labels_sha256 !== undefined && modelInfo.labels_sha256 !== labelsHash) {
    throw new InputError(`labels_sha256 in ${ws.rel(modelInfoPath)} (${modelInfo.labels_sha256.slice(0, 12)}…) does not match ${ws.rel(labelsPath)} (${labelsHash.slice(0, 12)}…).`, {
      code: 'publish.labels_mismatch', item: ws.rel(labelsPath),
      hint: 'The label file was changed after export: restore it or re-run `edgewise export`.',
    });
  }
  const floatSha256 = await sha256File(floatPath);

  const metricsPath = join(ws.metricsDir, `metrics_${run}.json`);
  const thresholdsPath = join(ws.metricsDir, `thresholds_${run}.json`);
  const metrics = existsSync(metricsPath) ? readJson(metricsPath, MetricsSchema, 'metrics file', 'Re-run `edgewise eval`.') : null;
  const thresholds = existsSync(thresholdsPath) ? readJson(thresholdsPath, ThresholdsSchema, 'thresholds file', 'Re-run `edgewise tune`.') : null;
  if (thresholds?.version !== undefined && thresholds.version !== run) {
    throw new InputError(`${ws.rel(thresholdsPath)} says it belongs to ${thresholds.version}, not ${run}.`, { code: 'publish.thresholds_mismatch', item: ws.rel(thresholdsPath), hint: `Re-run \`edgewise tune\` for ${run}.` });
  }
  // If the evaluation recorded what it evaluated (metrics.model.{tflite,labels}_sha256), it must be this very file and label order.
  const evaluatedModel = (typeof metrics?.model === 'object' && metrics.model !== null ? metrics.model : {}) as Record<string, unknown>;
  for (const [key, v] of [['model.tflite_sha256', evaluatedModel.tflite_sha256], ['tflite_sha256', metrics?.tflite_sha256]] as const) {
    if (typeof v === 'string' && v !== floatSha256) throw new InputError(`${ws.rel(metricsPath)} was computed on a different model file (${key} ${v.slice(0, 12)}…, but ${ws.rel(tflitePath)} is ${floatSha256.slice(0, 12)}…).`, { code: 'publish.metrics_stale', item: ws.rel(metricsPath), hint: 'Re-run `edgewise eval` and `edgewise tune` on this model.' });
  }
  const evaluatedLabels = evaluatedModel.labels_sha256 ?? metrics?.labels_sha256;
  if (typeof evaluatedLabels === 'string' && evaluatedLabels !== labelsHash) {
    throw new InputError(`${ws.rel(metricsPath)} was computed with a different label order.`, { code: 'publish.metrics_stale', item: ws.rel(metricsPath), hint: 'Re-run `edgewise eval` and `edgewise tune` on this model.' });
  }
  const evaluated = metrics !== null && thresholds !== null;
  if (!evaluated && !opts.forceUnevaluated) {
    const missing = metrics === null ? metricsPath : thresholdsPath;
    throw new InputError(`Run ${run} is not evaluated: ${ws.rel(missing)} is missing.`, {
      code: 'publish.unevaluated', item: ws.rel(missing),
      hint: metrics === null ? 'Run `edgewise eval` and `edgewise tune` first (or pass --force-unevaluated; it is recorded in the registry).' : 'Run `edgewise tune` first (or pass --force-unevaluated; it is recorded in the registry).',
    });
  }
  const chosen = await chooseVariant(ws, { modelDir, run, modelInfo, modelInfoPath, metrics, metricsPath, thresholds, floatSha256, ...(opts.variant !== undefined ? { wanted: opts.variant } : {}) });
  return {
    run, modelDir, tflitePath: chosen.path, tfliteSha256: chosen.sha256, labelsPath, labels, labelsSha256: labelsHash, modelInfoPath, modelInfo,
    metricsPath, metrics, thresholdsPath, thresholds, evaluated, variant: chosen.variant,
  };
}

const VariantEntry = z.looseObject({
  name: z.string().min(1),
  file: z.string().regex(/^[^/\\]+\.tflite$/),
  quantization: z.string().default('none'),
  input: z.looseObject({ dtype: z.string().optional() }).optional(),
});
const ScoredVariant = z.looseObject({ name: z.string(), sha256: z.string(), top1: unit, top3: unit, ece: z.number().min(0).max(1) });

/**
 * The file that ships: `wanted` (a variant name from model_info.json), else the evaluation's default (the
 * smallest within 1 point of float32's top-1), else model.tflite. A quantized file must have been evaluated
 * as it is (its SHA-256 in metrics.variants), like the float one.
 */
async function chooseVariant(
  ws: Workspace,
  a: { modelDir: string; run: string; modelInfo: ModelInfo; modelInfoPath: string; metrics: Record<string, unknown> | null; metricsPath: string; thresholds: ThresholdsFile | null; floatSha256: string; wanted?: string },
): Promise<{ path: string; sha256: string; variant: ChosenVariant }> {
  const listed = z.array(VariantEntry).safeParse(a.modelInfo.variants ?? []);
  if (!listed.success) throw new InputError(`${ws.rel(a.modelInfoPath)} has a malformed "variants" list: ${listed.error.issues[0]?.message}.`, { code: 'publish.bad_input', item: ws.rel(a.modelInfoPath), hint: 'Re-run `edgewise train` to rewrite it.' });
  const scored = z.array(ScoredVariant).safeParse(a.metrics?.variants ?? []);
  const scores = scored.success ? scored.data : [];
  const names = ['float32', ...listed.data.map((v) => v.name).filter((n) => n !== 'float32')];
  const defaultName = typeof a.metrics?.default_variant === 'string' ? a.metrics.default_variant : undefined;
  const name = a.wanted ?? defaultName ?? 'float32';
  if (!names.includes(name)) {
    throw new InputError(`Run ${a.run} has no model variant "${name}" (it has ${names.join(', ')}).`, { code: 'publish.unknown_variant', item: name, hint: `Pick one of ${names.join(', ')} (listed in ${ws.rel(a.modelInfoPath)}).` });
  }
  const entry = listed.data.find((v) => v.name === name);
  const file = entry?.file ?? 'model.tflite';
  const path = join(a.modelDir, file);
  if (!existsSync(path)) throw new InputError(`${ws.rel(path)} is missing (the ${name} variant of run ${a.run}).`, { code: 'publish.missing_file', item: ws.rel(path), hint: 'Re-run `edgewise train`: it writes every variant together.' });
  const sha = file === 'model.tflite' ? a.floatSha256 : await sha256File(path);
  const score = scores.find((v) => v.name === name);
  if (a.metrics && file !== 'model.tflite' && (!score || score.sha256 !== sha)) {
    throw new InputError(`${ws.rel(a.metricsPath)} has no evaluation of ${ws.rel(path)} as it is now${score ? ' (its SHA-256 differs)' : ''}.`, { code: 'publish.metrics_stale', item: ws.rel(a.metricsPath), hint: 'Re-run `edgewise eval`: it scores every variant of the run.' });
  }
  const baseInput = a.modelInfo.input as Record<string, unknown>;
  const input = entry?.input ? { ...baseInput, ...entry.input } : baseInput;
  let selective: { coverage: number | null; selective_accuracy: number | null } = { coverage: null, selective_accuracy: null };
  if (score && file !== 'model.tflite' && a.thresholds) selective = variantSelective(join(ws.metricsDir, `predictions_${a.run}.json`), name, a.thresholds);
  return {
    path,
    sha256: sha,
    variant: {
      name,
      file,
      quantization: entry?.quantization ?? 'none',
      input,
      scores: score ? { top1: score.top1, top3: score.top3, ece: score.ece, ...selective } : null,
      chosenBy: a.wanted !== undefined ? 'option' : names.length > 1 ? 'default' : 'only',
    },
  };
}

/** Coverage and selective accuracy of a variant's own test probabilities at the tuned thresholds and temperature. */
function variantSelective(predictionsPath: string, name: string, t: ThresholdsFile): { coverage: number | null; selective_accuracy: number | null } {
  try {
    const pred = JSON.parse(readFileSync(predictionsPath, 'utf8')) as { test: { truth: number[] }; variants?: Record<string, number[][]> };
    const probs = pred.variants?.[name];
    if (!probs) return { coverage: null, selective_accuracy: null };
    const T = num(t.temperature) ?? 1;
    let n = 0;
    let accepted = 0;
    let correct = 0;
    probs.forEach((row, i) => {
      const truth = pred.test.truth[i]!;
      if (truth < 0) return;
      n++;
      const p = T === 1 ? row : softmaxOfLog(row, T);
      let a = 0;
      for (let k = 1; k < p.length; k++) if (p[k]! > p[a]!) a = k;
      let second = 0;
      for (let k = 0; k < p.length; k++) if (k !== a) second = Math.max(second, p[k]!);
      if (p[a]! >= t.tau && p[a]! - second >= t.margin) {
        accepted++;
        if (a === truth) correct++;
      }
    });
    return { coverage: n ? accepted / n : null, selective_accuracy: accepted ? correct / accepted : null };
  } catch {
    return { coverage: null, selective_accuracy: null };
  }
}

/** p^(1/T) renormalised, as the app applies the shipped temperature. */
function softmaxOfLog(p: number[], T: number): number[] {
  const z = p.map((x) => (x > 0 ? Math.log(x) / T : -Infinity));
  const m = Math.max(...z);
  const e = z.map((v) => (v === -Infinity ? 0 : Math.exp(v - m)));
  const s = e.reduce((x, y) => x + y, 0);
  return e.map((v) => v / s);
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The five numbers model.json carries: accuracy from the metrics, coverage from the tuned thresholds. */
export function publishedMetrics(inp: PublishInputs): PublishedMetrics {
  const m = inp.metrics ?? {};
  const t = inp.thresholds;
  const v = inp.variant && inp.variant.quantization !== 'none' ? inp.variant.scores : null;
  if (v) {
    // A quantized file ships: its own scores on the test images (ECE before temperature).
    return { top1: v.top1, top3: v.top3, ece: v.ece, coverage: v.coverage, selective_accuracy: v.selective_accuracy };
  }
  // The app applies the shipped temperature, so the ECE it gets is the one measured after it: publish that,
  // and keep the uncalibrated number beside it (a temperature fitted on a small validation split can hurt).
  const T = publishedTemperature(inp);
  const after = T !== 1 && num(m.temperature) === T ? num(m.ece_after_temperature) : null;
  return {
    top1: num(m.top1),
    top3: num(m.top3),
    ece: after ?? num(m.ece),
    ...(after !== null ? { ece_before_temperature: num(m.ece) } : {}),
    coverage: num(t?.coverage) ?? num(m.coverage),
    selective_accuracy: num(t?.selective_accuracy) ?? num(m.selective_accuracy),
  };
}

export function publishedTemperature(inp: PublishInputs): number {
  return num(inp.thresholds?.temperature) ?? num(inp.metrics?.temperature) ?? 1;
}
