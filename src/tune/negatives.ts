import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError, throwIfCancelled } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import { ProgressTracker } from '../core/progress.js';
import type { ImageClassifier } from '../evaluate/classifier.js';

/** The model as evaluation sees it (src/evaluate): probabilities for batches of image files. */
export type { ImageClassifier };

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif']);

/** Image files in a negatives folder (recursively), sorted so runs are repeatable. */
export function listNegativeImages(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(`The negatives folder ${dir} does not exist or is not a folder.`, {
      item: dir,
      hint: 'Pass --negatives a folder of photos that show none of the classes.',
    });
  }
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (IMAGE_EXT.has(extname(e.name).toLowerCase())) out.push(p);
    }
  };
  walk(dir);
  out.sort();
  if (out.length === 0) {
    throw new InputError(`The negatives folder ${dir} holds no images.`, { item: dir, hint: `Add .jpg/.png photos of things that are none of the classes.` });
  }
  return out;
}

/** Names, sizes and modification times of the negative images: cheap input for a fingerprint. */
export function negativesListing(dir: string): Array<[string, number, number]> | undefined {
  if (!existsSync(dir)) return undefined;
  return listNegativeImages(dir).map((f) => {
    const st = statSync(f);
    return [f, st.size, st.mtimeMs];
  });
}

/** Runs every negative image through the model in batches; yields progress, returns one row per image. */
export async function* classifyNegatives(
  files: readonly string[],
  classifier: ImageClassifier,
  labelsCount: number,
  signal: AbortSignal,
): AsyncGenerator<StepEvent, number[][]> {
  if (classifier.numClasses !== labelsCount) {
    throw new InputError(`The model has ${classifier.numClasses} outputs but the predictions have ${labelsCount} labels.`, {
      item: files[0] ?? '',
      hint: 'Tune with the same model version that `edgewise eval` scored (--model vNNN).',
    });
  }
  const tracker = new ProgressTracker('negatives', files.length, 'images');
  const batch = Math.max(1, classifier.batchSize ?? 16);
  const rows: number[][] = [];
  yield tracker.event(0);
  for (let i = 0; i < files.length; i += batch) {
    throwIfCancelled(signal);
    const chunk = files.slice(i, i + batch);
    let probs: ArrayLike<number>[];
    try {
      probs = await classifier.classify(chunk, signal);
    } catch (e) {
      if (signal.aborted) throw e;
      throw new InputError(`Could not score the negative images ${chunk[0]}…: ${e instanceof Error ? e.message : String(e)}.`, {
        item: chunk[0] ?? '',
        hint: 'Remove or replace unreadable files, or convert them to JPEG/PNG.',
        cause: e,
      });
    }
    for (const p of probs) rows.push(Array.from(p));
    const ev = tracker.update(rows.length);
    if (ev) yield ev;
  }
  return rows;
}

/** The .tflite model through evaluation's adapter, loaded lazily (it pulls in the WASM runtime). */
export async function loadModelClassifier(modelPath: string): Promise<ImageClassifier> {
  if (!existsSync(modelPath)) {
    throw new InputError(`The model ${modelPath} does not exist, so the negatives cannot be scored.`, {
      item: modelPath,
      hint: 'Run `edgewise export` (or train with the local backend) for this version first.',
    });
  }
  const { loadTfliteClassifier } = await import('../evaluate/tflite-classifier.js');
  return loadTfliteClassifier(modelPath);
}
