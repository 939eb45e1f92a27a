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
import type { FeatureSpec } from './backbone.js';
import { DEFAULT_BACKBONE, resolveBackbone } from './backbones.js';
import type { RemoteBackbone } from './remote-backbone.js';
import { embedDataset, type EmbedRequest } from './embed-dataset.js';
import { DEFAULT_EMBED_PRECISION, FEATURE_CALIBRATION_IMAGES } from './embed-pool.js';
import type { View } from './embedding-cache.js';
import { buildClassifier } from './export-model.js';
import { headAccuracy, predictHead, trainHead, trainHeadEpochs, type FeatureSet, type TrainedHead } from './head.js';
import { buildVariants, calibrationSample, DEFAULT_CALIBRATION_IMAGES } from './quantized-variants.js';
import { preprocessId, preprocessImage } from './preprocess.js';
import type { TrainSettings } from '../../config/schema.js';
import { loadTf } from './tf-runtime.js';

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

/**
 * Local training: embed every split image through the cache (new images only), train the head on the
 * train split with early stopping on validation, then export backbone+pooling+head as one .tflite with
 * labels.txt and model_info.json into the next free ml/models/vNNN/.
 */
export async function* trainLocal(ctx: StepContext): AsyncGenerator<StepEvent, LocalTrainOutput, void> {
  const s = settingsOf(ctx);
  const { rows, labels } = await readTrainingSplits(ctx);
  const backbone = resolveBackbone(s.backbone, ctx.workspace.cacheDir);
  const embedSpec: FeatureSpec = {
    layers: s.layers ?? backbone.defaultFeatures.layers,
    pooling: s.pooling ?? backbone.defaultFeatures.pooling,
  };
  // Unless train.pooling says otherwise, a 2×2 grid embedding also gives the global mean exactly (the mean of
  // the four cell means), so both heads are trained and validation picks: the grid won by 8 points on a
  // 10-class set and lost 3 on ants/bees (docs/notes/local-backbone.md).
  const choosePooling = s.pooling === undefined && embedSpec.pooling === 'grid2' && embedSpec.layers.length === 1;
  let spec = embedSpec;
  const trainRows = rows.filter((r) => r.split === 'train');
  const valRows = rows.filter((r) => r.split === 'validation');
  const testRows = rows.filter((r) => r.split === 'test');
  yield { type: 'log', message: `${trainRows.length} train, ${valRows.length} validation, ${testRows.length} test images; ${labels.length} labels; backbone ${backbone.id} at ${spec.layers.join(' + ')} (${choosePooling ? '2×2 grid or global mean, chosen on validation' : `${spec.pooling} pooling`}).` };

  if ('download' in backbone && !backbone.cached()) yield* downloadBackbone(backbone, ctx);

  const reqs: EmbedRequest[] = [...trainRows, ...valRows, ...testRows].map((r) => ({
    file: join(ctx.workspace.imagesDir, r.image),
    name: r.image,
    views: (r.split === 'train' && s.flipAugment ? ['orig', 'flip'] : ['orig']) as View[],
  }));
  const workers = s.workers ?? Math.min(2, availableParallelism());
  const emb = yield* embedDataset(reqs, {
    backbone,
    spec: embedSpec,
    cacheDir: ctx.workspace.cacheDir,
    workers,
    runtime: s.embedRuntime ?? 'auto',
    precision: s.embedPrecision ?? DEFAULT_EMBED_PRECISION,
    // Read only when the int8 feature model is not cached yet: a seeded sample of the train split.
    calibration: () => calibrationSample(trainRows, FEATURE_CALIBRATION_IMAGES, s.seed).map((r) => join(ctx.workspace.imagesDir, r.image)),
    signal: ctx.signal,
  });
  yield { type: 'metric', name: 'embedded_new', value: emb.computed };
  throwIfCancelled(ctx.signal);

  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const setOf = (from: number, to: number, withFlip: boolean): FeatureSet => {
    const vecs: Float32Array[] = [];
    const ys: number[] = [];
    for (let i = from; i < to; i++) {
      const row = i < trainRows.length ? trainRows[i]! : i < trainRows.length + valRows.length ? valRows[i - trainRows.length]! : testRows[i - trainRows.length - valRows.length]!;
      const v = emb.vectors[i]!;
      for (let k = 0; k < (withFlip ? v.length : 1); k++) {
        vecs.push(v[k]!);
        ys.push(labelIndex.get(row.label)!);
      }
    }
    const dim = vecs[0]?.length ?? 0;
    const x = new Float32Array(vecs.length * dim);
    vecs.forEach((r, i) => x.set(r, i * dim));
    return { x, y: Int32Array.from(ys), n: vecs.length, dim };
  };
  const nT = trainRows.length;
  const nV = valRows.length;
  const gridSets = {
    train: setOf(0, nT, true),
    trainOnce: setOf(0, nT, false),
    val: nV > 0 ? setOf(nT, nT + nV, false) : undefined,
    test: testRows.length > 0 ? setOf(nT + nV, nT + nV + testRows.length, false) : undefined,
  };
  if (!gridSets.val) yield { type: 'warning', code: 'train.no_validation', message: 'No validation images: early stopping watches the training loss instead.' };

  const { tf, backend: tfBackend } = await loadTf();
  yield { type: 'log', message: `Head trained with tfjs on the ${tfBackend === 'tensorflow' ? 'native tfjs-node (tensorflow)' : tfBackend} backend.` };
  let sets = gridSets;
  let toFeatures = (v: Float32Array): Float32Array => v;
  let poolingChoice: { grid2: number; mean: number } | undefined;
  let meanHead: TrainedHead | undefined;
  if (choosePooling) {
    const meanSets = { train: gridToMean(gridSets.train), trainOnce: gridToMean(gridSets.trainOnce), val: gridSets.val && gridToMean(gridSets.val), test: gridSets.test && gridToMean(gridSets.test) };
    meanHead = await trainHead(tf, meanSets.train, meanSets.val, labels.length, { ...s }, ctx.signal ? { signal: ctx.signal } : {});
    throwIfCancelled(ctx.signal);
    sets = meanSets;
  }
  const headGen = trainHeadEpochs(tf, gridSets.train, gridSets.val, labels.length, { ...s }, ctx.signal);
  let head: TrainedHead;
  for (;;) {
    const r = await headGen.next();
    if (r.done) {
      head = r.value;
      break;
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
  throwIfCancelled(ctx.signal);
  // Early stopping ends before `epochs`: close the bar at the epochs actually run.
  yield { type: 'progress', phase: 'train', done: head.history.length, total: head.history.length, unit: 'epoch' };
  if (meanHead) {
    // Validation accuracy decides; a tie (or no validation split) keeps the smaller, position-free global mean.
    const grid = gridSets.val ? headAccuracy(head, gridSets.val) : 0;
    const mean = sets.val ? headAccuracy(meanHead, sets.val) : 0;
    poolingChoice = { grid2: grid, mean };
    if (grid > mean) sets = gridSets;
    else {
      head = meanHead;
      spec = { ...embedSpec, pooling: 'mean' };
      toFeatures = (v) => gridToMean({ x: v, y: new Int32Array(1), n: 1, dim: v.length }).x;
    }
    yield {
      type: 'log',
      message: gridSets.val
        ? `Pooling: ${spec.pooling === 'grid2' ? '2×2 grid' : 'global mean'} chosen on validation (2×2 grid ${percent(grid)}, global mean ${percent(mean)}).`
        : 'Pooling: global mean (no validation split to choose with).',
    };
  }
  const { train: trainSet, trainOnce, val: valSet, test: testSet } = sets;
  const best = head.history[head.bestEpoch - 1] ?? head.history[head.history.length - 1]!;
  const metrics: LocalTrainMetrics = {
    train_accuracy: headAccuracy(head, trainOnce),
    val_accuracy: valSet ? headAccuracy(head, valSet) : null,
    val_loss: best.valLoss ?? null,
    test_top1: testSet ? headAccuracy(head, testSet) : null,
    epochs: head.history.length,
    best_epoch: head.bestEpoch,
    n_train: nT,
    n_validation: nV,
    n_test: testRows.length,
    head_samples_per_second: head.samplesPerSecond,
  };
  yield { type: 'log', message: `Head: best epoch ${head.bestEpoch}/${head.history.length}; validation ${percent(metrics.val_accuracy)}, test ${percent(metrics.test_top1)} (on embeddings).` };

  // Export.
  const model = await buildClassifier(tf, backbone, spec, head);
  // Self-check: the assembled network must reproduce the head on its own features.
  const probe = trainRows.slice(0, 2);
  let maxDiff = 0;
  for (let i = 0; i < probe.length; i++) {
    const px = await preprocessImage(join(ctx.workspace.imagesDir, probe[i]!.image), backbone.input);
    const y = tf.tidy(() => model.predict(tf.tensor4d(px, [1, backbone.input.height, backbone.input.width, 3])) as import('@tensorflow/tfjs').Tensor);
    const full = (await y.data()) as Float32Array;
    y.dispose();
    const viaHead = predictHead(head, toFeatures(emb.vectors[i]![0]!), 1);
    for (let c = 0; c < labels.length; c++) maxDiff = Math.max(maxDiff, Math.abs(full[c]! - viaHead[c]!));
  }
  if (maxDiff > 1e-3) throw new Error(`internal: the exported network disagrees with the trained head (max |Δp| = ${maxDiff}).`);

  const { layersModelSpec } = await import('../../tflite/convert-layers.js');
  const info = {
    backend: 'local' as const,
    backbone: backbone.id,
    layer: spec.layers.join('+'),
    layers: spec.layers,
    pooling: spec.pooling,
    ...(poolingChoice ? { pooling_validation_accuracy: poolingChoice } : {}),
    head: { hidden: s.hidden },
    preprocessing: preprocessId,
    /** Which engines ran: embeddings (litert, or a tfjs backend; `cache` when all were cached) and the head (tfjs backend). */
    runtimes: { embedding: emb.backend, head: tfBackend },
    input: { ...backbone.input, layout: 'NHWC', fit: 'fill' },
    labels,
    labels_sha256: sha256(labels.join('\n')),
    metrics,
    seed: s.seed,
    created_at: new Date().toISOString(),
  };
  const modelSpec = layersModelSpec(model, {
    labels,
    inputRange: backbone.input.range,
    description: `edgewise local model: ${backbone.id} @ ${info.layer} (${spec.pooling}) + softmax head`,
    info: { backbone: backbone.id, layer: info.layer, pooling: spec.pooling, preprocessing: preprocessId },
  });
  // Not disposed: its backbone layers are the cached backbone shared with later runs in this process.
  const calibrationRows = calibrationSample(trainRows, s.calibrationImages ?? DEFAULT_CALIBRATION_IMAGES, s.seed);
  const variants = yield* buildVariants(modelSpec, {
    modes: s.quantize ?? ['int8-weights', 'int8'],
    calibrationFiles: calibrationRows.map((r) => join(ctx.workspace.imagesDir, r.image)),
    inputRange: backbone.input.range,
    signal: ctx.signal,
  });
  throwIfCancelled(ctx.signal);
  const bytes = variants[0]!.bytes;
  const infoWithVariants = { ...info, variants: variants.map((v) => v.info) };

  // Written into a hidden folder then renamed: a cancelled or failed export leaves no half version.
  const version = nextModelVersion(ctx.workspace.modelsDir);
  const finalDir = ctx.workspace.modelDir(version);
  const tmpDir = join(ctx.workspace.modelsDir, `.${version}.tmp-${process.pid}`);
  try {
    await rm(tmpDir, { recursive: true, force: true });
    await mkdir(tmpDir, { recursive: true });
    for (const v of variants) await writeFileAtomic(join(tmpDir, v.info.file), v.bytes);
    await writeFileAtomic(join(tmpDir, 'labels.txt'), labels.join('\n') + '\n');
    await writeJsonAtomic(join(tmpDir, 'model_info.json'), infoWithVariants);
    throwIfCancelled(ctx.signal);
    if (existsSync(finalDir)) throw new Error(`internal: ${finalDir} appeared while training`);
    await rename(tmpDir, finalDir);
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  const rel = (p: string): string => ctx.workspace.rel(p);
  const out: LocalTrainOutput = {
    backend: 'local',
    version,
    modelDir: rel(finalDir),
    tflite: rel(join(finalDir, 'model.tflite')),
    labelsFile: rel(join(finalDir, 'labels.txt')),
    infoFile: rel(join(finalDir, 'model_info.json')),
    labels,
    backbone: backbone.id,
    layers: spec.layers,
    pooling: spec.pooling,
    metrics,
    embedded: { computed: emb.computed, cached: emb.cached, threads: emb.threads, backend: emb.backend, rate: emb.rate },
  };
  for (const v of variants) {
    const mb = (v.info.size_bytes / 1e6).toFixed(2);
    const share = v.info.name === 'float32' ? '' : `, ${percent(v.info.size_bytes / bytes.length, 0)} of float32`;
    yield { type: 'artifact', path: rel(join(finalDir, v.info.file)), kind: 'model', description: `${version} ${v.info.name} .tflite (${mb} MB${share})` };
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
