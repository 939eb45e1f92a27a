import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { EdgewiseError } from '../core/errors.js';

/**
 * Loads LiteRT.js (@litertjs/core, browser-only by design) in Node, once per process.
 *
 * How: its loader evaluates the emscripten glue through `importScripts` (worker path) and reads the factory
 * from `self.ModuleFactory`. We provide `self` and an `importScripts` that evaluates the glue file with a
 * CommonJS `require` (the glue takes its Node code path to read the .wasm from disk). We pass the wasm
 * *directory*, so LiteRT picks the build itself: Node 20 lacks relaxed SIMD, which selects the plain
 * "compat" single-threaded build (the threaded/JSPI builds fail in Node). The globals are removed again
 * right after loading because other emscripten modules (tfjs' wasm backend) treat a global `importScripts`
 * as "running in a web worker" and would break. The runtime's log lines are kept in a small ring buffer
 * (steps never print) and quoted in errors.
 */

export type LiteRtModule = typeof import('@litertjs/core');

let loading: Promise<LiteRtModule> | undefined;
const logRing: string[] = [];

export function liteRtLog(): string[] {
  return [...logRing];
}

function remember(line: string): void {
  logRing.push(line);
  if (logRing.length > 50) logRing.shift();
}

export function loadLiteRtNode(): Promise<LiteRtModule> {
  loading ??= load().catch((e: unknown) => {
    loading = undefined;
    throw new EdgewiseError(`LiteRT.js failed to load: ${e instanceof Error ? e.message : String(e)}`, {
      code: 'tflite.runtime',
      cause: e,
      hint: 'Check that @litertjs/core 2.5.3 is installed (node_modules/@litertjs/core/wasm) and Node is 20 or newer.',
    });
  });
  return loading;
}

async function load(): Promise<LiteRtModule> {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve('@litertjs/core/package.json', {}) as string;
  const wasmDir = join(dirname(pkgJson), 'wasm') + '/';
  const lrt = await import('@litertjs/core');
  const g = globalThis as Record<string, unknown>;
  const saved = { self: g.self, importScripts: g.importScripts, Module: g.Module, navigator: g.navigator };
  const hadNavigator = 'navigator' in g;
  const warn = console.warn;
  g.self = globalThis;
  g.importScripts = (url: string) => {
    const file = url.startsWith('file:') ? new URL(url).pathname : url;
    const code = readFileSync(file, 'utf8');
    const factory = runInThisContext(`(function (require, __filename, __dirname) {${code}\n;return ModuleFactory;})`, {
      filename: file,
    }) as (req: NodeRequire, f: string, d: string) => unknown;
    g.ModuleFactory = factory(require, file, dirname(file));
  };
  // Emscripten's print hooks: collect instead of writing to the terminal.
  g.Module = { print: remember, printErr: remember };
  // No WebGPU in Node: answer "no adapter" instead of letting it throw on a missing navigator.
  if (!hadNavigator) g.navigator = { gpu: { requestAdapter: async () => null } };
  console.warn = (...args: unknown[]) => remember(args.map(String).join(' '));
  try {
    await lrt.loadLiteRt(wasmDir);
  } finally {
    console.warn = warn;
    for (const [k, v] of Object.entries(saved)) {
      if (k === 'navigator' && hadNavigator) continue;
      if (v === undefined) delete g[k];
      else g[k] = v;
    }
    delete g.ModuleFactory;
  }
  return lrt;
}
