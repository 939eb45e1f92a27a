import { describe, expect, it } from 'vitest';
import { loadTf } from '../../src/train/local/tf-runtime.js';
import { loadTfliteModel } from '../../src/tflite/runner.js';
import { BuiltinOperator, TensorType } from '../../src/tflite/schema/model-subset_generated.js';
import { serializeModel } from '../../src/tflite/write-model.js';

describe('LiteRT loaded before the tfjs wasm backend', () => {
  it('leaves no browser shims behind, so tfjs wasm still initialises in Node', async () => {
    const bytes = serializeModel({
      description: 'relu',
      tensors: [
        { name: 'x', shape: [1, 1, 1, 3], type: TensorType.FLOAT32 },
        { name: 'y', shape: [1, 1, 1, 3], type: TensorType.FLOAT32 },
      ],
      operators: [{ op: BuiltinOperator.RELU, inputs: [0], outputs: [1] }],
      inputs: [0],
      outputs: [1],
    });
    const m = await loadTfliteModel(bytes, { softmax: 'never' });
    const g = globalThis as Record<string, unknown>;
    expect(typeof g.importScripts).toBe('undefined');
    expect(g.ModuleFactory).toBeUndefined();
    process.env.EDGEWISE_TF_BACKEND = 'wasm';
    const { tf, backend } = await loadTf();
    expect(backend).toBe('wasm');
    expect(Array.from(tf.relu(tf.tensor1d([-1, 2])).dataSync())).toEqual([0, 2]);
    const [y] = await m.predict([Float32Array.from([-1, 0.5, 3])]);
    expect(Array.from(y!)).toEqual([0, 0.5, 3]);
    m.dispose();
  });
});
