import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.js';
import { sha256 } from '../../core/hash.js';
import type { Backbone, FeatureSpec } from './backbone.js';
import { featureKey } from './backbone.js';
import { featureModelSpec } from './feature-tflite.js';

/**
 * The feature model (the same description featureTflite serialises) as ONNX, for onnxruntime-node
 * (src/onnx/write-onnx.ts), taking the decoded uint8 pixels and scaling them to the backbone's input range
 * inside the graph (the values pixelsToFloat gives). Written once per feature key into
 * `<cacheDir>/feature-onnx/`, like the .tflite. Bump FORMAT when the writer's output changes.
 */
const FORMAT = 'feature-onnx/1';

export function featureOnnxPath(cacheDir: string, backbone: Backbone, spec: FeatureSpec): string {
  const key = `${FORMAT}|${featureKey(backbone, spec)}`;
  return join(cacheDir, 'feature-onnx', `${backbone.id}-${sha256(key).slice(0, 16)}.onnx`);
}

/**
 * The cached .onnx bytes, written first when absent. `rebuild`: write them again even if cached (the caller
 * found the cached file unreadable by onnxruntime).
 */
export async function featureOnnx(backbone: Backbone, spec: FeatureSpec, cacheDir: string, opts: { signal?: AbortSignal; rebuild?: boolean } = {}): Promise<{ bytes: Uint8Array; path: string; converted: boolean }> {
  const path = featureOnnxPath(cacheDir, backbone, spec);
  if (!opts.rebuild) {
    try {
      const bytes = new Uint8Array(await readFile(path));
      if (bytes.byteLength > 0) return { bytes, path, converted: false };
    } catch {
      // absent: write it below
    }
  }
  const { serializeOnnx } = await import('../../onnx/write-onnx.js');
  const bytes = serializeOnnx(await featureModelSpec(backbone, spec, opts.signal), {
    uint8Input: backbone.input.range,
    metadata: { featureKey: featureKey(backbone, spec), backbone: backbone.id, layers: spec.layers.join('+'), pooling: spec.pooling },
  });
  await writeFileAtomic(path, bytes);
  return { bytes, path, converted: true };
}
