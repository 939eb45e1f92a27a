import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src/synthetic/synthetic.js';
import type { Backbone } from '../../src/train/local/backbone.js';
import { featureKey } from '../../src/train/local/backbone.js';
import { embedDataset, type EmbedRequest } from '../../src/train/local/embed-dataset.js';
import { EmbedPool, resolveFeatureEngine } from '../../src/train/local/embed-pool.js';
import { createLiteRtEmbedder, createOrtEmbedder, type Embedder } from '../../src/train/local/embedder.js';
import { featureModelSpec, featureTflite, featureTfliteInt8, featureTfliteInt8Path } from '../../src/train/local/feature-tflite.js';
import { calibrateActivations } from '../../src/tflite/calibrate.js';
import { serializeOnnx } from '../../src/onnx/write-onnx.js';
import { featureOnnx, featureOnnxInt8, featureOnnxInt8Path } from '../../src/train/local/feature-onnx.js';
import { ortMissingHere, ortSkipReason } from '../helpers/onnxruntime.js';
import { closeness } from '../helpers/vectors.js';
import { nsfwjsMobileNetV2 } from '../../src/train/local/nsfwjs-backbone.js';
import { TrainSettingsSchema } from '../../src/config/schema.js';
import { makeTempDir } from '../helpers/tmp.js';
import { drain, floatEngineHere } from './embedding-helpers.js';

const tmp = makeTempDir('edgewise-int8-embed-');
afterAll(() => tmp.cleanup());
const spec = nsfwjsMobileNetV2.defaultFeatures;
let files: string[] = [];
const here = { ortMissing: await ortMissingHere() };
/** What `auto` runs int8 on here: onnxruntime where it loads (the default), else LiteRT. */
const int8Here = here.ortMissing === undefined ? { runtime: 'onnx', backend: 'onnxruntime-int8' } : { runtime: 'litert', backend: 'litert-int8' };

/** Worst cosine and worst max |Δ| / max |x| of `fast` against `ref` on held-out images and their mirrors. */
async function worstOf(ref: Embedder, fast: Embedder): Promise<{ worstCos: number; worstRel: number }> {
  let worstCos = 1;
  let worstRel = 0;
  for (const file of files.filter((_, i) => i % 5 === 2 || i % 5 === 4)) {
    const [a, af] = await ref.embed(file, ['orig', 'flip']);
    const [b, bf] = await fast.embed(file, ['orig', 'flip']);
    for (const [x, y] of [[a!, b!], [af!, bf!]] as const) {
      const c = closeness(x, y);
      worstCos = Math.min(worstCos, c.cos);
      worstRel = Math.max(worstRel, c.rel);
    }
    // The mirror is another vector (else the views would match trivially).
    expect(Math.max(...b!.map((v, i) => Math.abs(v - bf![i]!)))).toBeGreaterThan(1e-3);
  }
  return { worstCos, worstRel };
}

beforeAll(async () => {
  const syn = await generateSyntheticDataset({ root: join(tmp.dir, 'ws'), classes: 4, perClass: 5, faults: false, seed: 'int8-embed' });
  files = syn.images.map((i) => join(syn.imagesDir, i.image));
});

