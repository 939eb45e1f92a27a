import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { mapConcurrent } from '../core/concurrent.js';
import type { MeasureLimits } from './image-measure.js';
import { measureFile, type MeasureBatch, type MeasureResult } from './measure-worker.js';
import { samePhotoBatch, type Fingerprint, type MatchRule, type PairBatch } from './thumb-match.js';

/**
 * Measures images on worker threads so validation uses every core: reading a JPEG's thumbnail from its
 * coefficients is single-threaded code (JavaScript and WebAssembly), and one thread is one core. Files go
 * out in batches (a message per file cost a fifth of the throughput on 2 cores: bench/hash.ts). Falls back to this thread when there is one core,
 * few images (starting threads costs more than it saves), or no compiled worker script (the code runs from
 * its TypeScript sources, e.g. under vitest).
 */
export interface Measurer {
  /** Threads measuring (1 = this thread). */
  readonly threads: number;
  /** Why the threads stopped being used, when they failed (the rest was measured on this thread). */
  readonly fallback: string | undefined;
  /** Every file's result as it completes (any order); starts no new work once `signal` is aborted. */
  measureAll(files: readonly { path: string; size: number }[], limits: MeasureLimits, signal?: AbortSignal): AsyncGenerator<{ index: number; result: MeasureResult }>;
  close(): Promise<void>;
}

/** Fewer images than this are measured on this thread. */
export const MIN_IMAGES_FOR_THREADS = 32;
const BATCH = 8;

export function createMeasurer(images: number, opts: { threads?: number; inFlight?: number; script?: URL } = {}): Measurer {
  const threads = Math.min(opts.threads ?? availableParallelism(), Math.ceil(images / MIN_IMAGES_FOR_THREADS));
  const script = opts.script ?? new URL('./measure-worker.js', import.meta.url);
  if (threads <= 1 || !existsSync(fileURLToPath(script))) {
    // libvips decodes (the fallback path) run on the libuv pool: keep at least its 4 threads busy.
    const inFlight = opts.inFlight ?? Math.max(4, availableParallelism());
    return {
      threads: 1,
      fallback: undefined,
      measureAll: (files, limits, signal) => mapConcurrent(files, inFlight, (f) => measureFile(f.path, f.size, limits), signal),
      close: async () => undefined,
    };
  }
  // Two batches per thread at once: the next one is already in the thread when it finishes one, instead of
  // waiting for the main thread (which shares the cores with it) to hand it over. Measured on 2 cores,
  // clothing set, alternating: 3,564 vs 3,295 img/s (docs/notes/hashing.md).
  const pool = new Piscina<MeasureBatch, MeasureResult[]>({ filename: script.href, minThreads: threads, maxThreads: threads, concurrentTasksPerWorker: 2 });
  // A batch never fails for its files (each file's problem is its result), so a rejection means the thread
  // itself failed (it could not load, ran out of memory): threads are an accelerator, never the reason a
  // file goes unmeasured. That batch and all later ones run here.
  const runner = threadsOrHere(pool, async (batch: MeasureBatch) => {
    const out: MeasureResult[] = [];
    for (const f of batch.files) out.push(await measureFile(f.path, f.size, batch.limits));
    return out;
  });
  return {
    threads,
    get fallback() {
      return runner.broken;
    },
    async *measureAll(files, limits, signal) {
      // Small enough batches that every thread gets several (progress stays smooth, the last one short).
      const size = Math.max(1, Math.min(BATCH, Math.floor(files.length / (threads * 4))));
      const starts = Array.from({ length: Math.ceil(files.length / size) }, (_, i) => i * size);
      const inFlight = opts.inFlight ?? threads * 2;
      for await (const { index, result } of mapConcurrent(starts, inFlight, (start) => runner.run({ files: files.slice(start, start + size), limits }), signal)) {
        for (const [i, r] of result.entries()) yield { index: starts[index]! + i, result: r };
      }
    },
    close: runner.close,
  };
}

/**
 * Tasks on a piscina pool that fall back to this thread (`here`) once the pool is broken, and for good: a
 * thread failing outside a task (it cannot load) is heard through the pool's `error` event, which would
 * otherwise end the process while the task waits for a thread forever; a task rejecting means its thread
 * failed. Once broken the pool is stopped too: it would keep starting threads that fail, competing for the
 * cores. No pool (one core, no compiled worker script): every task runs here.
 */
