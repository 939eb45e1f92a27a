import { crc32 } from 'node:zlib';
import { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { readTfliteInfo } from '../../src/tflite/read-info.js';
import { loadTfliteModel } from '../../src/tflite/runner.js';
import { TFLITE_SUPPORT_METADATA } from '../../src/tflite/format.js';
import { BuiltinOperator, TensorType } from '../../src/tflite/schema/model-subset_generated.js';
import { serializeModel, toBytes, type ModelSpec } from '../../src/tflite/write-model.js';
import { rng } from './tiny-models.js';

/**
 * Hand-built uint8-quantized models, shaped like Vertex edge exports: uint8 input with scale/zero point,
 * uint8 output to dequantize, labels in TFLite Support metadata naming a dict.txt packed in an appended zip.
 */

/** uint8 [1,2,2,3] → RESHAPE → uint8 [1,12]: the output bytes are the input bytes, so dequantization is exact. */
function reshapeModel(scale: number, zeroPoint: number): ModelSpec {
  const q = { scale: [scale], zeroPoint: [zeroPoint] };
  return {
    description: 'uint8 reshape',
    tensors: [
      { name: 'image', shape: [1, 2, 2, 3], type: TensorType.UINT8, quantization: q },
      { name: 'shape', shape: [2], type: TensorType.INT32, data: toBytes(Int32Array.from([1, 12])) },
      { name: 'scores', shape: [1, 12], type: TensorType.UINT8, quantization: q },
    ],
    operators: [{ op: BuiltinOperator.RESHAPE, inputs: [0, 1], outputs: [2], options: { kind: 'Reshape', newShape: [1, 12] } }],
    inputs: [0],
    outputs: [2],
  };
}

/** A minimal TFLite Support ModelMetadata ("M001") whose output tensor names dict.txt as TENSOR_AXIS_LABELS. */
function offsets(b: Builder, list: number[]): number {
  b.startVector(4, list.length, 4);
  for (let i = list.length - 1; i >= 0; i--) b.addOffset(list[i]!);
  return b.endVector();
}

function supportMetadata(): Uint8Array {
  const b = new Builder(256);
  const fileName = b.createString('dict.txt');
  b.startObject(5);
  b.addFieldOffset(0, fileName, 0);
  b.addFieldInt8(2, 2, 0); // TENSOR_AXIS_LABELS
  const file = b.endObject();
  const files = offsets(b, [file]);
  const outName = b.createString('probability');
  b.startObject(7);
  b.addFieldOffset(0, outName, 0);
  b.addFieldOffset(6, files, 0);
  const outMeta = b.endObject();
  const outs = offsets(b, [outMeta]);
  b.startObject(10);
  b.addFieldOffset(3, outs, 0);
  const sg = b.endObject();
  const sgs = offsets(b, [sg]);
  const name = b.createString('vertex-like classifier');
  b.startObject(8);
  b.addFieldOffset(0, name, 0);
  b.addFieldOffset(3, sgs, 0);
  const root = b.endObject();
  b.finish(root, 'M001');
  return b.asUint8Array().slice();
}

/** A zip (stored entries) as TFLite Support appends to models. */
function zipStored(files: { name: string; data: Uint8Array }[]): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name);
    const crc = crc32(f.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(f.data.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, Buffer.from(f.data));
    const cen = Buffer.alloc(46);
    cen.writeUInt32LE(0x02014b50, 0);
    cen.writeUInt16LE(10, 4);
    cen.writeUInt16LE(10, 6);
    cen.writeUInt32LE(crc, 16);
    cen.writeUInt32LE(f.data.length, 20);
    cen.writeUInt32LE(f.data.length, 24);
    cen.writeUInt16LE(name.length, 28);
    cen.writeUInt32LE(offset, 42);
    central.push(cen, name);
    offset += 30 + name.length + f.data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, cd, end]));
}

