import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTf, type Tf } from '../../src/train/local/tf-runtime.js';
import { layersModelSpec } from '../../src/tflite/convert-layers.js';
import { calibrateActivations } from '../../src/tflite/calibrate.js';
import { quantizeFullInteger, quantizeWeightsOnly } from '../../src/tflite/quantize-model.js';
import { readTfliteInfo } from '../../src/tflite/read-info.js';
import { loadTfliteModel } from '../../src/tflite/runner.js';
import { preprocessImage } from '../../src/tflite/preprocess.js';
import { serializeModel } from '../../src/tflite/write-model.js';
import { randomiseWeights, rng, tinyConvModel } from './tiny-models.js';

let tf: Tf;
let dir: string;
beforeAll(async () => {
  process.env.EDGEWISE_TF_BACKEND = 'wasm';
  tf = (await loadTf()).tf;
  dir = mkdtempSync(join(tmpdir(), 'ew-quant-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Smooth generated pictures (gradients + blobs), closer to photos than uniform noise. */
function pictures(n: number, size: number, seed: number): Uint8Array[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const px = new Uint8Array(size * size * 3);
    const a = r() * 6;
    const b = r() * 6;
    const cx = r() * size;
    const cy = r() * size;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const d = Math.hypot(x - cx, y - cy) / size;
        const k = (y * size + x) * 3;
        px[k] = 127 + 120 * Math.sin(a * x / size + d * 4);
        px[k + 1] = 127 + 120 * Math.cos(b * y / size);
        px[k + 2] = d < 0.25 ? 230 : 40 + 60 * r();
      }
    return px;
  });
}

describe('quantized export of the tiny network', () => {
  it('int8 weights and full integer run in LiteRT and stay close to float', async () => {
    const model = tinyConvModel(tf, 16, 4);
    randomiseWeights(tf, model, 5);
    const spec = layersModelSpec(model, { labels: ['a', 'b', 'c', 'd'] });
    const calib = pictures(40, 16, 1);
    const test = pictures(20, 16, 2);
    const ranges = await calibrateActivations(spec, calib);
    const variants = {
      float: serializeModel(spec),
      dyn: serializeModel(quantizeWeightsOnly(spec)),
      int8: serializeModel(quantizeFullInteger(spec, ranges)),
    };
    const out: Record<string, Float32Array[]> = {};
    for (const [k, bytes] of Object.entries(variants)) {
      const m = await loadTfliteModel(bytes);
      out[k] = await m.predict(test);
      console.log(k, bytes.length, m.input.dtype, readTfliteInfo(bytes).operators.map((o) => o.op).join(' '));
      m.dispose();
    }
    for (const k of ['dyn', 'int8']) {
      let worst = 0;
      out[k]!.forEach((p, i) => p.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - out.float![i]![j]!)))));
      console.log(k, 'max |dp|', worst);
    }
  });
});
