import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Backbone, FeatureSpec } from './backbone.js';
import { resolveBackbone } from './backbones.js';
import type { View } from './embedding-cache.js';
import { createEmbedder, createOrtEmbedder, type EmbedFn, type EmbedRuntime, type Embedder } from './embedder.js';
import { featureOnnx, featureOnnxInt8, featureOnnxInt8Path } from './feature-onnx.js';
import { createOrtSession, loadOrt, type OrtSession } from './onnx-runtime.js';
import { decodeResize } from './preprocess.js';
import { cosine } from './vectors.js';
import { featureTflite, featureTfliteInt8, featureTfliteInt8Path, int8Possible } from './feature-tflite.js';
import { featureKey } from './backbone.js';
import { nativeTfLoads } from './tf-runtime.js';
import type { WorkerInit, WorkerTask } from './embed-worker.js';
import { threadsReady } from '../../core/pool-startup.js';
import { CancelledError, throwIfCancelled } from '../../core/errors.js';

/** Numeric precision of the feature model that computes the embeddings. */
export type EmbedPrecision = 'float32' | 'int8';
/** What is asked for: a precision, or `auto`: int8 where onnxruntime runs it, float32 elsewhere. */
export type PrecisionChoice = EmbedPrecision | 'auto';

/**
 * The precision training embeds with unless train.embedPrecision says otherwise: `auto`. onnxruntime's int8
 * feature model halves the forward pass and its heads score as the float ones do (clothing: test top-1 within
 * seed noise, docs/notes/local-backbone.md); LiteRT's int8 model gains less, so the fallbacks stay float32.
 */
export const DEFAULT_EMBED_PRECISION: PrecisionChoice = 'auto';

/** Train images that calibrate the int8 feature model (once per feature key; percentile ranges per activation). */
export const FEATURE_CALIBRATION_IMAGES = 32;

export interface PoolOptions {
  backboneId: string;
  cacheDir: string;
  spec: FeatureSpec;
  /** Worker threads; 0 = embed on this thread. Default: one per core, at most 2 (see docs/notes/local-backbone.md). */
  workers?: number;
  /**
   * `auto` (default): onnxruntime-node on the feature .onnx when it loads; else tfjs when @tensorflow/tfjs-node
   * loads (native); else LiteRT on the converted feature .tflite, tfjs(-wasm) when the conversion or LiteRT
   * fails (resolveFeatureEngine); `onnx` / `litert` / `tfjs` force one (a failing `onnx` or `litert` is an
   * error). EDGEWISE_EMBED_RUNTIME overrides `auto`.
   */
  runtime?: 'auto' | EmbedRuntime;
  /**
   * `auto` (default): the int8 feature model on onnxruntime (featureOnnxInt8, calibrated on `calibration`),
   * float32 on every other engine; `int8`: also LiteRT's full-integer model (featureTfliteInt8) when LiteRT
   * is the runtime; float32 when none can be built (resolveFeatureEngine). EDGEWISE_EMBED_PRECISION overrides
   * it for benchmarks.
   */
  precision?: PrecisionChoice;
  /** Images that calibrate the int8 feature model if it is not cached yet; the first 4 also check it each run. */
  calibration?: () => readonly string[];
  /** Cancels start-up: threads already started are stopped (they would keep the process alive). */
  signal?: AbortSignal;
}

/** The runtime asked for: the option, else EDGEWISE_EMBED_RUNTIME (benchmarks), else auto. */
export function embedRuntimeChoice(opt: PoolOptions['runtime']): 'auto' | EmbedRuntime {
  if (opt && opt !== 'auto') return opt;
  const env = process.env.EDGEWISE_EMBED_RUNTIME;
  return env === 'tfjs' || env === 'litert' || env === 'onnx' ? env : 'auto';
}

