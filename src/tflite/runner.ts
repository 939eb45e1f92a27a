import { readFile } from 'node:fs/promises';
import { CancelledError, EdgewiseError, InputError, throwIfCancelled } from '../core/errors.js';
import { liteRtLog, loadLiteRtNode } from './litert-node.js';
import { pixelsToInput, preprocessImage, type FitMode } from './preprocess.js';
import { readTfliteInfo, type TfliteInfo, type TfliteTensorInfo } from './read-info.js';

/**
 * The .tflite runner: any single-input image classifier (edgewise's float32 export, Vertex's uint8 exports)
 * through LiteRT.js (wasm, XNNPack CPU kernels) in Node.
 *
 * Input contract (`predict`, `runBatches`):
 * - `Uint8Array` of H·W·C raw RGB pixels (0..255), e.g. from `preprocessImage`: converted to what the model
 *   wants (uint8 models get the pixels as they are; float models get lo + (hi−lo)·p/255 for their range).
 * - `Float32Array` of H·W·C real values in the model's input range (what a float model consumes directly;
 *   a uint8 model gets them quantized with the input's scale/zero point).
 * - `string`: an image file path, preprocessed with `preprocessImage` (EXIF-rotated, resized with `fit`).
 *
 * Output: per image, a Float32Array of class probabilities. Quantized outputs are dequantized
 * ((q − zeroPoint)·scale). Softmax is applied only when the graph does not already end in a probability op:
 * walking back from the output through DEQUANTIZE/QUANTIZE/RESHAPE/SQUEEZE, a SOFTMAX or LOGISTIC producer
 * means "already probabilities" (`outputs[0].probabilities`); otherwise the runner applies softmax and
 * reports `softmaxApplied: true`. Override with `loadTfliteModel(src, { softmax: 'always' | 'never' })`.
 */

export type TfliteDType = 'float32' | 'uint8';

export interface TfliteInputSpec {
  name: string;
  /** [1, height, width, channels] */
  shape: number[];
  width: number;
  height: number;
  channels: number;
  dtype: TfliteDType;
  /** Quantization of a uint8 input (real = (q − zeroPoint)·scale); 1 and 0 for float inputs. */
  scale: number;
  zeroPoint: number;
  /** Real value range the model expects: from edgewise metadata, TFLite Support normalisation, the
   *  quantization (uint8), or [0, 1] by default for float inputs. */
  range: [number, number];
  rangeSource: 'edgewise-metadata' | 'support-metadata' | 'quantization' | 'default' | 'option';
}

export interface TfliteOutputSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'uint8' | 'int32';
  scale: number;
  zeroPoint: number;
  /** Number of classes (last dimension). */
  classes: number;
  /** True when the graph itself ends in SOFTMAX/LOGISTIC. */
  probabilities: boolean;
  /** True when the runner applies softmax to this output. */
  softmaxApplied: boolean;
}

export type TfliteInputData = Uint8Array | Float32Array;
export type ImageInput = TfliteInputData | string;

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number }) => void;
  /** Images preprocessed ahead of inference (sharp works on its own threads meanwhile). Default 8. */
  prefetch?: number;
}

export interface TfliteModel {
  readonly info: TfliteInfo;
  readonly input: TfliteInputSpec;
  readonly outputs: TfliteOutputSpec[];
  /** Labels found inside the model file, if any (see readTfliteInfo). */
  readonly labels: string[] | undefined;
  /** How image files are fitted to the input size; default 'fill'. */
  readonly fit: FitMode;
  /** Probabilities for each input, in order (runs one image at a time: the graph has batch size 1). */
  predict(batch: ImageInput[]): Promise<Float32Array[]>;
  /** Like predict, over many images, with progress, cancellation (CancelledError) and prefetching of files. */
  runBatches(images: ImageInput[], opts?: RunOptions): Promise<Float32Array[]>;
  /** Turns a raw RGB pixel array into this model's input tensor data. */
  toInput(pixels: Uint8Array): TfliteInputData;
  /** Any accepted input (path, pixels, values) → checked input tensor data. */
  prepare(x: ImageInput): Promise<TfliteInputData>;
  /** Runs one prepared input (from `prepare`) → probabilities. */
  runPrepared(data: TfliteInputData): Promise<Float32Array>;
  /** Inferences run so far and the time LiteRT spent in them (excludes decoding and resizing). */
  stats(): { runs: number; ms: number };
  dispose(): void;
}

export interface LoadOptions {
  softmax?: 'auto' | 'always' | 'never';
  fit?: FitMode;
  /** Name used in error messages (defaults to the path). */
  item?: string;
  /** Overrides the input value range read from the model (for float models without metadata). */
  inputRange?: [number, number];
}

