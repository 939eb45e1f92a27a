import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FeatureSpec } from './backbone.js';
import { resolveBackbone } from './backbones.js';
import type { View } from './embedding-cache.js';
import { createEmbedder, type EmbedFn, type EmbedRuntime, type Embedder } from './embedder.js';
import { featureTflite } from './feature-tflite.js';
import { nativeTfLoads } from './tf-runtime.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './embed-worker.js';
import { CancelledError, throwIfCancelled } from '../../core/errors.js';

export interface PoolOptions {
  backboneId: string;
  cacheDir: string;
  spec: FeatureSpec;
  /** Worker threads; 0 = embed on this thread. Default: one per core, at most 2 (see docs/notes/local-backbone.md). */
  workers?: number;
  /**
   * `auto` (default): tfjs when @tensorflow/tfjs-node loads (native); else LiteRT on the converted feature
   * .tflite, tfjs(-wasm) when the conversion or LiteRT fails;
   * `litert` / `tfjs` force one (a failing `litert` is an error). EDGEWISE_EMBED_RUNTIME overrides `auto`.
   */
  runtime?: 'auto' | EmbedRuntime;
  /** Cancels start-up: threads already started are stopped (they would keep the process alive). */
  signal?: AbortSignal;
}

/** The runtime asked for: the option, else EDGEWISE_EMBED_RUNTIME (benchmarks), else auto. */
export function embedRuntimeChoice(opt: PoolOptions['runtime']): 'auto' | EmbedRuntime {
  if (opt && opt !== 'auto') return opt;
  const env = process.env.EDGEWISE_EMBED_RUNTIME;
  return env === 'tfjs' || env === 'litert' ? env : 'auto';
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

interface Slot {
  worker: Worker;
  busy: number;
}

/**
 * Embeds images on several worker threads, each with its own LiteRT (or tfjs + wasm) instance (both are
 * single-threaded in Node, so threads are how both cores get used). Falls back to this thread when the
 * compiled worker script is absent (running from TypeScript sources, e.g. under vitest).
 */
export class EmbedPool {
  private readonly slots: Slot[] = [];
  private local: EmbedFn | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: Float32Array[]): void; reject(e: Error): void; slot: Slot }>();
  backend = 'unknown';
  /** Why the worker threads were not used, when they were asked for and failed to start. */
  fallbackReason: string | undefined;
  /** Why LiteRT was not used although `auto` would have picked it. */
  runtimeNote: string | undefined;

  private constructor() {}

  get threads(): number {
    return this.slots.length || 1;
  }

  static async create(opts: PoolOptions): Promise<EmbedPool> {
    const pool = new EmbedPool();
    const backbone = resolveBackbone(opts.backboneId, opts.cacheDir);
    const wanted = opts.workers ?? 2;
    let runtime = embedRuntimeChoice(opts.runtime);
    // tfjs-node (the optional native accelerator), when it loads, beats LiteRT's single-threaded wasm.
    if (runtime === 'auto' && (await nativeTfLoads())) runtime = 'tfjs';
    let tflite: Uint8Array | undefined;
    if (runtime !== 'tfjs') {
      try {
        // Converted once here (cached on disk), so the workers never load tfjs.
        tflite = (await featureTflite(backbone, opts.spec, opts.cacheDir, opts.signal)).bytes;
      } catch (e) {
        if (runtime === 'litert' || e instanceof CancelledError) throw e;
        pool.runtimeNote = `LiteRT not used, embedding with tfjs: the feature model could not be converted to .tflite (${errorText(e)}).`;
      }
    }
    throwIfCancelled(opts.signal);
    const script = new URL('./embed-worker.js', import.meta.url);
    if (wanted > 0 && existsSync(fileURLToPath(script))) {
      const init: WorkerInit = { backboneId: opts.backboneId, cacheDir: opts.cacheDir, spec: opts.spec, ...(tflite ? { tflite } : {}) };
      // A worker takes about a second to load its runtime: a cancel meanwhile stops them at once.
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_resolve, reject) => {
        onAbort = () => reject(new CancelledError());
        opts.signal?.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await Promise.race([Promise.all(Array.from({ length: wanted }, () => pool.spawn(script, init))), aborted]);
        return pool;
      } catch (e) {
        if (e instanceof CancelledError) {
          await pool.terminateAll();
          throw e;
        }
        // Workers are an accelerator: if they cannot start (memory, sandbox), embed on this thread.
        await pool.close();
        pool.fallbackReason = errorText(e);
      } finally {
        if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
        aborted.catch(() => {});
      }
    }
    let local: Embedder | undefined;
    if (tflite) {
      try {
        local = await createEmbedder(backbone, opts.spec, tflite);
      } catch (e) {
        if (runtime === 'litert') throw e;
        pool.runtimeNote = `LiteRT not used, embedding with tfjs: ${errorText(e)}`;
      }
    }
    local ??= await createEmbedder(backbone, opts.spec);
    pool.local = local.embed;
    pool.backend = local.backend;
    return pool;
  }

  /** Every thread started, ready or not. */
  private readonly started = new Set<Worker>();

  private async terminateAll(): Promise<void> {
    await Promise.all([...this.started].map((w) => w.terminate()));
    this.started.clear();
    this.slots.length = 0;
  }

  private spawn(script: URL, init: WorkerInit): Promise<void> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(script, { workerData: init });
      this.started.add(worker);
      worker.once('exit', () => this.started.delete(worker));
      const slot: Slot = { worker, busy: 0 };
      let ready = false;
      worker.on('message', (m: WorkerReply) => {
        if (m.type === 'ready') {
          ready = true;
          this.backend = m.backend;
          this.slots.push(slot);
          resolve();
        } else if (m.type === 'init-error') {
          reject(new Error(`embedding worker failed to start: ${m.message}`));
        } else {
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          p.slot.busy--;
          if (m.type === 'result') p.resolve(m.vectors);
          else p.reject(new Error(m.message));
        }
      });
      worker.on('error', (e) => {
        if (!ready) reject(e);
        this.failAll(slot, e);
      });
      worker.on('exit', (code) => {
        if (!ready) reject(new Error(`embedding worker exited with code ${code}`));
        this.failAll(slot, new Error(`embedding worker exited with code ${code}`));
      });
    });
  }

  private failAll(slot: Slot, e: Error): void {
    for (const [id, p] of this.pending) {
      if (p.slot === slot) {
        this.pending.delete(id);
        p.reject(e);
      }
    }
  }

  /**
   * Requests to keep in flight: 2 per thread lets one image decode (sharp) while the other runs; more only
   * oversubscribed the 2 cores here. EDGEWISE_EMBED_WINDOW (per thread) overrides it for benchmarks.
   */
  get window(): number {
    return this.threads * Math.max(1, Number(process.env.EDGEWISE_EMBED_WINDOW ?? 2));
  }

  /** One vector per view. */
  embed(file: string, views: View[]): Promise<Float32Array[]> {
    if (this.local) return this.local(file, views);
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, file, views } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    await this.terminateAll();
  }
}
