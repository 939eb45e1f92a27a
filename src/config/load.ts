import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { InputError } from '../core/errors.js';
import { writeJsonAtomic } from '../core/atomic.js';
import { ConfigSchema, SECRET_KEY_PATTERN, type Config, type ConfigInput } from './schema.js';

export const CONFIG_FILE = 'edgewise.json';

type Partial2 = Record<string, unknown>;

/** Environment variables that set configuration (the gcloud ones users already have). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Partial2 {
  const out: Partial2 = {};
  const project = env.EDGEWISE_PROJECT ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT ?? env.CLOUDSDK_CORE_PROJECT;
  if (project) out.project = project;
  const region = env.EDGEWISE_REGION ?? env.GOOGLE_CLOUD_REGION ?? env.CLOUDSDK_AI_REGION;
  if (region) out.region = region;
  if (env.EDGEWISE_BUCKET) out.bucket = env.EDGEWISE_BUCKET;
  if (env.EDGEWISE_PREFIX) out.prefix = env.EDGEWISE_PREFIX;
  if (env.EDGEWISE_BACKEND) out.backend = env.EDGEWISE_BACKEND;
  if (env.DATABASE_URL) out.registry = env.DATABASE_URL;
  if (env.EDGEWISE_REGISTRY) out.registry = env.EDGEWISE_REGISTRY;
  return out;
}

/** Deep merge of plain objects; later sources win, undefined never overrides. */
export function mergeConfig(...sources: Partial2[]): Partial2 {
  const out: Partial2 = {};
  for (const src of sources) {
    for (const [k, v] of Object.entries(src)) {
      if (v === undefined) continue;
      const prev = out[k];
      out[k] = isPlainObject(prev) && isPlainObject(v) ? mergeConfig(prev, v) : v;
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Partial2 {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Turns schema issues into one InputError naming each field, its value and the rule. */
export function configError(issues: z.core.$ZodIssue[], raw: unknown, source: string): InputError {
  const lines = issues.flatMap((iss) => {
    // A key no schema knows (a typo in any section): name it with its section, e.g. tune.targetAcuracy.
    if (iss.code === 'unrecognized_keys') return iss.keys.map((k) => `${[...iss.path, k].join('.')}: not a setting edgewise knows (a typo?)`);
    const field = iss.path.join('.') || '(root)';
    const value = iss.path.reduce<unknown>((o, k) => (isPlainObject(o) ? o[String(k)] : undefined), raw);
    const shown = value === undefined ? '' : ` = ${JSON.stringify(value)}`;
    return `${field}${shown}: ${iss.message}`;
  });
  return new InputError(`Invalid configuration (${source}):\n  ${lines.join('\n  ')}`, {
    code: 'config.invalid',
    item: source,
    hint: `Fix the field${lines.length > 1 ? 's' : ''} above in ${source}, or pass the matching flag (see edgewise init --help).`,
  });
}

export function parseConfig(raw: unknown, source: string): Config {
  const res = ConfigSchema.safeParse(raw);
  if (!res.success) throw configError(res.error.issues, raw, source);
  return res.data;
}

export function readConfigFile(root: string): Partial2 | undefined {
  const path = join(root, CONFIG_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!isPlainObject(v)) throw new Error('not an object');
    return v;
  } catch (e) {
    throw new InputError(`${path} is not a valid JSON object: ${(e as Error).message}`, {
      code: 'config.unreadable',
      item: path,
      hint: 'Fix the JSON, or delete the file and run `edgewise init` again.',
    });
  }
}

export interface LoadOptions {
  root: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, already shaped like the config. */
  flags?: Partial2;
}

/** defaults < edgewise.json < environment < flags. */
export function loadConfig({ root, env = process.env, flags = {} }: LoadOptions): Config {
  const file = readConfigFile(root) ?? {};
  const merged = mergeConfig(file, configFromEnv(env), flags);
  return parseConfig(merged, existsSync(join(root, CONFIG_FILE)) ? join(root, CONFIG_FILE) : 'configuration');
}

/** Writes edgewise.json with the values that were set (validated first), refusing anything secret-looking. */
export async function saveConfig(root: string, config: ConfigInput): Promise<string> {
  const parsed = parseConfig(config, CONFIG_FILE);
  const secret = findSecretKey(parsed);
  if (secret) {
    throw new InputError(`Refusing to write ${secret} to ${CONFIG_FILE}: it looks like a secret and the file is committed.`, {
      code: 'config.secret',
      hint: 'Keep credentials in GOOGLE_APPLICATION_CREDENTIALS or gcloud ADC, never in edgewise.json.',
    });
  }
  const path = join(root, CONFIG_FILE);
  // Only what was chosen is written: defaults stay defaults, so a newer edgewise can improve them.
  await writeJsonAtomic(path, config);
  return path;
}

function findSecretKey(v: unknown, prefix = ''): string | undefined {
  if (!isPlainObject(v)) return undefined;
  for (const [k, child] of Object.entries(v)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (SECRET_KEY_PATTERN.test(k)) return name;
    const inner = findSecretKey(child, name);
    if (inner) return inner;
  }
  if (typeof v.registry === 'string' && /:\/\/[^/@]*:[^/@]+@/.test(v.registry)) return `${prefix}registry (a URL with a password)`;
  return undefined;
}
