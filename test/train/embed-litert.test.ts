import { statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { LayersModel } from '@tensorflow/tfjs';
import { createEmbedder, createLiteRtEmbedder } from '../../src/train/local/embedder.js';
import { EmbedPool } from '../../src/train/local/embed-pool.js';
import { featureTflite, featureTflitePath } from '../../src/train/local/feature-tflite.js';
import { nsfwjsMobileNetV2 } from '../../src/train/local/nsfwjs-backbone.js';
import type { Backbone } from '../../src/train/local/backbone.js';
import { loadTf } from '../../src/train/local/tf-runtime.js';
import { parseConfig } from '../../src/config/load.js';
import { makeTempDir } from '../helpers/tmp.js';
import { embeddingAgreement } from './embedding-helpers.js';

const tmp = makeTempDir('edgewise-litert-embed-');
afterAll(() => tmp.cleanup());

/** Photos-like test images: smooth gradients plus seeded noise, odd sizes and aspect ratios (exercise the resize). */
async function makeImages(dir: string): Promise<string[]> {
  const sizes: [number, number][] = [[320, 240], [181, 263], [224, 224], [97, 140]];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const files: string[] = [];
  for (const [i, [w, h]] of sizes.entries()) {
    const px = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        px[o] = Math.min(255, (x * 255) / w + rand() * 40);
        px[o + 1] = Math.min(255, (y * 255) / h + rand() * 40);
        px[o + 2] = Math.min(255, ((x + y) % 64) * 4 * ((i % 2) + 0.5));
      }
    }
    const file = join(dir, `img${i}.${i === 3 ? 'png' : 'jpg'}`);
    const img = sharp(px, { raw: { width: w, height: h, channels: 3 } });
    await (i === 3 ? img.png() : img.jpeg({ quality: 90 })).toFile(file);
    files.push(file);
  }
  return files;
}

describe('LiteRT embeddings (feature model converted to .tflite)', () => {
  const spec = nsfwjsMobileNetV2.defaultFeatures;

  it('equal the tfjs embeddings within 1e-4, for the original and the mirrored view', async () => {
    const files = await makeImages(tmp.dir);
    const cacheDir = join(tmp.dir, 'cache');
    const first = await featureTflite(nsfwjsMobileNetV2, spec, cacheDir);
    expect(first.converted).toBe(true);
    expect(first.path).toBe(featureTflitePath(cacheDir, nsfwjsMobileNetV2, spec));
    const tfjs = await createEmbedder(nsfwjsMobileNetV2, spec);
    const lite = await createLiteRtEmbedder(nsfwjsMobileNetV2, first.bytes);
    expect(tfjs.runtime).toBe('tfjs');
    expect(lite.backend).toBe('litert');
    expect(lite.dim).toBe(tfjs.dim);
    // The default: means of a 2×2 grid over block_13_expand_relu's 576 channels (docs/notes/local-backbone.md).
    expect(spec).toEqual({ layers: ['block_13_expand_relu'], pooling: 'grid2' });
    expect(lite.dim).toBe(4 * 576);
    const { maxDiff, maxAbs } = await embeddingAgreement(tfjs, lite, files);
    expect(maxAbs).toBeGreaterThan(0.05);
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
  });

  it('converts once: later calls read the cached .tflite, a damaged file is rebuilt', async () => {
    const cacheDir = join(tmp.dir, 'cache2');
    const a = await featureTflite(nsfwjsMobileNetV2, spec, cacheDir);
    const b = await featureTflite(nsfwjsMobileNetV2, spec, cacheDir);
    expect([a.converted, b.converted]).toEqual([true, false]);
    expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
    const other = featureTflitePath(cacheDir, nsfwjsMobileNetV2, { layers: ['block_12_add'], pooling: 'mean' });
    expect(other).not.toBe(a.path);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(a.path, 'not a model');
    const c = await featureTflite(nsfwjsMobileNetV2, spec, cacheDir);
    expect(c.converted).toBe(true);
    expect(statSync(a.path).size).toBe(a.bytes.byteLength);
  });

  it('the pool picks LiteRT when asked (and when onnxruntime is absent: test/train/embed-onnx.test.ts), tfjs when asked', async () => {
    const files = await makeImages(join(tmp.dir));
    const cacheDir = join(tmp.dir, 'cache3');
    const opts = { backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, workers: 0 };
    const auto = await EmbedPool.create({ ...opts, runtime: 'litert' });
    const tf = await EmbedPool.create({ ...opts, runtime: 'tfjs' });
    try {
      expect(auto.backend).toBe('litert');
      expect(auto.runtimeNote).toBeUndefined();
      expect(tf.backend).not.toBe('litert');
      const [a] = await auto.embed(files[0]!, ['orig']);
      const [b] = await tf.embed(files[0]!, ['orig']);
      expect(Math.max(...a!.map((v, i) => Math.abs(v - b![i]!)))).toBeLessThanOrEqual(1e-4);
    } finally {
      await auto.close();
      await tf.close();
    }
  });

  it('a feature model the converter cannot handle is an error naming the layer (callers fall back to tfjs)', async () => {
    const { tf } = await loadTf();
    // UpSampling2D is not in the converter's layer list.
    const inp = tf.input({ shape: [8, 8, 3] });
    const up = tf.layers.upSampling2d({ size: [2, 2], name: 'odd_upsampling' }).apply(inp);
    const model = tf.model({ inputs: inp, outputs: up as never }) as LayersModel;
    const odd: Backbone = {
      ...nsfwjsMobileNetV2,
      id: 'test-odd',
      input: { ...nsfwjsMobileNetV2.input, width: 8, height: 8 },
      defaultFeatures: { layers: ['odd_upsampling'], pooling: 'mean' },
      load: async () => model,
    };
    await expect(featureTflite(odd, odd.defaultFeatures, join(tmp.dir, 'cache4'))).rejects.toThrow(/odd_upsampling|UpSampling2D/);
  });

  it('train.embedRuntime is optional (absent keeps old train fingerprints) and checked', () => {
    expect('embedRuntime' in parseConfig({}, 'edgewise.json').train).toBe(false);
    expect(parseConfig({ train: { embedRuntime: 'tfjs' } }, 'edgewise.json').train.embedRuntime).toBe('tfjs');
    expect(() => parseConfig({ train: { embedRuntime: 'gpu' } }, 'edgewise.json')).toThrow(/train\.embedRuntime/);
  });
});
