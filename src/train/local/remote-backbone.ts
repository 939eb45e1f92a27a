import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
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
  /** What the download weighs, for the question that offers it (the real size is checked on arrival). */
  approxBytes: number;
  /** Where the URL and layer names were checked, for the notes and `--help`. */
  source: string;
  input: InputSpec;
  candidateLayers: string[];
  defaultFeatures: FeatureSpec;
}

interface ModelJson {
  /** Keras' converter nests the model under `model_config`; tfjs' own save puts it at the top. */
  modelTopology: { model_config?: KerasModelConfig } & KerasModelConfig;
  format?: string;
  weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
}

type KerasModelConfig = { config?: { layers?: Array<{ name?: string; config?: { name?: string } }> } };

/** Bytes downloaded so far, over the bytes expected (the weights' size from model.json). */
export type DownloadProgress = (done: number, total: number) => void;

/** A backbone fetched once; `download` brings it into the cache (a no-op when it is there already). */
export interface RemoteBackbone extends Backbone {
  readonly cached: () => boolean;
  readonly download: (onProgress?: DownloadProgress, signal?: AbortSignal) => Promise<void>;
}

/**
 * Where remote backbones are fetched from. `EDGEWISE_BACKBONE_MIRROR` replaces the scheme and host (the path
 * is kept, so a mirror has the same layout): for machines behind a proxy cache, and for the tests' local
 * server. Plain http is accepted only for loopback; anything else must be https.
 */
export function backboneUrl(url: string, mirror = process.env.EDGEWISE_BACKBONE_MIRROR): string {
  if (!mirror) return url;
  let m: URL;
  try {
    m = new URL(mirror);
  } catch {
    throw new EdgewiseError(`EDGEWISE_BACKBONE_MIRROR is not a URL: "${mirror}".`, { code: 'backbone.mirror', item: 'EDGEWISE_BACKBONE_MIRROR', exitCode: 2 });
  }
  const loopback = m.hostname === '127.0.0.1' || m.hostname === 'localhost' || m.hostname === '[::1]';
  if (m.protocol !== 'https:' && !(m.protocol === 'http:' && loopback)) {
    throw new EdgewiseError(`EDGEWISE_BACKBONE_MIRROR must be an https:// URL (http only for 127.0.0.1), got ${m.protocol}//${m.host}.`, {
      code: 'backbone.mirror',
      item: 'EDGEWISE_BACKBONE_MIRROR',
      exitCode: 2,
    });
  }
  const u = new URL(url);
  return new URL(m.pathname.replace(/\/+$/, '') + u.pathname, m.origin).toString();
}

/**
 * A backbone downloaded on first use into `<cacheDir>/backbones/<id>/` (model.json + weight shards),
 * then loaded from disk on every later run, offline. Never the default: it needs internet once.
 */
export function remoteBackbone(spec: RemoteBackboneSpec, cacheDir: string, fetchImpl: typeof fetch = fetch): RemoteBackbone {
  const dir = join(cacheDir, 'backbones', spec.id);
  const cache = new WeakMap<object, Promise<LayersModel>>();
  const [lo] = spec.input.range;
  const download = (onProgress?: DownloadProgress, signal?: AbortSignal) => ensureDownloaded(spec, dir, fetchImpl, onProgress, signal);
  return {
    id: spec.id,
    input: spec.input,
    preprocessing: `rgb${lo === -1 ? 'pm1' : '01'}-fill-${spec.input.width}`,
    candidateLayers: spec.candidateLayers,
    defaultFeatures: spec.defaultFeatures,
    cached: () => existsSync(join(dir, 'complete.json')),
    download,
    load(tf: Tf) {
      let p = cache.get(tf);
      if (!p) {
        p = (async () => {
          await download();
          return loadFromDisk(tf, dir, spec);
        })();
        cache.set(tf, p);
      }
      return p;
    },
  };
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, int8: 1, int16: 2 };

/** The bytes a weights group must hold, from its manifest entries (quantized weights at their stored width). */
export function expectedGroupBytes(weights: io.WeightsManifestEntry[]): number {
  let total = 0;
  for (const w of weights) {
    const dtype = w.quantization?.dtype ?? w.dtype;
    const per = DTYPE_BYTES[dtype];
    if (per === undefined) throw new Error(`weight ${w.name} has an unsupported dtype ${dtype}`);
    total += w.shape.reduce((a, b) => a * b, 1) * per;
  }
  return total;
}

/** Layer names in a Keras functional topology (what `getLayer` will find). */
function topologyLayers(json: ModelJson): Set<string> {
  const layers = json.modelTopology.model_config?.config?.layers ?? json.modelTopology.config?.layers ?? [];
  return new Set(layers.map((l) => l.name ?? l.config?.name ?? '').filter(Boolean));
}

/** A shard path from model.json is remote data: only a plain file name may become a path in the cache. */
function safeShardName(p: string, url: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(p) || p === '.' || p === '..' || p === 'model.json' || p === 'complete.json' || p.endsWith('.part')) {
    throw new EdgewiseError(`${url} names a weight file "${p.replace(/[\u0000-\u001f\u007f]/g, '?')}" that is not a plain file name; refusing to write it.`, {
      code: 'backbone.format',
      item: url,
    });
  }
  return p;
}