function threadsOrHere<T, R>(pool: Piscina<T, R> | undefined, here: (task: T) => Promise<R>): { run(task: T): Promise<R>; readonly broken: string | undefined; close(): Promise<void> } {
  let broken: string | undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= pool?.destroy().catch(() => undefined) ?? Promise.resolve());
  let resolveBroken = (): void => undefined;
  const brokenNow = new Promise<undefined>((resolve) => (resolveBroken = () => resolve(undefined)));
  const onBroken = (e: Error): void => {
    broken ??= e.message;
    resolveBroken();
    void close();
  };
  pool?.on('error', onBroken);
  return {
    async run(task) {
      if (pool && broken === undefined) {
        const onThread = pool.run(task);
        onThread.catch(() => undefined); // may settle after it was given up on
        try {
          const r = await Promise.race([onThread, brokenNow]);
          if (r) return r;
        } catch (e) {
          onBroken(e as Error);
        }
      }
      return here(task);
    },
    get broken() {
      return broken;
    },
    close,
  };
}

/**
 * The re-crop comparisons of validate's index phase (thumb-match.ts) on the same kind of threads: each pair
 * is independent, so they go out in batches of consecutive pairs (an image meets its neighbours in a row,
 * and a thread keeps its recent turned copies). Falls back to this thread like the measurer: one core, few
 * pairs, no compiled worker script, or threads that fail (the rest is then compared here).
 */
export interface PairMatcher {
  readonly threads: number;
  readonly fallback: string | undefined;
  /**
   * Each pair's decision as its batch completes (any order); starts no new batch once `signal` is aborted.
   * `pairs` index `fingerprints`, and every image a pair names has one.
   */
  matchAll(fingerprints: readonly (Fingerprint | undefined)[], pairs: readonly (readonly [number, number])[], rule: MatchRule, signal?: AbortSignal): AsyncGenerator<{ index: number; same: boolean }>;
  close(): Promise<void>;
}

/** Fewer candidate pairs than this are compared on this thread (a pair costs ≈ 2 ms, a thread's start more). */
export const MIN_PAIRS_FOR_THREADS = 64;
const PAIR_BATCH = 32;

export function createPairMatcher(pairs: number, opts: { threads?: number; script?: URL } = {}): PairMatcher {
  // `threads` given is taken as it is (tests); else one per core, fewer for few pairs.
  const threads = opts.threads ?? Math.min(availableParallelism(), Math.ceil(pairs / MIN_PAIRS_FOR_THREADS));
  const script = opts.script ?? new URL('./measure-worker.js', import.meta.url);
  const pool = threads > 1 && existsSync(fileURLToPath(script)) ? new Piscina<PairBatch, boolean[]>({ filename: script.href, name: 'samePhotoBatch', minThreads: threads, maxThreads: threads }) : undefined;
  // On this thread: one batch at a time, a turn of the event loop between them (progress, Ctrl-C).
  const runner = threadsOrHere(pool, async (batch: PairBatch) => {
    await new Promise((r) => setImmediate(r));
    return samePhotoBatch(batch);
  });
  return {
    threads: pool ? threads : 1,
    get fallback() {
      return runner.broken;
    },
    async *matchAll(fingerprints, list, rule, signal) {
      const starts = Array.from({ length: Math.ceil(list.length / PAIR_BATCH) }, (_, i) => i * PAIR_BATCH);
      const run = randomUUID();
      const batchAt = (start: number): PairBatch => {
        const local = new Map<number, number>();
        const fps: Fingerprint[] = [];
        const ids: number[] = [];
        const at = (i: number): number => local.get(i) ?? (local.set(i, fps.push(fingerprints[i]!) - 1), ids.push(i), fps.length - 1);
        const pairs = list.slice(start, start + PAIR_BATCH).map(([i, j]): [number, number] => [at(i), at(j)]);
        return { fingerprints: fps, images: { run, ids }, pairs, rule };
      };
      for await (const { index, result } of mapConcurrent(starts, pool ? threads * 2 : 1, (start) => runner.run(batchAt(start)), signal)) {
        for (const [k, same] of result.entries()) yield { index: starts[index]! + k, same };
      }
    },
    close: runner.close,
  };
}
