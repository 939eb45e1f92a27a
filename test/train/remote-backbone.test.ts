import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LayersModel, Tensor, io } from '@tensorflow/tfjs';
import { EdgewiseError } from '../../src/core/errors.js';
import { REMOTE_BACKBONES } from '../../src/train/local/backbones.js';
import { backboneUrl, expectedGroupBytes, remoteBackbone, type RemoteBackboneSpec } from '../../src/train/local/remote-backbone.js';
import { loadTf } from '../../src/train/local/tf-runtime.js';
import { makeTempDir } from '../helpers/tmp.js';

const tmp = makeTempDir('edgewise-remote-bb-');
afterAll(() => tmp.cleanup());

/** A tiny Keras-style conv net, saved as model.json + one weight shard (what a tfjs model URL serves). */
async function tinyModel(): Promise<{ json: { format: string; modelTopology: unknown; weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[] }; shard: Buffer; reference: LayersModel }> {
  const { tf } = await loadTf();
  const input = tf.input({ shape: [8, 8, 3] });
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'feat_conv', kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) }).apply(input);
  const relu = tf.layers.reLU({ name: 'feat_relu' }).apply(conv);
  const model = tf.model({ inputs: input, outputs: relu as never });
  let artifacts: io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = artifacts!;
  return {
    json: { format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs! }] },
    shard: Buffer.from(a.weightData as ArrayBuffer),
    reference: model,
  };
}

/**
 * The Teachable Machine backbone as edgewise ships it, but cut at the tiny model's layer. The URL is the real
 * one: the local server below answers at the same path, reached through EDGEWISE_BACKBONE_MIRROR.
 */
const TM = REMOTE_BACKBONES[0]!;
const tinySpec = (id: string): RemoteBackboneSpec => ({
  ...TM,
  id,
  input: { width: 8, height: 8, channels: 3, dtype: 'float32', range: [-1, 1] },
  candidateLayers: ['feat_relu'],
  defaultFeatures: { layers: ['feat_relu'], pooling: 'mean' },
});

/** A static file server with the storage host's path layout, Range support and scripted faults. */
interface Served {
  server: Server;
  base: string;
  files: Map<string, Buffer>;
  requests: Array<{ path: string; range?: string }>;
  /** Path → bytes to send before cutting the connection, once. */
  cutAfter: Map<string, number>;
}

