/**
 * What evaluation needs from a model: probabilities for image files. The default implementation runs the
 * `.tflite` through src/tflite (tflite-classifier.ts); tests pass a fake. Keeping this small means evaluation
 * never depends on how the runner preprocesses or batches.
 */
export interface ImageClassifier {
  /** Width of each probability row (the model's output size). */
  readonly numClasses: number;
  /** Images per `classify` call that the runner handles well. */
  readonly batchSize?: number;
  /** Labels stored inside the model file, when it has them (checked against labels.txt). */
  readonly labels?: readonly string[];
  /** Probabilities (dequantized, before any temperature) for each file, in order. */
  classify(paths: readonly string[], signal: AbortSignal): Promise<ArrayLike<number>[]>;
  /** Milliseconds per image the runtime spent in inference so far (decoding excluded), when it measures it. */
  msPerImage?(): number | undefined;
  close?(): void | Promise<void>;
}

/** Opens the model at `tflitePath` (the folder holds labels.txt and model_info.json beside it). */
export type ClassifierLoader = (tflitePath: string) => Promise<ImageClassifier>;
