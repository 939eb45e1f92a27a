import type { Config, VertexSettings } from '../config/schema.js';

/** `config.train.vertex` (validated with the config) with a caller's overrides (tests, the fake walkthrough) on top. */
export function vertexSettings(config: Pick<Config, 'train'>, overrides: Partial<VertexSettings> = {}): VertexSettings {
  return { ...config.train.vertex, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
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
