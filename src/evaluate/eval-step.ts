import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../core/atomic.js';
import { InputError, throwIfCancelled } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import { hashValue, sha256File } from '../core/hash.js';
import { ProgressTracker } from '../core/progress.js';
import type { Step, StepContext } from '../core/step.js';
import type { Workspace } from '../core/workspace.js';
import { readSplitsCsv, type SplitRow } from '../split/split-io.js';
import type { ClassifierLoader, ImageClassifier } from './classifier.js';
import { readLabels, resolveModel, type ModelLocation } from './model-dir.js';
import { writeHtmlReport } from './report-file.js';
import { buildMetrics } from './summary.js';
import type { MetricsFile, PredictionsFile, SplitPredictions } from './types.js';
import { defaultVariant, listVariants, scoreVariant, type VariantFile, type VariantMetrics } from './variants.js';

export interface EvalInput {
  /** vNNN; default: the latest model in ml/models. */
  version?: string;
  /** A model folder (ml/models/vNNN); wins over `version`. */
  model?: string;
}

export interface EvalOutput {
  version: string;
  /** Workspace-relative paths. */
  metricsPath: string;
  predictionsPath: string;
  reportPath: string;
  /** The whole metrics file, so screens can draw the report without reading files. */
  metrics: MetricsFile;
}

/** Bumped when the way numbers are computed changes, so old results are not reused. */
const EVAL_LOGIC_VERSION = 2;

export function evalPaths(ctx: StepContext, version: string): { metrics: string; predictions: string; report: string } {
  const dir = ctx.workspace.metricsDir;
  return { metrics: join(dir, `metrics_${version}.json`), predictions: join(dir, `predictions_${version}.json`), report: join(dir, `report_${version}.html`) };
}

async function readSplits(ctx: StepContext): Promise<SplitRow[]> {
  const path = ctx.workspace.splitsCsv;
  const rows = await readSplitsCsv(path);
  if (!rows) {
    throw new InputError(`${ctx.workspace.rel(path)} does not exist: evaluation needs the test split.`, {
      item: ctx.workspace.rel(path),
      code: 'eval.no_splits',
      hint: 'Run `edgewise split` first (the model must be trained on the same splits).',
    });
  }
  return rows;
}

async function* predictSplit(
  name: string,
  rows: readonly SplitRow[],
  labelIndex: ReadonlyMap<string, number>,
  model: ImageClassifier,
  ctx: StepContext,
): AsyncGenerator<StepEvent, SplitPredictions> {
  const images = rows.map((r) => r.image);
  const truth = rows.map((r) => labelIndex.get(r.label) ?? -1);
  const probs: number[][] = [];
  const tracker = new ProgressTracker(name, rows.length, 'img');
  yield tracker.event(0);
  const batch = Math.max(1, model.batchSize ?? 16);
  for (let i = 0; i < rows.length; i += batch) {
    throwIfCancelled(ctx.signal);
    const chunk = rows.slice(i, i + batch);
    const out = await model.classify(chunk.map((r) => join(ctx.workspace.imagesDir, r.image)), ctx.signal);
    if (out.length !== chunk.length) throw new Error(`The runner returned ${out.length} results for ${chunk.length} images.`);
    out.forEach((row, j) => {
      if (row.length !== model.numClasses) throw new Error(`The runner returned ${row.length} probabilities for ${chunk[j]!.image}, expected ${model.numClasses}.`);
      probs.push(Array.from(row, Number));
    });
    const ev = tracker.update(probs.length);
    if (ev) yield ev;
  }
  return { images, truth, probs };
}

/**
 * Evaluates the `.tflite` that will ship: runs it over the test split (and the validation split, to fit the
 * temperature), then writes predictions_vNNN.json, metrics_vNNN.json and report_vNNN.html in ml/metrics.
 * Nothing is written until every prediction is in, so a cancelled run leaves no partial file.
 */