let srv: Served;
beforeAll(async () => {
  const files = new Map<string, Buffer>();
  const requests: Served['requests'] = [];
  const cutAfter = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const range = req.headers.range;
    requests.push({ path, ...(range ? { range } : {}) });
    const body = files.get(path);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(range ?? '');
    if (m) start = Number(m[1]);
    const slice = body.subarray(start);
    const cut = cutAfter.get(path);
    res.writeHead(m ? 206 : 200, { 'content-length': String(slice.length), ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    if (cut !== undefined) {
      cutAfter.delete(path);
      res.write(slice.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  srv = { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, files, requests, cutAfter };
  process.env.EDGEWISE_BACKBONE_MIRROR = srv.base;
});
afterAll(async () => {
  delete process.env.EDGEWISE_BACKBONE_MIRROR;
  await new Promise((r) => srv.server.close(r));
});
afterEach(() => {
  srv.files.clear();
  srv.requests.length = 0;
  srv.cutAfter.clear();
});

/** The folder Teachable Machine's own library loads MobileNetV2 from (custom-mobilenet.js, version 2). */
function teachableMachineFolder(alpha: number): string {
  return `/teachable-machine-models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alpha.toFixed(2)}_224_no_top`;
}

async function serveTiny(mutate?: (json: Awaited<ReturnType<typeof tinyModel>>['json']) => void) {
  const tiny = await tinyModel();
  mutate?.(tiny.json);
  const dir = teachableMachineFolder(1);
  srv.files.set(`${dir}/model.json`, Buffer.from(JSON.stringify(tiny.json)));
  srv.files.set(`${dir}/group1-shard1of1.bin`, tiny.shard);
  return { ...tiny, dir };
}

describe('backbone downloaded on first use', () => {
  it('asks for the URL Teachable Machine builds (alpha "1.00"), downloads once, then loads offline', async () => {
    const { tf } = await loadTf();
    const { reference, dir } = await serveTiny();
    expect(new URL(TM.url).pathname).toBe(`${teachableMachineFolder(1)}/model.json`);
    expect(TM.defaultFeatures.layers).toEqual(['out_relu']);

    const bb = remoteBackbone(tinySpec('tiny-ok'), tmp.dir);
    expect(bb.cached()).toBe(false);
    const seen: number[] = [];
    await bb.download((done) => seen.push(done));
    expect(srv.requests.map((r) => r.path)).toEqual([`${dir}/model.json`, `${dir}/group1-shard1of1.bin`]);
    expect(seen.at(-1)).toBe(448);
    expect(bb.cached()).toBe(true);

    const model = await bb.load(tf);
    const x = tf.randomUniform([1, 8, 8, 3], -1, 1, 'float32', 3);
    const diff = (await tf.sub(model.predict(x) as Tensor, reference.predict(x) as Tensor).abs().max().data())[0]!;
    expect(diff).toBeLessThan(1e-6);

    // A later run loads from disk with no request at all.
    srv.requests.length = 0;
    const again = await remoteBackbone(tinySpec('tiny-ok'), tmp.dir).load(tf);
    expect(again.getLayer('feat_relu')).toBeDefined();
    expect(srv.requests).toHaveLength(0);
  });

  it('resumes a cut download with a Range request instead of starting again', async () => {
    const { dir, shard } = await serveTiny();
    srv.cutAfter.set(`${dir}/group1-shard1of1.bin`, 100);
    const bb = remoteBackbone(tinySpec('tiny-cut'), tmp.dir);
    const err = await bb.download().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgewiseError);
    expect((err as EdgewiseError).code).toBe('backbone.download');
    expect((err as EdgewiseError).hint).toMatch(/resumes/);
    const folder = join(tmp.dir, 'backbones', 'tiny-cut');
    expect(readFileSync(join(folder, 'group1-shard1of1.bin.part'))).toHaveLength(100);
    expect(existsSync(join(folder, 'complete.json'))).toBe(false);

    srv.requests.length = 0;
    await remoteBackbone(tinySpec('tiny-cut'), tmp.dir).download();
    expect(srv.requests.find((r) => r.path.endsWith('.bin'))?.range).toBe('bytes=100-');
    expect(readFileSync(join(folder, 'group1-shard1of1.bin')).equals(shard)).toBe(true);
    expect(readdirSync(folder).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('refuses weights whose size does not match model.json, and removes them', async () => {
    const { dir, shard } = await serveTiny();
    srv.files.set(`${dir}/group1-shard1of1.bin`, shard.subarray(0, shard.length - 4));
    const err = await remoteBackbone(tinySpec('tiny-short'), tmp.dir).download().catch((e: unknown) => e);
    expect((err as EdgewiseError).code).toBe('backbone.corrupt');
    expect((err as EdgewiseError).message).toContain('444 bytes arrived for 448 expected');
    const folder = join(tmp.dir, 'backbones', 'tiny-short');
    expect(existsSync(join(folder, 'group1-shard1of1.bin'))).toBe(false);
    expect(existsSync(join(folder, 'complete.json'))).toBe(false);
  });

  it('refuses a model.json without the layers the backbone is cut at, or with a weight path outside the cache', async () => {
    await serveTiny();
    const wrongLayer = await remoteBackbone({ ...tinySpec('tiny-layer'), defaultFeatures: { layers: ['out_relu'], pooling: 'mean' } }, tmp.dir)
      .download()
      .catch((e: unknown) => e);
    expect((wrongLayer as EdgewiseError).code).toBe('backbone.format');
    expect((wrongLayer as EdgewiseError).message).toContain('"out_relu"');

    await serveTiny((json) => (json.weightsManifest[0]!.paths = ['../../escaped.bin']));
    const escape = await remoteBackbone(tinySpec('tiny-escape'), tmp.dir)
      .download()
      .catch((e: unknown) => e);
    expect((escape as EdgewiseError).code).toBe('backbone.format');
    expect(existsSync(join(tmp.dir, 'escaped.bin'))).toBe(false);
    expect(srv.requests.some((r) => r.path.includes('escaped'))).toBe(false);
  });

  it('counts quantized weights at their stored width', () => {
    expect(expectedGroupBytes([{ name: 'a', shape: [3, 4], dtype: 'float32' }])).toBe(48);
    expect(expectedGroupBytes([{ name: 'a', shape: [3, 4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } }])).toBe(12);
  });

  it('takes a mirror over https, or http on loopback only', () => {
    expect(backboneUrl(TM.url, 'https://mirror.example/cache/')).toBe(`https://mirror.example/cache${new URL(TM.url).pathname}`);
    expect(() => backboneUrl(TM.url, 'http://mirror.example')).toThrow(/https/);
    expect(backboneUrl(TM.url, 'http://127.0.0.1:9')).toBe(`http://127.0.0.1:9${new URL(TM.url).pathname}`);
  });

  it('says what to do when the first download fails', async () => {
    const { tf } = await loadTf();
    const bb = remoteBackbone(tinySpec('never'), tmp.dir, (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch);
    const err = await bb.load(tf).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgewiseError);
    expect((err as EdgewiseError).hint).toContain('nsfwjs-mobilenet_v2');
    expect(existsSync(join(tmp.dir, 'backbones', 'never', 'complete.json'))).toBe(false);
  });
});
