import { parentPort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { CancelledError } from './errors.js';

/**
 * Piscina starts a thread when the pool is made, but a thread that loads a model first (the runner's LiteRT, the
 * embedder's onnxruntime/LiteRT/tfjs) is only useful once that load is done, and a load that fails must reach
 * whoever made the pool rather than the first task. Each such thread sends one ThreadStartup on its port
 * (beside piscina's own messages): `announceStartup` in the thread, `threadsReady` in the pool's owner.
 */
export type ThreadStartup = { startup: 'ready'; detail?: string } | { startup: 'init-error'; message: string };

/** In a pool thread: says when `loading` settles (ready, with an optional detail such as the backend, or why not). */
export function announceStartup<T>(loading: Promise<T>, detail: (value: T) => string | undefined = () => undefined): void {
  loading.then(
    (v) => parentPort?.postMessage({ startup: 'ready', detail: detail(v) } satisfies ThreadStartup),
    (e: unknown) => parentPort?.postMessage({ startup: 'init-error', message: e instanceof Error ? e.message : String(e) } satisfies ThreadStartup),
  );
}

/** Resolves with each thread's detail once all `threads` are ready; rejects on the first failure, a pool error or `signal`. */
export function threadsReady(pool: Piscina, threads: number, signal?: AbortSignal): Promise<(string | undefined)[]> {
  // Piscina's idle threads do not keep the process alive: this timer does, until they answer.
  const keepAlive = setInterval(() => undefined, 60_000);
  return new Promise((resolve, reject) => {
    const details: (string | undefined)[] = [];
    const onMessage = (m: ThreadStartup): void => {
      if (m?.startup === 'init-error') done(new Error(m.message));
      else if (m?.startup === 'ready' && details.push(m.detail) === threads) done();
    };
    const onAbort = (): void => done(new CancelledError());
    const done = (e?: Error): void => {
      clearInterval(keepAlive);
      pool.off('message', onMessage);
      pool.off('error', done);
      signal?.removeEventListener('abort', onAbort);
      if (e) reject(e);
      else resolve(details);
    };
    pool.on('message', onMessage);
    pool.on('error', done);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}
