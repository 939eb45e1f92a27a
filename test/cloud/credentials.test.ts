import { afterEach, describe, expect, test } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCredentials, gcloudConfigDir, gcloudConfigProject, resolveProject } from '../../src/cloud/credentials.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'edgewise-creds-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SA = { type: 'service_account', project_id: 'key-project', client_email: 'trainer@key-project.iam.gserviceaccount.com', private_key: 'x' };
const USER = { type: 'authorized_user', client_id: 'c', client_secret: 's', refresh_token: 'r', quota_project_id: 'quota-proj' };

describe('findCredentials', () => {
  test('GOOGLE_APPLICATION_CREDENTIALS wins and its project_id is read', () => {
    const d = tmp();
    writeFileSync(join(d, 'key.json'), JSON.stringify(SA));
    const c = findCredentials({ env: { GOOGLE_APPLICATION_CREDENTIALS: join(d, 'key.json'), HOME: d } });
    expect(c).toMatchObject({ source: 'env-file', type: 'service_account', projectId: 'key-project', account: SA.client_email });
  });

  test('a GOOGLE_APPLICATION_CREDENTIALS path that does not exist says so and how to fix it', () => {
    expect(() => findCredentials({ env: { GOOGLE_APPLICATION_CREDENTIALS: '/nope/key.json' } })).toThrow(
      expect.objectContaining({ code: 'cloud.credentials_unreadable', item: '/nope/key.json', hint: expect.stringContaining('gcloud auth application-default login') }),
    );
  });

  test('a file that is not credentials is refused', () => {
    const d = tmp();
    writeFileSync(join(d, 'key.json'), '{"hello": 1}');
    expect(() => findCredentials({ env: { GOOGLE_APPLICATION_CREDENTIALS: join(d, 'key.json') } })).toThrow(expect.objectContaining({ code: 'cloud.credentials_invalid' }));
  });

  test("gcloud's ADC file is found under CLOUDSDK_CONFIG (which google-auth-library ignores)", () => {
    const home = tmp();
    const cfg = tmp();
    writeFileSync(join(cfg, 'application_default_credentials.json'), JSON.stringify(USER));
    const c = findCredentials({ env: { HOME: home, CLOUDSDK_CONFIG: cfg, METADATA_SERVER_DETECTION: 'none' } });
    expect(c).toMatchObject({ source: 'gcloud-adc', type: 'authorized_user', path: join(cfg, 'application_default_credentials.json'), quotaProjectId: 'quota-proj' });
    expect(c.projectId).toBeUndefined();
  });

  test('and under ~/.config/gcloud when CLOUDSDK_CONFIG is unset', () => {
    const home = tmp();
    mkdirSync(join(home, '.config/gcloud'), { recursive: true });
    writeFileSync(join(home, '.config/gcloud/application_default_credentials.json'), JSON.stringify(USER));
    expect(gcloudConfigDir({ HOME: home })).toBe(join(home, '.config/gcloud'));
    expect(findCredentials({ env: { HOME: home, METADATA_SERVER_DETECTION: 'none' } }).source).toBe('gcloud-adc');
  });

  test('falls back to the metadata server unless it is disabled; then names every place it looked', () => {
    const home = tmp();
    expect(findCredentials({ env: { HOME: home } }).source).toBe('metadata');
    let err: unknown;
    try {
      findCredentials({ env: { HOME: home, METADATA_SERVER_DETECTION: 'none' } });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'cloud.no_credentials', hint: expect.stringContaining('gcloud auth application-default login') });
    expect((err as { hint: string }).hint).toContain(join(home, '.config/gcloud/application_default_credentials.json'));
  });

  test('an access token from the environment or a token file is used as is', () => {
    expect(findCredentials({ env: { GOOGLE_OAUTH_ACCESS_TOKEN: ' tok ' } })).toMatchObject({ source: 'access-token', accessToken: 'tok' });
    const d = tmp();
    writeFileSync(join(d, 't'), 'tok2\n');
    expect(findCredentials({ env: { CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: join(d, 't') } })).toMatchObject({ source: 'access-token', accessToken: 'tok2' });
  });
});

describe('resolveProject', () => {
  function gcloudConfig(project: string, name = 'default'): string {
    const cfg = tmp();
    mkdirSync(join(cfg, 'configurations'));
    writeFileSync(join(cfg, 'active_config'), name);
    writeFileSync(join(cfg, 'configurations', `config_${name}`), `[core]\naccount = me@example.com\nproject = ${project}\n\n[compute]\nregion = us-east1\n`);
    return cfg;
  }

  test('order: config (flags/file/env) > key file > gcloud config > ADC quota project', () => {
    const cfg = gcloudConfig('gcloud-proj');
    const env = { CLOUDSDK_CONFIG: cfg };
    expect(resolveProject('flag-proj', { source: 'env-file', projectId: 'key-project' }, env)).toEqual({ project: 'flag-proj', from: 'config' });
    expect(resolveProject(undefined, { source: 'env-file', projectId: 'key-project' }, env)).toEqual({ project: 'key-project', from: 'key-file' });
    expect(resolveProject(undefined, { source: 'gcloud-adc', quotaProjectId: 'q' }, env)).toEqual({ project: 'gcloud-proj', from: 'gcloud-config' });
    expect(resolveProject(undefined, { source: 'gcloud-adc', quotaProjectId: 'q' }, { CLOUDSDK_CONFIG: tmp() })).toEqual({ project: 'q', from: 'adc-quota-project' });
  });

  test('reads the active named gcloud configuration, and CLOUDSDK_ACTIVE_CONFIG_NAME overrides it', () => {
    const cfg = gcloudConfig('work-proj', 'work');
    writeFileSync(join(cfg, 'configurations', 'config_other'), '[core]\nproject = other-proj\n');
    expect(gcloudConfigProject({ CLOUDSDK_CONFIG: cfg })).toBe('work-proj');
    expect(gcloudConfigProject({ CLOUDSDK_CONFIG: cfg, CLOUDSDK_ACTIVE_CONFIG_NAME: 'other' })).toBe('other-proj');
  });

  test('no project anywhere names every way to set one', () => {
    expect(() => resolveProject(undefined, { source: 'gcloud-adc' }, { CLOUDSDK_CONFIG: tmp() })).toThrow(
      expect.objectContaining({ code: 'cloud.no_project', exitCode: 2, hint: expect.stringContaining('gcloud config set project') }),
    );
  });
});
