import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { copyFileAtomic, writeFileAtomic } from '../core/atomic.js';
import { EdgewiseError } from '../core/errors.js';
import { hashValue, sha256File } from '../core/hash.js';
import type { Workspace } from '../core/workspace.js';
import { crashPoint } from './crash.js';
import { labelsSha256 } from './inputs.js';
import { parseRegistryLocation } from './store.js';
import type { ModelJson, VersionRow } from './types.js';

/**
 * Each published version keeps a full copy of what it shipped under ml/registry/artifacts/vNNN/, with a
 * MANIFEST.json of SHA-256s whose own hash is the row's content_sha256. Rollback restores from here and
 * refuses anything missing or altered.
 */
export const MANIFEST = 'MANIFEST.json';
export const MODEL_FILE = 'model.tflite';
export const LABEL_MAP = 'label_map.json';
export const MODEL_JSON = 'model.json';

export function artifactsRoot(ws: Workspace): string {
  return join(dirname(ws.modelsDir), 'registry', 'artifacts');
}
/**
 * The folders publish and rollback write to: the lock and intent journal (.edgewise), the artifacts,
 * public/models and, for a SQLite registry, the database's folder. A location that does not parse is
 * left out here: opening the registry names it.
 */
export function registryWrites(ws: Workspace): string[] {
  let db: string[] = [];
  try {
    const loc = parseRegistryLocation(ws.registry);
    if (loc.kind === 'sqlite') db = [dirname(ws.abs(loc.path))];
  } catch {
    // reported by the registry session, with its own code
  }
  return [ws.stateDir, artifactsRoot(ws), ws.publicModelsDir, ...db];
}
export function artifactsDir(ws: Workspace, version: string): string {
  return join(artifactsRoot(ws), version);
}
export function publicModelFile(ws: Workspace, version: string): string {
  return join(ws.publicModelsDir, `local_model_${version}.tflite`);
}
/** URLs as the app sees them: the seed's '/models/local_model_v002.tflite'. */
export function publicUrl(ws: Workspace, file: string): string {
  return `/${basename(ws.publicModelsDir)}/${file}`;
}

export interface Manifest {
  version: string;
  files: Record<string, string>;
}

/** content_sha256: the hash of the file list and their hashes (order-independent). */
export function manifestHash(files: Record<string, string>): string {
  return hashValue(files);
}

