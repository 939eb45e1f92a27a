import type { ImageClassifier } from './classifier.js';

/**
 * Adapter from the .tflite runner (src/tflite: LiteRT, the shared preprocessing, dequantization) to
 * ImageClassifier. Loaded lazily: it pulls in the WASM runtime.
 */
export async function loadTfliteClassifier(tflitePath: string): Promise<ImageClassifier> {
  const { loadTfliteModel } = await import('../tflite/index.js');
  const model = await loadTfliteModel(tflitePath);
  const out = model.outputs[0]!;
  return {
    numClasses: out.classes,
    // Large enough for the runner's prefetching to keep sharp busy; small enough for prompt cancellation.
    batchSize: 32,
    ...(model.labels ? { labels: model.labels } : {}),
    classify: (paths, signal) => model.runBatches([...paths], { signal }),
    msPerImage: () => {
      const s = model.stats();
      return s.runs > 0 ? s.ms / s.runs : undefined;
    },
    close: () => model.dispose(),
  };
}
