import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { folderWhereResolved, IMAGE_FILE, readLabelsCsv, splitOfFolder } from '../manifest/folder-layout.js';

/** gcloud's config folder: CLOUDSDK_CONFIG wins, as gcloud itself does. */
export function gcloudConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLOUDSDK_CONFIG ?? join(env.HOME ?? homedir(), '.config', 'gcloud');
}

/** Minimal INI reading for gcloud's configuration files: `[section]` and `key = value`. */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.trim();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) (out[section] ??= {})[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** The active gcloud configuration's project and region, if gcloud is set up on this machine. */
export function detectGcloud(env: NodeJS.ProcessEnv = process.env): { project?: string; region?: string; account?: string; configName?: string } {
  const dir = gcloudConfigDir(env);
  const active = env.CLOUDSDK_ACTIVE_CONFIG_NAME ?? (existsSync(join(dir, 'active_config')) ? readFileSync(join(dir, 'active_config'), 'utf8').trim() : 'default');
  const file = join(dir, 'configurations', `config_${active}`);
  if (!existsSync(file)) return {};
  const ini = parseIni(readFileSync(file, 'utf8'));
  const out: { project?: string; region?: string; account?: string; configName?: string } = { configName: active };
  if (ini.core?.project) out.project = ini.core.project;
  if (ini.core?.account) out.account = ini.core.account;
  const region = ini.ai?.region ?? ini.compute?.region;
  if (region) out.region = region;
  return out;
}

const IMAGE_EXT = IMAGE_FILE;

/** A folder that could be the images folder, and why it is offered. */
export interface ImageFolder {
  path: string;
  images: number;
  /** e.g. "split folders train, validation, test" or "the manifest's paths resolve here". */
  note?: string;
}

/**
 * Folders under the workspace that look like an images folder (any folder up to two levels deep holding
 * images directly, in label sub-folders, or in train|val|test/<label>/ sub-folders), most images first.
 * When a manifest exists, the folder its paths resolve in comes first: that is where its images are, even
 * when a parent folder holds them too (ml/dataset holds ml/dataset/images).
 */
export function detectImageFolders(root: string, maxResults = 5, manifest = 'ml/dataset/manifest.csv'): ImageFolder[] {
  const found: ImageFolder[] = [];
  const count = (dir: string, depth: number): number => {
    let n = 0;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return 0;
    }
    for (const e of entries) {
      if (e.isFile() && IMAGE_EXT.test(e.name)) n++;
      else if (e.isDirectory() && depth > 0 && !e.name.startsWith('.')) n += count(join(dir, e.name), depth - 1);
    }
    return n;
  };
  const subdirs = (dir: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules' && e.name !== 'public');
    } catch {
      return [];
    }
  };
  const visit = (rel: string, depth: number): void => {
    for (const e of subdirs(join(root, rel))) {
      const sub = rel ? `${rel}/${e.name}` : e.name;
      const rank = (n: string) => ['train', 'validation', 'test'].indexOf(splitOfFolder(n) ?? '');
      const splits = subdirs(join(root, sub)).filter((d) => splitOfFolder(d.name)).sort((a, b) => rank(a.name) - rank(b.name));
      // train/, validation/, test/ inside: the folder above them is the images folder, not each split.
      const n = splits.length ? splits.reduce((a, d) => a + count(join(root, sub, d.name), 2), 0) : count(join(root, sub), 1);
      if (n > 0) found.push({ path: sub, images: n, ...(splits.length ? { note: `split folders ${splits.map((d) => d.name).join(', ')}` } : {}) });
      else if (depth > 0) visit(sub, depth - 1);
    }
  };
  visit('', 2);
  found.sort((a, b) => (a.path === 'ml/dataset/images' ? -1 : b.path === 'ml/dataset/images' ? 1 : b.images - a.images));
  const resolved = manifestFolder(root, manifest, found);
  if (resolved) return [resolved, ...found.filter((f) => f.path !== resolved.path)].slice(0, maxResults);
  return found.slice(0, maxResults);
}

/** The folder in which an existing manifest's image paths resolve (among the found folders and their sub-folders). */
function manifestFolder(root: string, manifest: string, found: ImageFolder[]): ImageFolder | undefined {
  const csv = readLabelsCsv(join(root, manifest));
  if (!csv || csv.images.length === 0) return undefined;
  const candidates = new Set<string>(['ml/dataset/images', dirname(manifest)]);
  for (const f of found) {
    candidates.add(f.path);
    try {
      for (const e of readdirSync(join(root, f.path), { withFileTypes: true })) if (e.isDirectory()) candidates.add(`${f.path}/${e.name}`);
    } catch {
      // unreadable: not a candidate
    }
  }
  const dirs = [...candidates];
  const best = folderWhereResolved(csv.images, dirs.map((d) => join(root, d)));
  if (!best) return undefined;
  const path = dirs.find((d) => join(root, d) === best)!;
  return { path, images: csv.images.length, note: `the paths in ${manifest} resolve here` };
}

/** What first-time setup found on this machine, offered as defaults by both front ends (setup-questions.ts). */
export interface Detected {
  project?: string;
  /** Where the project came from, said beside it: `GOOGLE_CLOUD_PROJECT` or `gcloud config "default"`. */
  projectSource?: string;
  region?: string;
  imageFolders: ImageFolder[];
}

/** The environment's project (GOOGLE_CLOUD_PROJECT, then gcloud's), gcloud's region and likely images folders. */
export function detectSetup(root: string, manifest: string, env: NodeJS.ProcessEnv = process.env): Detected {
  const gcloud = detectGcloud(env);
  const envProject = env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT;
  return {
    ...(envProject ? { project: envProject, projectSource: 'GOOGLE_CLOUD_PROJECT' } : gcloud.project ? { project: gcloud.project, projectSource: `gcloud config "${gcloud.configName}"` } : {}),
    ...(gcloud.region ? { region: gcloud.region } : {}),
    imageFolders: detectImageFolders(root, 5, manifest),
  };
}
