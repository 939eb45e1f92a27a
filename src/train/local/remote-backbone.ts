import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LayersModel, io } from '@tensorflow/tfjs';
import { writeFileAtomic, writeJsonAtomic } from '../../core/atomic.js';
import { EdgewiseError } from '../../core/errors.js';
import type { Backbone, FeatureSpec, InputSpec } from './backbone.js';
import type { Tf } from './tf-runtime.js';

export interface RemoteBackboneSpec {
  id: string;
  /** URL of a tfjs *layers* model.json (Keras format: it must be truncatable and convertible). */
  url: string;
  input: InputSpec;
  candidateLayers: string[];
  defaultFeatures: FeatureSpec;
}

interface ModelJson {
  modelTopology: object;
  format?: string;
  weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
}

/**
 * A backbone downloaded on first use into `<cacheDir>/backbones/<id>/` (model.json + weight shards),
 * then loaded from disk on every later run, offline. Never the default: it needs internet once.
 */
export function remoteBackbone(spec: RemoteBackboneSpec, cacheDir: string, fetchImpl: typeof fetch = fetch): Backbone {
  const dir = join(cacheDir, 'backbones', spec.id);
  const cache = new WeakMap<object, Promise<LayersModel>>();
  const [lo] = spec.input.range;
  return {
    id: spec.id,
    input: spec.input,
    preprocessing: `rgb${lo === -1 ? 'pm1' : '01'}-fill-${spec.input.width}`,
    candidateLayers: spec.candidateLayers,
    defaultFeatures: spec.defaultFeatures,
    load(tf: Tf) {
      let p = cache.get(tf);
      if (!p) {
        p = (async () => {
          await ensureDownloaded(spec, dir, fetchImpl);
          return loadFromDisk(tf, dir);
        })();
        cache.set(tf, p);
      }
      return p;
    },
  };
}

async function ensureDownloaded(spec: RemoteBackboneSpec, dir: string, fetchImpl: typeof fetch): Promise<void> {
  if (existsSync(join(dir, 'complete.json'))) return;
  await mkdir(dir, { recursive: true });
  const get = async (url: string): Promise<Uint8Array> => {
    let res: Response;
    try {
      res = await fetchImpl(url);
    } catch (e) {
      throw new EdgewiseError(`Could not download the backbone ${spec.id} from ${url}.`, {
        code: 'backbone.download',
        item: url,
        hint: 'This backbone is fetched once on first use; connect to the internet or use the bundled default (nsfwjs-mobilenet_v2).',
        cause: e,
      });
    }
    if (!res.ok) throw new EdgewiseError(`Downloading ${url} failed: HTTP ${res.status}.`, { code: 'backbone.download', item: url });
    return new Uint8Array(await res.arrayBuffer());
  };
  const jsonBytes = await get(spec.url);
  const json = JSON.parse(Buffer.from(jsonBytes).toString('utf8')) as ModelJson;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new EdgewiseError(`${spec.url} is not a tfjs layers model.json.`, { code: 'backbone.format', item: spec.url });
  }
  const base = new URL('.', spec.url);
  for (const group of json.weightsManifest) {
    for (const p of group.paths) await writeFileAtomic(join(dir, p), await get(new URL(p, base).toString()));
  }
  await writeFileAtomic(join(dir, 'model.json'), jsonBytes);
  // Written last: a download cut halfway is redone on the next run.
  await writeJsonAtomic(join(dir, 'complete.json'), { url: spec.url, downloadedAt: new Date().toISOString() });
}

async function loadFromDisk(tf: Tf, dir: string): Promise<LayersModel> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJson;
  const specs: io.WeightsManifestEntry[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) shards.push(await readFile(join(dir, p)));
  }
  const data = Buffer.concat(shards);
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}