export async function loadTfliteModel(src: string | Uint8Array, opts: LoadOptions = {}): Promise<TfliteModel> {
  const item = opts.item ?? (typeof src === 'string' ? src : 'model.tflite');
  let bytes: Uint8Array;
  if (typeof src === 'string') {
    try {
      bytes = new Uint8Array(await readFile(src));
    } catch (e) {
      throw new InputError(`Cannot read the model ${src}: ${(e as Error).message}`, { item: src, hint: 'Check the path to the .tflite file.' });
    }
  } else bytes = src;
  const info = readTfliteInfo(bytes, item);
  const input = inputSpec(info, item);
  if (opts.inputRange) Object.assign(input, { range: opts.inputRange, rangeSource: 'option' });
  const outputs = info.outputs.map((i) => outputSpec(info, info.tensors[i]!, opts.softmax ?? 'auto', item));
  if (outputs.length === 0) throw new InputError(`${item} has no output tensor.`, { item });

  const lrt = await loadLiteRtNode();
  let compiled: Awaited<ReturnType<LiteRtModuleLike['loadAndCompile']>>;
  try {
    // LiteRT copies the model into its wasm heap; CPU (XNNPack) kernels, no WebGPU in Node.
    compiled = await lrt.loadAndCompile(bytes, { accelerator: 'wasm' });
  } catch (e) {
    throw new EdgewiseError(`LiteRT could not load ${item}: ${e instanceof Error ? e.message : String(e)}`, {
      item,
      code: 'tflite.compile',
      cause: e,
      hint: `The model may use an operator LiteRT.js lacks. Runtime log: ${liteRtLog().slice(-3).join(' | ')}`,
    });
  }
  const fit = opts.fit ?? 'fill';
  const expected = input.width * input.height * input.channels;

  const toInput = (pixels: Uint8Array): TfliteInputData => pixelsToInput(pixels, input);
  const prepare = async (x: ImageInput): Promise<TfliteInputData> => {
    if (typeof x === 'string') {
      const img = await preprocessImage(x, { width: input.width, height: input.height, fit });
      return toInput(img);
    }
    if (x.length !== expected) {
      throw new InputError(`Input has ${x.length} values; ${item} expects ${input.height}×${input.width}×${input.channels} = ${expected}.`, { item });
    }
    if (x instanceof Uint8Array) return toInput(x);
    return input.dtype === 'float32' ? x : quantize(x, input.scale, input.zeroPoint);
  };

  let disposed = false;
  let runs = 0;
  let runMs = 0;
  // One interpreter runs one image at a time: concurrent callers queue here.
  let lock: Promise<unknown> = Promise.resolve();
  const runOne = (data: TfliteInputData): Promise<Float32Array> => {
    const p = lock.then(() => runNow(data));
    lock = p.catch(() => undefined);
    return p;
  };
  const runNow = async (data: TfliteInputData): Promise<Float32Array> => {
    if (disposed) throw new Error('TfliteModel used after dispose()');
    const tensor = new lrt.Tensor(data as Uint8Array<ArrayBuffer> | Float32Array<ArrayBuffer>, input.shape);
    let results: InstanceType<LiteRtModuleLike['Tensor']>[] = [];
    try {
      const t0 = performance.now();
      results = await compiled.run([tensor]);
      runMs += performance.now() - t0;
      runs++;
      const out = results[0];
      if (!out) throw new Error('LiteRT returned no output');
      return postprocess(out.toTypedArray(), outputs[0]!);
    } finally {
      tensor.delete();
      for (const r of results) r.delete();
    }
  };

  const runBatches = async (images: ImageInput[], ro: RunOptions = {}): Promise<Float32Array[]> => {
    const total = images.length;
    const ahead = Math.max(1, ro.prefetch ?? 8);
    const queue: Promise<TfliteInputData>[] = [];
    let next = 0;
    const fill = () => {
      while (queue.length < ahead && next < total) {
        const p = prepare(images[next++]!);
        p.catch(() => undefined); // surfaced when awaited below
        queue.push(p);
      }
    };
    const results: Float32Array[] = [];
    ro.onProgress?.({ done: 0, total });
    for (let i = 0; i < total; i++) {
      throwIfCancelled(ro.signal);
      fill();
      const data = await queue.shift()!;
      throwIfCancelled(ro.signal);
      results.push(await runOne(data));
      ro.onProgress?.({ done: i + 1, total });
    }
    return results;
  };

  return {
    info,
    input,
    outputs,
    labels: info.labels,
    fit,
    toInput,
    prepare,
    runPrepared: runOne,
    predict: (batch) => runBatches(batch),
    runBatches,
    stats: () => ({ runs, ms: runMs }),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      compiled.delete();
    },
  };
}

