/**
 * A WebAssembly module shipped as base64 (scripts/build-wasm.sh), instantiated on first use. Where it cannot
 * run (no WebAssembly, no SIMD, `node --jitless`) `get()` is undefined and the caller's TypeScript does the
 * work. EDGEWISE_WASM=0 in the environment turns every module off (worker threads included); `allow(false)`
 * turns one off in this thread, for tests and benchmarks comparing the two.
 */
export interface LazyWasm<T> {
  get(): T | undefined;
  allow(on: boolean): void;
}

export function lazyWasm<T>(base64: string, wrap: (instance: WebAssembly.Instance) => T): LazyWasm<T> {
  let made: T | null | undefined;
  let allowed = true;
  return {
    allow(on) {
      allowed = on;
    },
    get() {
      if (!allowed || process.env.EDGEWISE_WASM === '0') return undefined;
      if (made === undefined) {
        try {
          made = wrap(new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(base64, 'base64')), {}));
        } catch {
          made = null;
        }
      }
      return made ?? undefined;
    },
  };
}
