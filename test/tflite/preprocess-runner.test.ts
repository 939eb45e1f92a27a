import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, InputError } from '../../src/core/errors.js';
import { pixelsToFloat, pixelsToInput, preprocessImage } from '../../src/tflite/preprocess.js';
import { readLabelsFile } from '../../src/tflite/labels-file.js';
import { readTfliteInfo } from '../../src/tflite/read-info.js';
import { loadTfliteModel } from '../../src/tflite/runner.js';
import { BuiltinOperator, TensorType } from '../../src/tflite/schema/model-subset_generated.js';
import { serializeModel, toBytes } from '../../src/tflite/write-model.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ew-pre-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** width×height image: columns < split are `left`, others `right`. */
async function halves(file: string, width: number, height: number, split: number, left: number[], right: number[], orientation?: number) {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) px.set(x < split ? left : right, (y * width + x) * 3);
  let img = sharp(px, { raw: { width, height, channels: 3 } });
  if (orientation) img = img.withMetadata({ orientation });
  await img.png().toFile(file);
}

const at = (px: Uint8Array, w: number, x: number, y: number) => Array.from(px.subarray((y * w + x) * 3, (y * w + x) * 3 + 3));

describe('preprocessImage', () => {
  it('applies EXIF orientation before resizing', async () => {
    const file = join(dir, 'rot.png');
    // Stored 40×20, left half red; orientation 6 = display rotated 90° clockwise → left half becomes the top.
    await halves(file, 40, 20, 20, [255, 0, 0], [0, 0, 255], 6);
    const px = await preprocessImage(file, { width: 8, height: 8 });
    expect(px.length).toBe(8 * 8 * 3);
    expect(at(px, 8, 4, 0)).toEqual([255, 0, 0]);
    expect(at(px, 8, 4, 7)).toEqual([0, 0, 255]);
    expect(at(px, 8, 0, 2)).toEqual([255, 0, 0]);
  });

  it("stretches with fit 'fill' (nothing cropped) and centre-crops with 'cover'", async () => {
    const file = join(dir, 'wide.png');
    await halves(file, 40, 10, 5, [0, 255, 0], [0, 0, 0]);
    const fill = await preprocessImage(file, { width: 8, height: 8 });
    expect(at(fill, 8, 0, 4)[1]).toBeGreaterThan(200);
    const cover = await preprocessImage(file, { width: 8, height: 8, fit: 'cover' });
    expect(at(cover, 8, 0, 4)[1]).toBe(0);
  });

  it('expands grey images to RGB and drops alpha', async () => {
    const grey = join(dir, 'grey.png');
    await sharp(Buffer.alloc(16 * 16, 77), { raw: { width: 16, height: 16, channels: 1 } }).png().toFile(grey);
    const px = await preprocessImage(grey, { width: 4, height: 4 });
    expect(px.length).toBe(48);
    expect(at(px, 4, 2, 2)).toEqual([77, 77, 77]);
    const rgba = join(dir, 'rgba.png');
    await sharp(Buffer.alloc(8 * 8 * 4, 200), { raw: { width: 8, height: 8, channels: 4 } }).png().toFile(rgba);
    expect((await preprocessImage(rgba, { width: 4, height: 4 })).length).toBe(48);
  });

  it('names the file it cannot read', async () => {
    const bad = join(dir, 'bad.jpg');
    writeFileSync(bad, 'not an image');
    await expect(preprocessImage(bad, { width: 4, height: 4 })).rejects.toThrow(InputError);
    await expect(preprocessImage(bad, { width: 4, height: 4 })).rejects.toThrow(/bad\.jpg/);
  });

  it('maps pixels to the model range', () => {
    const px = Uint8Array.from([0, 51, 255]);
    expect(Array.from(pixelsToFloat(px))).toEqual([0, Math.fround(51 / 255), 1]);
    expect(Array.from(pixelsToFloat(px, [-1, 1]))).toEqual([-1, Math.fround(-1 + 102 / 255), 1]);
    expect(pixelsToInput(px, { dtype: 'uint8', range: [0, 1] })).toBe(px);
  });
});

/** uint8 [1,2,2,3] → [1,12] identity (reshape), scale 1, zero point 0: outputs are the input pixels. */
function identityModel(): Uint8Array {
  const q = { scale: [1], zeroPoint: [0] };
  return serializeModel({
    description: 'identity',
    tensors: [
      { name: 'image', shape: [1, 2, 2, 3], type: TensorType.UINT8, quantization: q },
      { name: 'shape', shape: [2], type: TensorType.INT32, data: toBytes(Int32Array.from([1, 12])) },
      { name: 'out', shape: [1, 12], type: TensorType.UINT8, quantization: q },
    ],
    operators: [{ op: BuiltinOperator.RESHAPE, inputs: [0, 1], outputs: [2], options: { kind: 'Reshape', newShape: [1, 12] } }],
    inputs: [0],
    outputs: [2],
  });
}

describe('runner.runBatches', () => {
  it('reads image files through the shared preprocessing, reports progress and keeps order', async () => {
    const m = await loadTfliteModel(identityModel(), { softmax: 'never' });
    const files: string[] = [];
    for (let i = 0; i < 5; i++) {
      const f = join(dir, `c${i}.png`);
      await sharp({ create: { width: 6, height: 6, channels: 3, background: { r: i * 10, g: 100 + i, b: 200 - i } } }).png().toFile(f);
      files.push(f);
    }
    const progress: number[] = [];
    const out = await m.runBatches(files, { onProgress: (p) => progress.push(p.done), prefetch: 2 });
    expect(progress).toEqual([0, 1, 2, 3, 4, 5]);
    out.forEach((o, i) => expect(Array.from(o.subarray(0, 3))).toEqual([i * 10, 100 + i, 200 - i]));
    m.dispose();
  });

  it('stops with CancelledError when the signal aborts', async () => {
    const m = await loadTfliteModel(identityModel(), { softmax: 'never' });
    const ac = new AbortController();
    const inputs = Array.from({ length: 20 }, (_, i) => new Uint8Array(12).fill(i));
    let seen = 0;
    const run = m.runBatches(inputs, {
      signal: ac.signal,
      onProgress: ({ done }) => {
        seen = done;
        if (done === 3) ac.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(seen).toBe(3);
    m.dispose();
  });

  it('rejects inputs of the wrong size and files that are not models', async () => {
    const m = await loadTfliteModel(identityModel());
    await expect(m.predict([new Uint8Array(5)])).rejects.toThrow(/expects 2×2×3 = 12/);
    m.dispose();
    expect(() => readTfliteInfo(new TextEncoder().encode('hello, this is not a flatbuffer at all'))).toThrow(/not a readable \.tflite/);
    await expect(loadTfliteModel(join(dir, 'missing.tflite'))).rejects.toThrow(InputError);
  });
});

describe('readLabelsFile', () => {
  it('reads dict.txt-style lists and refuses duplicates', async () => {
    const f = join(dir, 'dict.txt');
    writeFileSync(f, '\uFEFFants\r\nbees\r\n\r\n');
    expect(await readLabelsFile(f)).toEqual(['ants', 'bees']);
    writeFileSync(f, 'a\nb\na\n');
    await expect(readLabelsFile(f)).rejects.toThrow(/"a" twice/);
  });
});
