import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadTf } from '../../src/train/local/tf-runtime.js';
import { convertLayersModel } from '../../src/tflite/convert-layers.js';
import { makeFakeWorkspace, type FakeWorkspace } from './fake-workspace.js';

export const COLOUR_LABELS = ['red', 'green', 'blue'];

/** Solid-colour 8×8 image; `mix` moves part of the colour to the next channel so some images are ambiguous. */
async function colourImage(path: string, channel: number, mix: number): Promise<void> {
  const px = Buffer.alloc(8 * 8 * 3);
  for (let i = 0; i < 64; i++) {
    px[i * 3 + channel] = Math.round(230 * (1 - mix));
    px[i * 3 + ((channel + 1) % 3)] = Math.round(230 * mix);
  }
  await sharp(px, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(path);
}

/**
 * A workspace whose ml/models/v001/model.tflite is a real .tflite written by the converter: mean colour →
 * dense(3) softmax, "red" iff red dominates. Of the 6 test images per class, image 5 has 70 % of its colour
 * moved to the next channel (so it is misclassified as the next class); images 0–4 are classified right.
 */
export async function makeColourWorkspace(): Promise<FakeWorkspace> {
  const ws = makeFakeWorkspace({ labels: COLOUR_LABELS, perSplit: 6 });
  const images = join(ws.root, 'ml/dataset/images');
  for (const [c, label] of COLOUR_LABELS.entries()) {
    for (const split of ['train', 'validation', 'test']) {
      const n = split === 'train' ? 2 : 6;
      for (let i = 0; i < n; i++) await colourImage(join(images, `${label}_${split}_${i}.png`), c, i === 5 ? 0.7 : i * 0.08);
    }
  }
  const { tf } = await loadTf();
  const input = tf.input({ shape: [8, 8, 3] });
  const gap = tf.layers.globalAveragePooling2d({}).apply(input) as never;
  const dense = tf.layers.dense({ units: 3, activation: 'softmax' });
  const model = tf.model({ inputs: input, outputs: dense.apply(gap) as never });
  dense.setWeights([tf.tensor2d([[8, 0, 0], [0, 8, 0], [0, 0, 8]]), tf.tensor1d([0, 0, 0])]);
  const dir = join(ws.root, 'ml/models/v001');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.tflite'), convertLayersModel(model, { labels: COLOUR_LABELS }));
  return ws;
}
