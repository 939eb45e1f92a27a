import { parentPort, workerData } from 'node:worker_threads';
import { announceStartup } from '../../core/pool-startup.js';
import type { FeatureSpec } from './backbone.js';
import { resolveBackbone } from './backbones.js';
import type { View } from './embedding-cache.js';
import { createEmbedder, createOrtEmbedder, type Embedder } from './embedder.js';

/**
 * A thread of the embedding pool (embed-pool.ts, run by piscina) with its own embedder, loaded when the thread
 * starts (it says so through announceStartup, with the backend): an onnxruntime session on the feature .onnx
 * when `onnx` is given (benchmarks only: EDGEWISE_ORT_WORKERS), a LiteRT instance on the feature .tflite when
 * `tflite` is given, else its own tfjs instance (LiteRT and tfjs-wasm run one thread per instance in Node).
 */
export interface WorkerInit {
  backboneId: string;
  cacheDir: string;
  spec: FeatureSpec;
  tflite?: Uint8Array;
  onnx?: Uint8Array;
}
export interface WorkerTask {
  file: string;
  views: View[];
}

const init = workerData as WorkerInit | undefined;
const embedder: Promise<Embedder> | undefined =
  parentPort && init?.backboneId
    ? (async () => {
        const backbone = resolveBackbone(init.backboneId, init.cacheDir);
        return init.onnx ? await createOrtEmbedder(backbone, init.onnx, 1) : await createEmbedder(backbone, init.spec, init.tflite);
      })()
    : undefined;
if (embedder) announceStartup(embedder, (e) => e.backend);

/** Piscina runs the default export: one vector per view (a few KB each, cloned back). */
export default async function embedImage(task: WorkerTask): Promise<Float32Array[]> {
  if (!embedder) throw new Error('the embedding worker was started without its settings');
  return (await embedder).embed(task.file, task.views);
}
