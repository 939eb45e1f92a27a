import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src/synthetic/synthetic.js';
import { featureKey } from '../../src/train/local/backbone.js';
import { embedDataset, type EmbedRequest } from '../../src/train/local/embed-dataset.js';
import { EmbedPool, resolveFeatureEngine } from '../../src/train/local/embed-pool.js';
import { createEmbedder, createOrtEmbedder } from '../../src/train/local/embedder.js';
import { featureOnnx, featureOnnxPath } from '../../src/train/local/feature-onnx.js';
import { nsfwjsMobileNetV2 } from '../../src/train/local/nsfwjs-backbone.js';
import { parseConfig } from '../../src/config/load.js';
import { makeTempDir } from '../helpers/tmp.js';
import { ortSkipReason } from '../helpers/onnxruntime.js';
import { drain, embeddingAgreement, floatEngineHere } from './embedding-helpers.js';

const tmp = makeTempDir('edgewise-onnx-embed-');
afterAll(() => tmp.cleanup());
const spec = nsfwjsMobileNetV2.defaultFeatures;
let files: string[] = [];

beforeAll(async () => {
  const syn = await generateSyntheticDataset({ root: join(tmp.dir, 'ws'), classes: 4, perClass: 2, faults: false, seed: 'onnx-embed' });
  files = syn.images.map((i) => join(syn.imagesDir, i.image));
});

const saved = process.env.EDGEWISE_ONNXRUNTIME;
const restoreOrt = (): void => {
  if (saved === undefined) delete process.env.EDGEWISE_ONNXRUNTIME;
  else process.env.EDGEWISE_ONNXRUNTIME = saved;
};
afterEach(restoreOrt);
// What this machine embeds with (onnxruntime where it loads): the tests about onnxruntime itself need it.
const here = await floatEngineHere();
const noOrt = here.ortMissing !== undefined;

