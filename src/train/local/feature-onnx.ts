import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.js';
import { sha256 } from '../../core/hash.js';
import type { Backbone, FeatureSpec } from './backbone.js';
import { featureKey } from './backbone.js';
import { featureModelSpec, int8Id, int8Possible } from './feature-tflite.js';

/**
 * The feature model (the same description featureTflite serialises) as ONNX, for onnxruntime-node
 * (src/onnx/write-onnx.ts), taking the decoded uint8 pixels and scaling them to the backbone's input range
 * inside the graph (the values pixelsToFloat gives). Written once per feature key into
 * `<cacheDir>/feature-onnx/`, like the .tflite. Bump FORMAT when the writer's output changes.
 */
const FORMAT = 'feature-onnx/1';

/** Where a feature .onnx of `format` is cached: one file per format and feature key. */
function cachePath(format: string, suffix: string, cacheDir: string, backbone: Backbone, spec: FeatureSpec): string {
  const key = `${format}|${featureKey(backbone, spec)}`;
  return join(cacheDir, 'feature-onnx', `${backbone.id}-${sha256(key).slice(0, 16)}${suffix}.onnx`);
}

/** The cached bytes at `path`, or undefined when absent or empty (then the caller writes them). */
async function readCached(path: string): Promise<Uint8Array | undefined> {
  try {
    const bytes = new Uint8Array(await readFile(path));
    return bytes.byteLength > 0 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

export function featureOnnxPath(cacheDir: string, backbone: Backbone, spec: FeatureSpec): string {
  return cachePath(FORMAT, '', cacheDir, backbone, spec);
}

/**
 * The cached .onnx bytes, written first when absent. `rebuild`: write them again even if cached (the caller
 * found the cached file unreadable by onnxruntime).
 */
export async function featureOnnx(backbone: Backbone, spec: FeatureSpec, cacheDir: string, opts: { signal?: AbortSignal; rebuild?: boolean } = {}): Promise<{ bytes: Uint8Array; path: string; converted: boolean }> {
  const path = featureOnnxPath(cacheDir, backbone, spec);
  const cached = opts.rebuild ? undefined : await readCached(path);
  if (cached) return { bytes: cached, path, converted: false };
  const { serializeOnnx } = await import('../../onnx/write-onnx.js');
  const bytes = serializeOnnx(await featureModelSpec(backbone, spec, opts.signal), {
    uint8Input: backbone.input.range,
    metadata: { featureKey: featureKey(backbone, spec), backbone: backbone.id, layers: spec.layers.join('+'), pooling: spec.pooling },
  });
  await writeFileAtomic(path, bytes);
  return { bytes, path, converted: true };
}

/**
 * The int8 feature model for onnxruntime: the same description and calibration as featureTfliteInt8 (issue
 * 17's percentile ranges on `calibration` images, one LiteRT pass), written in ONNX's QDQ form, which
 * onnxruntime fuses into integer kernels (QLinearConv, QLinearAdd): half the float forward pass here, and
 * closer to the float vectors than LiteRT's int8 model (docs/notes/local-backbone.md). uint8 pixels in, the
 * pooled features in float32 out. Calibrated once per feature key; its vectors are keyed by the bytes' hash.
 */
const INT8_FORMAT = 'feature-onnx-int8/1';

export function featureOnnxInt8Path(cacheDir: string, backbone: Backbone, spec: FeatureSpec): string {
  return cachePath(INT8_FORMAT, '-int8', cacheDir, backbone, spec);
}

export async function featureOnnxInt8(
  backbone: Backbone,
  spec: FeatureSpec,
  cacheDir: string,
  calibration: () => readonly (string | Uint8Array)[],
  opts: { signal?: AbortSignal; rebuild?: boolean } = {},
): Promise<{ bytes: Uint8Array; path: string; converted: boolean; id: string }> {
  const path = featureOnnxInt8Path(cacheDir, backbone, spec);
  const cached = opts.rebuild ? undefined : await readCached(path);
  if (cached) return { bytes: cached, path, converted: false, id: int8Id(cached) };
  if (!int8Possible(backbone)) throw new Error(`no int8 feature model: the backbone's input range [${backbone.input.range.join(', ')}] is not [0, 1]`);
  const images = calibration();
  if (images.length === 0) throw new Error('no int8 feature model: no calibration images');
  const [{ calibrateActivations }, { serializeOnnx }] = await Promise.all([import('../../tflite/calibrate.js'), import('../../onnx/write-onnx.js')]);
  const float = await featureModelSpec(backbone, spec, opts.signal);
  const ranges = await calibrateActivations(float, images, { inputRange: backbone.input.range, ...(opts.signal ? { signal: opts.signal } : {}) });
  const bytes = serializeOnnx(float, {
    uint8Input: backbone.input.range,
    int8: { ranges },
    metadata: { featureKey: featureKey(backbone, spec), backbone: backbone.id, layers: spec.layers.join('+'), pooling: spec.pooling, precision: 'int8', calibrationImages: String(images.length) },
  });
  await writeFileAtomic(path, bytes);
  return { bytes, path, converted: true, id: int8Id(bytes) };
}
