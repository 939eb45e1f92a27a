import { parentPort, workerData } from 'node:worker_threads';
import { loadTfliteModel, type ImageInput, type LoadOptions } from './runner.js';

/** Worker thread of the runner pool: its own LiteRT instance, preprocessing and inference per message. */
export interface PoolWorkerInit {
  bytes: Uint8Array;
  opts: LoadOptions;
}
export type PoolRequest = { id: number; input: ImageInput };
export type PoolReply =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | { type: 'result'; id: number; probs: Float32Array }
  | { type: 'error'; id: number; message: string; item?: string; code?: string; hint?: string; input?: boolean };

const port = parentPort;
if (port) {
  const init = workerData as PoolWorkerInit;
  loadTfliteModel(init.bytes, init.opts).then(
    (model) => {
      port.on('message', (m: PoolRequest) => {
        model.prepare(m.input).then(model.runPrepared).then(
          (probs) => port.postMessage({ type: 'result', id: m.id, probs } satisfies PoolReply, [probs.buffer as ArrayBuffer]),
          (e: unknown) => {
            const err = e as { message?: string; item?: string; code?: string; hint?: string; name?: string };
            port.postMessage({
              type: 'error',
              id: m.id,
              message: err.message ?? String(e),
              ...(err.item ? { item: err.item } : {}),
              ...(err.code ? { code: err.code } : {}),
              ...(err.hint ? { hint: err.hint } : {}),
              input: err.name === 'InputError',
            } satisfies PoolReply);
          },
        );
      });
      port.postMessage({ type: 'ready' } satisfies PoolReply);
    },
    (e: unknown) => port.postMessage({ type: 'init-error', message: e instanceof Error ? e.message : String(e) } satisfies PoolReply),
  );
}