export function createEvalStep(loadClassifier?: ClassifierLoader): Step<EvalInput, EvalOutput> {
  const load: ClassifierLoader =
    loadClassifier ?? (async (p) => (await import('./tflite-classifier.js')).loadTfliteClassifier(p));
  return {
    name: 'eval',
    title: 'Evaluate the model',
    async fingerprint(input, ctx) {
      const m = resolveModel(ctx.workspace, input);
      const splits = ctx.workspace.splitsCsv;
      return hashValue({
        logic: EVAL_LOGIC_VERSION,
        version: m.version,
        tflite: await sha256File(m.tflite),
        labels: await sha256File(m.labels),
        splits: existsSync(splits) ? await sha256File(splits) : null,
        vertex: m.vertexEvaluation ? await sha256File(m.vertexEvaluation) : null,
        variants: await Promise.all(listVariants(m.dir).map(async (v) => [v.name, await sha256File(join(m.dir, v.file))])),
        images: ctx.workspace.imagesDir,
      });
    },
    artifacts(output) {
      return [output.metricsPath, output.predictionsPath, output.reportPath];
    },
    writes: (_input, ctx) => [ctx.workspace.stateDir, ctx.workspace.metricsDir],
    /** The phases in order. */
    async *run(input, ctx) {
      const plan = yield* readEvalInputs(ctx, input);
      yield { type: 'log', message: `Model ${plan.m.version} (${plan.labels.length} labels): ${plan.test.length} test and ${plan.validation.length} validation images.` };
      const variantFiles = listVariants(plan.m.dir);
      const float = yield* predictShippedModel(plan, load, ctx);
      throwIfCancelled(ctx.signal);
      const scored = yield* scoreVariants(plan, variantFiles, float, load, ctx);
      throwIfCancelled(ctx.signal);
      const results = yield* computeMetrics(plan, float, scored, ctx.workspace);
      return yield* writeResults(ctx, plan.m.version, results);
    },
  };
}

/** What evaluation works from: the model, its labels, the split images and Vertex's own evaluation if any. */
interface EvalPlan {
  m: ModelLocation;
  labels: string[];
  labelIndex: Map<string, number>;
  test: SplitRow[];
  validation: SplitRow[];
  /** Test labels the model does not know: their images are not scored. */
  unscoredLabels: string[];
  vertexEvaluation: unknown;
}

/** The inputs phase: refuses a test split with nothing to score or a missing image before any model runs. */
async function* readEvalInputs(ctx: StepContext, input: EvalInput): AsyncGenerator<StepEvent, EvalPlan> {
  const ws = ctx.workspace;
  const m = resolveModel(ws, input);
  const labels = await readLabels(m.labels);
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const rows = await readSplits(ctx);
  const test = rows.filter((r) => r.split === 'test');
  const validation = rows.filter((r) => r.split === 'validation');
  const scorable = test.filter((r) => labelIndex.has(r.label));
  if (scorable.length === 0) {
    throw new InputError(
      test.length === 0
        ? `${ws.rel(ws.splitsCsv)} has no test images.`
        : `None of the ${test.length} test images in ${ws.rel(ws.splitsCsv)} has a label the model knows (${labels.slice(0, 5).join(', ')}${labels.length > 5 ? ' …' : ''}).`,
      { item: ws.rel(ws.splitsCsv), code: 'eval.no_test_images', hint: 'Rerun `edgewise split` with a test share above 0, and make sure the model was trained on these labels.' },
    );
  }
  const unscoredLabels = [...new Set(test.filter((r) => !labelIndex.has(r.label)).map((r) => r.label))].sort();
  if (unscoredLabels.length) {
    yield {
      type: 'warning',
      code: 'eval.unknown_labels',
      item: ws.rel(m.labels),
      message: `the model has no label ${unscoredLabels.map((l) => `"${l}"`).join(', ')}: ${test.length - scorable.length} test image(s) with it are not scored.`,
    };
  }
  for (const r of [...test, ...validation]) {
    if (!existsSync(join(ws.imagesDir, r.image))) {
      throw new InputError(`Image ${r.image} (listed in ${ws.rel(ws.splitsCsv)}) is not in ${ws.rel(ws.imagesDir)}.`, {
        item: r.image,
        code: 'eval.missing_image',
        hint: 'Restore the image, or rerun `edgewise validate` and `edgewise split` so the splits match the folder.',
      });
    }
  }
  return { m, labels, labelIndex, test, validation, unscoredLabels, vertexEvaluation: await readVertexEvaluation(ws, m) };
}

