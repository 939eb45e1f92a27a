import { InputError } from '../../core/errors.js';
import type { Backbone } from './backbone.js';
import { nsfwjsMobileNetV2 } from './nsfwjs-backbone.js';
import { remoteBackbone, type RemoteBackboneSpec } from './remote-backbone.js';

export const DEFAULT_BACKBONE = nsfwjsMobileNetV2.id;

/**
 * Backbones fetched on first use (machines with internet). Teachable Machine's Keras MobileNetV2
 * (ImageNet weights, no top, inputs in [-1, 1]) is a tfjs layers model with the standard Keras layer names.
 */
export const REMOTE_BACKBONES: RemoteBackboneSpec[] = [
  {
    id: 'tm-mobilenet_v2_1.0_224',
    url: 'https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top/model.json',
    input: { width: 224, height: 224, channels: 3, dtype: 'float32', range: [-1, 1] },
    candidateLayers: ['block_12_add', 'block_15_add', 'block_16_project_BN', 'out_relu'],
    defaultFeatures: { layers: ['out_relu'], pooling: 'mean' },
  },
];

/** Names accepted for `train.backbone` in edgewise.json. */
export function backboneIds(): string[] {
  return [nsfwjsMobileNetV2.id, ...REMOTE_BACKBONES.map((b) => b.id)];
}

/** The backbone with this id; remote ones download into `cacheDir` on first load. */
export function resolveBackbone(id: string, cacheDir: string): Backbone {
  if (id === nsfwjsMobileNetV2.id) return nsfwjsMobileNetV2;
  const remote = REMOTE_BACKBONES.find((b) => b.id === id);
  if (remote) return remoteBackbone(remote, cacheDir);
  throw new InputError(`Unknown backbone "${id}".`, { item: 'train.backbone', hint: `Use one of: ${backboneIds().join(', ')}.` });
}
