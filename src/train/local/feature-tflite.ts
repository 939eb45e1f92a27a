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

/** The cached feature .tflite bytes, converting (and caching) them first when absent or unreadable. */
export async function featureTflite(backbone: Backbone, spec: FeatureSpec, cacheDir: string, signal?: AbortSignal): Promise<{ bytes: Uint8Array; path: string; converted: boolean }> {
  const path = featureTflitePath(cacheDir, backbone, spec);
  const { readTfliteInfo } = await import('../../tflite/read-info.js');
  try {
    const bytes = new Uint8Array(await readFile(path));
    readTfliteInfo(bytes, path); // a truncated or foreign file is rebuilt below
    return { bytes, path, converted: false };
  } catch {
    // absent or damaged: convert
  }
  const { convertLayersModel } = await import('../../tflite/convert-layers.js');
  // Loading tfjs and the backbone takes seconds: a cancel meanwhile stops before the next phase.
  const { tf } = await loadTf();
  throwIfCancelled(signal);
  const base = await backbone.load(tf);
  throwIfCancelled(signal);
  const fm = featureModel(tf, base, spec);
  // Throws InputError (code tflite.unsupported) for layers the converter lacks: callers fall back to tfjs.
  const bytes = convertLayersModel(fm, {
    inputRange: backbone.input.range,
    description: `edgewise feature model: ${backbone.id} @ ${spec.layers.join('+')} (${spec.pooling})`,
    info: { backbone: backbone.id, layers: spec.layers, pooling: spec.pooling, featureKey: featureKey(backbone, spec) },
  });
  await writeFileAtomic(path, bytes);
  return { bytes, path, converted: true };
}