describe('onnxruntime-node embeddings (the feature model written as ONNX)', () => {
  it.skipIf(noOrt)(`equal the tfjs embeddings within 1e-4, for the original and the mirrored view${ortSkipReason(here)}`, async () => {
    const cacheDir = join(tmp.dir, 'c1');
    const onnx = await featureOnnx(nsfwjsMobileNetV2, spec, cacheDir);
    expect(onnx.converted).toBe(true);
    expect(onnx.path).toBe(featureOnnxPath(cacheDir, nsfwjsMobileNetV2, spec));
    const tfjs = await createEmbedder(nsfwjsMobileNetV2, spec);
    const ort = await createOrtEmbedder(nsfwjsMobileNetV2, onnx.bytes);
    try {
      expect([ort.backend, ort.runtime, ort.dim]).toEqual(['onnxruntime', 'onnx', tfjs.dim]);
      const { maxDiff, maxAbs } = await embeddingAgreement(tfjs, ort, files);
      expect(maxAbs).toBeGreaterThan(0.05);
      expect(maxDiff).toBeLessThanOrEqual(1e-4);
    } finally {
      await ort.close?.();
    }
  }, 120_000);

  it.skipIf(noOrt)(`is the default engine: same cache key as LiteRT and tfjs, the .onnx written once and rewritten when damaged${ortSkipReason(here)}`, async () => {
    const cacheDir = join(tmp.dir, 'c2');
    const opts = { backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, workers: 2 };
    const engine = await resolveFeatureEngine(opts);
    expect([engine.runtime, engine.precision, engine.note]).toEqual(['onnx', 'float32', undefined]);
    expect(engine.cacheKey).toBe(featureKey(nsfwjsMobileNetV2, spec));
    const path = featureOnnxPath(cacheDir, nsfwjsMobileNetV2, spec);
    const size = statSync(path).size;
    const again = await featureOnnx(nsfwjsMobileNetV2, spec, cacheDir);
    expect(again.converted).toBe(false);
    writeFileSync(path, 'not a model');
    const repaired = await resolveFeatureEngine(opts);
    expect(repaired.runtime).toBe('onnx');
    expect(statSync(path).size).toBe(size);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(again.bytes))).toBe(true);
    const pool = await EmbedPool.create({ ...opts, engine: repaired });
    try {
      // On this thread (no workers): sharp decodes on its own threads, two images per lane in flight.
      expect([pool.runtime, pool.backend, pool.threads, pool.window]).toEqual(['onnx', 'onnxruntime', 1, 4]);
      const [v] = await pool.embed(files[0]!, ['orig']);
      expect(v!.length).toBe(4 * 576);
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('without onnxruntime-node: LiteRT, with a train.onnx_unavailable warning; forcing onnx is an error; the engine found here then reuses its vectors', async () => {
    process.env.EDGEWISE_ONNXRUNTIME = 'edgewise-no-such-onnxruntime';
    const cacheDir = join(tmp.dir, 'c3');
    const base = { backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, workers: 0 };
    const engine = await resolveFeatureEngine(base);
    expect(engine.runtime).toBe('litert');
    expect(engine.noteCode).toBe('train.onnx_unavailable');
    expect(engine.note).toMatch(/onnxruntime not used \(edgewise-no-such-onnxruntime did not load .*\): embedding with LiteRT/);
    await expect(resolveFeatureEngine({ ...base, runtime: 'onnx' })).rejects.toThrow(/edgewise-no-such-onnxruntime did not load/);

    const reqs: EmbedRequest[] = files.slice(0, 3).map((f) => ({ file: f, name: f, views: ['orig'] }));
    const run = await drain(embedDataset(reqs, { backbone: nsfwjsMobileNetV2, spec, cacheDir, workers: 0, signal: new AbortController().signal }));
    expect(run.result.backend).toBe('litert');
    const warning = run.events.find((e) => e.type === 'warning');
    expect(warning).toMatchObject({ type: 'warning', code: 'train.onnx_unavailable' });
    expect(run.events.some((e) => e.type === 'log' && /^Embedding with LiteRT \(float32 feature model\)/.test(e.message))).toBe(true);

    // This machine's own engine back (onnxruntime where it loads): the vectors LiteRT cached are served as they
    // are (one key for all float engines), and a fresh cache embeds with it.
    restoreOrt();
    const back = await drain(embedDataset(reqs, { backbone: nsfwjsMobileNetV2, spec, cacheDir, workers: 0, signal: new AbortController().signal }));
    expect([back.result.computed, back.result.cached]).toEqual([0, 3]);
    const fresh = await drain(embedDataset(reqs, { backbone: nsfwjsMobileNetV2, spec, cacheDir: join(tmp.dir, 'c4'), workers: 0, signal: new AbortController().signal }));
    expect(fresh.result.backend).toBe(here.backend);
    if (noOrt) {
      expect(fresh.events.filter((e) => e.type === 'warning')).toMatchObject([{ type: 'warning', code: 'train.onnx_unavailable' }]);
    } else {
      expect(fresh.events.some((e) => e.type === 'warning')).toBe(false);
      expect(fresh.events.some((e) => e.type === 'log' && /^Embedding with onnxruntime \(float32 feature model\) on this thread/.test(e.message))).toBe(true);
    }
    for (let i = 0; i < reqs.length; i++) {
      const a = run.result.vectors[i]![0]!;
      const b = fresh.result.vectors[i]![0]!;
      expect(Math.max(...a.map((x, j) => Math.abs(x - b[j]!)))).toBeLessThanOrEqual(1e-4);
    }
  }, 180_000);

  it('train.embedRuntime accepts onnx', () => {
    expect(parseConfig({ train: { embedRuntime: 'onnx' } }, 'edgewise.json').train.embedRuntime).toBe('onnx');
    expect(() => parseConfig({ train: { embedRuntime: 'onnxruntime' } }, 'edgewise.json')).toThrow(/train\.embedRuntime/);
  });
});
