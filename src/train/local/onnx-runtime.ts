/**
 * onnxruntime-node, the optional native runtime that embeds fastest here (docs/notes/local-backbone.md, issue
 * 18): an optionalDependency, so a platform without its binary installs and falls back to LiteRT.
 *
 * Typed by the few calls edgewise makes, not by the package's own types: the build must not need the package.
 * EDGEWISE_ONNXRUNTIME names another module to load instead (tests point it at a missing one to exercise the
 * fallback for real).
 */

export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
export interface OrtSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionMode?: 'sequential' | 'parallel';
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  extra?: Record<string, unknown>;
}
export interface Ort {
  InferenceSession: { create(model: Uint8Array, options?: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new <T extends 'float32' | 'uint8'>(type: T, data: T extends 'uint8' ? Uint8Array : Float32Array, dims: readonly number[]) => OrtTensor;
  env: { logLevel?: string; versions?: Record<string, string> };
}

/** Per module id (EDGEWISE_ONNXRUNTIME may name another); a failed load is retried next time. */
const loading = new Map<string, Promise<Ort>>();

export function ortModuleId(): string {
  return process.env.EDGEWISE_ONNXRUNTIME || 'onnxruntime-node';
}

/** The loaded module, once per thread; rejects with the reason when it cannot load (then callers fall back). */
export function loadOrt(): Promise<Ort> {
  const id = ortModuleId();
  const known = loading.get(id);
  if (known) return known;
  const load = (async () => {
    let m: { default?: Ort } & Partial<Ort>;
    try {
      m = (await import(id)) as typeof m;
    } catch (e) {
      throw new Error(`${id} did not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
    }
    const ort = (m.InferenceSession ? m : m.default) as Ort | undefined;
    if (!ort?.InferenceSession || !ort.Tensor) throw new Error(`${id} loaded but has no InferenceSession`);
    // Its warnings go to stderr by default; steps never print.
    ort.env.logLevel = 'error';
    return ort;
  })();
  loading.set(id, load);
  load.catch(() => loading.delete(id));
  return load;
}

/**
 * Intra-op threads per session: 2 (the calling thread and one more; spinning off). Same CPU per image as 1
 * thread, and faster end to end in every round measured (6 rounds at load 8–25, docs/notes/local-backbone.md):
 * the forward pass leaves the main thread sooner while sharp decodes the next images on its own threads.
 * EDGEWISE_ORT_THREADS overrides it for benchmarks.
 */
export const DEFAULT_ORT_THREADS = 2;

export function ortThreads(): number {
  return Math.max(1, Number(process.env.EDGEWISE_ORT_THREADS ?? DEFAULT_ORT_THREADS));
}

export async function createOrtSession(ort: Ort, model: Uint8Array, threads = ortThreads()): Promise<OrtSession> {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    logSeverityLevel: 3,
    // Idle intra-op threads sleep instead of spinning: on a shared 2-core machine spinning burns the core
    // sharp decodes on.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}
