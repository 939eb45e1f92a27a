/**
 * .tflite writing, reading and running (API stable). Usage:
 *
 *   // Export (training): a tfjs LayersModel, input [null,H,W,3] float in [0,1], ending in softmax.
 *   import { convertLayersModel } from './index.js';
 *   const bytes = convertLayersModel(model, { labels, info: { backbone: 'nsfwjs-mobilenet_v2', layer: 'block_12_add' } });
 *   await writeFileAtomic(join(modelDir, 'model.tflite'), bytes);
 *
 *   // Inspect any .tflite without running it (shapes, types, quantization, ops, labels).
 *   const info = readTfliteInfo(bytes);          // info.labels, info.operators.map(o => o.op), info.tensors[...]
 *
 *   // Run (evaluation): the local float export or a Vertex uint8 export.
 *   const m = await loadTfliteModel('ml/models/v001/model.tflite');
 *   m.input   // { width, height, channels, dtype: 'float32'|'uint8', scale, zeroPoint, range: [lo, hi], ... }
 *   m.outputs // [{ classes, dtype, scale, zeroPoint, probabilities, softmaxApplied, ... }]
 *   m.labels  // labels stored in the file, if any (else read labels.txt / dict.txt beside it: readLabelsFile)
 *   const probs = await m.runBatches(imagePaths, { signal, onProgress: ({ done, total }) => ... });
 *   m.dispose();
 *
 *   // Inputs: file paths (preprocessed here), Uint8Array raw RGB pixels, or Float32Array values in m.input.range.
 *   // Outputs: Float32Array probabilities per image (uint8 outputs dequantized; softmax applied only when the
 *   // graph does not end in SOFTMAX/LOGISTIC: see m.outputs[0].softmaxApplied; { softmax: 'never' } for raw).
 *   // Same API on 2 worker threads (one LiteRT instance each; needs the compiled dist/, else runs in-thread):
 *   const pm = await loadTflitePool(path, { threads: 2 });
 *
 *   // Fast feature extraction: LiteRT runs a converted MobileNetV2 several times faster than tfjs-wasm here
 *   // (bench/tflite.ts), so a feature model can be exported and run with raw outputs:
 *   const fx = await loadTfliteModel(convertLayersModel(featureModel), { softmax: 'never' });
 *
 *   // Preprocessing shared by training and evaluation (EXIF rotate, stretch-resize to H×W, RGB uint8).
 *   const px = await preprocessImage(path, { width: 224, height: 224 });   // Uint8Array H·W·3
 *   const x = pixelsToFloat(px);                                             // Float32Array p/255
 */
export { convertLayersModel, type ConvertOptions } from './convert-layers.js';
export { readTfliteInfo, splitLabels, type TfliteInfo, type TfliteTensorInfo, type TfliteOperatorInfo, type TfliteQuantization } from './read-info.js';
export {
  loadTfliteModel,
  postprocess,
  softmax,
  type TfliteModel,
  type TfliteInputSpec,
  type TfliteOutputSpec,
  type ImageInput,
  type RunOptions,
  type LoadOptions,
} from './runner.js';
export { preprocessImage, pixelsToFloat, pixelsToInput, PREPROCESSING_ID, type FitMode, type PreprocessOptions } from './preprocess.js';
export { readLabelsFile } from './labels-file.js';
export { loadTflitePool, type PoolLoadOptions } from './runner-pool.js';
export { serializeModel, type ModelSpec, type TensorSpec, type OperatorSpec } from './write-model.js';
