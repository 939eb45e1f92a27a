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
    split: z
      .object({
        train: ratio.default(0.8),
        validation: ratio.default(0.1),
        test: ratio.default(0.1),
        seed: z.string().default('edgewise'),
      })
      .refine((s) => Math.abs(s.train + s.validation + s.test - 1) < 1e-6, 'train + validation + test must add up to 1')
      .default({ train: 0.8, validation: 0.1, test: 0.1, seed: 'edgewise' }),
    vertex: z.object({ apiEndpoint: z.string().optional() }).default({}),
    storage: z.object({ apiEndpoint: z.string().optional() }).default({}),
    /** Registry location: a SQLite path (default paths.registry) or a postgres:// URL. */
    registry: z.string().optional(),
    /** A PostgreSQL registry that does not answer a query (or a lock) within this many seconds is an error. */
    registryTimeoutSeconds: z.number().positive().default(30),
    /** Free-form per-step settings owned by each step (validation thresholds, training options...). */
    validate: z.record(z.string(), z.unknown()).default({}),
    train: z.record(z.string(), z.unknown()).default({}),
    tune: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
export type WorkspacePaths = z.infer<typeof PathsSchema>;

/** Keys that must never be written to edgewise.json (it is committed). */
export const SECRET_KEY_PATTERN = /(secret|password|token|private_?key|credential|api_?key)/i;
