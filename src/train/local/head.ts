import type { Tensor, Variable, Scalar } from '@tensorflow/tfjs';
import { seededRandom } from '../../core/random.js';
import type { Tf } from './tf-runtime.js';

/** Settings of the classifier head trained on cached embeddings. */
export interface HeadOptions {
  /** Units of the optional hidden layer (ReLU); 0 = linear softmax head. */
  hidden: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 penalty on the weights. */
  l2: number;
  /** Epochs without a better validation loss before stopping (best weights are kept). */
  patience: number;
  /** Weight classes inversely to their frequency. */
  classWeights: boolean;
  seed: string;
}

export const defaultHeadOptions: HeadOptions = {
  hidden: 0,
  epochs: 200,
  batchSize: 32,
  learningRate: 0.003,
  l2: 1e-3,
  patience: 15,
  classWeights: true,
  seed: 'edgewise',
};

/** A dataset of feature vectors: `x` is row-major n×dim. */
export interface FeatureSet {
  x: Float32Array;
  y: Int32Array;
  n: number;
  dim: number;
}

export interface EpochStats {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
}

/** Dense layer weights, kernel row-major [in, out]. */
export interface DenseWeights {
  kernel: Float32Array;
  bias: Float32Array;
  inDim: number;
  outDim: number;
}

/** The trained head with the feature standardisation folded into its first layer (what gets exported). */
export interface TrainedHead {
  layers: DenseWeights[];
  classes: number;
  history: EpochStats[];
  bestEpoch: number;
  /** Samples processed per second of training (forward+backward). */
  samplesPerSecond: number;
}

/**
 * Trains a softmax head (optionally one hidden ReLU layer) with Adam on standardised features,
 * class-weighted cross-entropy, seeded initialisation and shuffling (same seed, same data → same
 * weights), and early stopping on the validation loss restoring the best epoch.
 */
export async function trainHead(
  tf: Tf,
  train: FeatureSet,
  val: FeatureSet | undefined,
  classes: number,
  opts: HeadOptions,
  hooks: { onEpoch?(s: EpochStats): void; signal?: AbortSignal } = {},
): Promise<TrainedHead> {
  const gen = trainHeadEpochs(tf, train, val, classes, opts, hooks.signal);
  for (;;) {
    const r = await gen.next();
    if (r.done) return r.value;
    hooks.onEpoch?.(r.value);
  }
}

