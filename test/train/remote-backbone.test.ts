import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LayersModel, Tensor, io } from '@tensorflow/tfjs';
import { EdgewiseError } from '../../src/core/errors.js';
import { remoteBackbone, type RemoteBackboneSpec } from '../../src/train/local/remote-backbone.js';
import { loadTf } from '../../src/train/local/tf-runtime.js';
import { makeTempDir } from '../helpers/tmp.js';

const tmp = makeTempDir('edgewise-remote-bb-');
afterAll(() => tmp.cleanup());

/** A tiny Keras-style conv net, saved as model.json + one weight shard (what a tfjs model URL serves). */
async function tinyModelFiles(): Promise<{ files: Map<string, Uint8Array>; reference: LayersModel }> {
  const { tf } = await loadTf();
  const input = tf.input({ shape: [8, 8, 3] });
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'feat_conv', kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) }).apply(input);
  const relu = tf.layers.reLU({ name: 'feat_relu' }).apply(conv);
  const model = tf.model({ inputs: input, outputs: relu as never });
  let artifacts: io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const a = artifacts!;
  const weights = new Uint8Array(a.weightData as ArrayBuffer);
  const json = { format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] };
  return { files: new Map([['model.json', new TextEncoder().encode(JSON.stringify(json))], ['group1-shard1of1.bin', weights]]), reference: model };
}

describe('backbone downloaded on first use', () => {
  it('downloads model.json and shards once into the cache folder, then loads offline', async () => {
    const { tf } = await loadTf();
    const { files, reference } = await tinyModelFiles();
    const fetched: string[] = [];
    const fakeFetch = (async (url: string | URL) => {
      const u = String(url);
      fetched.push(u);
      const name = u.slice(u.lastIndexOf('/') + 1);
      const body = files.get(name);
      return body ? new Response(Buffer.from(body)) : new Response('no', { status: 404 });
    }) as typeof fetch;
    const spec: RemoteBackboneSpec = {
      id: 'tiny-test',
      url: 'https://models.example/tiny/model.json',
      input: { width: 8, height: 8, channels: 3, dtype: 'float32', range: [-1, 1] },
      candidateLayers: ['feat_relu'],
      defaultFeatures: { layers: ['feat_relu'], pooling: 'mean' },
    };
    const bb = remoteBackbone(spec, tmp.dir, fakeFetch);
    expect(bb.preprocessing).toContain('pm1');
    const model = await bb.load(tf);
    expect(fetched).toEqual(['https://models.example/tiny/model.json', 'https://models.example/tiny/group1-shard1of1.bin']);
    expect(existsSync(join(tmp.dir, 'backbones', 'tiny-test', 'complete.json'))).toBe(true);

    const x = tf.randomUniform([1, 8, 8, 3], -1, 1, 'float32', 3);
    const same = (await (tf.sub(model.predict(x) as Tensor, reference.predict(x) as Tensor).abs().max().data()))[0]!;
    expect(same).toBeLessThan(1e-6);

    // A second instance (a later run) loads from disk without any request.
    const offline = remoteBackbone(spec, tmp.dir, (async () => {
      throw new Error('offline');
    }) as typeof fetch);
    const again = await offline.load(tf);
    expect(again.getLayer('feat_relu')).toBeDefined();
    expect(fetched).toHaveLength(2);
  });

  it('says what to do when the first download fails', async () => {
    const { tf } = await loadTf();
    const bb = remoteBackbone(
      { id: 'never', url: 'https://models.example/never/model.json', input: { width: 8, height: 8, channels: 3, dtype: 'float32', range: [0, 1] }, candidateLayers: [], defaultFeatures: { layers: ['x'], pooling: 'mean' } },
      tmp.dir,
      (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    );
    const err = await bb.load(tf).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgewiseError);
    expect((err as EdgewiseError).hint).toContain('nsfwjs-mobilenet_v2');
    expect(existsSync(join(tmp.dir, 'backbones', 'never', 'complete.json'))).toBe(false);
  });
});
