import { measureImage, type ImageMeasure, type MeasureLimits } from './image-measure.js';

/** A file that could not be read at all (permissions, vanished): validation reports it as unreadable. */
export interface MeasureFailure {
  error: string;
}

export type MeasureResult = ImageMeasure | MeasureFailure;

/** Files for a measuring thread (see measure-pool.ts): several per message, as each message costs. */
export interface MeasureBatch {
  files: { path: string; size: number }[];
  limits: MeasureLimits;
}

/** Measures one file; never throws. */
export async function measureFile(path: string, size: number, limits: MeasureLimits): Promise<MeasureResult> {
  try {
    return await measureImage(path, size, limits);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Piscina runs the default export on a worker thread. */
export default async function measureBatch(batch: MeasureBatch): Promise<MeasureResult[]> {
  const out: MeasureResult[] = [];
  for (const f of batch.files) out.push(await measureFile(f.path, f.size, batch.limits));
  return out;
}

/** The other task these threads run (piscina's `name: 'samePhotoBatch'`): re-crop comparisons for validate's index phase. */
export { samePhotoBatch } from './thumb-match.js';