/** The same training as an async generator: yields each epoch's stats (for a live readout), returns the head. */
export async function* trainHeadEpochs(
  tf: Tf,
  train: FeatureSet,
  val: FeatureSet | undefined,
  classes: number,
  opts: HeadOptions,
  signal?: AbortSignal,
): AsyncGenerator<EpochStats, TrainedHead, void> {
  const rand = seededRandom(`head:${opts.seed}`);
  const { mean, std } = standardiser(train);
  const xs = standardise(train, mean, std);
  const xv = val && val.n > 0 ? standardise(val, mean, std) : undefined;

  const counts = new Float64Array(classes);
  for (const c of train.y) counts[c]!++;
  const cw = new Float32Array(classes).map((_, c) => (opts.classWeights && counts[c]! > 0 ? train.n / (classes * counts[c]!) : 1));

  const dims = opts.hidden > 0 ? [train.dim, opts.hidden, classes] : [train.dim, classes];
  const vars: { w: Variable; b: Variable }[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    const fanIn = dims[i]!;
    const fanOut = dims[i + 1]!;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const w = new Float32Array(fanIn * fanOut).map(() => (rand() * 2 - 1) * limit);
    vars.push({ w: tf.variable(tf.tensor2d(w, [fanIn, fanOut])), b: tf.variable(tf.zeros([fanOut])) });
  }
  const forward = (x: Tensor): Tensor => {
    let h = x;
    vars.forEach((v, i) => {
      h = tf.add(tf.matMul(h, v.w), v.b);
      if (i + 1 < vars.length) h = tf.relu(h);
    });
    return h;
  };
  const optimizer = tf.train.adam(opts.learningRate);
  const cwT = tf.tensor1d(cw);
  const xvT = xv ? tf.tensor2d(xv, [val!.n, val!.dim]) : undefined;
  const yvT = xv ? tf.oneHot(tf.tensor1d(val!.y, 'int32'), classes) : undefined;

  const history: EpochStats[] = [];
  let best = { loss: Infinity, epoch: -1, weights: snapshot(vars) };
  let since = 0;
  let samples = 0;
  const t0 = performance.now();
  const order = Array.from({ length: train.n }, (_, i) => i);
  let rate = 0;
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      if (signal?.aborted) break;
      shuffle(order, rand);
      let lossSum = 0;
      let correct = 0;
      for (let s = 0; s < train.n; s += opts.batchSize) {
        const idx = order.slice(s, s + opts.batchSize);
        const bx = new Float32Array(idx.length * train.dim);
        const by = new Int32Array(idx.length);
        idx.forEach((r, j) => {
          bx.set(xs.subarray(r * train.dim, (r + 1) * train.dim), j * train.dim);
          by[j] = train.y[r]!;
        });
        const res = tf.tidy(() => {
          const x = tf.tensor2d(bx, [idx.length, train.dim]);
          const yIdx = tf.tensor1d(by, 'int32');
          const y = tf.oneHot(yIdx, classes);
          const sw = tf.gather(cwT, yIdx);
          let pred: Tensor | undefined;
          const loss = optimizer.minimize(() => {
            const logits = forward(x);
            pred = tf.keep(tf.argMax(logits, 1));
            const ce = tf.losses.softmaxCrossEntropy(y, logits, sw, undefined, tf.Reduction.SUM_BY_NONZERO_WEIGHTS);
            const reg = vars.reduce<Tensor>((acc, v) => tf.add(acc, tf.mul(opts.l2 / 2, tf.sum(tf.square(v.w)))), tf.scalar(0));
            return tf.add(ce, reg) as Scalar;
          }, true) as Scalar;
          return { loss, pred: pred! };
        });
        lossSum += (await res.loss.data())[0]! * idx.length;
        const p = await res.pred.data();
        for (let j = 0; j < idx.length; j++) if (p[j] === by[j]) correct++;
        res.loss.dispose();
        res.pred.dispose();
        samples += idx.length;
      }
      const stats: EpochStats = { epoch: epoch + 1, loss: lossSum / train.n, accuracy: correct / train.n };
      let monitor = stats.loss;
      if (xvT && yvT) {
        const [vl, va] = tf.tidy(() => {
          const logits = forward(xvT);
          const l = tf.losses.softmaxCrossEntropy(yvT, logits);
          const a = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(yvT, 1)), 'float32'));
          return [l, a];
        });
        stats.valLoss = (await vl!.data())[0]!;
        stats.valAccuracy = (await va!.data())[0]!;
        vl!.dispose();
        va!.dispose();
        monitor = stats.valLoss;
      }
      history.push(stats);
      yield stats;
      if (monitor < best.loss - 1e-4) {
        best = { loss: monitor, epoch: epoch + 1, weights: snapshot(vars) };
        since = 0;
      } else if (++since >= opts.patience) {
        break;
      }
    }
  } finally {
    const seconds = (performance.now() - t0) / 1000;
    rate = seconds > 0 ? samples / seconds : 0;
    optimizer.dispose();
    cwT.dispose();
    xvT?.dispose();
    yvT?.dispose();
    for (const v of vars) {
      v.w.dispose();
      v.b.dispose();
    }
  }
  const layers = foldStandardiser(best.weights, dims, mean, std);
  return { layers, classes, history, bestEpoch: best.epoch, samplesPerSecond: rate };
}