type LiteRtModuleLike = Awaited<ReturnType<typeof loadLiteRtNode>>;

function inputSpec(info: TfliteInfo, item: string): TfliteInputSpec {
  if (info.inputs.length !== 1) throw new InputError(`${item} has ${info.inputs.length} inputs; an image classifier has one.`, { item });
  const t = info.tensors[info.inputs[0]!]!;
  if (t.shape.length !== 4 || t.shape[0] !== 1) {
    throw new InputError(`${item}'s input shape [${t.shape.join(',')}] is not [1,height,width,channels].`, { item });
  }
  const [, height, width, channels] = t.shape as [number, number, number, number];
  if (t.type !== 'float32' && t.type !== 'uint8') {
    throw new InputError(`${item}'s input type ${t.type} is not supported (float32 or uint8).`, {
      item,
      hint: 'Export a float32 or uint8-quantized model; LiteRT.js takes float32, int32 and uint8 tensors.',
    });
  }
  const q = t.quantization;
  const scale = t.type === 'uint8' ? (q?.scale[0] ?? 1) : 1;
  const zeroPoint = t.type === 'uint8' ? (q?.zeroPoint[0] ?? 0) : 0;
  let range: [number, number] = [0, 1];
  let rangeSource: TfliteInputSpec['rangeSource'] = 'default';
  const ew = info.edgewiseInfo?.input as { range?: unknown } | undefined;
  const sm = info.supportMetadata?.input;
  if (Array.isArray(ew?.range) && ew.range.length === 2) {
    range = [Number(ew.range[0]), Number(ew.range[1])];
    rangeSource = 'edgewise-metadata';
  } else if (t.type === 'uint8') {
    range = [(0 - zeroPoint) * scale, (255 - zeroPoint) * scale];
    rangeSource = 'quantization';
  } else if (sm?.mean?.length && sm.std?.length) {
    // Support metadata normalisation: x = (pixel − mean)/std over pixels 0..255.
    const mean = sm.mean[0]!;
    const std = sm.std[0]!;
    range = [(0 - mean) / std, (255 - mean) / std];
    rangeSource = 'support-metadata';
  }
  return { name: t.name, shape: t.shape, width, height, channels, dtype: t.type, scale, zeroPoint, range, rangeSource };
}

const PASS_THROUGH = new Set(['DEQUANTIZE', 'QUANTIZE', 'RESHAPE', 'SQUEEZE']);

function outputSpec(info: TfliteInfo, t: TfliteTensorInfo, softmax: 'auto' | 'always' | 'never', item: string): TfliteOutputSpec {
  // LiteRT.js exchanges float32, int32 and uint8 tensors only (int8 full-integer models cannot be run here).
  if (!['float32', 'uint8', 'int32'].includes(t.type)) {
    throw new InputError(`${item}'s output type ${t.type} is not supported (float32, uint8 or int32).`, {
      item,
      hint: 'Export a float32 or uint8-quantized model (Vertex: the default tflite export is uint8).',
    });
  }
  let probabilities = false;
  let tensor = t.index;
  for (let hops = 0; hops < 8; hops++) {
    const producer = info.operators.find((o) => o.outputs.includes(tensor));
    if (!producer) break;
    if (producer.op === 'SOFTMAX' || producer.op === 'LOGISTIC') {
      probabilities = true;
      break;
    }
    if (!PASS_THROUGH.has(producer.op) || producer.inputs[0] === undefined) break;
    tensor = producer.inputs[0];
  }
  const quantized = t.type !== 'float32' && t.quantization !== undefined;
  return {
    name: t.name,
    shape: t.shape,
    dtype: t.type as TfliteOutputSpec['dtype'],
    scale: quantized ? (t.quantization?.scale[0] ?? 1) : 1,
    zeroPoint: quantized ? (t.quantization?.zeroPoint[0] ?? 0) : 0,
    classes: t.shape[t.shape.length - 1] ?? 0,
    probabilities,
    softmaxApplied: softmax === 'always' || (softmax === 'auto' && !probabilities),
  };
}

/** Dequantizes ((q − zeroPoint)·scale) and applies softmax when the spec says so. */
export function postprocess(raw: ArrayLike<number>, spec: TfliteOutputSpec): Float32Array {
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = (raw[i]! - spec.zeroPoint) * spec.scale;
  return spec.softmaxApplied ? softmax(out) : out;
}

export function softmax(x: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  let sum = 0;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) sum += out[i] = Math.exp(x[i]! - max);
  for (let i = 0; i < x.length; i++) out[i] = out[i]! / sum;
  return out;
}

function quantize(x: Float32Array, scale: number, zeroPoint: number): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(x[i]! / scale + zeroPoint)));
  return out;
}

export { CancelledError };
