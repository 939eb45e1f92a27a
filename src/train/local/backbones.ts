import { InputError } from '../../core/errors.js';
import type { Backbone } from './backbone.js';
import { nsfwjsMobileNetV2 } from './nsfwjs-backbone.js';
import { remoteBackbone, type RemoteBackbone, type RemoteBackboneSpec } from './remote-backbone.js';

export const DEFAULT_BACKBONE = nsfwjsMobileNetV2.id;

/**
 * Backbones fetched on first use (machines with internet).
 *
 * Teachable Machine's Keras MobileNetV2 (ImageNet weights, no top, alpha 1.0, 224 px). URL and layer as
 * `@teachablemachine/image` 0.8.5 builds them (`dist/custom-mobilenet.js`, `parseModelOptions` for version 2):
 * `.../mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alpha.toFixed(2)}_224_no_top/model.json`, i.e. "1.00",
 * trained at `out_relu` with global average pooling. That library scales pixels by x/127 - 1; Keras'
 * `mobilenet_v2.preprocess_input` (what these weights were trained with) is x/127.5 - 1, which edgewise uses.
 * Size: 2,257,984 float32 parameters ≈ 9.0 MB (checked against model.json's manifest on arrival).
 */
export const REMOTE_BACKBONES: RemoteBackboneSpec[] = [
  {
    id: 'tm-mobilenet_v2_1.00_224',
    url: 'https://storage.googleapis.com/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.00_224_no_top/model.json',
    approxBytes: 9_031_936,
    source: '@teachablemachine/image 0.8.5 dist/custom-mobilenet.js (parseModelOptions, version 2, alpha 1)',
    input: { width: 224, height: 224, channels: 3, dtype: 'float32', range: [-1, 1] },
    candidateLayers: ['block_12_add', 'block_13_expand_relu', 'block_15_add', 'block_16_project_BN', 'out_relu'],
    defaultFeatures: { layers: ['out_relu'], pooling: 'mean' },
  },
];

/** What Configure and `init` offer for `train.backbone`, with what each costs. */
export function backboneChoices(): Array<{ id: string; label: string; hint: string }> {
  return [
    { id: nsfwjsMobileNetV2.id, label: nsfwjsMobileNetV2.id, hint: 'bundled, works offline (default)' },
    ...REMOTE_BACKBONES.map((b) => ({ id: b.id, label: b.id, hint: `ImageNet MobileNetV2, downloads once (≈${(b.approxBytes / 1e6).toFixed(0)} MB)` })),
  ];
}

/** Names accepted for `train.backbone` in edgewise.json. */
export function backboneIds(): string[] {
  return [nsfwjsMobileNetV2.id, ...REMOTE_BACKBONES.map((b) => b.id)];
}

/** The backbone with this id; remote ones download into `cacheDir` on first load. */
export function resolveBackbone(id: string, cacheDir: string): Backbone | RemoteBackbone {
  if (id === nsfwjsMobileNetV2.id) return nsfwjsMobileNetV2;
  const remote = REMOTE_BACKBONES.find((b) => b.id === id);
  if (remote) return remoteBackbone(remote, cacheDir);
  throw new InputError(`Unknown backbone "${id}".`, { item: 'train.backbone', hint: `Use one of: ${backboneIds().join(', ')}.` });
}
