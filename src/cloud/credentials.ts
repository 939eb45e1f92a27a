import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EdgewiseError, InputError } from '../core/errors.js';

/**
 * Where Google credentials and the project come from, the way gcloud users expect. The lookup is done
 * here (not left to google-auth-library) because the library ignores CLOUDSDK_CONFIG and gives no hint
 * about which place it tried.
 */

export type CredentialSource =
  /** An OAuth access token given directly (GOOGLE_OAUTH_ACCESS_TOKEN or CLOUDSDK_AUTH_ACCESS_TOKEN_FILE). */
  | 'access-token'
  /** GOOGLE_APPLICATION_CREDENTIALS. */
  | 'env-file'
  /** gcloud's application_default_credentials.json (honouring CLOUDSDK_CONFIG). */
  | 'gcloud-adc'
  /** The GCE/GKE/Cloud Run metadata server. */
  | 'metadata';

export interface FoundCredentials {
  source: CredentialSource;
  /** Key or ADC file, for file sources. */
  path?: string;
  /** `service_account`, `authorized_user`, `external_account`, ... */
  type?: string;
  /** A service account's email, for messages. */
  account?: string;
  /** project_id of a service-account key (user ADC files have none). */
  projectId?: string;
  quotaProjectId?: string;
  accessToken?: string;
}

export const ADC_LOGIN_HINT =
  'Run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file.';

/** gcloud's configuration folder: CLOUDSDK_CONFIG, else ~/.config/gcloud (%APPDATA%\gcloud on Windows). */
export function gcloudConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLOUDSDK_CONFIG) return env.CLOUDSDK_CONFIG;
  if (process.platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'gcloud');
  return join(env.HOME ?? homedir(), '.config', 'gcloud');
}

function readKeyFile(path: string, origin: string): FoundCredentials & { path: string } {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    throw new EdgewiseError(`${origin} points at ${path}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, {
      code: 'cloud.credentials_unreadable',
      item: path,
      hint: `Fix the path in ${origin}, or unset it and run \`gcloud auth application-default login\`.`,
      cause: e,
    });
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(raw) as Record<string, unknown>;
  } catch (e) {
    throw new EdgewiseError(`${path} (from ${origin}) is not a JSON credentials file.`, {
      code: 'cloud.credentials_invalid',
      item: path,
      hint: 'Download a new key (IAM → Service accounts → Keys) or run `gcloud auth application-default login`.',
      cause: e,
    });
  }
  const type = typeof json.type === 'string' ? json.type : undefined;
  if (!type) {
    throw new EdgewiseError(`${path} (from ${origin}) has no "type" field: it is not a Google credentials file.`, {
      code: 'cloud.credentials_invalid',
      item: path,
      hint: 'Point it at a service-account key JSON or a gcloud application_default_credentials.json.',
    });
  }
  return {
    source: 'env-file',
    path,
    type,
    ...(typeof json.client_email === 'string' ? { account: json.client_email } : {}),
    ...(typeof json.project_id === 'string' ? { projectId: json.project_id } : {}),
    ...(typeof json.quota_project_id === 'string' ? { quotaProjectId: json.quota_project_id } : {}),
  };
}

export interface FindOptions {
  env?: NodeJS.ProcessEnv;
  /** Whether to fall back to the metadata server (false when METADATA_SERVER_DETECTION=none). */
  allowMetadata?: boolean;
}

/**
 * The credentials edgewise will use, in gcloud's order. Throws an error naming every place it looked
 * when there are none.
 */
export function findCredentials(opts: FindOptions = {}): FoundCredentials {
  const env = opts.env ?? process.env;
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim();
  if (token) return { source: 'access-token', accessToken: token };
  const tokenFile = env.CLOUDSDK_AUTH_ACCESS_TOKEN_FILE;
  if (tokenFile) {
    let t = '';
    try {
      t = readFileSync(tokenFile, 'utf8').trim();
    } catch (e) {
      throw new EdgewiseError(`CLOUDSDK_AUTH_ACCESS_TOKEN_FILE points at ${tokenFile}, which cannot be read.`, { code: 'cloud.credentials_unreadable', item: tokenFile, hint: 'Fix or unset CLOUDSDK_AUTH_ACCESS_TOKEN_FILE.', cause: e });
    }
    if (!t) throw new EdgewiseError(`${tokenFile} (CLOUDSDK_AUTH_ACCESS_TOKEN_FILE) is empty.`, { code: 'cloud.credentials_invalid', item: tokenFile, hint: 'Write a token into it with `gcloud auth print-access-token > FILE`, or unset it.' });
    return { source: 'access-token', accessToken: t, path: tokenFile };
  }
  const envPath = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (envPath) return readKeyFile(envPath, 'GOOGLE_APPLICATION_CREDENTIALS');

  const adc = join(gcloudConfigDir(env), 'application_default_credentials.json');
  if (existsSync(adc)) return { ...readKeyFile(adc, 'gcloud application-default login'), source: 'gcloud-adc' };

  const allowMetadata = opts.allowMetadata ?? env.METADATA_SERVER_DETECTION !== 'none';
  if (allowMetadata) return { source: 'metadata' };
  throw new EdgewiseError('No Google Cloud credentials found.', {
    code: 'cloud.no_credentials',
    item: adc,
    hint: `${ADC_LOGIN_HINT} Looked at: GOOGLE_APPLICATION_CREDENTIALS (unset), ${adc} (missing)${env.CLOUDSDK_CONFIG ? ' via CLOUDSDK_CONFIG' : ''}, and the metadata server (disabled by METADATA_SERVER_DETECTION=none).`,
  });
}

/** Reads `[core] project` of gcloud's active configuration (CLOUDSDK_ACTIVE_CONFIG_NAME or active_config). */
export function gcloudConfigProject(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = gcloudConfigDir(env);
  let active = env.CLOUDSDK_ACTIVE_CONFIG_NAME;
  if (!active) {
    try {
      active = readFileSync(join(dir, 'active_config'), 'utf8').trim() || 'default';
    } catch {
      active = 'default';
    }
  }
  let text: string;
  try {
    text = readFileSync(join(dir, 'configurations', `config_${active}`), 'utf8');
  } catch {
    return undefined;
  }
  let section = '';
  for (const line of text.split(/\r?\n/)) {
    const s = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (s) {
      section = s[1]!.trim();
      continue;
    }
    const kv = /^\s*([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (kv && section === 'core' && kv[1] === 'project' && kv[2]) return kv[2];
  }
  return undefined;
}

export interface ResolvedProject {
  project: string;
  /** Where it came from, for `edgewise status` and messages. */
  from: 'config' | 'key-file' | 'gcloud-config' | 'adc-quota-project';
}

/**
 * The project: flags/edgewise.json/env (already merged into config.project), then the key file's
 * project_id, then gcloud's config; an ADC quota project is the last resort.
 */
export function resolveProject(configProject: string | undefined, creds: FoundCredentials | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedProject {
  if (configProject) return { project: configProject, from: 'config' };
  if (creds?.projectId) return { project: creds.projectId, from: 'key-file' };
  const g = gcloudConfigProject(env);
  if (g) return { project: g, from: 'gcloud-config' };
  if (creds?.quotaProjectId) return { project: creds.quotaProjectId, from: 'adc-quota-project' };
  throw new InputError('No Google Cloud project is set.', {
    code: 'cloud.no_project',
    hint: 'Pass --project ID, set "project" in edgewise.json (edgewise init), set GOOGLE_CLOUD_PROJECT, or run `gcloud config set project ID`.',
  });
}
