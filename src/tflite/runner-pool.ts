import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { mapConcurrent } from '../core/concurrent.js';
import { EdgewiseError, InputError, throwIfCancelled } from '../core/errors.js';
import { loadTfliteModel, type ImageInput, type LoadOptions, type RunOptions, type TfliteModel } from './runner.js';
import type { PoolFailure, PoolWorkerInit } from './runner-worker.js';
import { threadsReady } from '../core/pool-startup.js';

/**
 * The runner on several threads (a piscina pool): LiteRT.js runs single-threaded in Node, so each worker thread
 * gets its own LiteRT instance and model and does its own preprocessing; images are dealt out two in flight per
 * worker and results come back in input order. Same TfliteModel interface as `loadTfliteModel` (whose instance on
 * this thread answers `info`/`input`/`outputs` and is used when workers are not available: `threads` ≤ 1, or the
 * compiled worker script is absent because the code runs from TypeScript sources, e.g. under vitest).
 */
export interface PoolLoadOptions extends LoadOptions {
  /** Worker threads; default min(2, cores). */
  threads?: number;
}

/** Images in flight per worker: one is decoded while the other runs. */
const PER_WORKER = 2;

export async function loadTflitePool(src: string | Uint8Array, opts: PoolLoadOptions = {}): Promise<TfliteModel & { threads: number }> {
  const bytes = typeof src === 'string' ? await readModel(src) : src;
  const item = opts.item ?? (typeof src === 'string' ? src : 'model.tflite');
  const { threads: wanted = Math.min(2, availableParallelism()), ...loadOpts } = opts;
  const local = await loadTfliteModel(bytes, { ...loadOpts, item });
  const script = new URL('./runner-worker.js', import.meta.url);
  if (wanted <= 1 || !existsSync(fileURLToPath(script))) return Object.assign(local, { threads: 1 });

  const pool = new Piscina<ImageInput, Float32Array | PoolFailure>({
    filename: script.href,
    minThreads: wanted,
    maxThreads: wanted,
    concurrentTasksPerWorker: PER_WORKER,
    // Atomics would park an idle worker in Atomics.wait, which stalls the model loading it starts on its own.
    atomics: 'disabled',
    workerData: { bytes, opts: { ...loadOpts, item } } satisfies PoolWorkerInit,
  });
  // A thread failing outside a task is reported here (unheard, the event would end the process); its tasks are
  // rejected by piscina itself, which starts a new thread in its place.
  pool.on('error', () => undefined);
  try {
    await threadsReady(pool, wanted);
  } catch (e) {
    await pool.destroy().catch(() => undefined);
    local.dispose();
    throw new EdgewiseError(`The runner's worker threads failed to start: ${(e as Error).message}`, { item, cause: e });
  }

  let disposed = false;
  const runOne = async (input: ImageInput): Promise<Float32Array> => {
    if (disposed) throw new Error('runner pool disposed');
    const r = await pool.run(input);
    if (r instanceof Float32Array) return r;
    const d = { ...(r.item ? { item: r.item } : {}), ...(r.code ? { code: r.code } : {}), ...(r.hint ? { hint: r.hint } : {}) };
    throw r.input ? new InputError(r.message, d) : new EdgewiseError(r.message, d);
  };

  const runBatches = async (images: ImageInput[], ro: RunOptions = {}): Promise<Float32Array[]> => {
    const total = images.length;
    const results: Float32Array[] = new Array(total);
    let done = 0;
    ro.onProgress?.({ done: 0, total });
    throwIfCancelled(ro.signal);
    // A failure stops new images and is thrown once those in flight have settled.
    for await (const { index, result } of mapConcurrent(images, wanted * PER_WORKER, runOne, ro.signal)) {
      results[index] = result;
      ro.onProgress?.({ done: ++done, total });
    }
    throwIfCancelled(ro.signal);
    return results;
  };

  return {
    info: local.info,
    input: local.input,
    outputs: local.outputs,
    labels: local.labels,
    fit: local.fit,
    toInput: local.toInput,
    prepare: local.prepare,
    runPrepared: local.runPrepared,
    // Inference in the workers is not timed; only this thread's own runs are counted.
    stats: local.stats,
    threads: wanted,
    predict: (batch) => runBatches(batch),
    runBatches,
    dispose: () => {
      disposed = true;
      local.dispose();
      void pool.destroy().catch(() => undefined);
    },
  };
}

async function readModel(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new InputError(`Cannot read the model ${path}: ${(e as Error).message}`, { item: path, hint: 'Check the path to the .tflite file.' });
  }
}
