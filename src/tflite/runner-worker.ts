import { parentPort, workerData } from 'node:worker_threads';
import { announceStartup } from '../core/pool-startup.js';
import { move } from 'piscina';
import { loadTfliteModel, type ImageInput, type LoadOptions, type TfliteModel } from './runner.js';

/**
 * A thread of the runner pool (runner-pool.ts, run by piscina): its own LiteRT instance and model, loaded when the
 * thread starts (it says so through announceStartup); each task preprocesses one image and runs it.
 */
export interface PoolWorkerInit {
  bytes: Uint8Array;
  opts: LoadOptions;
}
/** A failed image: the error's parts (an Error's own fields, item/code/hint, do not survive being cloned). */
export interface PoolFailure {
  message: string;
  item?: string;
  code?: string;
  hint?: string;
  input: boolean;
}

const init = workerData as PoolWorkerInit | undefined;
const model: Promise<TfliteModel> | undefined = parentPort && init?.bytes ? loadTfliteModel(init.bytes, init.opts) : undefined;
if (model) announceStartup(model);

/** Piscina runs the default export: the probabilities (moved, not copied, to the main thread) or the failure. */
export default async function runImage(input: ImageInput): Promise<Float32Array | PoolFailure> {
  if (!model) throw new Error('the runner worker was started without a model');
  const m = await model;
  try {
    return move(await m.runPrepared(await m.prepare(input))) as Float32Array;
  } catch (e) {
    const err = e as { message?: string; item?: string; code?: string; hint?: string; name?: string };
    return {
      message: err.message ?? String(e),
      ...(err.item ? { item: err.item } : {}),
      ...(err.code ? { code: err.code } : {}),
      ...(err.hint ? { hint: err.hint } : {}),
      input: err.name === 'InputError',
    };
  }
}
