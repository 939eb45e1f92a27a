import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readTfliteInfo } from '../../src/tflite/read-info.js';
import { ActivationFunctionType, BuiltinOperator, TensorType } from '../../src/tflite/schema/model-subset_generated.js';
import { serializeModel, toBytes, type ModelSpec } from '../../src/tflite/write-model.js';

/**
 * The TFLite tables are read and written through TypeScript that flatc generates from edgewise's schema subsets
 * (src/tflite/schema/*.fbs, scripts/gen-tflite-schema.sh). Checked here: the committed code is what the script
 * generates; the writer's bytes are those of the hand-kept field ids it replaced; the reader never reads outside
 * the file's bytes.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const schemaDir = join(root, 'src/tflite/schema');
const haveFlatc = spawnSync('flatc', ['--version']).status === 0;

describe('generated TFLite schema code', () => {
  // CI installs flatc (.ci/run: flatbuffers-compiler). Without it the check fails rather than skips: a
  // generated file edited by hand must not pass unnoticed.
  it('regenerating from the .fbs subsets gives the committed files byte for byte', () => {
    expect(haveFlatc, 'flatc is not installed: apt-get install flatbuffers-compiler (as .ci/run does)').toBe(true);
    const out = mkdtempSync(join(tmpdir(), 'edgewise-fbs-'));
    try {
      execFileSync('bash', [join(root, 'scripts/gen-tflite-schema.sh'), out], { stdio: 'pipe' });
      const made = readdirSync(out).sort();
      expect(made).toEqual(readdirSync(schemaDir).filter((f) => f.endsWith('_generated.ts')).sort());
      for (const f of made) expect(readFileSync(join(out, f), 'utf8'), `${f} differs from what flatc generates`).toBe(readFileSync(join(schemaDir, f), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

/** Every table, options kind and optional field the writer knows, in one (not runnable) model. */
function everyFieldSpec(): ModelSpec {
  const f32 = (name: string, shape: number[], data?: number[]) => ({
    name,
    shape,
    type: TensorType.FLOAT32,
    ...(data ? { data: toBytes(Float32Array.from(data)) } : {}),
  });
  const act = ActivationFunctionType;
  return {
    description: 'every field',
    subgraphName: 'graph',
    tensors: [
      f32('x', [1, 4, 4, 2]),
      f32('w', [2, 1, 1, 2], [1, 2, 3, 4]),
      {
        name: 'wq',
        shape: [2, 1, 1, 2],
        type: TensorType.INT8,
        data: Uint8Array.from([1, 2, 3, 4]),
        quantization: { scale: [0.5, 0.25], zeroPoint: [0, 0], min: [-1, -2], max: [1, 2], quantizedDimension: 0 },
      },
      f32('y', [1, 4, 4, 2]),
      { name: '', shape: [1, 4, 4, 2], type: TensorType.UINT8, quantization: { scale: [1 / 255], zeroPoint: [3] } },
      f32('shape', [2]),
    ],
    operators: [
      { op: BuiltinOperator.CONV_2D, inputs: [0, 1, -1], outputs: [3], options: { kind: 'Conv2D', padding: 'same', strideW: 1, strideH: 2, activation: act.RELU6, dilationW: 2, dilationH: 3 } },
      {
        op: BuiltinOperator.DEPTHWISE_CONV_2D,
        inputs: [3, 2],
        outputs: [4],
        options: { kind: 'DepthwiseConv2D', padding: 'valid', strideW: 2, strideH: 1, depthMultiplier: 2, activation: act.RELU, dilationW: 2 },
      },
      { op: BuiltinOperator.AVERAGE_POOL_2D, inputs: [4], outputs: [3], options: { kind: 'Pool2D', padding: 'same', strideW: 2, strideH: 2, filterW: 3, filterH: 2, activation: act.NONE } },
      { op: BuiltinOperator.FULLY_CONNECTED, inputs: [3, 1], outputs: [3], options: { kind: 'FullyConnected', activation: act.TANH, keepNumDims: true } },
      { op: BuiltinOperator.SOFTMAX, inputs: [3], outputs: [3], options: { kind: 'Softmax', beta: 0.5 } },
      { op: BuiltinOperator.CONCATENATION, inputs: [3, 0], outputs: [3], options: { kind: 'Concatenation', axis: -1, activation: act.RELU_N1_TO_1 } },
      { op: BuiltinOperator.ADD, inputs: [3, 0], outputs: [3], options: { kind: 'Add', activation: act.RELU } },
      { op: BuiltinOperator.MUL, inputs: [3, 0], outputs: [3], options: { kind: 'Mul', activation: act.RELU6 } },
      { op: BuiltinOperator.SUB, inputs: [3, 0], outputs: [3], options: { kind: 'Sub', activation: act.SIGN_BIT } },
      { op: BuiltinOperator.RESHAPE, inputs: [3, 5], outputs: [3], options: { kind: 'Reshape', newShape: [1, -1] } },
      { op: BuiltinOperator.MEAN, inputs: [3, 5], outputs: [3], options: { kind: 'Reducer', keepDims: true }, version: 2 },
      { op: BuiltinOperator.PAD, inputs: [3, 5], outputs: [3], options: { kind: 'Pad' } },
      // A builtin code above 127 (GELU = 150): the deprecated byte field holds 127.
      { op: 150 as BuiltinOperator, inputs: [3], outputs: [3] },
      { op: BuiltinOperator.QUANTIZE, inputs: [3], outputs: [4], version: 3 },
    ],
    inputs: [0],
    outputs: [4],
    metadata: [{ name: 'edgewise_labels', data: new TextEncoder().encode('a\nb\n') }],
  };
}

