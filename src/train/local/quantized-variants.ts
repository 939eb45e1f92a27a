import { sha256 } from '../../core/hash.js';
import { seededRandom } from '../../core/random.js';
import { streamEvents } from '../../core/event-queue.js';
import type { StepEvent } from '../../core/events.js';
import { calibrateActivations, DEFAULT_RANGE_METHOD, describeRangeMethod } from '../../tflite/calibrate.js';
import { quantizeFullInteger, quantizeWeightsOnly, UINT8_INPUT_SCALE, type QuantizationMode } from '../../tflite/quantize-model.js';
import { serializeModel, withoutInternalNames, type ModelSpec } from '../../tflite/write-model.js';

/** The files a local training run writes, one per variant; `model.tflite` (float32) is always there. */
export const VARIANT_FILES = { float32: 'model.tflite', 'int8-weights': 'model_int8_weights.tflite', int8: 'model_int8.tflite' } as const;
export type VariantName = keyof typeof VARIANT_FILES;

/** What model_info.json says about each file: what the app must feed it. */
export interface VariantInfo {
  name: VariantName;
  file: string;
  size_bytes: number;
  sha256: string;
  /** none | int8-weights (dynamic range: int8 weights, float activations) | int8 (full integer) */
  quantization: 'none' | QuantizationMode;
  input: { dtype: 'float32' | 'uint8'; range: [number, number]; quantization?: { scale: number; zero_point: number } };
  output: { dtype: 'float32'; probabilities: true };
  /** Full integer only: how the activation ranges were measured. */
  calibration?: { images: number; split: 'train'; method: string };
}

export const DEFAULT_CALIBRATION_IMAGES = 300;

/** Up to `n` train images in a seeded order, so calibration is reproducible and spread over the classes. */
export function calibrationSample<T>(rows: readonly T[], n: number, seed: string): T[] {
  const rand = seededRandom(`${seed}:calibration`);
  const order = rows.map((r, i) => ({ r, k: rand(), i }));
  order.sort((a, b) => a.k - b.k || a.i - b.i);
  return order.slice(0, n).map((o) => o.r);
}

/**
 * Float32 bytes plus the quantized variants asked for. The full-integer one calibrates its activations by
 * running the float model (in LiteRT) on `calibrationFiles`.
 */
export async function* buildVariants(
  spec: ModelSpec,
  opts: { modes: QuantizationMode[]; calibrationFiles: string[]; inputRange: [number, number]; signal?: AbortSignal },
): AsyncGenerator<StepEvent, { info: VariantInfo; bytes: Uint8Array }[]> {
  const out: { info: VariantInfo; bytes: Uint8Array }[] = [];
  const add = (name: VariantName, bytes: Uint8Array, extra: Partial<VariantInfo> = {}): void => {
    out.push({
      bytes,
      info: {
        name,
        file: VARIANT_FILES[name],
        size_bytes: bytes.byteLength,
        sha256: sha256(bytes),
        quantization: name === 'float32' ? 'none' : name,
        input: { dtype: 'float32', range: opts.inputRange },
        output: { dtype: 'float32', probabilities: true },
        ...extra,
      },
    });
  };
  add('float32', serializeModel(spec));
  if (opts.modes.includes('int8-weights')) add('int8-weights', serializeModel(withoutInternalNames(quantizeWeightsOnly(spec))));
  if (opts.modes.includes('int8') && (opts.inputRange[0] !== 0 || opts.inputRange[1] !== 1)) {
    // The uint8 pixel input stands for p/255; another range would need a non-integer zero point.
    yield { type: 'warning', code: 'train.int8_skipped', message: `no full-integer variant: the backbone's input range [${opts.inputRange.join(', ')}] is not [0, 1].` };
  } else if (opts.modes.includes('int8') && opts.calibrationFiles.length > 0) {
    const total = opts.calibrationFiles.length;
    yield { type: 'progress', phase: 'calibrate', done: 0, total, unit: 'img' };
    const ranges = yield* streamEvents((emit) =>
      calibrateActivations(spec, opts.calibrationFiles, {
        inputRange: opts.inputRange,
        ...(opts.signal ? { signal: opts.signal } : {}),
        onProgress: (done) => {
          if (done % 25 === 0 || done === total) emit({ type: 'progress', phase: 'calibrate', done, total, unit: 'img' });
        },
      }),
    );
    add('int8', serializeModel(withoutInternalNames(quantizeFullInteger(spec, ranges))), {
      input: { dtype: 'uint8', range: [0, 1], quantization: { scale: UINT8_INPUT_SCALE, zero_point: 0 } },
      calibration: { images: total, split: 'train', method: `${describeRangeMethod(DEFAULT_RANGE_METHOD)} over the images, float model run in LiteRT` },
    });
  }
  return out;
}
