import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs';
import type { Backbone, FeatureSpec } from './backbone.js';
import { pooledFeatures } from './backbone.js';
import type { TrainedHead } from './head.js';
import type { Tf } from './tf-runtime.js';

/**
 * The whole classifier as ONE tfjs functional model: backbone truncated at the feature layer(s), global
 * pooling, the head's dense layers (feature standardisation already folded in) and softmax. This is what
 * the .tflite converter writes, so the shipped file computes exactly what training measured.
 */
export async function buildClassifier(tf: Tf, backbone: Backbone, spec: FeatureSpec, head: TrainedHead): Promise<LayersModel> {
  const base = await backbone.load(tf);
  let x: SymbolicTensor = pooledFeatures(tf, base, spec);
  const dense: { layer: ReturnType<Tf['layers']['dense']>; w: TrainedHead['layers'][number] }[] = [];
  head.layers.forEach((w, i) => {
    const last = i + 1 === head.layers.length;
    const layer = tf.layers.dense({ units: w.outDim, activation: last ? 'softmax' : 'relu', name: last ? 'probabilities' : `head_hidden_${i}` });
    x = layer.apply(x) as SymbolicTensor;
    dense.push({ layer, w });
  });
  const model = tf.model({ inputs: base.inputs, outputs: x, name: 'edgewise_classifier' });
  for (const { layer, w } of dense) {
    layer.setWeights([tf.tensor2d(w.kernel, [w.inDim, w.outDim]), tf.tensor1d(w.bias)]);
  }
  return model;
}
