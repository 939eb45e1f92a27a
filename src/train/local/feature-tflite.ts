import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.js';
import { throwIfCancelled } from '../../core/errors.js';
import { sha256 } from '../../core/hash.js';
import type { Backbone, FeatureSpec } from './backbone.js';
import { featureKey, featureModel } from './backbone.js';
import { loadTf } from './tf-runtime.js';

/**
 * The feature model (backbone cut at the feature layer(s) + pooling: exactly the graph the exported
 * classifier runs before its head) as a .tflite, so embeddings can run on LiteRT, which runs this
 * MobileNetV2 several times faster than tfjs-wasm here (docs/notes/local-backbone.md).
 *
 * Converted once per feature key and kept in `<cacheDir>/feature-tflite/`; later runs (and every worker
 * thread) read the bytes without loading tfjs at all. Bump FORMAT when the converter's output changes.
 */
const FORMAT = 'feature-tflite/1';

export function featureTflitePath(cacheDir: string, backbone: Backbone, spec: FeatureSpec): string {
  const key = `${FORMAT}|${featureKey(backbone, spec)}`;
  return join(cacheDir, 'feature-tflite', `${backbone.id}-${sha256(key).slice(0, 16)}.tflite`);
}

/** The cached bytes at `path` when they are a readable .tflite (a truncated or foreign file counts as absent). */
async function readCached(path: string): Promise<Uint8Array | undefined> {
  const { readTfliteInfo } = await import('../../tflite/read-info.js');
  try {
    const bytes = new Uint8Array(await readFile(path));
    readTfliteInfo(bytes, path);
    return bytes;
  } catch {
    return undefined;
  }
}

/** The float32 feature model's description, built by loading tfjs and the backbone (seconds). */
export async function featureModelSpec(backbone: Backbone, spec: FeatureSpec, signal?: AbortSignal) {
  const { layersModelSpec } = await import('../../tflite/convert-layers.js');
  const { tf } = await loadTf();
  throwIfCancelled(signal);
  const base = await backbone.load(tf);
  throwIfCancelled(signal);
  const fm = featureModel(tf, base, spec);
  // Throws InputError (code tflite.unsupported) for layers the converter lacks: callers fall back to tfjs.
  return layersModelSpec(fm, {
    inputRange: backbone.input.range,
    description: `edgewise feature model: ${backbone.id} @ ${spec.layers.join('+')} (${spec.pooling})`,
    info: { backbone: backbone.id, layers: spec.layers, pooling: spec.pooling, featureKey: featureKey(backbone, spec) },
  });
}

/** The cached feature .tflite bytes, converting (and caching) them first when absent or unreadable. */
export async function featureTflite(backbone: Backbone, spec: FeatureSpec, cacheDir: string, signal?: AbortSignal): Promise<{ bytes: Uint8Array; path: string; converted: boolean }> {
  const path = featureTflitePath(cacheDir, backbone, spec);
  const cached = await readCached(path);
  if (cached) return { bytes: cached, path, converted: false };
  const { serializeModel } = await import('../../tflite/write-model.js');
  const bytes = serializeModel(await featureModelSpec(backbone, spec, signal));
  await writeFileAtomic(path, bytes);
  return { bytes, path, converted: true };
}

/**
 * The full-integer (int8) feature model: uint8 RGB pixels in (p/255, so only for backbones whose input range
 * is [0, 1]), int8 activations calibrated (min/max) on `calibration` images, the pooled features dequantized
 * to float32 out. Built with issue 17's quantizer (src/tflite/quantize-model.ts, calibrate.ts).
 *
 * Its embeddings differ from the float model's (calibration decides them), so their cache key carries the
 * bytes' hash (`int8Id`): the file is calibrated once per feature key, on the first dataset that needs it, and
 * kept; deleting it means a new calibration, a new id, and re-embedding, never stale vectors.
 */
const INT8_FORMAT = 'feature-tflite-int8/1';

export function featureTfliteInt8Path(cacheDir: string, backbone: Backbone, spec: FeatureSpec): string {
  const key = `${INT8_FORMAT}|${featureKey(backbone, spec)}`;
  return join(cacheDir, 'feature-tflite', `${backbone.id}-${sha256(key).slice(0, 16)}-int8.tflite`);
}

/** The embedding-cache identity of an int8 feature model's vectors. */
export function int8Id(bytes: Uint8Array): string {
  return `int8:${sha256(bytes).slice(0, 16)}`;
}

export function int8Possible(backbone: Backbone): boolean {
  return backbone.input.range[0] === 0 && backbone.input.range[1] === 1;
}

export async function featureTfliteInt8(
  backbone: Backbone,
  spec: FeatureSpec,
  cacheDir: string,
  calibration: () => readonly (string | Uint8Array)[],
  signal?: AbortSignal,
): Promise<{ bytes: Uint8Array; path: string; converted: boolean; id: string }> {
  const path = featureTfliteInt8Path(cacheDir, backbone, spec);
  const cached = await readCached(path);
  if (cached) return { bytes: cached, path, converted: false, id: int8Id(cached) };
  if (!int8Possible(backbone)) throw new Error(`no int8 feature model: the backbone's input range [${backbone.input.range.join(', ')}] is not [0, 1]`);
  const images = calibration();
  if (images.length === 0) throw new Error('no int8 feature model: no calibration images');
  const [{ calibrateActivations }, { quantizeFullInteger }, { serializeModel }] = await Promise.all([
    import('../../tflite/calibrate.js'),
    import('../../tflite/quantize-model.js'),
    import('../../tflite/write-model.js'),
  ]);
  const float = await featureModelSpec(backbone, spec, signal);
  const ranges = await calibrateActivations(float, images, { inputRange: backbone.input.range, ...(signal ? { signal } : {}) });
  const bytes = serializeModel(quantizeFullInteger(float, ranges));
  await writeFileAtomic(path, bytes);
  return { bytes, path, converted: true, id: int8Id(bytes) };
}