async function readVertexEvaluation(ws: Workspace, m: ModelLocation): Promise<unknown> {
  if (!m.vertexEvaluation) return undefined;
  try {
    return JSON.parse(await readFile(m.vertexEvaluation, 'utf8'));
  } catch (e) {
    throw new InputError(`${ws.rel(m.vertexEvaluation)} is not valid JSON.`, { item: ws.rel(m.vertexEvaluation), code: 'eval.bad_vertex_evaluation', hint: 'Rerun `edgewise export` to fetch it again, or delete it.', cause: e });
  }
}

/** The shipped model's predictions: test, then validation (to fit the temperature), and its speed on test. */
interface FloatPredictions {
  test: SplitPredictions;
  validation: SplitPredictions;
  msPerImage: number | undefined;
}

/** The predict phase: model.tflite over the test and validation splits, after checking it matches labels.txt. */
async function* predictShippedModel(plan: EvalPlan, load: ClassifierLoader, ctx: StepContext): AsyncGenerator<StepEvent, FloatPredictions> {
  const ws = ctx.workspace;
  const { m, labels } = plan;
  const model = await load(m.tflite);
  try {
    if (model.numClasses !== labels.length) {
      throw new InputError(`${ws.rel(m.labels)} lists ${labels.length} labels but the model outputs ${model.numClasses} probabilities.`, {
        item: ws.rel(m.labels),
        code: 'eval.labels_mismatch',
        hint: 'labels.txt must list the labels of this model, in output order: export or train it again.',
      });
    }
    if (model.labels && model.labels.length > 0 && model.labels.join('\n') !== labels.join('\n')) {
      yield {
        type: 'warning',
        code: 'eval.labels_differ',
        item: ws.rel(m.labels),
        message: `the labels stored in model.tflite differ from labels.txt (${model.labels.slice(0, 3).join(', ')}… vs ${labels.slice(0, 3).join(', ')}…): scoring with labels.txt.`,
      };
    }
    const test = yield* predictSplit('test', plan.test, plan.labelIndex, model, ctx);
    // Read before the validation split runs: the speed reported is the test split's.
    const msPerImage = model.msPerImage?.();
    const validation = yield* predictSplit('validation', plan.validation, plan.labelIndex, model, ctx);
    return { test, validation, msPerImage };
  } finally {
    await model.close?.();
  }
}

/** The variants phase: the run's other model files (quantized variants) on the same test images. */
async function* scoreVariants(plan: EvalPlan, files: VariantFile[], float: FloatPredictions, load: ClassifierLoader, ctx: StepContext): AsyncGenerator<StepEvent, { variants: VariantMetrics[]; probs: Record<string, number[][]> }> {
  const ws = ctx.workspace;
  const probs: Record<string, number[][]> = {};
  const variants: VariantMetrics[] = [];
  for (const v of files) {
    const path = join(plan.m.dir, v.file);
    const fileInfo = { size_bytes: statSync(path).size, sha256: await sha256File(path) };
    if (v.file === 'model.tflite') {
      variants.push(scoreVariant({ ...v, ...fileInfo, ms_per_image: float.msPerImage ?? null }, float.test.probs, float.test.truth, float.test.probs));
      continue;
    }
    const vm = await load(path);
    try {
      if (vm.numClasses !== plan.labels.length) {
        throw new InputError(`${ws.rel(path)} outputs ${vm.numClasses} probabilities but ${ws.rel(plan.m.labels)} lists ${plan.labels.length} labels.`, { item: ws.rel(path), code: 'eval.labels_mismatch', hint: 'Train the model again: its variants are written together.' });
      }
      const pred = yield* predictSplit(`test ${v.name}`, plan.test, plan.labelIndex, vm, ctx);
      probs[v.name] = pred.probs;
      variants.push(scoreVariant({ ...v, ...fileInfo, ms_per_image: vm.msPerImage?.() ?? null }, pred.probs, pred.truth, float.test.probs));
    } finally {
      await vm.close?.();
    }
  }
  return { variants, probs };
}

