import { stat } from 'node:fs/promises';
import { throwIfCancelled, InputError } from '../../core/errors.js';
import type { StepEvent } from '../../core/events.js';
import { sha256File } from '../../core/hash.js';
import { ProgressTracker } from '../../core/progress.js';
import type { Backbone, FeatureSpec } from './backbone.js';
import { featureKey } from './backbone.js';
import { EmbeddingCache, type View } from './embedding-cache.js';
import { EmbedPool, embedPrecisionChoice, int8CalibrationPending, resolveFeatureEngine, type EmbedPrecision, type FeatureEngine, type PoolOptions, type PrecisionChoice } from './embed-pool.js';

export interface EmbedRequest {
  /** Absolute path of the image. */
  file: string;
  /** Name for messages (manifest-relative path). */
  name: string;
  views: View[];
}

export interface EmbedResult {
  /** Per request (same order): one vector per requested view. */
  vectors: Float32Array[][];
  /** Images whose embeddings were computed now (not found in the cache). */
  computed: number;
  cached: number;
  threads: number;
  backend: string;
  /** The precision of the feature model behind the vectors (int8 ones are keyed apart). */
  precision: EmbedPrecision;
  /** Computed images per second (0 when everything came from the cache). */
  rate: number;
}

export interface EmbedOptions {
  backbone: Backbone;
  spec: FeatureSpec;
  cacheDir: string;
  workers: number;
  /** Embedding engine (EmbedPool, resolveFeatureEngine): `auto` = onnxruntime, else LiteRT, else tfjs. */
  runtime?: 'auto' | 'onnx' | 'litert' | 'tfjs';
  /** Feature model precision (EmbedPool); int8 needs `calibration` the first time. Default DEFAULT_EMBED_PRECISION. */
  precision?: PrecisionChoice;
  /** Images that calibrate the int8 feature model when it is not cached yet. */
  calibration?: () => readonly string[];
  signal: AbortSignal;
}

/**
 * Embeds a dataset through the content-addressed cache: hash every file, look each (hash, view) up, and
 * send only the missing ones to the worker pool. Yields progress (with rate and ETA) as it goes.
 */
