import { z } from 'zod';
import { InputError } from '../../core/errors.js';
import { DEFAULT_BACKBONE } from './backbones.js';

/** `train` section of edgewise.json for the local backend; every field has a measured default. */
export const LocalTrainSettingsSchema = z
  .object({
    backbone: z.string().default(DEFAULT_BACKBONE),
    /** Feature layer(s); default: the backbone's measured choice. */
    layers: z.array(z.string().min(1)).min(1).optional(),
    pooling: z.enum(['mean', 'meanmax', 'grid2']).optional(),
    /** Train on mirrored images' embeddings too (doubles embedding work once; cached after). */
    flipAugment: z.boolean().default(false),
    hidden: z.number().int().min(0).max(4096).default(0),
    epochs: z.number().int().min(1).max(10_000).default(200),
    patience: z.number().int().min(1).default(15),
    batchSize: z.number().int().min(1).default(32),
    learningRate: z.number().positive().default(0.003),
    l2: z.number().min(0).default(1e-3),
    classWeights: z.boolean().default(true),
    seed: z.string().default('edgewise'),
    /** Embedding worker threads (0 = main thread). Default: one per core, at most 2. */
    workers: z.number().int().min(0).max(16).optional(),
    /**
     * Embedding engine; absent = `auto`: LiteRT on the converted feature model (faster), tfjs when that fails.
     * No default value on purpose: both give the same embeddings (≤ 1e-4), so adding this setting must not
     * change existing workspaces' train fingerprints.
     */
    embedRuntime: z.enum(['auto', 'litert', 'tfjs']).optional(),
    /**
     * Precision of the feature model LiteRT embeds with; absent = DEFAULT_EMBED_PRECISION (embed-pool.ts).
     * `int8`: the full-integer feature model (faster; calibrated once on train images). Optional like embedRuntime.
     */
    embedPrecision: z.enum(['float32', 'int8']).optional(),
    /** Quantized variants exported beside the float model; absent = both. Optional for the same reason. */
    quantize: z.array(z.enum(['int8-weights', 'int8'])).optional(),
    /** Train images whose activations calibrate the full-integer variant; absent = 300. */
    calibrationImages: z.number().int().min(1).max(10_000).optional(),
  })
  .passthrough();

export type LocalTrainSettings = z.infer<typeof LocalTrainSettingsSchema>;

export function parseLocalTrainSettings(raw: unknown): LocalTrainSettings {
  const r = LocalTrainSettingsSchema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InputError(`edgewise.json train.${issue.path.join('.')}: ${issue.message}`, {
      code: 'train.bad_setting',
      item: `train.${issue.path.join('.')}`,
      hint: 'Fix or remove that setting in edgewise.json (every train setting has a default).',
    });
  }
  return r.data;
}