describe('the int8 feature model (train.embedPrecision: int8)', () => {
  it('gives embeddings close to the float32 reference on generated images: cosine ≥ 0.99, max |Δ| ≤ 20 % of the largest value (measured 14.5 %)', async () => {
    const cacheDir = join(tmp.dir, 'c1');
    const calib = files.filter((_, i) => i % 5 === 0); // 4 of 20, one per class
    const q = await featureTfliteInt8(nsfwjsMobileNetV2, spec, cacheDir, () => calib);
    const f = await featureTflite(nsfwjsMobileNetV2, spec, cacheDir);
    expect(q.bytes.byteLength).toBeLessThan(f.bytes.byteLength / 2);
    const fast = await createLiteRtEmbedder(nsfwjsMobileNetV2, q.bytes);
    const ref = await createLiteRtEmbedder(nsfwjsMobileNetV2, f.bytes);
    expect(fast.backend).toBe('litert-int8');
    expect(fast.dim).toBe(ref.dim);
    // Held-out images (not calibrated on) and their mirror views.
    const { worstCos, worstRel } = await worstOf(ref, fast);
    expect(worstCos).toBeGreaterThanOrEqual(0.99);
    console.log(`int8 vs float32: worst cosine ${worstCos.toFixed(4)}, worst max |Δ| / max |x| ${worstRel.toFixed(3)}`);
    expect(worstRel).toBeLessThanOrEqual(0.2);
    // Quantized, not the float model under another name.
    expect(worstRel).toBeGreaterThan(0);
  }, 240_000); // a limit for a loaded machine, not a timing assertion

  it.skipIf(here.ortMissing !== undefined)(`on onnxruntime (the int8 graph in QDQ form) gives embeddings close to the float32 ones: cosine ≥ 0.99, max |Δ| ≤ 20 % of the largest value${ortSkipReason(here)}`, async () => {
    const cacheDir = join(tmp.dir, 'c1o');
    const calib = files.filter((_, i) => i % 5 === 0);
    const q = await featureOnnxInt8(nsfwjsMobileNetV2, spec, cacheDir, () => calib);
    const f = await featureOnnx(nsfwjsMobileNetV2, spec, cacheDir);
    expect(q.bytes.byteLength).toBeLessThan(f.bytes.byteLength / 2);
    const fast = await createOrtEmbedder(nsfwjsMobileNetV2, q.bytes, 1);
    const ref = await createOrtEmbedder(nsfwjsMobileNetV2, f.bytes, 1);
    try {
      expect(fast.dim).toBe(ref.dim);
      const { worstCos, worstRel } = await worstOf(ref, fast);
      console.log(`onnxruntime int8 vs float32: worst cosine ${worstCos.toFixed(4)}, worst max |Δ| / max |x| ${worstRel.toFixed(3)}`);
      expect(worstCos).toBeGreaterThanOrEqual(0.99);
      expect(worstRel).toBeLessThanOrEqual(0.2);
      expect(worstRel).toBeGreaterThan(0);
    } finally {
      await fast.close?.();
      await ref.close?.();
    }
  }, 240_000);

  it('is calibrated once and read back after; its vectors have their own cache key, which changes with the model', async () => {
    const cacheDir = join(tmp.dir, 'c2');
    const calibration = () => files.slice(0, 4);
    const a = await resolveFeatureEngine({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, precision: 'int8', calibration });
    const int8File = (a.runtime === 'onnx' ? featureOnnxInt8Path : featureTfliteInt8Path)(cacheDir, nsfwjsMobileNetV2, spec);
    const written = statSync(int8File).mtimeMs;
    const b = await resolveFeatureEngine({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, precision: 'int8', calibration });
    const float = await resolveFeatureEngine({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, precision: 'float32' });
    // Read back, not calibrated again.
    expect(statSync(int8File).mtimeMs).toBe(written);
    expect([a.precision, a.runtime, float.precision]).toEqual(['int8', int8Here.runtime, 'float32']);
    expect(b.cacheKey).toBe(a.cacheKey);
    expect(float.cacheKey).toBe(featureKey(nsfwjsMobileNetV2, spec));
    expect(a.cacheKey.startsWith(`${float.cacheKey}|int8:`)).toBe(true);
    // Another calibration is another model: another key, so no vector of the old one is reused.
    rmSync(int8File);
    const c = await resolveFeatureEngine({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, precision: 'int8', calibration: () => files.slice(10, 12) });
    expect(c.cacheKey).not.toBe(a.cacheKey);
    // LiteRT's int8 model (forced) is another model: its own key too.
    const litert = await resolveFeatureEngine({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, precision: 'int8', runtime: 'litert', calibration });
    expect(litert.runtime).toBe('litert');
    expect(litert.cacheKey.startsWith(`${float.cacheKey}|int8:`)).toBe(true);
    if (a.runtime === 'onnx') expect([a.cacheKey, c.cacheKey]).not.toContain(litert.cacheKey);
    // Without onnxruntime, int8 was LiteRT's model all along: the one calibrated last, read back.
    else expect(litert.cacheKey).toBe(c.cacheKey);
  }, 180_000);

  it('embedDataset never serves float vectors for int8 (or back), and reuses its own', async () => {
    const cacheDir = join(tmp.dir, 'c3');
    const reqs: EmbedRequest[] = files.slice(0, 6).map((f) => ({ file: f, name: f, views: ['orig'] }));
    const opts = { backbone: nsfwjsMobileNetV2, spec, cacheDir, workers: 0, signal: new AbortController().signal, calibration: () => files.slice(0, 4) };
    const float = await drain(embedDataset(reqs, { ...opts, precision: 'float32' }));
    expect(float.result.computed).toBe(6);
    const int8 = await drain(embedDataset(reqs, { ...opts, precision: 'int8' }));
    expect(int8.result.computed).toBe(6);
    expect(int8.result.backend).toBe(int8Here.backend);
    expect(int8.events.some((e) => e.type === 'log' && /Calibrating the int8 feature model on 4 train image/.test(e.message))).toBe(true);
    const again = await drain(embedDataset(reqs, { ...opts, precision: 'int8' }));
    expect([again.result.computed, again.result.cached]).toEqual([0, 6]);
    expect(again.events.some((e) => e.type === 'log' && /Calibrating/.test(e.message))).toBe(false);
    // Same images, different vectors: each run returned its own model's.
    expect(int8.result.vectors[0]![0]).not.toEqual(float.result.vectors[0]![0]);
    expect(again.result.vectors[0]![0]).toEqual(int8.result.vectors[0]![0]);
    const floatAgain = await drain(embedDataset(reqs, { ...opts, precision: 'float32' }));
    expect(floatAgain.result.computed).toBe(0);
    expect(floatAgain.result.vectors[0]![0]).toEqual(float.result.vectors[0]![0]);
  }, 180_000);

  it('falls back to the float32 model, saying why, when int8 cannot be built (input range not [0, 1])', async () => {
    const cacheDir = join(tmp.dir, 'c4');
    const signed: Backbone = { ...nsfwjsMobileNetV2, input: { ...nsfwjsMobileNetV2.input, range: [-1, 1] } };
    await expect(featureTfliteInt8(signed, spec, cacheDir, () => files.slice(0, 2))).rejects.toThrow(/input range \[-1, 1\] is not \[0, 1\]/);
    expect(existsSync(featureTfliteInt8Path(cacheDir, signed, spec))).toBe(false);
    await expect(featureOnnxInt8(signed, spec, cacheDir, () => files.slice(0, 2))).rejects.toThrow(/input range \[-1, 1\] is not \[0, 1\]/);
    expect(existsSync(featureOnnxInt8Path(cacheDir, signed, spec))).toBe(false);
    // No calibration images: the same fallback through the pool, which then embeds with float32.
    const pool = await EmbedPool.create({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, workers: 0, precision: 'int8', calibration: () => [] });
    try {
      expect(pool.precision).toBe('float32');
      // The float engine `auto` picks here: onnxruntime where it loads (test/train/embed-onnx.test.ts), else its fallback.
      expect(pool.backend).toBe((await floatEngineHere()).backend);
      expect(pool.cacheKey).toBe(featureKey(nsfwjsMobileNetV2, spec));
      expect(pool.runtimeNote).toMatch(/int8 feature model not used \(no int8 feature model: no calibration images\)/);
    } finally {
      await pool.close();
    }
  });

  it('by default (`auto`) embeds int8 on onnxruntime only: float32 when another engine runs, without a note', async () => {
    const cacheDir = join(tmp.dir, 'c6');
    const calibration = () => files.slice(0, 3);
    const dflt = await resolveFeatureEngine({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, calibration });
    expect([dflt.runtime, dflt.precision]).toEqual(here.ortMissing === undefined ? ['onnx', 'int8'] : [expect.not.stringMatching(/^onnx$/), 'float32']);
    const float = await resolveFeatureEngine({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, precision: 'float32', calibration });
    expect(float.precision).toBe('float32');
    expect(float.cacheKey).toBe(featureKey(nsfwjsMobileNetV2, spec));
    // Forcing LiteRT: auto means float32 there (its int8 model is only used when asked for by name).
    const litert = await resolveFeatureEngine({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, runtime: 'litert', calibration });
    expect([litert.runtime, litert.precision, litert.note]).toEqual(['litert', 'float32', undefined]);
    expect(existsSync(featureTfliteInt8Path(cacheDir, nsfwjsMobileNetV2, spec))).toBe(false);
  }, 120_000);

  it.skipIf(here.ortMissing !== undefined)(`falls back to float32, saying why, when the int8 model's vectors disagree with float32 on this machine${ortSkipReason(here)}`, async () => {
    const cacheDir = join(tmp.dir, 'c7');
    // An int8 model whose ranges are a twentieth of the calibrated ones: every image clips, as saturating
    // integer kernels would.
    const float = await featureModelSpec(nsfwjsMobileNetV2, spec);
    const ranges = await calibrateActivations(float, files.slice(0, 4), { inputRange: [0, 1] });
    const shrunk = new Map([...ranges].map(([t, r]) => [t, { min: r.min / 20, max: r.max / 20 }]));
    const path = featureOnnxInt8Path(cacheDir, nsfwjsMobileNetV2, spec);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, serializeOnnx(float, { uint8Input: [0, 1], int8: { ranges: shrunk } }));
    const e = await resolveFeatureEngine({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, calibration: () => files.slice(0, 4) });
    expect([e.runtime, e.precision, e.cacheKey]).toEqual(['onnx', 'float32', featureKey(nsfwjsMobileNetV2, spec)]);
    expect(e.noteCode).toBe('train.int8_unavailable');
    expect(e.note).toMatch(/int8 feature model not used on onnxruntime \(its vectors differ from the float32 ones on this machine \(cosine 0\.\d+ < 0\.99 on .+\.(jpg|png|webp)\)\)/);
    // A good calibration passes the same check.
    rmSync(featureOnnxInt8Path(cacheDir, nsfwjsMobileNetV2, spec));
    const good = await resolveFeatureEngine({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, calibration: () => files.slice(0, 4) });
    expect([good.precision, good.note]).toEqual(['int8', undefined]);
  }, 120_000);

  it('runs int8 on LiteRT, saying why, when onnxruntime does not load', async () => {
    const cacheDir = join(tmp.dir, 'c5');
    const before = process.env.EDGEWISE_ONNXRUNTIME;
    process.env.EDGEWISE_ONNXRUNTIME = 'edgewise-no-such-onnxruntime';
    try {
      const e = await resolveFeatureEngine({ backboneId: nsfwjsMobileNetV2.id, cacheDir, spec, precision: 'int8', calibration: () => files.slice(0, 3) });
      expect([e.runtime, e.precision]).toEqual(['litert', 'int8']);
      expect(e.note).toMatch(/int8 feature model not used on onnxruntime \(edgewise-no-such-onnxruntime did not load.*embedding with LiteRT \(int8\)/);
      expect(e.noteCode).toBe('train.onnx_unavailable');
      // Nothing was calibrated for onnxruntime.
      expect(existsSync(featureOnnxInt8Path(cacheDir, nsfwjsMobileNetV2, spec))).toBe(false);
    } finally {
      if (before === undefined) delete process.env.EDGEWISE_ONNXRUNTIME;
      else process.env.EDGEWISE_ONNXRUNTIME = before;
    }
  }, 120_000);

  it('train.embedPrecision is optional (absent keeps old train fingerprints) and checked', () => {
    expect('embedPrecision' in TrainSettingsSchema.parse({})).toBe(false);
    expect(TrainSettingsSchema.parse({ embedPrecision: 'int8' }).embedPrecision).toBe('int8');
    const bad = TrainSettingsSchema.safeParse({ embedPrecision: 'int4' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['embedPrecision']);
  });
});
