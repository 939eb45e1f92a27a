import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The tfjs namespace type (same API whichever backend is active). */
export type Tf = typeof import('@tensorflow/tfjs');

export interface TfRuntime {
  tf: Tf;
  /** `tensorflow` (tfjs-node, native) or `wasm` (always available) or `cpu` (last resort). */
  backend: string;
}

let runtime: Promise<TfRuntime> | undefined;

const require = createRequire(import.meta.url);

/** Folder holding the wasm binaries of the installed @tensorflow/tfjs-backend-wasm (ends with a slash). */
export function wasmDistDir(): string {
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  // main is .../dist/tf-backend-wasm.node.js (or similar) inside dist/
  let dir = dirname(main);
  if (!dir.endsWith('dist')) dir = join(dir.slice(0, dir.lastIndexOf('dist') + 4));
  return dir + '/';
}

/**
 * Loads tfjs once per thread with the fastest backend that works here: tfjs-node when it is installed
 * (an optional accelerator), otherwise the wasm backend (SIMD, single-threaded in Node), which always works.
 * `EDGEWISE_TF_BACKEND=wasm|cpu|tensorflow` forces a choice (benchmarks, debugging).
 */
export function loadTf(): Promise<TfRuntime> {
  runtime ??= init();
  return runtime;
}

/** True when @tensorflow/tfjs-node is installed and loads (tfjs then runs natively in this process). */
export async function nativeTfLoads(): Promise<boolean> {
  const forced = process.env.EDGEWISE_TF_BACKEND;
  if (forced !== undefined && forced !== 'tensorflow') return false;
  try {
    require.resolve('@tensorflow/tfjs-node');
  } catch {
    return false; // not installed (npm dropped the optional dependency): no need to load tfjs here
  }
  return (await loadTf()).backend === 'tensorflow';
}

async function init(): Promise<TfRuntime> {
  const forced = process.env.EDGEWISE_TF_BACKEND;
  if (forced === undefined || forced === 'tensorflow') {
    try {
      // Optional dependency: a string variable keeps tsc from requiring its typings.
      const name = '@tensorflow/tfjs-node';
      const tfn = (await import(name)) as Tf;
      await tfn.setBackend('tensorflow');
      await tfn.ready();
      return { tf: tfn, backend: 'tensorflow' };
    } catch {
      if (forced === 'tensorflow') throw new Error('EDGEWISE_TF_BACKEND=tensorflow but @tensorflow/tfjs-node does not load here.');
    }
  }
  const tf = await import('@tensorflow/tfjs');
  if (forced === 'cpu') {
    await tf.setBackend('cpu');
    return { tf, backend: 'cpu' };
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmDistDir());
  // Node has no SharedArrayBuffer threads for this build; ask for the plain SIMD binary.
  wasm.setThreadsCount(1);
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('The tfjs wasm backend failed to initialise.');
  await tf.ready();
  return { tf, backend: 'wasm' };
}
