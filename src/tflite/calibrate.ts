import { throwIfCancelled } from '../core/errors.js';
import { liteRtLog, loadLiteRtNode } from './litert-node.js';
import { pixelsToFloat, preprocessImage, type FitMode } from './preprocess.js';
import { calibrationProbe, type ActivationRanges } from './quantize-model.js';
import { serializeModel, type ModelSpec } from './write-model.js';

export interface CalibrationOptions {
  signal?: AbortSignal;
  fit?: FitMode;
  /** Real input range of the float model (its pixels map to lo + (hi − lo)·p/255). Default [0, 1]. */
  inputRange?: [number, number];
  onProgress?: (done: number, total: number) => void;
}

/**
 * Measures the [min, max] of every activation of a float model on calibration images, by running (in
 * LiteRT, as the shipped model runs) a copy of the model whose outputs are all its activations.
 * Images: file paths (preprocessed with the shared preprocessing) or raw RGB pixels of the input size.
 */
export async function calibrateActivations(spec: ModelSpec, images: readonly (string | Uint8Array)[], opts: CalibrationOptions = {}): Promise<ActivationRanges> {
  const probe = calibrationProbe(spec);
  const shape = spec.tensors[spec.inputs[0]!]!.shape;
  const [, height, width] = shape as [number, number, number, number];
  const lrt = await loadLiteRtNode();
  let compiled;
  try {
    compiled = await lrt.loadAndCompile(serializeModel(probe.spec), { accelerator: 'wasm' });
  } catch (e) {
    throw new Error(`LiteRT could not load the calibration model: ${(e as Error).message} (${liteRtLog().slice(-3).join(' | ')})`);
  }
  const ranges: ActivationRanges = new Map(probe.tensors.map((t) => [t, { min: Infinity, max: -Infinity }]));
  try {
    for (let i = 0; i < images.length; i++) {
      throwIfCancelled(opts.signal);
      const src = images[i]!;
      const pixels = typeof src === 'string' ? await preprocessImage(src, { width, height, fit: opts.fit ?? 'fill' }) : src;
      const tensor = new lrt.Tensor(pixelsToFloat(pixels, opts.inputRange ?? [0, 1]), shape);
      let results: { toTypedArray(): ArrayLike<number>; delete(): void }[] = [];
      try {
        results = await compiled.run([tensor]);
        results.forEach((r, k) => {
          const range = ranges.get(probe.tensors[k]!)!;
          const v = r.toTypedArray();
          let lo = range.min;
          let hi = range.max;
          for (let j = 0; j < v.length; j++) {
            const x = v[j]!;
            if (x < lo) lo = x;
            if (x > hi) hi = x;
          }
          range.min = lo;
          range.max = hi;
        });
      } finally {
        tensor.delete();
        for (const r of results) r.delete();
      }
      opts.onProgress?.(i + 1, images.length);
    }
  } finally {
    compiled.delete();
  }
  return ranges;
}