describe('the writer through the generated builders', () => {
  it('writes the same bytes as the hand-kept field ids did (sha256 taken from the writer at 9f3ae23)', () => {
    const bytes = serializeModel(everyFieldSpec());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('1e24a71cfec62516ffe54b8ab34e3aa41fd2ee38913be12b8457a49e2212f520');
    const info = readTfliteInfo(bytes);
    expect(info.operators.map((o) => o.op)).toEqual(['CONV_2D', 'DEPTHWISE_CONV_2D', 'AVERAGE_POOL_2D', 'FULLY_CONNECTED', 'SOFTMAX', 'CONCATENATION', 'ADD', 'MUL', 'SUB', 'RESHAPE', 'MEAN', 'PAD', 'BUILTIN_150', 'QUANTIZE']);
    expect(info.operators.map((o) => o.optionsType)).toEqual([1, 2, 5, 8, 9, 10, 11, 21, 28, 17, 27, 22, 0, 0]);
    expect(info.tensors[2]!.quantization).toEqual({ scale: [0.5, 0.25], zeroPoint: [0, 0], min: [-1, -2], max: [1, 2], quantizedDimension: 0 });
    expect(info.tensors[4]).toMatchObject({ name: '', type: 'uint8', quantization: { zeroPoint: [3], quantizedDimension: 0 } });
    expect(info).toMatchObject({ version: 3, description: 'every field', subgraphName: 'graph', labels: ['a', 'b'] });
  });
});

describe('the reader never reads outside the file', () => {
  it('refuses the file cut at every length, also when more bytes follow the cut in memory', () => {
    const bytes = serializeModel(everyFieldSpec());
    for (let n = 16; n < bytes.length; n++) {
      // The cut file as a view at the start of a larger buffer whose other bytes are not zero (as Node's pooled
      // Buffers are): a read past the view's end would find them instead of failing.
      const memory = new Uint8Array(bytes.length + 64).fill(0xab);
      memory.set(bytes.subarray(0, n));
      const cut = memory.subarray(0, n);
      expect(() => readTfliteInfo(cut, 'cut.tflite'), `cut at ${n} of ${bytes.length}`).toThrow(/^cut\.tflite is not a readable \.tflite model/);
    }
  });

  it('reads a file whose bytes start at an odd place in memory (typed views need aligned vectors) the same', () => {
    const bytes = serializeModel(everyFieldSpec());
    const odd = new Uint8Array(bytes.length + 3).subarray(3);
    odd.set(bytes);
    expect(JSON.stringify(readTfliteInfo(odd))).toBe(JSON.stringify(readTfliteInfo(bytes)));
  });
});
