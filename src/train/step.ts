import { join } from 'node:path';
import { sha256File, hashValue } from '../core/hash.js';
import type { Step } from '../core/step.js';
import { readSplitsCsv } from '../split/split-io.js';
import { fileStamps } from './local/embed-dataset.js';
import { settingsOf, trainLocal, type LocalTrainOutput } from './local/train-local.js';

/** The train step reads the splits from the workspace (splits.csv); nothing else is passed in. */
export type TrainInput = Record<string, never>;
export type TrainOutput = LocalTrainOutput;

/**
 * `train` (local backend): embeddings through the cache, head training with a live loss/accuracy readout,
 * export to ml/models/vNNN/. Skipped when splits.csv, the images and the train settings are unchanged.
 */
export const trainStep: Step<TrainInput, TrainOutput> = {
  name: 'train',
  title: 'Train (local)',
  async fingerprint(_input, ctx) {
    const rows = await readSplitsCsv(ctx.workspace.splitsCsv).catch(() => undefined);
    if (!rows) return undefined;
    return hashValue({
      splits: await sha256File(ctx.workspace.splitsCsv),
      images: await fileStamps(rows.map((r) => join(ctx.workspace.imagesDir, r.image))),
      settings: settingsOf(ctx),
    });
  },
  // The journal and the embedding cache (.edgewise), the new model folder.
  writes: (_input, ctx) => [ctx.workspace.stateDir, ctx.workspace.modelsDir],
  run(_input, ctx) {
    return trainLocal(ctx);
  },
  artifacts(output) {
    return [output.tflite, output.labelsFile, output.infoFile];
  },
};