describe('uint8-quantized models', () => {
  it('dequantizes outputs with the tensor scale and zero point', async () => {
    const scale = 0.0125;
    const zp = 100;
    const bytes = serializeModel(reshapeModel(scale, zp));
    const raw = await loadTfliteModel(bytes, { softmax: 'never' });
    expect(raw.input).toMatchObject({ width: 2, height: 2, channels: 3, dtype: 'uint8', scale: Math.fround(scale), zeroPoint: zp });
    expect(raw.input.range[0]).toBeCloseTo(-100 * scale, 6);
    expect(raw.input.range[1]).toBeCloseTo(155 * scale, 6);
    expect(raw.outputs[0]).toMatchObject({ dtype: 'uint8', zeroPoint: zp, probabilities: false, softmaxApplied: false });
    const px = Uint8Array.from([0, 1, 50, 99, 100, 101, 128, 200, 254, 255, 7, 100]);
    const [out] = await raw.predict([px]);
    expect(Array.from(out!)).toEqual(Array.from(px, (p) => Math.fround((p - zp) * Math.fround(scale))));
    // A float input is quantized with the input's parameters first.
    const [again] = await raw.predict([Float32Array.from(px, (p) => (p - zp) * Math.fround(scale))]);
    expect(Array.from(again!)).toEqual(Array.from(out!));
    raw.dispose();

    // Without a SOFTMAX in the graph, 'auto' turns the dequantized scores into probabilities.
    const auto = await loadTfliteModel(bytes);
    expect(auto.outputs[0]?.softmaxApplied).toBe(true);
    const [p] = await auto.predict([px]);
    expect(p!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(p!.indexOf(Math.max(...p!))).toBe(9);
    auto.dispose();
  });

  it('runs a quantized FULLY_CONNECTED + SOFTMAX classifier close to its float reference, labels from the appended zip', async () => {
    const r = rng(3);
    const nin = 12;
    const nout = 3;
    const inScale = 1 / 255;
    const wScale = 0.004;
    const wZp = 128;
    const wq = Uint8Array.from({ length: nout * nin }, () => Math.round(r() * 255));
    const biasReal = [0.05, -0.02, 0.01];
    const biasQ = Int32Array.from(biasReal, (b) => Math.round(b / (inScale * wScale)));
    const logitScale = 0.01;
    const logitZp = 128;
    const spec = reshapeModel(inScale, 0);
    spec.tensors.push(
      { name: 'fc/weights', shape: [nout, nin], type: TensorType.UINT8, data: wq, quantization: { scale: [wScale], zeroPoint: [wZp] } },
      { name: 'fc/bias', shape: [nout], type: TensorType.INT32, data: toBytes(biasQ), quantization: { scale: [inScale * wScale], zeroPoint: [0] } },
      { name: 'logits', shape: [1, nout], type: TensorType.UINT8, quantization: { scale: [logitScale], zeroPoint: [logitZp] } },
      { name: 'probability', shape: [1, nout], type: TensorType.UINT8, quantization: { scale: [1 / 256], zeroPoint: [0] } },
    );
    spec.operators.push(
      { op: BuiltinOperator.FULLY_CONNECTED, inputs: [2, 3, 4], outputs: [5], options: { kind: 'FullyConnected', activation: 0 } },
      { op: BuiltinOperator.SOFTMAX, inputs: [5], outputs: [6], options: { kind: 'Softmax', beta: 1 } },
    );
    spec.outputs = [6];
    spec.metadata = [{ name: TFLITE_SUPPORT_METADATA, data: supportMetadata() }];
    const model = serializeModel(spec);
    const labels = ['daisy', 'rose', 'tulip'];
    const withZip = new Uint8Array([...model, ...zipStored([{ name: 'dict.txt', data: new TextEncoder().encode(labels.join('\n') + '\n') }])]);

    const info = readTfliteInfo(withZip);
    expect(info.supportMetadata?.name).toBe('vertex-like classifier');
    expect(info.supportMetadata?.labelFiles).toEqual(['dict.txt']);
    expect(info.associatedFiles).toEqual(['dict.txt']);
    expect(info.labels).toEqual(labels);
    expect(info.labelsSource).toBe('associated-file:dict.txt');
    expect(info.tensors[info.outputs[0]!]?.quantization).toMatchObject({ scale: [Math.fround(1 / 256)], zeroPoint: [0] });

    const m = await loadTfliteModel(withZip);
    expect(m.labels).toEqual(labels);
    expect(m.outputs[0]).toMatchObject({ probabilities: true, softmaxApplied: false, classes: 3 });
    for (let trial = 0; trial < 4; trial++) {
      const px = Uint8Array.from({ length: nin }, () => Math.round(r() * 255));
      const [p] = await m.predict([px]);
      // Float reference from the dequantized weights.
      const logits = Array.from({ length: nout }, (_, o) => {
        let s = biasReal[o]!;
        for (let i = 0; i < nin; i++) s += px[i]! * inScale * (wq[o * nin + i]! - wZp) * wScale;
        return s;
      });
      const mx = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - mx));
      const sum = e.reduce((a, b) => a + b, 0);
      e.forEach((v, o) => expect(Math.abs(v / sum - p![o]!)).toBeLessThan(0.02));
      expect(p!.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    m.dispose();
  });
});
