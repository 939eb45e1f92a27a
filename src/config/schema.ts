import { z } from 'zod';
import { MOBILE_BUDGET, MOBILE_MODEL_TYPES, NODE_HOUR_PRICE_DEFAULT, VERTEX_REGIONS, bucketNameProblem, projectIdProblem } from './rules.js';

const ratio = z.number().min(0).max(1);

/** Workspace-relative paths; defaults follow the seed's layout. */
export const PathsSchema = z.object({
  manifest: z.string().min(1).default('ml/dataset/manifest.csv'),
  images: z.string().min(1).default('ml/dataset/images'),
  dataset: z.string().min(1).default('ml/dataset'),
  models: z.string().min(1).default('ml/models'),
  metrics: z.string().min(1).default('ml/metrics'),
  publicModels: z.string().min(1).default('public/models'),
  registry: z.string().min(1).default('ml/registry.db'),
});


// Each step's section: one block per section, validated with the rest when the config loads (a typo in any
// section is reported then, naming the key and the file); each stage reads its typed section from ctx.config.

// ── validate ──
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

// ── split ──
/** `config.split`: the ratios and seed (flags and the screen override them: split/split-settings.ts). */
export const SplitSettingsSchema = z
  .object({
    train: ratio.default(0.8),
    validation: ratio.default(0.1),
    test: ratio.default(0.1),
    seed: z.string().default('edgewise'),
  })
  .strict()
  .refine((s) => Math.abs(s.train + s.validation + s.test - 1) < 1e-6, 'train + validation + test must add up to 1');

// ── train (local backend) and train.vertex ──
/**
 * `config.train.vertex`: cloud tuning knobs, with defaults.
 * Tests and the fake walkthrough shorten the poll intervals to milliseconds.
 */
export const VertexSettingsSchema = z
  .object({
    /** How often a training pipeline is polled. */
    pollMs: z.number().int().min(1).default(30_000),
    /** How often a long-running operation (dataset, import, export) is polled. */
    operationPollMs: z.number().int().min(1).default(5_000),
    /** Parallel uploads/downloads. */
    concurrency: z.number().int().min(1).max(256).default(16),
    /** Files at least this big use a resumable upload (GCS's own default is 5 MB). */
    resumableThresholdBytes: z.number().int().min(0).default(5 * 1024 * 1024),
    /** Retries per request on 408/429/5xx/reset, with exponential backoff and full jitter. */
    retries: z.number().int().min(0).max(20).default(6),
    retryBaseMs: z.number().int().min(1).default(500),
    retryMaxMs: z.number().int().min(1).default(32_000),
    /** Export format id (tflite; edgetpu-tflite for Coral). */
    exportFormat: z.enum(['tflite', 'edgetpu-tflite']).default('tflite'),
  });
export type VertexSettings = z.infer<typeof VertexSettingsSchema>;

/**
 * `config.train`: the local backend's settings (every field has a measured default; the backbone's is
 * DEFAULT_BACKBONE, filled in by train/local so loading the config never loads a backbone), and `vertex`.
 */
export const TrainSettingsSchema = z
  .object({
    backbone: z.string().min(1).optional(),
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
    /** Embedding worker threads for LiteRT and tfjs (0 = main thread; onnxruntime always runs on the main thread). Default: one per core, at most 2. */
    workers: z.number().int().min(0).max(16).optional(),
    /**
     * Embedding engine; absent = `auto`: onnxruntime-node (optional dependency) on the feature model written as
     * ONNX, else LiteRT on the converted feature model, else tfjs (resolveFeatureEngine, embed-pool.ts).
     * No default value on purpose: all give the same embeddings (≤ 1e-4), so adding this setting must not
     * change existing workspaces' train fingerprints.
     */
    embedRuntime: z.enum(['auto', 'onnx', 'litert', 'tfjs']).optional(),
    /**
     * Precision of the feature model that embeds; absent = `auto` (DEFAULT_EMBED_PRECISION, embed-pool.ts): the
     * int8 feature model on onnxruntime (calibrated once on train images), float32 on the other engines.
     * `int8` asks for it on LiteRT too; `float32` never. Optional like embedRuntime.
     */
    embedPrecision: z.enum(['auto', 'float32', 'int8']).optional(),
    /** Quantized variants exported beside the float model; absent = both. Optional for the same reason. */
    quantize: z.array(z.enum(['int8-weights', 'int8'])).optional(),
    /** Train images whose activations calibrate the full-integer variant; absent = 300. */
    calibrationImages: z.number().int().min(1).max(10_000).optional(),
    vertex: VertexSettingsSchema.prefault({}),
  })
  .strict();
