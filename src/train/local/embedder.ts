import type { Tensor } from '@tensorflow/tfjs';
import type { Backbone, FeatureSpec } from './backbone.js';
import { featureModel } from './backbone.js';
import type { View } from './embedding-cache.js';
import { decodeResize, flipHorizontal, preprocessImage } from './preprocess.js';
import { loadTf } from './tf-runtime.js';

/** Embeds one image file into one vector per requested view. */
export type EmbedFn = (file: string, views: View[]) => Promise<Float32Array[]>;

/** Which engine runs the feature model: tfjs (wasm or tfjs-node), LiteRT on a converted .tflite, onnxruntime-node on an .onnx. */
export type EmbedRuntime = 'tfjs' | 'litert' | 'onnx';

export interface Embedder {
  embed: EmbedFn;
  /** `litert`, or the tfjs backend (`wasm`, `tensorflow`, `cpu`). */
  backend: string;
  runtime: EmbedRuntime;
  dim: number;
  /** Frees native resources (onnxruntime's session); the others are freed with their thread. */
  close?(): Promise<void>;
}

/**
 * Views per forward pass. Batch 4 ran the bare forward pass up to ≈20 % faster, but end to end (decode +
 * forward on a loaded 2-core machine) it was not faster, so 1 by default; EDGEWISE_EMBED_BATCH overrides it
 * for benchmarks (docs/notes/local-backbone.md).
 */
const MAX_BATCH = Math.max(1, Number(process.env.EDGEWISE_EMBED_BATCH ?? 1));

interface Ready {
  pixels: Float32Array[];
  resolve(v: Float32Array[]): void;
  reject(e: unknown): void;
}

/**
 * An embedder on this thread's tfjs: preprocess (sharp, off-thread), mirror for the flip view, run the
 * truncated backbone + pooling. Images whose pixels are ready at the same time share one forward pass
 * (up to MAX_BATCH views), so callers should keep several requests in flight.
 */
