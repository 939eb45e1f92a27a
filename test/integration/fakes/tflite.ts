import { serializeModel, type TensorSpec } from '../../../src/tflite/write-model.js';
import { EDGEWISE_LABELS_METADATA } from '../../../src/tflite/format.js';
import { ActivationFunctionType, BuiltinOperator, TensorType } from '../../../src/tflite/schema/model-subset_generated.js';

/**
 * A small but valid quantized image classifier, shaped like a Vertex AutoML mobile export: uint8 input
 * [1,224,224,3] → mean over the image → fully connected → softmax → uint8 [1,N]. Built with edgewise's own
 * .tflite writer so the export path reads tensors exactly as it would from Vertex.
 */
export function fakeVertexTflite(numLabels: number, size = 224, embeddedLabels?: string[]): Uint8Array {
  const weights = new Uint8Array(numLabels * 3);
  for (let i = 0; i < weights.length; i++) weights[i] = (128 + ((i * 37) % 64) - 32) & 0xff;
  const bias = new Int32Array(numLabels);
  const tensors: TensorSpec[] = [
    { name: 'image', shape: [1, size, size, 3], type: TensorType.UINT8, quantization: { scale: [1 / 255], zeroPoint: [0] } },
    { name: 'axes', shape: [2], type: TensorType.INT32, data: new Uint8Array(Int32Array.from([1, 2]).buffer) },
    { name: 'pooled', shape: [1, 3], type: TensorType.UINT8, quantization: { scale: [1 / 255], zeroPoint: [0] } },
    { name: 'weights', shape: [numLabels, 3], type: TensorType.UINT8, data: weights, quantization: { scale: [1 / 64], zeroPoint: [128] } },
    { name: 'bias', shape: [numLabels], type: TensorType.INT32, data: new Uint8Array(bias.buffer), quantization: { scale: [1 / 255 / 64], zeroPoint: [0] } },
    { name: 'logits', shape: [1, numLabels], type: TensorType.UINT8, quantization: { scale: [1 / 16], zeroPoint: [128] } },
    { name: 'probabilities', shape: [1, numLabels], type: TensorType.UINT8, quantization: { scale: [1 / 256], zeroPoint: [0] } },
  ];
  return serializeModel({
    description: 'fake AutoML mobile export (edgewise test fake)',
    tensors,
    operators: [
      { op: BuiltinOperator.MEAN, inputs: [0, 1], outputs: [2], options: { kind: 'Reducer', keepDims: false } },
      { op: BuiltinOperator.FULLY_CONNECTED, inputs: [2, 3, 4], outputs: [5], options: { kind: 'FullyConnected', activation: ActivationFunctionType.NONE } },
      { op: BuiltinOperator.SOFTMAX, inputs: [5], outputs: [6], options: { kind: 'Softmax', beta: 1 } },
    ],
    inputs: [0],
    outputs: [6],
    // Labels inside the model (edgewise's own metadata entry), for exports that ship no label file.
    ...(embeddedLabels ? { metadata: [{ name: EDGEWISE_LABELS_METADATA, data: new TextEncoder().encode(embeddedLabels.join('\n')) }] } : {}),
  });
}