/** Checks a model.json as downloaded: a layers model whose manifest and topology fit this backbone. */
export function checkModelJson(spec: RemoteBackboneSpec, json: ModelJson, url: string): number {
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new EdgewiseError(`${url} is not a tfjs layers model.json.`, { code: 'backbone.format', item: url });
  }
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new EdgewiseError(`${url} is a "${json.format}" model; edgewise needs a layers model (Keras topology) to cut at a layer.`, { code: 'backbone.format', item: url });
  }
  const have = topologyLayers(json);
  const wanted = [...new Set([...spec.defaultFeatures.layers, ...spec.candidateLayers])];
  const missing = wanted.filter((l) => !have.has(l));
  if (missing.length) {
    throw new EdgewiseError(`${url} has no layer ${missing.map((m) => `"${m}"`).join(', ')}: not the network ${spec.id} expects.`, { code: 'backbone.format', item: url });
  }
  let total = 0;
  for (const g of json.weightsManifest) {
    g.paths.forEach((p) => safeShardName(p, url));
    total += expectedGroupBytes(g.weights);
  }
  return total;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * Brings model.json and its shards into `dir`. A shard arrives in `<name>.part` and is renamed only when
 * whole; a cut download keeps its `.part`, and the next run asks for the rest with a Range request (or starts
 * the shard again when the server ignores Range). Every group's bytes are checked against its manifest
 * before `complete.json`, written last, marks the backbone usable.
 */
async function ensureDownloaded(spec: RemoteBackboneSpec, dir: string, fetchImpl: typeof fetch, onProgress?: DownloadProgress, signal?: AbortSignal): Promise<void> {
  if (existsSync(join(dir, 'complete.json'))) return;
  await mkdir(dir, { recursive: true });
  const url = backboneUrl(spec.url);
  const request = async (u: string, headers: Record<string, string> = {}): Promise<Response> => {
    let res: Response;
    try {
      res = await fetchImpl(u, { headers, ...(signal ? { signal } : {}) });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new EdgewiseError(`Could not download the backbone ${spec.id} from ${u}.`, {
        code: 'backbone.download',
        item: u,
        hint: 'This backbone is fetched once on first use; connect to the internet (a cut download resumes) or use the bundled default (nsfwjs-mobilenet_v2).',
        cause: e,
      });
    }
    if (!res.ok) throw new EdgewiseError(`Downloading ${u} failed: HTTP ${res.status}.`, { code: 'backbone.download', item: u });
    return res;
  };
  const jsonBytes = new Uint8Array(await (await request(url)).arrayBuffer());
  let json: ModelJson;
  try {
    json = JSON.parse(Buffer.from(jsonBytes).toString('utf8')) as ModelJson;
  } catch {
    throw new EdgewiseError(`${url} is not JSON: not a tfjs model.json.`, { code: 'backbone.format', item: url });
  }
  const total = checkModelJson(spec, json, url);
  const base = new URL('.', url);
  let done = 0;
  for (const group of json.weightsManifest) for (const p of group.paths) done += (await sizeOf(join(dir, p))) || (await sizeOf(join(dir, `${p}.part`)));
  onProgress?.(done, total);

  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const file = join(dir, p);
      if (existsSync(file)) continue;
      const part = `${file}.part`;
      const have = await sizeOf(part);
      const shardUrl = new URL(p, base).toString();
      const res = await request(shardUrl, have > 0 ? { Range: `bytes=${have}-` } : {});
      const append = have > 0 && res.status === 206;
      if (have > 0 && !append) done -= have;
      const out = createWriteStream(part, { flags: append ? 'a' : 'w' });
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
          done += chunk.byteLength;
          onProgress?.(done, total);
        }
      } catch (e) {
        await new Promise<void>((r) => out.end(() => r()));
        if (signal?.aborted) throw e;
        throw new EdgewiseError(`The download of ${shardUrl} was cut after ${await sizeOf(part)} bytes.`, {
          code: 'backbone.download',
          item: shardUrl,
          hint: 'Run the same command again: the download resumes where it stopped.',
          cause: e,
        });
      }
      await new Promise<void>((resolve, reject) => {
        out.on('error', reject);
        out.end(() => resolve());
      });
      await rename(part, file);
    }
    const got = (await Promise.all(group.paths.map((p) => sizeOf(join(dir, p))))).reduce((a, b) => a + b, 0);
    const want = expectedGroupBytes(group.weights);
    if (got !== want) {
      // Our own files in our own cache folder: the names were checked by safeShardName.
      await Promise.all(group.paths.map((p) => rm(join(dir, p), { force: true })));
      throw new EdgewiseError(`The weights of ${spec.id} do not match model.json: ${got} bytes arrived for ${want} expected (${group.paths.join(', ')}).`, {
        code: 'backbone.corrupt',
        item: url,
        hint: 'The damaged files were removed; run the command again to download them anew.',
      });
    }
  }
  await writeFileAtomic(join(dir, 'model.json'), jsonBytes);
  // Written last: a download cut halfway is resumed on the next run.
  await writeJsonAtomic(join(dir, 'complete.json'), { url, bytes: total, downloadedAt: new Date().toISOString() });
}

async function loadFromDisk(tf: Tf, dir: string, spec: RemoteBackboneSpec): Promise<LayersModel> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJson;
  checkModelJson(spec, json, join(dir, 'model.json'));
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
