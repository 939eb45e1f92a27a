import { describe, expect, it } from 'vitest';
import { readTfliteInfo } from '../../src/tflite/read-info.js';
import { loadTfliteModel } from '../../src/tflite/runner.js';
import { BuiltinOperator, TensorType } from '../../src/tflite/schema/model-subset_generated.js';
import { serializeModel, toBytes } from '../../src/tflite/write-model.js';

describe('serializeModel', () => {
  it('writes dilated depthwise convolutions (options #5/#6, op version 2) that LiteRT computes as such', async () => {
    // 5×5 single-channel image, 3×3 kernel of ones, dilation 2, valid: one output = sum of the 9 even-indexed pixels.
    const bytes = serializeModel({
      description: 'dilated depthwise',
      tensors: [
        { name: 'x', shape: [1, 5, 5, 1], type: TensorType.FLOAT32 },
        { name: 'w', shape: [1, 3, 3, 1], type: TensorType.FLOAT32, data: toBytes(new Float32Array(9).fill(1)) },
        { name: 'b', shape: [1], type: TensorType.FLOAT32, data: toBytes(Float32Array.from([0.5])) },
        { name: 'y', shape: [1, 1, 1, 1], type: TensorType.FLOAT32 },
      ],
      operators: [
        {
          op: BuiltinOperator.DEPTHWISE_CONV_2D,
          inputs: [0, 1, 2],
          outputs: [3],
          options: { kind: 'DepthwiseConv2D', padding: 'valid', strideH: 1, strideW: 1, depthMultiplier: 1, activation: 0, dilationH: 2, dilationW: 2 },
        },
      ],
      inputs: [0],
      outputs: [3],
      metadata: [{ name: 'note', data: new TextEncoder().encode('hello') }],
    });
    const info = readTfliteInfo(bytes);
    expect(info.buffers).toBe(1 + 2 + 1); // empty sentinel, two constants, one metadata entry
    expect(info.metadata).toEqual([{ name: 'note', buffer: 3, bytes: 5 }]);
    expect(info.tensors.map((t) => t.dataBytes)).toEqual([0, 36, 4, 0]);
    // Constant data is 16-byte aligned as the schema's force_align asks.
    expect(info.tensors[1]!.buffer).toBe(1);
    expect(info.tensors[1]!.dataOffset % 16).toBe(0);
    expect(info.tensors[2]!.dataOffset % 16).toBe(0);
    expect(info.tensors[0]!.dataOffset).toBe(-1);
    const x = Float32Array.from({ length: 25 }, (_, i) => i + 1);
    const m = await loadTfliteModel(bytes, { softmax: 'never' });
    const [y] = await m.predict([x]);
    const expected = [0, 2, 4].flatMap((r) => [0, 2, 4].map((c) => x[r * 5 + c]!)).reduce((a, b) => a + b, 0.5);
    expect(Array.from(y!)).toEqual([expected]);
    m.dispose();
  });

  it('deduplicates operator codes and rejects dangling tensor indices', () => {
    const relu = { op: BuiltinOperator.RELU, inputs: [0], outputs: [1] };
    const bytes = serializeModel({
      description: 'x',
      tensors: [
        { name: 'a', shape: [1, 4], type: TensorType.FLOAT32 },
        { name: 'b', shape: [1, 4], type: TensorType.FLOAT32 },
        { name: 'c', shape: [1, 4], type: TensorType.FLOAT32 },
      ],
      operators: [relu, { ...relu, inputs: [1], outputs: [2] }],
      inputs: [0],
      outputs: [2],
    });
    const info = readTfliteInfo(bytes);
    expect(info.operators.map((o) => [o.op, o.opcodeIndex])).toEqual([
      ['RELU', 0],
      ['RELU', 0],
    ]);
    expect(() =>
      serializeModel({ description: '', tensors: [], operators: [{ op: BuiltinOperator.RELU, inputs: [0], outputs: [1] }], inputs: [], outputs: [] }),
    ).toThrow(/out of range/);
  });
});

describe('readTfliteInfo on damaged files', () => {
  it('reports a truncated model as an InputError naming the file', () => {
    const bytes = serializeModel({
      description: 'x',
      tensors: [
        { name: 'a', shape: [1, 4], type: TensorType.FLOAT32 },
        { name: 'w', shape: [4, 4], type: TensorType.FLOAT32, data: toBytes(new Float32Array(16).fill(0.5)) },
        { name: 'b', shape: [1, 4], type: TensorType.FLOAT32 },
      ],
      operators: [{ op: BuiltinOperator.FULLY_CONNECTED, inputs: [0, 1, -1], outputs: [2], options: { kind: 'FullyConnected', activation: 0 } }],
      inputs: [0],
      outputs: [2],
    });
    expect(readTfliteInfo(bytes).operators[0]?.inputs).toEqual([0, 1, -1]);
    for (const keep of [0.3, 0.6, 0.9]) {
      const cut = bytes.slice(0, Math.floor(bytes.length * keep));
      expect(() => readTfliteInfo(cut, 'models/v001/model.tflite')).toThrow(/models\/v001\/model\.tflite is not a readable \.tflite model/);
    }
  });
});
