import { z } from 'zod';
import { InputError } from '../core/errors.js';

/**
 * `config.validate` in edgewise.json: every threshold validation uses, with defaults. Quality thresholds
 * are on the 0-255 grey scale of a thumbnail about 128 px on its short side.
 */
export const ValidateSettingsSchema = z
  .object({
    /** Hamming radius on pHash for near duplicates (0-12; the index probes grow fast beyond). */
    nearRadius: z.number().int().min(0).max(12).default(8),
    /** A near pair must also be within this dHash distance (stops simple, flat images matching by chance). */
    nearDhashRadius: z.number().int().min(0).max(64).default(6),
    /**
     * Similar (not duplicate) images within this pHash radius and similarDhashRadius share a split group in
     * the cleaned manifest (bursts of shots); 0 = off. At most 12.
     */
    similarRadius: z.number().int().min(0).max(12).default(0),
    similarDhashRadius: z.number().int().min(0).max(64).default(12),
    /**
     * Also call a pair within pHash 12 a duplicate when its thumbnails line up as a crop, resize, re-encode or
     * small turn of one another (re-crops the hashes miss; thumb-match.ts, docs/notes/hashing.md). false
     * leaves the hashes alone to decide.
     */
    confirmRecrops: z.boolean().default(true),
    /** Vertex trains on files up to 30 MB. */
    maxFileBytes: z.number().int().positive().default(30 * 1024 * 1024),
    /** A manifest larger than this is not read (protects memory: a path to /dev/zero or a huge log). */
    maxManifestBytes: z.number().int().positive().default(256 * 1024 * 1024),
    /** Files above this are not even read (protects memory). */
    maxReadBytes: z.number().int().positive().default(200 * 1024 * 1024),
    /**
     * Decompression-bomb guard: images with more pixels are refused before decoding. At most sharp's own
     * limit (0x3FFF², which training's decoder keeps): validate must not keep what training cannot read.
     */
    maxPixels: z.number().int().positive().max(268_402_689).default(100_000_000),
    /** Shorter side below this is an error (too small to learn from). */
    minSide: z.number().int().positive().default(32),
    /** Longer / shorter side above this is a warning. */
    maxAspectRatio: z.number().positive().default(6),
    /** Mean grey below this: too dark. */
    darkMean: z.number().min(0).max(255).default(30),
    /** Mean grey above this: too bright. */
    brightMean: z.number().min(0).max(255).default(230),
    /** Histogram entropy (bits, 0-8) below this: low information (blank, flat, nearly uniform). */
    minEntropy: z.number().min(0).max(8).default(2.5),
    /** Variance of the Laplacian below this: blurry. */
    blurVariance: z.number().min(0).default(12),
    /** Fewer images than this in a label: warning (below 10 is an error for Vertex). */
    smallClass: z.number().int().min(0).default(50),
    /** Largest class / smallest class above this: warning. */
    maxImbalance: z.number().positive().default(10),
    /** Accepted label mapping (original label -> label used from now on). */
    labelMapping: z.record(z.string(), z.string()).default({}),
    /** Apply the suggested mapping for labels Vertex would reject. */
    acceptLabelMapping: z.boolean().default(false),
    /** Keep/drop decisions per image path that override the keep rule (the wizard's review writes the same). */
    overrides: z.record(z.string(), z.enum(['keep', 'drop'])).default({}),
    /** Measurements in flight (default: 2 batches per worker thread; on one thread, the larger of 4 and the CPU count). */
    concurrency: z.number().int().positive().optional(),
  })
  .strict();

export type ValidateSettings = z.infer<typeof ValidateSettingsSchema>;

export function readValidateSettings(raw: unknown): ValidateSettings {
  const r = ValidateSettingsSchema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new InputError(`edgewise.json validate.${issue.path.join('.')}: ${issue.message}`, {
      item: 'edgewise.json',
      code: 'config.validate',
      hint: `Fix or remove validate.${issue.path.join('.')} in edgewise.json.`,
    });
  }
  return r.data;
}