export async function createEmbedder(backbone: Backbone, spec: FeatureSpec, tflite?: Uint8Array): Promise<Embedder> {
  if (tflite) return createLiteRtEmbedder(backbone, tflite);
  const { tf, backend } = await loadTf();
  const base = await backbone.load(tf);
  const fm = featureModel(tf, base, spec);
  const { width, height } = backbone.input;
  const dim = fm.outputs[0]!.shape[1] as number;
  const queue: Ready[] = [];
  let scheduled = false;

  const flush = async (): Promise<void> => {
    scheduled = false;
    while (queue.length > 0) {
      const batch: Ready[] = [];
      let views = 0;
      while (queue.length > 0 && (batch.length === 0 || views + queue[0]!.pixels.length <= MAX_BATCH)) {
        const r = queue.shift()!;
        batch.push(r);
        views += r.pixels.length;
      }
      try {
        const size = width * height * 3;
        const input = new Float32Array(views * size);
        let k = 0;
        for (const r of batch) for (const p of r.pixels) input.set(p, size * k++);
        const y = tf.tidy(() => fm.predict(tf.tensor4d(input, [views, height, width, 3])) as Tensor);
        const data = (await y.data()) as Float32Array;
        y.dispose();
        k = 0;
        for (const r of batch) r.resolve(r.pixels.map(() => data.slice(dim * k, dim * ++k)));
      } catch (e) {
        for (const r of batch) r.reject(e);
      }
    }
  };

  const embed: EmbedFn = async (file, views) => {
    const px = await preprocessImage(file, backbone.input);
    const pixels = views.map((v) => (v === 'flip' ? flipHorizontal(px, width, height) : px));
    return new Promise<Float32Array[]>((resolve, reject) => {
      queue.push({ pixels, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        // Let other decodes that finished meanwhile join this batch.
        setImmediate(() => void flush());
      }
    });
  };
  return { embed, backend, runtime: 'tfjs', dim };
}

/**
 * The same embeddings from the feature model converted to .tflite (feature-tflite.ts), run by LiteRT
 * (XNNPack kernels, one image per call: the converted graph has batch size 1). Same preprocessing.
 * A float32 model gets the float pixels: the same pooled vector within 1e-4 of the tfjs path
 * (test/train/embed-litert.test.ts). A uint8-input model (the int8 feature model) gets the decoded pixels as
 * they are: no float conversion, 4× fewer bytes into the wasm heap.
 */
export async function createLiteRtEmbedder(backbone: Backbone, tflite: Uint8Array): Promise<Embedder> {
  const { loadTfliteModel } = await import('../../tflite/runner.js');
  const m = await loadTfliteModel(tflite, { softmax: 'never', item: `${backbone.id} feature model` });
  const { width, height } = backbone.input;
  if (m.input.width !== width || m.input.height !== height) {
    m.dispose();
    throw new Error(`the feature .tflite takes ${m.input.width}×${m.input.height}, the backbone ${width}×${height}`);
  }
  const raw = m.input.dtype === 'uint8';
  if (raw && (Math.abs(m.input.scale * 255 - 1) > 1e-6 || m.input.zeroPoint !== 0 || backbone.input.range[0] !== 0 || backbone.input.range[1] !== 1)) {
    m.dispose();
    throw new Error(`the feature .tflite's uint8 input (scale ${m.input.scale}, zero point ${m.input.zeroPoint}) is not p/255 for the backbone's range [${backbone.input.range.join(', ')}]`);
  }
  const embed: EmbedFn = async (file, views) => {
    const px: Float32Array | Uint8Array = raw ? await decodeResize(file, { width, height, fit: 'fill' }) : await preprocessImage(file, backbone.input);
    // runPrepared queues calls on the one interpreter; each result is a fresh array (transferable).
    return Promise.all(views.map((v) => m.runPrepared(v === 'flip' ? flipHorizontal(px, width, height) : px)));
  };
  return { embed, backend: raw ? 'litert-int8' : 'litert', runtime: 'litert', dim: m.outputs[0]!.classes };
}

/**
 * The same embeddings from the feature model written as ONNX (feature-onnx.ts), run by onnxruntime-node:
 * same preprocessing, the decoded uint8 pixels in (the graph scales them), the pooled vector out (within 1e-4 of tfjs and LiteRT:
 * test/train/embed-onnx.test.ts). One session per embedder (ortThreads() intra-op threads); each call runs one
 * view (batch 1: larger batches were not faster here, docs/notes/local-backbone.md). `run` blocks this thread
 * for the forward pass while sharp decodes the next images on its own threads.
 */
export async function createOrtEmbedder(backbone: Backbone, onnx: Uint8Array, threads?: number): Promise<Embedder> {
  const { loadOrt, createOrtSession } = await import('./onnx-runtime.js');
  const ort = await loadOrt();
  const session = await createOrtSession(ort, onnx, threads);
  const { width, height } = backbone.input;
  const inName = session.inputNames[0]!;
  const outName = session.outputNames[0]!;
  const run = async (px: Uint8Array): Promise<Float32Array> => {
    const out = await session.run({ [inName]: new ort.Tensor('uint8', px, [1, height, width, 3]) });
    // A fresh array the caller may transfer (the result's buffer belongs to the binding).
    return (out[outName]!.data as Float32Array).slice();
  };
  let dim: number;
  try {
    dim = (await run(new Uint8Array(width * height * 3))).length;
  } catch (e) {
    await session.release();
    throw new Error(`onnxruntime could not run the feature model: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const embed: EmbedFn = async (file, views) => {
    const px = await decodeResize(file, { width, height, fit: 'fill' });
    const out: Float32Array[] = [];
    for (const v of views) out.push(await run(v === 'flip' ? flipHorizontal(px, width, height) : px));
    return out;
  };
  return { embed, backend: 'onnxruntime', runtime: 'onnx', dim, close: () => session.release() };
}
