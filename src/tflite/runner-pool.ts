import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EdgewiseError, InputError, throwIfCancelled } from '../core/errors.js';
import { loadTfliteModel, type ImageInput, type LoadOptions, type RunOptions, type TfliteModel } from './runner.js';
import type { PoolReply, PoolRequest, PoolWorkerInit } from './runner-worker.js';

/**
 * The runner on several threads: LiteRT.js runs single-threaded in Node, so each worker thread gets its own
 * LiteRT instance and model and does its own preprocessing; images are dealt out two in flight per worker and
 * results come back in input order. Same TfliteModel interface as `loadTfliteModel` (whose instance on this
 * thread answers `info`/`input`/`outputs` and is used when workers are not available: `threads` ≤ 1, or the
 * compiled worker script is absent because the code runs from TypeScript sources, e.g. under vitest).
 */
export interface PoolLoadOptions extends LoadOptions {
  /** Worker threads; default min(2, cores). */
  threads?: number;
}

export async function loadTflitePool(src: string | Uint8Array, opts: PoolLoadOptions = {}): Promise<TfliteModel & { threads: number }> {
  const bytes = typeof src === 'string' ? await readModel(src) : src;
  const item = opts.item ?? (typeof src === 'string' ? src : 'model.tflite');
  const { threads: wanted = Math.min(2, availableParallelism()), ...loadOpts } = opts;
  const local = await loadTfliteModel(bytes, { ...loadOpts, item });
  const script = new URL('./runner-worker.js', import.meta.url);
  if (wanted <= 1 || !existsSync(fileURLToPath(script))) return Object.assign(local, { threads: 1 });

  const workers: Worker[] = [];
  const waiting = new Map<number, { resolve(p: Float32Array): void; reject(e: Error): void }>();
  const fail = (e: Error) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  try {
    await Promise.all(
      Array.from({ length: wanted }, () => {
        const init: PoolWorkerInit = { bytes, opts: { ...loadOpts, item } };
        const worker = new Worker(script, { workerData: init });
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          worker.on('message', (m: PoolReply) => {
            if (m.type === 'ready') resolve();
            else if (m.type === 'init-error') reject(new Error(m.message));
            else {
              const w = waiting.get(m.id);
              if (!w) return;
              waiting.delete(m.id);
              if (m.type === 'result') w.resolve(m.probs);
              else {
                const d = { ...(m.item ? { item: m.item } : {}), ...(m.code ? { code: m.code } : {}), ...(m.hint ? { hint: m.hint } : {}) };
                w.reject(m.input ? new InputError(m.message, d) : new EdgewiseError(m.message, d));
              }
            }
          });
          worker.on('error', (e) => {
            reject(e);
            fail(e);
          });
        });
      }),
    );
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    local.dispose();
    throw new EdgewiseError(`The runner's worker threads failed to start: ${(e as Error).message}`, { item, cause: e });
  }

  // Idle workers must not keep the process alive; they are referenced only while a batch runs.
  for (const w of workers) w.unref();
  let nextId = 1;
  const send = (worker: Worker, input: ImageInput): Promise<Float32Array> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, input } satisfies PoolRequest);
    });

  const runBatches = async (images: ImageInput[], ro: RunOptions = {}): Promise<Float32Array[]> => {
    const total = images.length;
    const results: Float32Array[] = new Array(total);
    let next = 0;
    let done = 0;
    let stop = false;
    ro.onProgress?.({ done: 0, total });
    const lane = async (worker: Worker) => {
      try {
        while (next < total && !stop) {
          throwIfCancelled(ro.signal);
          const i = next++;
          results[i] = await send(worker, images[i]!);
          done++;
          ro.onProgress?.({ done, total });
        }
      } catch (e) {
        stop = true;
        throw e;
      }
    };
    for (const w of workers) w.ref();
    try {
      // Two lanes per worker keep each busy while its next image is decoded.
      const settled = await Promise.allSettled(workers.flatMap((w) => [lane(w), lane(w)]));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      return results;
    } finally {
      for (const w of workers) w.unref();
    }
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
    threads: workers.length,
    predict: (batch) => runBatches(batch),
    runBatches,
    dispose: () => {
      local.dispose();
      for (const w of workers) void w.terminate();
      fail(new Error('runner pool disposed'));
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