/** The metrics phase: the predictions file and the metrics (temperature fitted on validation, the default variant). */
async function* computeMetrics(plan: EvalPlan, float: FloatPredictions, scored: { variants: VariantMetrics[]; probs: Record<string, number[][]> }, ws: Workspace): AsyncGenerator<StepEvent, { predictions: PredictionsFile; metrics: MetricsFile }> {
  const { m } = plan;
  const tfliteSha256 = await sha256File(m.tflite);
  const predictions: PredictionsFile = {
    version: m.version,
    labels: plan.labels,
    temperature: 1,
    test: float.test,
    validation: float.validation,
    ...(Object.keys(scored.probs).length ? { variants: scored.probs } : {}),
  };
  const metrics = buildMetrics(predictions, {
    modelPath: ws.rel(m.tflite),
    tfliteSha256,
    unscoredLabels: plan.unscoredLabels,
    ...(plan.vertexEvaluation !== undefined ? { vertexEvaluation: plan.vertexEvaluation } : {}),
  });
  predictions.temperature = metrics.temperature;
  if (scored.variants.length > 1) {
    metrics.variants = scored.variants;
    metrics.default_variant = defaultVariant(scored.variants)?.name ?? 'float32';
  }
  if (metrics.temperature_scaling.note) yield { type: 'log', message: `Temperature: ${metrics.temperature_scaling.note}.` };
  if (float.validation.truth.filter((t) => t >= 0).length === 0) {
    yield { type: 'warning', code: 'eval.no_validation', item: ws.rel(ws.splitsCsv), message: 'no scorable validation images: temperature scaling skipped (T = 1).' };
  }
  return { predictions, metrics };
}

/** The write phase: predictions, metrics and the HTML report, then their artifacts and the headline numbers. */
async function* writeResults(ctx: StepContext, version: string, { predictions, metrics }: { predictions: PredictionsFile; metrics: MetricsFile }): AsyncGenerator<StepEvent, EvalOutput> {
  const ws = ctx.workspace;
  const paths = evalPaths(ctx, version);
  throwIfCancelled(ctx.signal);
  await writeJsonAtomic(paths.predictions, predictions);
  await writeJsonAtomic(paths.metrics, metrics);
  await writeHtmlReport(ws, metrics, predictions);
  yield { type: 'artifact', path: ws.rel(paths.predictions), kind: 'predictions', description: 'per-image probabilities, input of tune' };
  yield { type: 'artifact', path: ws.rel(paths.metrics), kind: 'metrics' };
  yield { type: 'artifact', path: ws.rel(paths.report), kind: 'report', description: 'open in a browser' };
  yield { type: 'metric', name: 'top1', value: metrics.top1 };
  yield { type: 'metric', name: 'top3', value: metrics.top3 };
  yield { type: 'metric', name: 'ece', value: metrics.ece };
  return {
    version,
    metricsPath: ws.rel(paths.metrics),
    predictionsPath: ws.rel(paths.predictions),
    reportPath: ws.rel(paths.report),
    metrics,
  };
}

export const evalStep = createEvalStep();
