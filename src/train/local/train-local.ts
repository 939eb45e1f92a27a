import { existsSync } from 'node:fs';
import { rename, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { writeFileAtomic, writeJsonAtomic } from '../../core/atomic.js';
import { InputError, throwIfCancelled } from '../../core/errors.js';
import type { StepEvent } from '../../core/events.js';
import { sha256 } from '../../core/hash.js';
import type { StepContext } from '../../core/step.js';
import { ProgressTracker } from '../../core/progress.js';
import { percent } from '../../core/text.js';
import { streamEvents } from '../../core/event-queue.js';
import { readSplitsCsv, type SplitRow } from '../../split/split-io.js';
import { nextModelVersion } from '../model-version.js';
import { featureModel, type Backbone, type FeatureSpec } from './backbone.js';
import { DEFAULT_BACKBONE, resolveBackbone } from './backbones.js';
import type { RemoteBackbone } from './remote-backbone.js';
import { embedDataset, type EmbedRequest, type EmbedResult } from './embed-dataset.js';
import { DEFAULT_EMBED_PRECISION, FEATURE_CALIBRATION_IMAGES } from './embed-pool.js';
import type { View } from './embedding-cache.js';
import { buildClassifier } from './export-model.js';
import { headAccuracy, predictHead, trainHead, trainHeadEpochs, type FeatureSet, type TrainedHead } from './head.js';
import { buildVariants, calibrationSample, DEFAULT_CALIBRATION_IMAGES, type VariantInfo } from './quantized-variants.js';
import { preprocessId, preprocessImage } from './preprocess.js';
import { cosine } from './vectors.js';
import type { TrainSettings } from '../../config/schema.js';
import { loadTf, type Tf } from './tf-runtime.js';
import type { LayersModel, Tensor } from '@tensorflow/tfjs';

export interface LocalTrainOutput {
  backend: 'local';
  version: string;
  /** Workspace-relative paths. */
  modelDir: string;
  tflite: string;
  labelsFile: string;
  infoFile: string;
  labels: string[];
  backbone: string;
  layers: string[];
  pooling: FeatureSpec['pooling'];
  metrics: LocalTrainMetrics;
  embedded: { computed: number; cached: number; threads: number; backend: string; rate: number };
}

export interface LocalTrainMetrics {
  train_accuracy: number;
  val_accuracy: number | null;
  val_loss: number | null;
  /** Top-1 of the head on the test split's embeddings (evaluation of the .tflite is the next step). */
  test_top1: number | null;
  epochs: number;
  best_epoch: number;
  n_train: number;
  n_validation: number;
  n_test: number;
  head_samples_per_second: number;
}

/** Reads splits.csv and checks it can be trained on; labels are sorted (that is the model output order). */
export async function readTrainingSplits(ctx: StepContext): Promise<{ rows: SplitRow[]; labels: string[] }> {
  const path = ctx.workspace.splitsCsv;
  const rows = await readSplitsCsv(path);
  if (!rows) {
    throw new InputError(`${ctx.workspace.rel(path)} does not exist.`, { code: 'train.no_splits', item: path, hint: 'Run `edgewise split` first.' });
  }
  const labels = [...new Set(rows.filter((r) => r.split === 'train').map((r) => r.label))].sort();
  if (labels.length < 2) {
    throw new InputError(`The train split of ${ctx.workspace.rel(path)} has ${labels.length} label(s); a classifier needs at least 2.`, {
      code: 'train.too_few_labels',
      item: path,
      hint: 'Add images of at least two labels to the manifest, then rerun validate and split.',
    });
  }
  for (const r of rows) {
    if (r.split !== 'train' && !labels.includes(r.label)) {
      throw new InputError(`${ctx.workspace.rel(path)}: label "${r.label}" of ${r.image} (${r.split}) has no training image.`, {
        code: 'train.label_not_in_train',
        item: r.image,
        hint: 'Add training images of that label or remove it, then rerun `edgewise split`.',
      });
    }
  }
  return { rows, labels };
}

/** The local backend's settings: config.train without the cloud knobs (they must not retrain a local model). */
export type LocalTrainSettings = Omit<TrainSettings, 'vertex' | 'backbone'> & { backbone: string };

export function settingsOf(ctx: StepContext): LocalTrainSettings {
  const { vertex: _cloud, ...local } = ctx.config.train;
  return { ...local, backbone: local.backbone ?? DEFAULT_BACKBONE };
}

/** What training works from: the split's rows, the labels in output order, the backbone and its features. */
interface TrainPlan {
  labels: string[];
  train: SplitRow[];
  validation: SplitRow[];
  test: SplitRow[];
  backbone: Backbone | RemoteBackbone;
  /** The features embedded (and exported, unless the global mean is chosen from a grid). */
  spec: FeatureSpec;
  /** Train a head on the 2×2 grid and one on its global mean, and let validation choose. */
  choosePooling: boolean;
}

/** Feature sets of one pooling: train with its flips, train once (for its accuracy), validation and test. */
interface HeadSets {
  train: FeatureSet;
  trainOnce: FeatureSet;
  val: FeatureSet | undefined;
  test: FeatureSet | undefined;
}

/** The head kept, the features it reads and the sets it is scored on. */
interface ChosenHead {
  head: TrainedHead;
  spec: FeatureSpec;
  sets: HeadSets;
  /** From the embedded features to the head's (the identity, or grid to global mean). */
  toFeatures: (v: Float32Array) => Float32Array;
  /** Validation accuracy of both heads, when validation chose the pooling. */
  poolingChoice?: { grid2: number; mean: number };
}

type Variant = { info: VariantInfo; bytes: Uint8Array };

/**
 * Local training: embed every split image through the cache (new images only), train the head on the
 * train split with early stopping on validation, then export backbone+pooling+head as one .tflite with
 * labels.txt and model_info.json into the next free ml/models/vNNN/.
 */
export async function* trainLocal(ctx: StepContext): AsyncGenerator<StepEvent, LocalTrainOutput, void> {
  const s = settingsOf(ctx);
  const plan = await planTraining(ctx, s);
  yield { type: 'log', message: describePlan(plan) };
  if ('download' in plan.backbone && !plan.backbone.cached()) yield* downloadBackbone(plan.backbone, ctx);
  const emb = yield* embedSplits(plan, s, ctx);
  const sets = gridSets(plan, emb.vectors);
  if (!sets.val) yield { type: 'warning', code: 'train.no_validation', message: 'No validation images: early stopping watches the training loss instead.' };
  const { tf, backend: tfBackend } = await loadTf();
  yield { type: 'log', message: `Head trained with tfjs on the ${tfBackend === 'tensorflow' ? 'native tfjs-node (tensorflow)' : tfBackend} backend.` };
  const chosen = yield* trainHeads(tf, plan, sets, s, ctx.signal);
  const metrics = headMetrics(chosen, plan);
  yield { type: 'log', message: `Head: best epoch ${chosen.head.bestEpoch}/${chosen.head.history.length}; validation ${percent(metrics.val_accuracy)}, test ${percent(metrics.test_top1)} (on embeddings).` };
  const model = await buildClassifier(tf, plan.backbone, chosen.spec, chosen.head);
  await checkExport(tf, model, plan, chosen, emb, ctx.workspace.imagesDir);
  const info = modelInfo(plan, chosen, metrics, { embedding: emb.backend, head: tfBackend }, s);
  const variants = yield* exportVariants(model, plan, info, s, ctx);
  const { version, finalDir } = await writeModelVersion(ctx, variants, plan.labels, { ...info, variants: variants.map((v) => v.info) });
  return yield* announceModel(ctx, version, finalDir, variants, {
    labels: plan.labels,
    backbone: plan.backbone.id,
    layers: chosen.spec.layers,
    pooling: chosen.spec.pooling,
    metrics,
    embedded: { computed: emb.computed, cached: emb.cached, threads: emb.threads, backend: emb.backend, rate: emb.rate },
  });
}

async function planTraining(ctx: StepContext, s: LocalTrainSettings): Promise<TrainPlan> {
  const { rows, labels } = await readTrainingSplits(ctx);
  const backbone = resolveBackbone(s.backbone, ctx.workspace.cacheDir);
  const spec: FeatureSpec = {
    layers: s.layers ?? backbone.defaultFeatures.layers,
    pooling: s.pooling ?? backbone.defaultFeatures.pooling,
  };
  // Unless train.pooling says otherwise, a 2×2 grid embedding also gives the global mean exactly (the mean of
  // the four cell means), so both heads are trained and validation picks: the grid won by 8 points on a
  // 10-class set and lost 3 on ants/bees (docs/notes/local-backbone.md).
  const choosePooling = s.pooling === undefined && spec.pooling === 'grid2' && spec.layers.length === 1;
  return {
    labels,
    train: rows.filter((r) => r.split === 'train'),
    validation: rows.filter((r) => r.split === 'validation'),
    test: rows.filter((r) => r.split === 'test'),
    backbone,
    spec,
    choosePooling,
  };
}

function describePlan(p: TrainPlan): string {
  const pooling = p.choosePooling ? '2×2 grid or global mean, chosen on validation' : `${p.spec.pooling} pooling`;
  return `${p.train.length} train, ${p.validation.length} validation, ${p.test.length} test images; ${p.labels.length} labels; backbone ${p.backbone.id} at ${p.spec.layers.join(' + ')} (${pooling}).`;
}

/** The embed phase: every split image (train ones flipped too, when asked) through the embedding cache. */
async function* embedSplits(plan: TrainPlan, s: LocalTrainSettings, ctx: StepContext): AsyncGenerator<StepEvent, EmbedResult> {
  const imagesDir = ctx.workspace.imagesDir;
  const reqs: EmbedRequest[] = [...plan.train, ...plan.validation, ...plan.test].map((r) => ({
    file: join(imagesDir, r.image),
    name: r.image,
    views: (r.split === 'train' && s.flipAugment ? ['orig', 'flip'] : ['orig']) as View[],
  }));
  const emb = yield* embedDataset(reqs, {
    backbone: plan.backbone,
    spec: plan.spec,
    cacheDir: ctx.workspace.cacheDir,
    workers: s.workers ?? Math.min(2, availableParallelism()),
    runtime: s.embedRuntime ?? 'auto',
    precision: s.embedPrecision ?? DEFAULT_EMBED_PRECISION,
    // Read only when the int8 feature model is not cached yet: a seeded sample of the train split.
    calibration: () => calibrationSample(plan.train, FEATURE_CALIBRATION_IMAGES, s.seed).map((r) => join(imagesDir, r.image)),
    signal: ctx.signal,
  });
  yield { type: 'metric', name: 'embedded_new', value: emb.computed };
  throwIfCancelled(ctx.signal);
  return emb;
}

/** The embedded features as the head's sets; `vectors` are in plan order (train, validation, test). */
function gridSets(plan: TrainPlan, vectors: Float32Array[][]): HeadSets {
  const labelIndex = new Map(plan.labels.map((l, i) => [l, i]));
  const nT = plan.train.length;
  const nV = plan.validation.length;
  const set = (rows: SplitRow[], from: number, withFlip: boolean): FeatureSet => featureSet(rows, vectors.slice(from, from + rows.length), labelIndex, withFlip);
  return {
    train: set(plan.train, 0, true),
    trainOnce: set(plan.train, 0, false),
    val: nV > 0 ? set(plan.validation, nT, false) : undefined,
    test: plan.test.length > 0 ? set(plan.test, nT + nV, false) : undefined,
  };
}

/** One row per image and view (only the first view unless `withFlip`), labelled by index. */
function featureSet(rows: SplitRow[], vectors: Float32Array[][], labelIndex: Map<string, number>, withFlip: boolean): FeatureSet {
  const vecs: Float32Array[] = [];
  const ys: number[] = [];
  rows.forEach((row, i) => {
    const v = vectors[i]!;
    for (let k = 0; k < (withFlip ? v.length : 1); k++) {
      vecs.push(v[k]!);
      ys.push(labelIndex.get(row.label)!);
    }
  });
  const dim = vecs[0]?.length ?? 0;
  const x = new Float32Array(vecs.length * dim);
  vecs.forEach((r, i) => x.set(r, i * dim));
  return { x, y: Int32Array.from(ys), n: vecs.length, dim };
}

/**
 * The train phase: the head on the embedded features, epoch by epoch as events; when the pooling is to be
 * chosen, first a head on the global means (quietly), then validation picks one of the two.
 */
async function* trainHeads(tf: Tf, plan: TrainPlan, grid: HeadSets, s: LocalTrainSettings, signal?: AbortSignal): AsyncGenerator<StepEvent, ChosenHead> {
  let mean: { head: TrainedHead; sets: HeadSets } | undefined;
  if (plan.choosePooling) {
    const sets = { train: gridToMean(grid.train), trainOnce: gridToMean(grid.trainOnce), val: grid.val && gridToMean(grid.val), test: grid.test && gridToMean(grid.test) };
    mean = { head: await trainHead(tf, sets.train, sets.val, plan.labels.length, { ...s }, signal ? { signal } : {}), sets };
    throwIfCancelled(signal);
  }
  const head = yield* trainHeadWithEvents(tf, grid, plan.labels.length, s, signal);
  const gridHead: ChosenHead = { head, spec: plan.spec, sets: grid, toFeatures: (v) => v };
  return mean ? yield* choosePooling(gridHead, mean) : gridHead;
}

/** Each epoch's loss and accuracy as metrics, every 10th as a status line, and the epoch bar. */
async function* trainHeadWithEvents(tf: Tf, sets: HeadSets, classes: number, s: LocalTrainSettings, signal?: AbortSignal): AsyncGenerator<StepEvent, TrainedHead> {
  const epochs = trainHeadEpochs(tf, sets.train, sets.val, classes, { ...s }, signal);
  for (;;) {
    const r = await epochs.next();
    if (r.done) {
      throwIfCancelled(signal);
      // Early stopping ends before `epochs`: close the bar at the epochs actually run.
      yield { type: 'progress', phase: 'train', done: r.value.history.length, total: r.value.history.length, unit: 'epoch' };
      return r.value;
    }
    const e = r.value;
    yield { type: 'metric', name: 'loss', value: e.loss, iteration: e.epoch };
    yield { type: 'metric', name: 'accuracy', value: e.accuracy, iteration: e.epoch };
    if (e.valLoss !== undefined) yield { type: 'metric', name: 'val_loss', value: e.valLoss, iteration: e.epoch };
    if (e.valAccuracy !== undefined) yield { type: 'metric', name: 'val_accuracy', value: e.valAccuracy, iteration: e.epoch };
    // Every 10th epoch as a status line too, for the plain-text reporter.
    if (e.epoch % 10 === 0) {
      yield { type: 'status', state: 'training', message: `epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, accuracy ${percent(e.accuracy)}, validation ${percent(e.valAccuracy ?? null)}`, data: { ...e } };
    }
    yield { type: 'progress', phase: 'train', done: e.epoch, total: s.epochs, unit: 'epoch' };
  }
}

/** Validation accuracy decides; a tie (or no validation split) keeps the smaller, position-free global mean. */
async function* choosePooling(grid: ChosenHead, mean: { head: TrainedHead; sets: HeadSets }): AsyncGenerator<StepEvent, ChosenHead> {
  const poolingChoice = { grid2: grid.sets.val ? headAccuracy(grid.head, grid.sets.val) : 0, mean: mean.sets.val ? headAccuracy(mean.head, mean.sets.val) : 0 };
  const chosen: ChosenHead =
    poolingChoice.grid2 > poolingChoice.mean
      ? { ...grid, poolingChoice }
      : { head: mean.head, spec: { ...grid.spec, pooling: 'mean' }, sets: mean.sets, toFeatures: (v) => gridToMean({ x: v, y: new Int32Array(1), n: 1, dim: v.length }).x, poolingChoice };
  yield {
    type: 'log',
    message: grid.sets.val
      ? `Pooling: ${chosen.spec.pooling === 'grid2' ? '2×2 grid' : 'global mean'} chosen on validation (2×2 grid ${percent(poolingChoice.grid2)}, global mean ${percent(poolingChoice.mean)}).`
      : 'Pooling: global mean (no validation split to choose with).',
  };
  return chosen;
}

function headMetrics({ head, sets }: ChosenHead, plan: TrainPlan): LocalTrainMetrics {
  const best = head.history[head.bestEpoch - 1] ?? head.history[head.history.length - 1]!;
  return {
    train_accuracy: headAccuracy(head, sets.trainOnce),
    val_accuracy: sets.val ? headAccuracy(head, sets.val) : null,
    val_loss: best.valLoss ?? null,
    test_top1: sets.test ? headAccuracy(head, sets.test) : null,
    epochs: head.history.length,
    best_epoch: head.bestEpoch,
    n_train: plan.train.length,
    n_validation: plan.validation.length,
    n_test: plan.test.length,
    head_samples_per_second: head.samplesPerSecond,
  };
}

/**
 * Self-check on the first two train images: the exported network (one tfjs model: backbone, pooling, head) must compute what the head computes on the
 * features. Float embeddings are those features (every float engine within 1e-4 of tfjs); int8 ones are not,
 * so for them the reference features come from the float feature model in tfjs, and the int8 vectors must
 * still point the same way (cosine ≥ 0.98: a wrong preprocessing or layer would be far off).
 */
async function checkExport(tf: Tf, model: LayersModel, plan: TrainPlan, chosen: ChosenHead, emb: EmbedResult, imagesDir: string): Promise<void> {
  const { input } = plan.backbone;
  const features = emb.precision === 'int8' ? featureModel(tf, await plan.backbone.load(tf), chosen.spec) : undefined;
  let maxDiff = 0;
  for (const [i, row] of plan.train.slice(0, 2).entries()) {
    const px = await preprocessImage(join(imagesDir, row.image), input);
    const run = (m: LayersModel): Promise<Float32Array> => {
      const y = tf.tidy(() => m.predict(tf.tensor4d(px, [1, input.height, input.width, 3])) as Tensor);
      return (y.data() as Promise<Float32Array>).finally(() => y.dispose());
    };
    const full = await run(model);
    const embedded = chosen.toFeatures(emb.vectors[i]![0]!);
    let reference = embedded;
    if (features) {
      reference = await run(features);
      const cos = cosine(embedded, reference);
      if (!(cos >= 0.98)) throw new Error(`internal: the int8 embeddings are far from the float features (cosine ${cos.toFixed(4)} on ${row.image}).`);
    }
    const viaHead = predictHead(chosen.head, reference, 1);
    for (let c = 0; c < plan.labels.length; c++) maxDiff = Math.max(maxDiff, Math.abs(full[c]! - viaHead[c]!));
  }
  if (maxDiff > 1e-3) throw new Error(`internal: the exported network disagrees with the trained head (max |Δp| = ${maxDiff}).`);
}

/** model_info.json without its variants (they are added once built). */
function modelInfo(plan: TrainPlan, { spec, poolingChoice }: ChosenHead, metrics: LocalTrainMetrics, runtimes: { embedding: string; head: string }, s: LocalTrainSettings) {
  const { backbone, labels } = plan;
  return {
    backend: 'local' as const,
    backbone: backbone.id,
    layer: spec.layers.join('+'),
    layers: spec.layers,
    pooling: spec.pooling,
    ...(poolingChoice ? { pooling_validation_accuracy: poolingChoice } : {}),
    head: { hidden: s.hidden },
    preprocessing: preprocessId,
    /** Which engines ran: embeddings (litert, or a tfjs backend; `cache` when all were cached) and the head (tfjs backend). */
    runtimes,
    input: { ...backbone.input, layout: 'NHWC', fit: 'fill' },
    labels,
    labels_sha256: sha256(labels.join('\n')),
    metrics,
    seed: s.seed,
    created_at: new Date().toISOString(),
  };
}

/** The export phase: the network as .tflite files, float32 first, then the quantized variants asked for. */
async function* exportVariants(model: LayersModel, plan: TrainPlan, info: ReturnType<typeof modelInfo>, s: LocalTrainSettings, ctx: StepContext): AsyncGenerator<StepEvent, Variant[]> {
  const { layersModelSpec } = await import('../../tflite/convert-layers.js');
  const { backbone } = plan;
  const modelSpec = layersModelSpec(model, {
    labels: plan.labels,
    inputRange: backbone.input.range,
    description: `edgewise local model: ${backbone.id} @ ${info.layer} (${info.pooling}) + softmax head`,
    info: { backbone: backbone.id, layer: info.layer, pooling: info.pooling, preprocessing: preprocessId },
  });
  // Not disposed: its backbone layers are the cached backbone shared with later runs in this process.
  const calibrationRows = calibrationSample(plan.train, s.calibrationImages ?? DEFAULT_CALIBRATION_IMAGES, s.seed);
  const variants = yield* buildVariants(modelSpec, {
    modes: s.quantize ?? ['int8-weights', 'int8'],
    calibrationFiles: calibrationRows.map((r) => join(ctx.workspace.imagesDir, r.image)),
    inputRange: backbone.input.range,
    signal: ctx.signal,
  });
  throwIfCancelled(ctx.signal);
  return variants;
}

/** The write phase: into a hidden folder then renamed, so a cancelled or failed export leaves no half version. */
async function writeModelVersion(ctx: StepContext, variants: Variant[], labels: string[], info: object): Promise<{ version: string; finalDir: string }> {
  const version = nextModelVersion(ctx.workspace.modelsDir);
  const finalDir = ctx.workspace.modelDir(version);
  const tmpDir = join(ctx.workspace.modelsDir, `.${version}.tmp-${process.pid}`);
  try {
    await rm(tmpDir, { recursive: true, force: true });
    await mkdir(tmpDir, { recursive: true });
    for (const v of variants) await writeFileAtomic(join(tmpDir, v.info.file), v.bytes);
    await writeFileAtomic(join(tmpDir, 'labels.txt'), labels.join('\n') + '\n');
    await writeJsonAtomic(join(tmpDir, 'model_info.json'), info);
    throwIfCancelled(ctx.signal);
    if (existsSync(finalDir)) throw new Error(`internal: ${finalDir} appeared while training`);
    await rename(tmpDir, finalDir);
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  return { version, finalDir };
}

/** The step's output, and one artifact event per file written (each variant's size beside float32's). */
async function* announceModel(ctx: StepContext, version: string, finalDir: string, variants: Variant[], rest: Omit<LocalTrainOutput, 'backend' | 'version' | 'modelDir' | 'tflite' | 'labelsFile' | 'infoFile'>): AsyncGenerator<StepEvent, LocalTrainOutput> {
  const rel = (p: string): string => ctx.workspace.rel(p);
  const out: LocalTrainOutput = {
    backend: 'local',
    version,
    modelDir: rel(finalDir),
    tflite: rel(join(finalDir, 'model.tflite')),
    labelsFile: rel(join(finalDir, 'labels.txt')),
    infoFile: rel(join(finalDir, 'model_info.json')),
    ...rest,
  };
  const float32Bytes = variants[0]!.bytes.length;
  for (const v of variants) {
    const mb = (v.info.size_bytes / 1e6).toFixed(2);
    const pct = v.info.name === 'float32' ? '' : `, ${percent(v.info.size_bytes / float32Bytes, 0)} of float32`;
    yield { type: 'artifact', path: rel(join(finalDir, v.info.file)), kind: 'model', description: `${version} ${v.info.name} .tflite (${mb} MB${pct})` };
  }
  yield { type: 'artifact', path: out.labelsFile, kind: 'labels' };
  yield { type: 'artifact', path: out.infoFile, kind: 'model-info' };
  return out;
}

/** Global means from 2×2 grid features (four cell means of C channels each, cells first): exact for even maps. */
function gridToMean(set: FeatureSet): FeatureSet {
  const c = set.dim / 4;
  const x = new Float32Array(set.n * c);
  for (let r = 0; r < set.n; r++) {
    const o = r * set.dim;
    for (let k = 0; k < c; k++) x[r * c + k] = (set.x[o + k]! + set.x[o + c + k]! + set.x[o + 2 * c + k]! + set.x[o + 3 * c + k]!) / 4;
  }
  return { x, y: set.y, n: set.n, dim: c };
}

/** A backbone fetched on first use: its download as a `download` phase counted in bytes, cancellable. */
async function* downloadBackbone(backbone: RemoteBackbone, ctx: StepContext): AsyncGenerator<StepEvent, void, void> {
  yield { type: 'log', message: `Downloading backbone ${backbone.id} (once; kept in .edgewise/cache/backbones/).` };
  let tracker: ProgressTracker | undefined;
  try {
    yield* streamEvents((emit) =>
      backbone.download((done, total) => {
        tracker ??= new ProgressTracker('download', total, 'bytes');
        const ev = tracker.update(done);
        if (ev) emit(ev);
      }, ctx.signal),
    );
  } catch (e) {
    throwIfCancelled(ctx.signal);
    throw e;
  }
}
