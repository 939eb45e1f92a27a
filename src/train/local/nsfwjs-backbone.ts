import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs';
import type { Backbone, FeatureSpec } from './backbone.js';
import type { Tf } from './tf-runtime.js';

const require = createRequire(import.meta.url);

/**
 * nsfwjs's folder of bundled models. The package's `exports` map blocks deep imports, so the folder is
 * found from its main entry on disk.
 */
export function nsfwjsModelsDir(): string {
  let dir = dirname(require.resolve('nsfwjs'));
  for (let i = 0; i < 5; i++) {
    const cand = join(dir, 'models');
    if (existsSync(join(cand, 'mobilenet_v2', 'model.min.js'))) return cand;
    const distCand = join(dir, 'dist', 'models');
    if (existsSync(join(distCand, 'mobilenet_v2', 'model.min.js'))) return distCand;
    dir = dirname(dir);
  }
  throw new Error('nsfwjs is installed but its bundled mobilenet_v2 model was not found (expected dist/models/mobilenet_v2).');
}

interface BundledModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: import('@tensorflow/tfjs').io.WeightsManifestEntry[] }[];
}

const loaded = new WeakMap<object, Promise<LayersModel>>();

/**
 * nsfwjs (MIT) ships a Keras MobileNetV2 (224×224 RGB in [0,1], uint8-quantized weights) inside its npm
 * tarball: the topology and the weight shards are UMD bundles whose export is the JSON object and a
 * base64 string. Its top (pooled output, dense layers) is fine-tuned for another task; intermediate
 * blocks generalise to ordinary photos, which is why features come from block outputs.
 */
export const nsfwjsMobileNetV2: Backbone = {
  id: 'nsfwjs-mobilenet_v2',
  input: { width: 224, height: 224, channels: 3, dtype: 'float32', range: [0, 1] },
  preprocessing: 'rgb01-fill-224',
  candidateLayers: [
    'block_5_add', 'block_9_add', 'block_12_add', 'block_13_expand_relu', 'block_14_add', 'block_15_add',
    'block_16_project_BN', 'out_relu',
  ],
  defaultFeatures: { layers: ['block_13_expand_relu'], pooling: 'grid2' } satisfies FeatureSpec,
  load(tf: Tf): Promise<LayersModel> {
    let p = loaded.get(tf);
    if (!p) {
      p = loadBundled(tf);
      loaded.set(tf, p);
    }
    return p;
  },
};

async function loadBundled(tf: Tf): Promise<LayersModel> {
  const dir = join(nsfwjsModelsDir(), 'mobilenet_v2');
  const json = require(join(dir, 'model.min.js')) as BundledModelJson;
  const group = json.weightsManifest[0];
  if (!group) throw new Error('nsfwjs mobilenet_v2: empty weights manifest.');
  const shards = group.paths.map((_p, i) => {
    const file = join(dir, `group1-shard${i + 1}of${group.paths.length}.min.js`);
    return Buffer.from(require(file) as string, 'base64');
  });
  const data = Buffer.concat(shards);
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const handler = tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData });
  return tf.loadLayersModel(handler);
}