function snapshot(vars: { w: Variable; b: Variable }[]): { w: Float32Array; b: Float32Array }[] {
  return vars.map((v) => ({ w: v.w.dataSync() as Float32Array, b: v.b.dataSync() as Float32Array }));
}

function standardiser(set: FeatureSet): { mean: Float32Array; std: Float32Array } {
  const mean = new Float32Array(set.dim);
  const sq = new Float64Array(set.dim);
  for (let r = 0; r < set.n; r++) for (let d = 0; d < set.dim; d++) mean[d]! += set.x[r * set.dim + d]! / set.n;
  for (let r = 0; r < set.n; r++) for (let d = 0; d < set.dim; d++) sq[d]! += (set.x[r * set.dim + d]! - mean[d]!) ** 2 / set.n;
  // The epsilon keeps dead channels (zero variance) finite. A floor relative to the median channel std
  // was measured too (docs/notes/local-backbone.md): no consistent gain, so none.
  const std = new Float32Array(set.dim).map((_, d) => Math.sqrt(sq[d]!) + 1e-3);
  return { mean, std };
}

function standardise(set: FeatureSet, mean: Float32Array, std: Float32Array): Float32Array {
  const out = new Float32Array(set.x.length);
  for (let r = 0; r < set.n; r++) for (let d = 0; d < set.dim; d++) out[r * set.dim + d] = (set.x[r * set.dim + d]! - mean[d]!) / std[d]!;
  return out;
}

/** (x - mean) / std followed by W, b  ==  x · (W / std) + (b - (mean / std) · W). */
function foldStandardiser(weights: { w: Float32Array; b: Float32Array }[], dims: number[], mean: Float32Array, std: Float32Array): DenseWeights[] {
  return weights.map((l, i) => {
    const inDim = dims[i]!;
    const outDim = dims[i + 1]!;
    if (i > 0) return { kernel: l.w, bias: l.b, inDim, outDim };
    const kernel = new Float32Array(inDim * outDim);
    const bias = Float32Array.from(l.b);
    for (let d = 0; d < inDim; d++) {
      for (let o = 0; o < outDim; o++) {
        const w = l.w[d * outDim + o]! / std[d]!;
        kernel[d * outDim + o] = w;
        bias[o]! -= mean[d]! * w;
      }
    }
    return { kernel, bias, inDim, outDim };
  });
}

function shuffle<T>(a: T[], rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}

/** Class probabilities of the trained head on raw (unstandardised) features: the exported math in JS. */
/** Top-1 accuracy of the head on a feature set (0 for an empty set). */
export function headAccuracy(head: TrainedHead, set: Pick<FeatureSet, 'x' | 'y' | 'n'>): number {
  if (set.n === 0) return 0;
  const p = predictHead(head, set.x, set.n);
  const k = head.classes;
  let ok = 0;
  for (let r = 0; r < set.n; r++) {
    let b = 0;
    for (let c = 1; c < k; c++) if (p[r * k + c]! > p[r * k + b]!) b = c;
    if (b === set.y[r]) ok++;
  }
  return ok / set.n;
}

export function predictHead(head: TrainedHead, x: Float32Array, n: number): Float32Array {
  let cur = x;
  head.layers.forEach((l, li) => {
    const out = new Float32Array(n * l.outDim);
    for (let r = 0; r < n; r++) {
      for (let o = 0; o < l.outDim; o++) {
        let s = l.bias[o]!;
        for (let d = 0; d < l.inDim; d++) s += cur[r * l.inDim + d]! * l.kernel[d * l.outDim + o]!;
        out[r * l.outDim + o] = li + 1 < head.layers.length ? Math.max(0, s) : s;
      }
    }
    cur = out;
  });
  const k = head.classes;
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, cur[r * k + c]!);
    let z = 0;
    for (let c = 0; c < k; c++) z += cur[r * k + c] = Math.exp(cur[r * k + c]! - m);
    for (let c = 0; c < k; c++) cur[r * k + c]! /= z;
  }
  return cur;
}
