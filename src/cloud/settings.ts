import { z } from 'zod';
import type { Config } from '../config/schema.js';
import { InputError } from '../core/errors.js';

/**
 * Cloud tuning knobs, read from `config.train.vertex` (free-form per-step settings) with defaults.
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
  })
  .default({
    pollMs: 30_000,
    operationPollMs: 5_000,
    concurrency: 16,
    resumableThresholdBytes: 5 * 1024 * 1024,
    retries: 6,
    retryBaseMs: 500,
    retryMaxMs: 32_000,
    exportFormat: 'tflite',
  });

export type VertexSettings = z.infer<typeof VertexSettingsSchema>;

export function vertexSettings(config: Config, overrides: Partial<VertexSettings> = {}): VertexSettings {
  const res = VertexSettingsSchema.safeParse((config.train as Record<string, unknown>).vertex ?? undefined);
  if (!res.success) {
    const iss = res.error.issues[0];
    throw new InputError(`Invalid train.vertex settings in edgewise.json: ${iss?.path.join('.') ?? ''} ${iss?.message ?? ''}`.trim(), {
      code: 'config.invalid',
      item: 'edgewise.json train.vertex',
      hint: 'Fix or remove train.vertex (pollMs, operationPollMs, concurrency, resumableThresholdBytes, retries, retryBaseMs, retryMaxMs, exportFormat).',
    });
  }
  return { ...res.data, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
}

export interface VertexEndpoint {
  host: string;
  port?: number;
  protocol: 'https' | 'http';
}

/**
 * `vertex.apiEndpoint` may be a bare host (a private service connect endpoint) or a URL such as
 * http://127.0.0.1:8123 (a local fake). Default: the regional endpoint.
 */
export function vertexEndpoint(config: Pick<Config, 'region' | 'vertex'>): VertexEndpoint {
  const raw = config.vertex.apiEndpoint;
  if (!raw) return { host: `${config.region}-aiplatform.googleapis.com`, protocol: 'https' };
  if (/^https?:\/\//.test(raw)) {
    const u = new URL(raw);
    return { host: u.hostname, protocol: u.protocol === 'http:' ? 'http' : 'https', ...(u.port ? { port: Number(u.port) } : {}) };
  }
  const [host, port] = raw.split(':');
  return { host: host!, protocol: 'https', ...(port ? { port: Number(port) } : {}) };
}

export function storageEndpoint(config: Pick<Config, 'storage'>): string | undefined {
  const raw = config.storage.apiEndpoint;
  if (!raw) return undefined;
  return /^https?:\/\//.test(raw) ? raw.replace(/\/+$/, '') : `https://${raw}`;
}

export const SCHEMAS = {
  datasetMetadata: 'gs://google-cloud-aiplatform/schema/dataset/metadata/image_1.0.0.yaml',
  importSingleLabel: 'gs://google-cloud-aiplatform/schema/dataset/ioformat/image_classification_single_label_io_format_1.0.0.yaml',
  automlImageClassification: 'gs://google-cloud-aiplatform/schema/trainingjob/definition/automl_image_classification_1.0.0.yaml',
} as const;

/** Console pages, for people to open. */
export const consoleUrl = {
  pipeline: (name: string, project: string): string => {
    const m = /locations\/([^/]+)\/trainingPipelines\/([^/]+)/.exec(name);
    return m ? `https://console.cloud.google.com/vertex-ai/locations/${m[1]}/training/${m[2]}/cpu?project=${project}` : `https://console.cloud.google.com/vertex-ai/training/training-pipelines?project=${project}`;
  },
  dataset: (name: string, project: string): string => {
    const m = /locations\/([^/]+)\/datasets\/([^/]+)/.exec(name);
    return m ? `https://console.cloud.google.com/vertex-ai/locations/${m[1]}/datasets/${m[2]}/browse?project=${project}` : `https://console.cloud.google.com/vertex-ai/datasets?project=${project}`;
  },
  model: (name: string, project: string): string => {
    const m = /locations\/([^/]+)\/models\/([^/]+)/.exec(name);
    return m ? `https://console.cloud.google.com/vertex-ai/locations/${m[1]}/models/${m[2]}?project=${project}` : `https://console.cloud.google.com/vertex-ai/models?project=${project}`;
  },
};
