import { parentPort, workerData } from 'node:worker_threads';
import type { FeatureSpec } from './backbone.js';
import { resolveBackbone } from './backbones.js';
import type { View } from './embedding-cache.js';
import { createEmbedder, createOrtEmbedder } from './embedder.js';

/**
 * A worker thread with its own embedder: an onnxruntime session on the feature .onnx when `onnx` is given
 * (benchmarks only: EDGEWISE_ORT_WORKERS), a LiteRT instance on the feature .tflite when `tflite` is given,
 * else its own tfjs instance (LiteRT and tfjs-wasm run one thread per instance in Node).
 */
export interface WorkerInit {
  backboneId: string;
  cacheDir: string;
  spec: FeatureSpec;
  tflite?: Uint8Array;
  onnx?: Uint8Array;
}
export type WorkerRequest = { id: number; file: string; views: View[] };
export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'init-error'; message: string }
  | { type: 'result'; id: number; vectors: Float32Array[] }
  | { type: 'error'; id: number; message: string };

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

try {
  const backbone = resolveBackbone(init.backboneId, init.cacheDir);
  const { embed, backend } = init.onnx ? await createOrtEmbedder(backbone, init.onnx, 1) : await createEmbedder(backbone, init.spec, init.tflite);
  port.on('message', (req: WorkerRequest) => {
    embed(req.file, req.views).then(
      (vectors) => post({ type: 'result', id: req.id, vectors }, vectors.map((v) => v.buffer as ArrayBuffer)),
      (e: unknown) => post({ type: 'error', id: req.id, message: e instanceof Error ? e.message : String(e) }),
    );
  });
  post({ type: 'ready', backend });
} catch (e) {
  post({ type: 'init-error', message: e instanceof Error ? e.message : String(e) });
}