export async function* embedDataset(reqs: EmbedRequest[], opts: EmbedOptions): AsyncGenerator<StepEvent, EmbedResult, void> {
  const hashes: string[] = [];
  const hashing = new ProgressTracker('hash', reqs.length, 'img');
  for (let i = 0; i < reqs.length; i++) {
    throwIfCancelled(opts.signal);
    const r = reqs[i]!;
    try {
      hashes.push(await sha256File(r.file));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new InputError(`Image ${r.name} cannot be read (${code ?? String(e)}).`, {
        code: 'train.image_unreadable',
        item: r.file,
        hint: 'Rerun `edgewise validate` and `edgewise split`: the splits list an image that is gone or unreadable.',
      });
    }
    const ev = hashing.update(i + 1);
    if (ev) yield ev;
  }

  const poolOpts: PoolOptions = {
    backboneId: opts.backbone.id,
    cacheDir: opts.cacheDir,
    spec: opts.spec,
    workers: opts.workers,
    signal: opts.signal,
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
    ...(opts.precision ? { precision: opts.precision } : {}),
    ...(opts.calibration ? { calibration: opts.calibration } : {}),
  };
  // Float vectors are keyed by the features alone (LiteRT = tfjs within 1e-4); int8 ones by the calibrated
  // model too, so its engine is settled before the lookup (calibrating it the first time).
  let engine: FeatureEngine | undefined;
  if (embedPrecisionChoice(opts.precision) !== 'float32') {
    if (await int8CalibrationPending(poolOpts)) yield { type: 'log', message: `Calibrating the int8 feature model on ${opts.calibration?.().length ?? 0} train image(s) (once per feature layer).` };
    engine = await resolveFeatureEngine(poolOpts);
  }
  let cache = new EmbeddingCache(opts.cacheDir, engine?.cacheKey ?? featureKey(opts.backbone, opts.spec));
  let vectorPrecision: EmbedPrecision = engine?.precision ?? 'float32';
  let vectors: Float32Array[][] = [];
  let missing = new Map<string, { views: Set<View>; file: string; name: string; targets: number[] }>();
  let cached = 0;
  const lookUp = async (): Promise<void> => {
    vectors = reqs.map((r) => new Array<Float32Array>(r.views.length));
    // Work items: request index + the views still missing. Same image content twice is embedded once.
    missing = new Map();
    cached = 0;
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i]!;
      const h = hashes[i]!;
      let hit = true;
      for (let v = 0; v < r.views.length; v++) {
        const vec = await cache.get(h, r.views[v]!);
        if (vec) vectors[i]![v] = vec;
        else {
          hit = false;
          const m = missing.get(h) ?? { views: new Set<View>(), file: r.file, name: r.name, targets: [] };
          m.views.add(r.views[v]!);
          missing.set(h, m);
        }
      }
      if (hit) cached++;
      else missing.get(h)!.targets.push(i);
    }
  };
  await lookUp();

  let backend = 'cache';
  let threads = 0;
  let rate = 0;
  let work = [...missing.entries()];
  if (work.length > 0) {
    yield { type: 'log', message: `Embedding ${work.length} new image(s); ${cached} from the cache.` };
    const pool = await EmbedPool.create({ ...poolOpts, ...(engine ? { engine } : {}) });
    if (pool.cacheKey !== cache.featureKey) {
      // The pool fell back to an engine whose vectors are keyed otherwise (int8 → float): look up again.
      cache = new EmbeddingCache(opts.cacheDir, pool.cacheKey);
      vectorPrecision = pool.precision;
      await lookUp();
      work = [...missing.entries()];
    }
    // Every yield from here on sits inside the try: a cancelled run ends the generator at a yield
    // (runStep calls return()), and only the finally stops the worker threads, which otherwise keep
    // the process alive after "Cancelled.".
    try {
      backend = pool.backend;
      threads = pool.threads;
      const engine = pool.runtime === 'onnx' ? `onnxruntime (${pool.precision} feature model)` : backend.startsWith('litert') ? `LiteRT (${pool.precision} feature model)` : `tfjs (${backend})`;
      const where = pool.runtime === 'onnx' && threads === 1 ? 'on this thread, decoding on sharp\'s threads' : `on ${threads} thread(s)`;
      yield { type: 'log', message: `Embedding with ${engine} ${where}.` };
      if (pool.runtimeNote) yield { type: 'warning', code: pool.runtimeNoteCode, message: pool.runtimeNote };
      if (pool.fallbackReason) yield { type: 'warning', code: 'train.workers_unavailable', message: `Embedding on one thread: worker threads did not start (${pool.fallbackReason}).` };
      const tracker = new ProgressTracker('embed', work.length, 'img');
      const started = performance.now();
      const inFlight = new Map<number, Promise<number>>();
      let next = 0;
      let done = 0;
      const launch = (k: number): void => {
        const [h, m] = work[k]!;
        const views = [...m.views];
        const p = pool
          .embed(m.file, views)
          .catch((e: unknown) => {
            throw new InputError(`Image ${m.name} could not be embedded: ${e instanceof Error ? e.message : String(e)}`, {
              code: 'train.embed_failed',
              item: m.file,
              hint: 'Check that the file is a readable image, or remove it from the manifest and rerun validate and split.',
            });
          })
          .then(async (vecs) => {
            for (let v = 0; v < views.length; v++) await cache.put(h, views[v]!, vecs[v]!);
            for (const t of m.targets) {
              reqs[t]!.views.forEach((view, vi) => {
                const at = views.indexOf(view);
                if (at >= 0) vectors[t]![vi] = vecs[at]!;
              });
            }
            return k;
          });
        inFlight.set(k, p);
      };
      const window = pool.window;
      while (next < work.length && inFlight.size < window) launch(next++);
      while (inFlight.size > 0) {
        const k = await Promise.race(inFlight.values());
        inFlight.delete(k);
        done++;
        const ev = tracker.update(done);
        if (ev) yield ev;
        if (opts.signal.aborted) {
          await Promise.allSettled(inFlight.values());
          throwIfCancelled(opts.signal);
        }
        if (next < work.length) launch(next++);
      }
      rate = work.length / ((performance.now() - started) / 1000);
    } finally {
      await pool.close();
    }
  }
  // Same content under two names: the second request reads the vector the first one computed.
  for (let i = 0; i < reqs.length; i++) {
    for (let v = 0; v < reqs[i]!.views.length; v++) {
      if (!vectors[i]![v]) {
        const vec = await cache.get(hashes[i]!, reqs[i]!.views[v]!);
        if (!vec) throw new Error(`internal: no embedding for ${reqs[i]!.name}`);
        vectors[i]![v] = vec;
      }
    }
  }
  return { vectors, computed: work.length, cached, threads, backend, precision: vectorPrecision, rate };
}

/** Cheap identity of the image files for the step fingerprint: size and modification time. */
export async function fileStamps(files: string[]): Promise<string[]> {
  return Promise.all(
    files.map(async (f) => {
      try {
        const s = await stat(f);
        return `${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    }),
  );
}