export type TrainSettings = z.infer<typeof TrainSettingsSchema>;

// ── tune ──
/** `config.tune` in edgewise.json: defaults for the command, the screen and the demo. */
export const TuneSettingsSchema = z
  .object({
    targetAccuracy: z.number().gt(0).max(1).default(0.95),
    maxFalseAccept: z.number().min(0).max(1).optional(),
    /** Folder of photos of none of the classes (workspace-relative). */
    negatives: z.string().min(1).optional(),
    /** Split the thresholds are chosen on; `auto`: validation when it has enough images, else test. */
    split: z.enum(['auto', 'validation', 'test']).default('auto'),
  })
  .strict();
export type TuneSettings = z.infer<typeof TuneSettingsSchema>;

// ── the whole file ──
export const ConfigSchema = z
  .object({
    /** Google Cloud project id. */
    project: z
      .string()
      .superRefine((v, ctx) => {
        const p = projectIdProblem(v);
        if (p) ctx.addIssue({ code: 'custom', message: p });
      })
      .optional(),
    region: z
      .string()
      .refine((r) => (VERTEX_REGIONS as readonly string[]).includes(r), {
        message: `must be a Vertex AI region that offers AutoML image training, e.g. us-central1, europe-west4, asia-northeast1`,
      })
      .default('us-central1'),
    bucket: z
      .string()
      .superRefine((v, ctx) => {
        const p = bucketNameProblem(v);
        if (p) ctx.addIssue({ code: 'custom', message: p });
      })
      .optional(),
    /** Object prefix inside the bucket: images go to gs://BUCKET/PREFIX/images/. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9._\-/]*$/, 'only letters, digits, ".", "_", "-" and "/" are allowed')
      .refine((p) => !p.startsWith('/') && !p.endsWith('/'), 'must not start or end with "/"')
      .default('edgewise'),
    datasetDisplayName: z.string().min(1).max(128, 'must be at most 128 characters').default('edgewise-dataset'),
    modelType: z.enum(MOBILE_MODEL_TYPES).default('MOBILE_TF_VERSATILE_1'),
    /** Training budget in milli node hours (1,000 = 1 node hour). */
    budgetMilliNodeHours: z
      .number()
      .int('must be a whole number of milli node hours')
      .min(MOBILE_BUDGET.min, `must be at least ${MOBILE_BUDGET.min} (1 node hour) for mobile model types`)
      .max(MOBILE_BUDGET.max, `must be at most ${MOBILE_BUDGET.max} (100 node hours) for mobile model types`)
      .default(MOBILE_BUDGET.default),
    disableEarlyStopping: z.boolean().default(false),
    /** Price of a training node hour shown before a Vertex training starts (a figure with its date and source). */
    nodeHourPrice: z
      .object({
        usd: z.number().positive('must be a price above 0 (US dollars per node hour)'),
        /** When the figure was read (YYYY-MM-DD). */
        asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 2026-12-06').optional(),
        source: z.string().optional(),
      })
      .strict()
      .default({ ...NODE_HOUR_PRICE_DEFAULT }),
    backend: z.enum(['local', 'vertex']).default('local'),
    paths: PathsSchema.default(PathsSchema.parse({})),
    split: SplitSettingsSchema.default({ train: 0.8, validation: 0.1, test: 0.1, seed: 'edgewise' }),
    vertex: z.object({ apiEndpoint: z.string().optional() }).default({}),
    storage: z.object({ apiEndpoint: z.string().optional() }).default({}),
    /** Registry location: a SQLite path (default paths.registry) or a postgres:// URL. */
    registry: z.string().optional(),
    /** A PostgreSQL registry that does not answer a query (or a lock) within this many seconds is an error. */
    registryTimeoutSeconds: z.number().positive().default(30),
    validate: ValidateSettingsSchema.prefault({}),
    train: TrainSettingsSchema.prefault({}),
    tune: TuneSettingsSchema.prefault({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
export type WorkspacePaths = z.infer<typeof PathsSchema>;

/** Keys that must never be written to edgewise.json (it is committed). */
export const SECRET_KEY_PATTERN = /(secret|password|token|private_?key|credential|api_?key)/i;
