import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

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

const IMAGE_EXT = /\.(jpe?g|png|gif|bmp|webp|ico)$/i;

/**
 * Folders under the workspace that look like an images folder (the seed's ml/dataset/images first, then
 * any folder up to two levels deep holding images directly or in class sub-folders), most images first.
 */
export function detectImageFolders(root: string, maxResults = 5): Array<{ path: string; images: number }> {
  const found: Array<{ path: string; images: number }> = [];
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
  const visit = (rel: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'node_modules' || e.name === 'public') continue;
      const sub = rel ? `${rel}/${e.name}` : e.name;
      const n = count(join(root, sub), 1);
      if (n > 0) found.push({ path: sub, images: n });
      else if (depth > 0) visit(sub, depth - 1);
    }
  };
  visit('', 2);
  found.sort((a, b) => (a.path === 'ml/dataset/images' ? -1 : b.path === 'ml/dataset/images' ? 1 : b.images - a.images));
  return found.slice(0, maxResults);
}
