import type { v1 } from '@google-cloud/aiplatform';
import type { Storage } from '@google-cloud/storage';
import type { Config, VertexSettings } from '../config/schema.js';
import { EdgewiseError, InputError } from '../core/errors.js';
import type { CloudAuth } from './auth.js';
import { findCredentials, resolveProject, type ResolvedProject } from './credentials.js';
import { storageEndpoint, vertexEndpoint, vertexSettings } from './settings.js';

/**
 * Everything a cloud step needs, checked before any work: credentials found and able to get a token,
 * a project, and clients for both services on the configured endpoints. Vertex goes through the SDK's
 * REST transport in production too, so what ships is what the fakes exercise.
 */
export interface CloudSession {
  project: string;
  projectFrom: ResolvedProject['from'];
  region: string;
  bucket: string;
  prefix: string;
  /** `projects/P/locations/L` */
  parent: string;
  config: Config;
  settings: VertexSettings;
  auth: CloudAuth;
  /** Set when the credentials are an access token given directly: where it came from (for expiry messages). */
  tokenFrom?: string;
  storage: Storage;
  datasets: InstanceType<typeof v1.DatasetServiceClient>;
  pipelines: InstanceType<typeof v1.PipelineServiceClient>;
  models: InstanceType<typeof v1.ModelServiceClient>;
  /** gs://BUCKET/PREFIX/… for an object name, and the object name for a path under the prefix. */
  uri(objectName: string): string;
  objectName(relative: string): string;
  close(): Promise<void>;
}

export interface SessionOptions {
  env?: NodeJS.ProcessEnv;
  settings?: Partial<VertexSettings>;
  /** Upload/export need the bucket; status/cancel do not. */
  needBucket?: boolean;
}

export function requireBucket(config: Config): string {
  if (!config.bucket) {
    throw new InputError('No Cloud Storage bucket is configured.', {
      code: 'cloud.no_bucket',
      hint: 'Set "bucket" in edgewise.json (`edgewise init --bucket NAME`) or EDGEWISE_BUCKET; create one with `gcloud storage buckets create gs://NAME --location=REGION`.',
    });
  }
  return config.bucket;
}

export async function openCloudSession(config: Config, opts: SessionOptions = {}): Promise<CloudSession> {
  const env = opts.env ?? process.env;
  const settings = vertexSettings(config, opts.settings);
  const bucket = opts.needBucket === false ? (config.bucket ?? '') : requireBucket(config);
  const creds = findCredentials({ env });
  const resolved = resolveProject(config.project, creds, env);
  // The SDKs load in ~2 s: only when a cloud step actually runs (the wizard and --help stay fast).
  const [{ openAuth }, { v1: aip }, { Storage: StorageClient }] = await Promise.all([import('./auth.js'), import('@google-cloud/aiplatform'), import('@google-cloud/storage')]);
  const auth = await openAuth(creds);
  await auth.check();

  const ep = vertexEndpoint(config);
  const clientOpts = {
    fallback: true as const,
    apiEndpoint: ep.host,
    ...(ep.port ? { port: ep.port } : {}),
    protocol: ep.protocol,
    authClient: auth.vertex,
    projectId: resolved.project,
  } as unknown as ConstructorParameters<typeof v1.DatasetServiceClient>[0];
  // Each client loads its protos (~0.5 s): build only the ones a step touches. Credentials were checked
  // above, so the clients' own lazy initialisation cannot meet a missing credential.
  const made: Array<{ close(): Promise<void> }> = [];
  const lazy = <T extends { close(): Promise<void> }>(make: () => T): (() => T) => {
    let c: T | undefined;
    return () => {
      if (!c) {
        c = make();
        made.push(c);
      }
      return c;
    };
  };
  const datasets = lazy(() => new aip.DatasetServiceClient(clientOpts));
  const pipelines = lazy(() => new aip.PipelineServiceClient(clientOpts));
  const models = lazy(() => new aip.ModelServiceClient(clientOpts));

  const gcsEndpoint = storageEndpoint(config);
  const storage = new StorageClient({
    projectId: resolved.project,
    authClient: auth.storage as never,
    ...(gcsEndpoint ? { apiEndpoint: gcsEndpoint, useAuthWithCustomEndpoint: true } : {}),
    // edgewise retries itself (with hash checks); the client's own retries would hide faults from it.
    retryOptions: { autoRetry: false, maxRetries: 0 },
  });

  const prefix = config.prefix.replace(/^\/+|\/+$/g, '');
  return {
    project: resolved.project,
    projectFrom: resolved.from,
    region: config.region,
    bucket,
    prefix,
    parent: `projects/${resolved.project}/locations/${config.region}`,
    config,
    settings,
    auth,
    ...(creds.source === 'access-token' ? { tokenFrom: creds.path ? `${creds.path} (CLOUDSDK_AUTH_ACCESS_TOKEN_FILE)` : 'GOOGLE_OAUTH_ACCESS_TOKEN' } : {}),
    storage,
    get datasets() {
      return datasets();
    },
    get pipelines() {
      return pipelines();
    },
    get models() {
      return models();
    },
    uri: (objectName) => `gs://${bucket}/${objectName}`,
    objectName: (relative) => (prefix ? `${prefix}/${relative}` : relative),
    async close() {
      await Promise.allSettled(made.map((c) => c.close()));
    },
  };
}

/** Splits gs://bucket/name. */
export function parseGsUri(uri: string): { bucket: string; name: string } {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new EdgewiseError(`"${uri}" is not a gs:// URI.`, { code: 'cloud.bad_uri', item: uri });
  return { bucket: m[1]!, name: m[2]! };
}