/** Writes one version's files into `dir` (a staging folder), each fsynced; returns the manifest hash. */
export async function stageArtifacts(dir: string, version: string, files: Array<{ name: string; from?: string; data?: string }>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const hashes: Record<string, string> = {};
  let first = true;
  for (const f of files) {
    const to = join(dir, f.name);
    if (f.from !== undefined) await copyFileAtomic(f.from, to);
    else await writeFileAtomic(to, f.data ?? '');
    hashes[f.name] = await sha256File(to);
    if (first) crashPoint('publish.staging-partial');
    first = false;
  }
  const manifest: Manifest = { version, files: hashes };
  await writeFileAtomic(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return manifestHash(hashes);
}

export class ArtifactError extends EdgewiseError {
  constructor(message: string, item: string, hint: string) {
    super(message, { code: 'registry.artifact', item, hint });
    this.name = 'ArtifactError';
  }
}

/**
 * Checks a version's stored files against the registry row: every file listed with its hash, the manifest
 * against content_sha256, the model against tflite_sha256 and the label map against labels_sha256.
 */
export async function verifyArtifacts(ws: Workspace, row: VersionRow): Promise<{ dir: string; modelJson: ModelJson }> {
  const dir = artifactsDir(ws, row.version);
  const rel = ws.rel(dir);
  const restoreHint = `Restore ${rel} from a backup, or roll back to another version (edgewise versions lists them).`;
  if (!existsSync(join(dir, MANIFEST))) {
    const why = row.content_sha256 === null ? `${row.version} was registered by hand (no stored artifacts)` : `${rel}/${MANIFEST} is missing`;
    throw new ArtifactError(`Cannot restore ${row.version}: ${why}.`, rel, restoreHint);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    throw new ArtifactError(`Cannot restore ${row.version}: ${rel}/${MANIFEST} is not valid JSON.`, `${rel}/${MANIFEST}`, restoreHint);
  }
  if (row.content_sha256 !== null && manifestHash(manifest.files ?? {}) !== row.content_sha256) {
    throw new ArtifactError(`Cannot restore ${row.version}: ${rel}/${MANIFEST} does not match the registry (content_sha256 differs): the stored files were altered.`, `${rel}/${MANIFEST}`, restoreHint);
  }
  for (const name of [MODEL_FILE, LABEL_MAP, MODEL_JSON]) {
    if (!(name in (manifest.files ?? {}))) throw new ArtifactError(`Cannot restore ${row.version}: ${name} is not in ${rel}/${MANIFEST}.`, `${rel}/${MANIFEST}`, restoreHint);
  }
  for (const [name, expected] of Object.entries(manifest.files)) {
    const p = join(dir, name);
    if (!existsSync(p)) throw new ArtifactError(`Cannot restore ${row.version}: ${rel}/${name} is missing.`, `${rel}/${name}`, restoreHint);
    const got = await sha256File(p);
    if (got !== expected) throw new ArtifactError(`Cannot restore ${row.version}: ${rel}/${name} was altered (SHA-256 ${got.slice(0, 12)}…, expected ${expected.slice(0, 12)}…).`, `${rel}/${name}`, restoreHint);
  }
  if (row.tflite_sha256 !== null && manifest.files[MODEL_FILE] !== row.tflite_sha256) {
    throw new ArtifactError(`Cannot restore ${row.version}: the stored model's SHA-256 differs from the registry's tflite_sha256.`, `${rel}/${MODEL_FILE}`, restoreHint);
  }
  const labels = JSON.parse(readFileSync(join(dir, LABEL_MAP), 'utf8')) as string[];
  if (labelsSha256(labels) !== row.labels_sha256) {
    throw new ArtifactError(`Cannot restore ${row.version}: the stored label map does not match the registry's labels_sha256.`, `${rel}/${LABEL_MAP}`, restoreHint);
  }
  const modelJson = JSON.parse(readFileSync(join(dir, MODEL_JSON), 'utf8')) as ModelJson;
  return { dir, modelJson };
}

/**
 * Makes public/models serve `row.version`: the model file first (a new name, harmless), then the label
 * map, then model.json last, since model.json is what the app reads first. Each write is atomic.
 */
export async function materialize(ws: Workspace, row: VersionRow): Promise<ModelJson> {
  const { dir, modelJson } = await verifyArtifacts(ws, row);
  const target = publicModelFile(ws, row.version);
  if (!existsSync(target) || (await sha256File(target)) !== row.tflite_sha256) await copyFileAtomic(join(dir, MODEL_FILE), target);
  crashPoint('materialize.model-file');
  await writeFileAtomic(join(ws.publicModelsDir, LABEL_MAP), readFileSync(join(dir, LABEL_MAP)));
  crashPoint('materialize.label-map');
  await writeFileAtomic(join(ws.publicModelsDir, MODEL_JSON), readFileSync(join(dir, MODEL_JSON)));
  crashPoint('materialize.model-json');
  return modelJson;
}

/** Where publish stages a public file before the registry commit (renamed into place after it). */
export function stagedPublicFile(ws: Workspace, version: string, name: string): string {
  return join(ws.publicModelsDir, `.staged-${version}-${name}`);
}

/** Removes staged public files left by an interrupted publish (any version). */
export async function removeStagedPublic(ws: Workspace): Promise<void> {
  if (!existsSync(ws.publicModelsDir)) return;
  for (const n of readdirSync(ws.publicModelsDir)) if (n.startsWith('.staged-')) await rm(join(ws.publicModelsDir, n), { force: true });
}

/**
 * Free space for `bytes` more on the disk holding `dir` (or its nearest existing parent), with a margin
 * for file-system overhead. Returns what is missing, or undefined when it fits.
 */
export async function missingSpace(dir: string, bytes: number): Promise<{ available: number; needed: number; dir: string } | undefined> {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  const st = await statfs(d);
  const available = Number(st.bavail) * Number(st.bsize);
  // A block per file and 1 % for the file system's own records.
  const needed = Math.ceil(bytes * 1.01) + 16 * Number(st.bsize);
  return available < needed ? { available, needed, dir: d } : undefined;
}

/** What public/models currently serves, and whether its three files agree with each other. */
export interface PublicState {
  version: string | undefined;
  problems: string[];
  modelJson?: ModelJson;
}

export async function inspectPublic(ws: Workspace): Promise<PublicState> {
  const mj = join(ws.publicModelsDir, MODEL_JSON);
  if (!existsSync(mj)) return { version: undefined, problems: [] };
  let modelJson: ModelJson;
  try {
    modelJson = JSON.parse(readFileSync(mj, 'utf8')) as ModelJson;
  } catch (e) {
    return { version: undefined, problems: [`${ws.rel(mj)} is not valid JSON: ${(e as Error).message}`] };
  }
  const problems: string[] = [];
  const file = join(ws.publicModelsDir, basename(modelJson.tflite_url ?? ''));
  if (!existsSync(file)) problems.push(`${ws.rel(file)} (tflite_url) is missing`);
  else if ((await sha256File(file)) !== modelJson.tflite_sha256) problems.push(`${ws.rel(file)} does not match tflite_sha256`);
  const lm = join(ws.publicModelsDir, LABEL_MAP);
  if (!existsSync(lm)) problems.push(`${ws.rel(lm)} is missing`);
  else {
    try {
      if (labelsSha256(JSON.parse(readFileSync(lm, 'utf8')) as string[]) !== modelJson.labels_sha256) problems.push(`${ws.rel(lm)} does not match labels_sha256`);
    } catch {
      problems.push(`${ws.rel(lm)} is not valid JSON`);
    }
  }
  return { version: modelJson.version, problems, modelJson };
}

/** Staging folders are named so a crashed publish's leftovers are recognisable. */
export function stagingDir(ws: Workspace, token: string): string {
  return join(artifactsRoot(ws), `.staging-${token}`);
}

export async function removeStaleStaging(ws: Workspace, keep?: string): Promise<void> {
  const root = artifactsRoot(ws);
  if (!existsSync(root)) return;
  for (const n of readdirSync(root)) {
    if (n.startsWith('.staging-') && join(root, n) !== keep) await rm(join(root, n), { recursive: true, force: true });
  }
}

export async function renameDir(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await rename(from, to);
}

export function labelMapJson(labels: string[]): string {
  return JSON.stringify(labels, null, 2) + '\n';
}