/** The precision asked for: EDGEWISE_EMBED_PRECISION (benchmarks), else the option, else DEFAULT_EMBED_PRECISION. */
export function embedPrecisionChoice(opt: PoolOptions['precision']): PrecisionChoice {
  const env = process.env.EDGEWISE_EMBED_PRECISION;
  if (env === 'int8' || env === 'float32' || env === 'auto') return env;
  return opt ?? DEFAULT_EMBED_PRECISION;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What will compute the embeddings, and the embedding-cache key of its vectors. */
export interface FeatureEngine {
  runtime: EmbedRuntime;
  precision: EmbedPrecision;
  /** The feature .tflite LiteRT runs (LiteRT only). */
  tflite?: Uint8Array;
  /** The feature .onnx onnxruntime runs (onnx only). */
  onnx?: Uint8Array;
  /** featureKey, plus the int8 model's id for int8 (its vectors differ from float's; float = tfjs ≤ 1e-4). */
  cacheKey: string;
  /** Why a faster engine was not used, if one was skipped. */
  note?: string;
  /** The warning code of `note`: train.onnx_unavailable when onnxruntime was skipped, else train.litert_unavailable. */
  noteCode?: string;
}

/**
 * onnxruntime on a feature .onnx (`build` writes or reads it), checked by opening a session on it (a cached
 * file it cannot read is written again once); the caller releases the session. Throws with the reason when
 * onnxruntime-node is absent or fails.
 */
async function openOnnx<T extends { bytes: Uint8Array; converted: boolean }>(build: (rebuild: boolean) => Promise<T>): Promise<T & { session: OrtSession }> {
  const ort = await loadOrt();
  for (const rebuild of [false, true]) {
    const f = await build(rebuild);
    try {
      return { ...f, session: await createOrtSession(ort, f.bytes, 1) };
    } catch (e) {
      if (f.converted) throw new Error(`onnxruntime rejected the feature .onnx: ${errorText(e).split('\n')[0]}`);
    }
  }
  throw new Error('unreachable');
}

/**
 * The int8 model's vectors must point where the float32 ones do, on this machine's integer kernels: on x86
 * CPUs without VNNI, onnxruntime's u8×s8 kernels sum pairs in 16 bits that can saturate (onnxruntime's
 * quantization docs). Checked on a few calibration images each time the engine is picked (≈ 0.2 s); below
 * INT8_MIN_COSINE the float32 model embeds instead, with a note. 7-bit weights would rule saturation out but
 * cost fidelity (clothing test photos: mean cosine 0.9932 vs 0.9988), and uint8 weights ran 2× slower.
 */
export const INT8_MIN_COSINE = 0.99;
const AGREEMENT_IMAGES = 4;

class Int8Disagrees extends Error {}

async function checkInt8Agreement(backbone: Backbone, q: OrtSession, f: OrtSession, images: readonly (string | Uint8Array)[]): Promise<void> {
  const ort = await loadOrt();
  const { width, height } = backbone.input;
  const run = async (s: OrtSession, px: Uint8Array): Promise<Float32Array> =>
    (await s.run({ [s.inputNames[0]!]: new ort.Tensor('uint8', px, [1, height, width, 3]) }))[s.outputNames[0]!]!.data as Float32Array;
  for (const [k, image] of images.slice(0, AGREEMENT_IMAGES).entries()) {
    const px = await decodeResize(image, { width, height, fit: 'fill' });
    const c = cosine(await run(f, px), await run(q, px));
    if (!(c >= INT8_MIN_COSINE)) {
      const name = typeof image === 'string' ? basename(image) : `calibration image ${k + 1}`;
      throw new Int8Disagrees(`its vectors differ from the float32 ones on this machine (cosine ${c.toFixed(4)} < ${INT8_MIN_COSINE} on ${name})`);
    }
  }
}

/** Whether onnxruntime-node loads here. */
function ortLoads(): Promise<boolean> {
  return loadOrt().then(
    () => true,
    () => false,
  );
}

/**
 * Whether resolveFeatureEngine will calibrate an int8 model (so embedDataset can say so before the wait): the
 * int8 model its order picks for `opts` is not cached yet. Kept beside that order, which it follows.
 */
export async function int8CalibrationPending(opts: PoolOptions): Promise<boolean> {
  const backbone = resolveBackbone(opts.backboneId, opts.cacheDir);
  const precision = embedPrecisionChoice(opts.precision);
  const runtime = embedRuntimeChoice(opts.runtime);
  if (precision === 'float32' || runtime === 'tfjs') return false;
  if ((runtime === 'auto' || runtime === 'onnx') && (precision === 'int8' || int8Possible(backbone)) && (await ortLoads())) {
    return !existsSync(featureOnnxInt8Path(opts.cacheDir, backbone, opts.spec));
  }
  return precision === 'int8' && runtime !== 'onnx' && !existsSync(featureTfliteInt8Path(opts.cacheDir, backbone, opts.spec));
}

/**
 * Picks the engine, in this order (the first that is asked for and works):
 *   1. tfjs when `tfjs` is forced;
 *   2. int8 or `auto` precision (the default): onnxruntime-node on the int8 feature .onnx, on runtime `auto` or
 *      `onnx`; then, for int8 asked for by name only, LiteRT on the int8 feature .tflite (unless `onnx` is
 *      forced); `auto` goes on in float32 without a note (a backbone whose input is not [0, 1] has no int8 model),
 *      except when the int8 model's vectors disagree with float32 here (checkInt8Agreement: train.int8_unavailable);
 *   3. onnxruntime-node on the float32 feature .onnx, on `auto` or `onnx` (docs/notes/local-backbone.md);
 *      when it is absent or fails: an error if `onnx` was forced, else a note (warning train.onnx_unavailable);
 *   4. tfjs on `auto` when @tensorflow/tfjs-node (native) loads;
 *   5. LiteRT on the float32 feature model;
 *   6. tfjs (wasm), with a note saying why LiteRT was not used (an error if `litert` was forced).
 * All float engines give the same vectors within 1e-4, so they share the cache key; int8 has its own.
 * Conversion and calibration happen here, once per feature key (cached in `<cacheDir>/feature-tflite/`,
 * `<cacheDir>/feature-onnx/`).
 */
export async function resolveFeatureEngine(opts: PoolOptions): Promise<FeatureEngine> {
  const backbone = resolveBackbone(opts.backboneId, opts.cacheDir);
  const key = featureKey(backbone, opts.spec);
  let runtime = embedRuntimeChoice(opts.runtime);
  if (runtime === 'tfjs') return { runtime: 'tfjs', precision: 'float32', cacheKey: key };
  const notes: string[] = [];
  let noteCode: string | undefined;
  const signal = opts.signal ? { signal: opts.signal } : {};
  const precision = embedPrecisionChoice(opts.precision);
  if (precision !== 'float32' && (runtime === 'auto' || runtime === 'onnx') && (precision === 'int8' || int8Possible(backbone))) {
    try {
      const calibration = opts.calibration ?? (() => []);
      const q = await openOnnx((rebuild) => featureOnnxInt8(backbone, opts.spec, opts.cacheDir, calibration, { rebuild, ...signal }));
      try {
        const f = await openOnnx((rebuild) => featureOnnx(backbone, opts.spec, opts.cacheDir, { rebuild, ...signal }));
        try {
          await checkInt8Agreement(backbone, q.session, f.session, calibration());
        } finally {
          await f.session.release();
        }
      } finally {
        await q.session.release();
      }
      return { runtime: 'onnx', precision: 'int8', onnx: q.bytes, cacheKey: `${key}|${q.id}` };
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      // `auto` passes over a missing int8 model quietly; a model that disagrees with float32 is worth a word.
      if (precision === 'int8' || e instanceof Int8Disagrees) {
        notes.push(`int8 feature model not used on onnxruntime (${errorText(e)})`);
        noteCode = 'train.int8_unavailable';
      }
    }
  }
  if (runtime !== 'onnx' && precision === 'int8') {
    try {
      const q = await featureTfliteInt8(backbone, opts.spec, opts.cacheDir, opts.calibration ?? (() => []), opts.signal);
      return { runtime: 'litert', precision: 'int8', tflite: q.bytes, cacheKey: `${key}|${q.id}`, ...(notes.length ? { note: `${notes.join('; ')}: embedding with LiteRT (int8).`, noteCode: 'train.onnx_unavailable' } : {}) };
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      notes.push(`int8 feature model not used (${errorText(e)})`);
    }
  }
  if (runtime === 'auto' || runtime === 'onnx') {
    try {
      const { bytes: onnx, session } = await openOnnx((rebuild) => featureOnnx(backbone, opts.spec, opts.cacheDir, { rebuild, ...signal }));
      await session.release();
      return { runtime: 'onnx', precision: 'float32', onnx, cacheKey: key, ...(notes.length ? { note: `${notes.join('; ')}: embedding with the float32 one.`, noteCode: noteCode ?? 'train.int8_unavailable' } : {}) };
    } catch (e) {
      if (runtime === 'onnx' || e instanceof CancelledError) throw e;
      notes.push(`onnxruntime not used (${errorText(e)})`);
      noteCode = 'train.onnx_unavailable';
    }
  }
  // tfjs-node (the optional native accelerator), when it loads, beats LiteRT's single-threaded wasm.
  if (runtime === 'auto' && (await nativeTfLoads())) return { runtime: 'tfjs', precision: 'float32', cacheKey: key, ...(notes.length ? { note: `${notes.join('; ')}: embedding with tfjs-node.`, noteCode: noteCode ?? 'train.litert_unavailable' } : {}) };
  try {
    // Converted once here (cached on disk), so the workers never load tfjs.
    const f = await featureTflite(backbone, opts.spec, opts.cacheDir, opts.signal);
    return { runtime: 'litert', precision: 'float32', tflite: f.bytes, cacheKey: key, ...(notes.length ? { note: `${notes.join('; ')}: embedding with LiteRT (float32).`, noteCode: noteCode ?? 'train.litert_unavailable' } : {}) };
  } catch (e) {
    if (runtime === 'litert' || e instanceof CancelledError) throw e;
    notes.push(`LiteRT not used, embedding with tfjs: the feature model could not be converted to .tflite (${errorText(e)}).`);
  }
  return { runtime: 'tfjs', precision: 'float32', cacheKey: key, note: notes.join('; '), noteCode: 'train.litert_unavailable' };
}

/** The embedder's backend name, marked `-int8` for onnxruntime's int8 model (LiteRT's embedder marks its own). */
function backendName(engine: FeatureEngine, backend: string): string {
  return engine.runtime === 'onnx' && engine.precision === 'int8' && backend === 'onnxruntime' ? 'onnxruntime-int8' : backend;
}

/**
 * Embeds images on several worker threads (a piscina pool), each with its own LiteRT (or tfjs + wasm) instance
 * (both are single-threaded in Node, so threads are how both cores get used). Each thread decodes its own images
 * (sharp), so the main thread only passes file names and vectors. Falls back to this thread when the
 * compiled worker script is absent (running from TypeScript sources, e.g. under vitest).
 *
 * onnxruntime runs on this thread instead (no workers): its forward pass is native and sharp decodes on its
 * own threads meanwhile, so one session (2 intra-op threads) with a few images in flight keeps 2 cores busy;
 * one session per worker thread cost more CPU and was not faster (docs/notes/local-backbone.md). EDGEWISE_ORT_WORKERS=1 puts one session per
 * worker thread instead, for benchmarks.
 */
export class EmbedPool {
  private pool: Piscina<WorkerTask, Float32Array[]> | undefined;
  private workerThreads = 0;
  private local: EmbedFn | undefined;
  private localClose: (() => Promise<void>) | undefined;
  /** Requests in flight per thread that keep the cores busy (onnxruntime on this thread: decode + forward). */
  private lanes = 1;
  backend = 'unknown';
  /** Why the worker threads were not used, when they were asked for and failed to start. */
  fallbackReason: string | undefined;
  /** Why onnxruntime, LiteRT (or its int8 model) was not used although it would have been picked. */
  runtimeNote: string | undefined;
  /** The warning code for runtimeNote (train.onnx_unavailable or train.litert_unavailable). */
  runtimeNoteCode = 'train.litert_unavailable';
  runtime: EmbedRuntime = 'tfjs';
  /** The embedding-cache key of the vectors this pool computes (see FeatureEngine). */
  cacheKey = '';
  precision: EmbedPrecision = 'float32';

  private constructor() {}

  get threads(): number {
    return this.workerThreads || 1;
  }

  /** `engine`: from resolveFeatureEngine (embedDataset resolves it first to look the cache up); else resolved here. */
  static async create(opts: PoolOptions & { engine?: FeatureEngine }): Promise<EmbedPool> {
    const embedPool = new EmbedPool();
    const backbone = resolveBackbone(opts.backboneId, opts.cacheDir);
    const wanted = opts.workers ?? 2;
    const engine = opts.engine ?? (await resolveFeatureEngine(opts));
    const forced = embedRuntimeChoice(opts.runtime) === 'litert';
    embedPool.runtimeNote = engine.note;
    if (engine.noteCode) embedPool.runtimeNoteCode = engine.noteCode;
    embedPool.cacheKey = engine.cacheKey;
    embedPool.precision = engine.precision;
    embedPool.runtime = engine.runtime;
    const tflite = engine.tflite;
    throwIfCancelled(opts.signal);
    if (engine.onnx && process.env.EDGEWISE_ORT_WORKERS !== '1') {
      // Checked by resolveFeatureEngine (a session ran): a failure here is an error, not a fallback.
      const e = await createOrtEmbedder(backbone, engine.onnx);
      embedPool.local = e.embed;
      embedPool.localClose = e.close;
      embedPool.backend = backendName(engine, e.backend);
      embedPool.lanes = 2;
      return embedPool;
    }
    const script = new URL('./embed-worker.js', import.meta.url);
    if (wanted > 0 && existsSync(fileURLToPath(script))) {
      const init: WorkerInit = { backboneId: opts.backboneId, cacheDir: opts.cacheDir, spec: opts.spec, ...(tflite ? { tflite } : {}), ...(engine.onnx ? { onnx: engine.onnx } : {}) };
      const pool = new Piscina<WorkerTask, Float32Array[]>({
        filename: script.href,
        minThreads: wanted,
        maxThreads: wanted,
        concurrentTasksPerWorker: EmbedPool.perThread(1),
        // Atomics would park an idle worker in Atomics.wait, which stalls the model loading it starts on its own.
        atomics: 'disabled',
        workerData: init,
      });
      // A thread failing outside a task is reported here (unheard, the event would end the process); its tasks
      // are rejected by piscina itself, which starts a new thread in its place.
      pool.on('error', () => undefined);
      try {
        // A worker takes about a second to load its runtime: a cancel meanwhile stops them at once.
        const backends = await threadsReady(pool, wanted, opts.signal);
        embedPool.pool = pool;
        embedPool.workerThreads = wanted;
        embedPool.backend = backendName(engine, backends[0] ?? 'unknown');
        return embedPool;
      } catch (e) {
        await pool.destroy().catch(() => undefined);
        if (e instanceof CancelledError) throw e;
        // Workers are an accelerator: if they cannot start (memory, sandbox), embed on this thread.
        embedPool.fallbackReason = errorText(e);
      }
    }
    let local: Embedder | undefined;
    if (engine.onnx) local = await createOrtEmbedder(backbone, engine.onnx);
    else if (tflite) {
      try {
        local = await createEmbedder(backbone, opts.spec, tflite);
      } catch (e) {
        if (forced) throw e;
        embedPool.runtimeNote = `LiteRT not used, embedding with tfjs: ${errorText(e)}`;
        // tfjs computes the float vectors: their key, not the int8 model's.
        embedPool.runtimeNoteCode = 'train.litert_unavailable';
        embedPool.cacheKey = featureKey(backbone, opts.spec);
        embedPool.precision = 'float32';
      }
    }
    local ??= await createEmbedder(backbone, opts.spec);
    embedPool.local = local.embed;
    embedPool.localClose = local.close;
    embedPool.backend = backendName(engine, local.backend);
    embedPool.runtime = local.runtime;
    return embedPool;
  }

  /**
   * Requests to keep in flight: 2 per thread lets one image decode (sharp) while the other runs; more only
   * oversubscribed the 2 cores here. EDGEWISE_EMBED_WINDOW (per thread) overrides it for benchmarks.
   */
  get window(): number {
    return this.threads * EmbedPool.perThread(this.lanes);
  }

  private static perThread(lanes: number): number {
    return lanes * Math.max(1, Number(process.env.EDGEWISE_EMBED_WINDOW ?? 2));
  }

  /** One vector per view. */
  embed(file: string, views: View[]): Promise<Float32Array[]> {
    if (this.local) return this.local(file, views);
    return this.pool!.run({ file, views });
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.workerThreads = 0;
    await pool?.destroy().catch(() => undefined);
    const close = this.localClose;
    this.localClose = undefined;
    await close?.();
  }
}
