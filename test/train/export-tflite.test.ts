import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs';
import { convertLayersModel } from '../../src/tflite/convert-layers.js';
import { loadTfliteModel } from '../../src/tflite/runner.js';
import { readTfliteInfo } from '../../src/tflite/read-info.js';
import { generateSyntheticDataset } from '../../src/synthetic/synthetic.js';
import { createEmbedder } from '../../src/train/local/embedder.js';
import { buildClassifier } from '../../src/train/local/export-model.js';
import { defaultHeadOptions, predictHead, trainHead } from '../../src/train/local/head.js';
import { nsfwjsMobileNetV2 } from '../../src/train/local/nsfwjs-backbone.js';
import { preprocessImage } from '../../src/train/local/preprocess.js';
import { loadTf } from '../../src/train/local/tf-runtime.js';
import { makeTempDir } from '../helpers/tmp.js';

const tmp = makeTempDir('edgewise-export-');
afterAll(() => tmp.cleanup());

describe('export: backbone@layer + pooling + head as one .tflite', () => {
  it('the .tflite run by the runner matches the in-memory tfjs model and the head on embeddings', async () => {
    const ds = await generateSyntheticDataset({ root: tmp.dir, classes: 3, perClass: 4, faults: false, seed: 'export-test', size: [96, 128] });
    const files = ds.images.map((i) => join(ds.imagesDir, i.image));
    const y = ds.images.map((i) => ds.labels.indexOf(i.label));
    // Two-layer mean+max features: exercises concat and both poolings in the converter.
    const spec = { layers: ['block_12_add', 'block_13_expand_relu'], pooling: 'meanmax' as const };
    const { embed, dim } = await createEmbedder(nsfwjsMobileNetV2, spec);
    const vecs: Float32Array[] = [];
    for (const f of files) vecs.push((await embed(f, ['orig']))[0]!);
    const x = new Float32Array(files.length * dim);
    vecs.forEach((v, i) => x.set(v, i * dim));
    const { tf } = await loadTf();
    const head = await trainHead(tf, { x, y: Int32Array.from(y), n: files.length, dim }, undefined, 3, { ...defaultHeadOptions, hidden: 8, epochs: 20 });
    const model = await buildClassifier(tf, nsfwjsMobileNetV2, spec, head);
    const bytes = convertLayersModel(model, { labels: ds.labels, inputRange: [0, 1] });

    const info = readTfliteInfo(bytes);
    expect(info.inputs).toHaveLength(1);
    const runner = await loadTfliteModel(bytes);
    try {
      expect(runner.input.width).toBe(224);
      expect(runner.outputs[0]!.classes).toBe(3);
      expect(runner.labels).toEqual(ds.labels);
      const probe = files.slice(0, 4);
      const lite = await runner.predict(probe);
      let maxDiff = 0;
      let headDiff = 0;
      for (let i = 0; i < probe.length; i++) {
        const px = await preprocessImage(probe[i]!, nsfwjsMobileNetV2.input);
        const t = tf.tidy(() => model.predict(tf.tensor4d(px, [1, 224, 224, 3])) as Tensor);
        const ref = (await t.data()) as Float32Array;
        t.dispose();
        const viaHead = predictHead(head, vecs[i]!, 1);
        for (let c = 0; c < 3; c++) {
          maxDiff = Math.max(maxDiff, Math.abs(lite[i]![c]! - ref[c]!));
          headDiff = Math.max(headDiff, Math.abs(viaHead[c]! - ref[c]!));
        }
      }
      expect(maxDiff).toBeLessThanOrEqual(1e-4);
      expect(headDiff).toBeLessThanOrEqual(1e-4);
    } finally {
      runner.dispose();
    }
  });
});
