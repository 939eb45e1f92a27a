import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import { preprocessId } from './preprocess.js';
import type { Tf } from './tf-runtime.js';

/** How pooled features are taken from one or more intermediate layers of a backbone. */
export interface FeatureSpec {
  /** Layer names whose outputs are pooled (concatenated in this order when more than one). */
  layers: string[];
  /**
   * `mean`: global average pooling; `meanmax`: average and max pooling concatenated (keeps peaks);
   * `grid2`: the means of a 2×2 grid of regions (keeps where things are: top vs bottom of a garment), 4× the
   * channels, from the same forward pass (docs/notes/local-backbone.md).
   */
  pooling: 'mean' | 'meanmax' | 'grid2';
}

/** What the model expects as input; recorded in model_info.json. */
export interface InputSpec {
  width: number;
  height: number;
  channels: 3;
  dtype: 'float32';
  /** Value range of the input pixels (RGB, [0,1] here). */
  range: [number, number];
}

/**
 * A pretrained image network features are taken from. Other backbones plug in by implementing this;
 * training, the embedding cache and the export only see this interface.
 */
export interface Backbone {
  /** Stable id, part of every embedding cache key, e.g. `nsfwjs-mobilenet_v2`. */
  readonly id: string;
  readonly input: InputSpec;
  /** Id of the image → tensor preprocessing (cache key; must match what evaluation uses). */
  readonly preprocessing: string;
  /** Layers worth trying as features, shallow to deep. */
  readonly candidateLayers: string[];
  /** The default feature spec (chosen by measurement, see docs/notes/local-backbone.md). */
  readonly defaultFeatures: FeatureSpec;
  /** Loads the Keras functional model (cached per thread). */
  load(tf: Tf): Promise<LayersModel>;
}

/** Symbolic pooled features of `spec` on top of the backbone graph: shared by embedding and export. */
export function pooledFeatures(tf: Tf, model: LayersModel, spec: FeatureSpec): SymbolicTensor {
  const parts: SymbolicTensor[] = [];
  for (const name of spec.layers) {
    let out: SymbolicTensor;
    try {
      out = model.getLayer(name).output as SymbolicTensor;
    } catch {
      throw new Error(`The backbone has no layer "${name}".`);
    }
    if (spec.pooling === 'grid2') {
      parts.push(gridMeans(tf, name, out));
      continue;
    }
    parts.push(tf.layers.globalAveragePooling2d({ name: `${name}_gap` }).apply(out) as SymbolicTensor);
    if (spec.pooling === 'meanmax') parts.push(tf.layers.globalMaxPooling2d({ name: `${name}_gmp` }).apply(out) as SymbolicTensor);
  }
  if (parts.length === 1) return parts[0]!;
  return tf.layers.concatenate({ name: 'features_concat', axis: -1 }).apply(parts) as SymbolicTensor;
}

/**
 * Means over a 2×2 grid of the feature map, flattened (row-major: top-left, top-right, bottom-left,
 * bottom-right, channels last). An odd side leaves its last row/column out, as a VALID pooling does.
 */
function gridMeans(tf: Tf, name: string, map: SymbolicTensor): SymbolicTensor {
  const [, h, w] = map.shape;
  if (typeof h !== 'number' || typeof w !== 'number' || h < 2 || w < 2) throw new Error(`Layer "${name}" has no 2×2 spatial grid (shape ${JSON.stringify(map.shape)}).`);
  const pool: [number, number] = [Math.floor(h / 2), Math.floor(w / 2)];
  const grid = tf.layers.averagePooling2d({ poolSize: pool, strides: pool, padding: 'valid', name: `${name}_grid2` }).apply(map) as SymbolicTensor;
  return tf.layers.flatten({ name: `${name}_grid2_flat` }).apply(grid) as SymbolicTensor;
}

/** A model from the backbone input to the pooled feature vector. */
export function featureModel(tf: Tf, model: LayersModel, spec: FeatureSpec): LayersModel {
  return tf.model({ inputs: model.inputs, outputs: pooledFeatures(tf, model, spec), name: 'features' });
}

/** Cache-key part that identifies features: backbone, layers, pooling, preprocessing. */
export function featureKey(backbone: Backbone, spec: FeatureSpec): string {
  return `${backbone.id}|${backbone.preprocessing}|${preprocessId}|${spec.layers.join('+')}|${spec.pooling}`;
}
