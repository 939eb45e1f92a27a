import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRegistryLocation, redactSecretsOf, redactUrl } from '../../src/registry/store.js';
import { makeWorkspace, writeRun } from '../registry/fixtures.js';

/**
 * Issue 15, item 2: a registry location with an unknown scheme used to become a SQLite file named after the
 * URL (password included) and publish "succeeded" into it. Now: postgres:// / postgresql://, sqlite: URLs
 * and plain paths only; anything else is an error naming the scheme, and the password appears nowhere.
 */
const CLI = resolve('dist/src/cli/main.js');
const PW = 'Sup3rS3cretPw';

let w: ReturnType<typeof makeWorkspace> | undefined;
afterEach(() => {
  w?.cleanup();
  w = undefined;
});

/** Every file and folder name under `dir`, and the text of every small file. */
function everything(dir: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      out.push(p);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.size < 1_000_000) out.push(readFileSync(p, 'latin1'));
    }
  };
  walk(dir);
  return out.join('\n');
}

const BAD: Array<[string, string]> = [
  [`pg://user:${PW}@db.example/registry`, 'pg://'],
  [`postgresql+psycopg2://user:${PW}@db.example/registry`, 'postgresql+psycopg2://'],
  [`mysql://user:${PW}@db.example/registry`, 'mysql://'],
  [` postgres://user:${PW}@db.example/registry`, 'whitespace'],
];

describe('parseRegistryLocation', () => {
  it('accepts postgres URLs, sqlite: URLs and plain paths', () => {
    expect(parseRegistryLocation('postgres://u@h/db')).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
    expect(parseRegistryLocation('POSTGRESQL://u@h/db').kind).toBe('postgres');
    expect(parseRegistryLocation('ml/registry.db')).toEqual({ kind: 'sqlite', path: 'ml/registry.db' });
    expect(parseRegistryLocation('sqlite:ml/r.db')).toEqual({ kind: 'sqlite', path: 'ml/r.db' });
    expect(parseRegistryLocation('sqlite:///var/lib/r.db')).toEqual({ kind: 'sqlite', path: '/var/lib/r.db' });
  });
  it.each(BAD)('refuses %j naming %s, without the password', (url, named) => {
    let err: { code?: string; message: string; item?: string; hint?: string } | undefined;
    try {
      parseRegistryLocation(url);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).toBe('registry.bad_location');
    expect(err!.message).toContain(named);
    expect(JSON.stringify(err) + err!.message + err!.hint).not.toContain(PW);
  });
  it('redacts the password in URLs and in driver messages that quote it (raw or percent-encoded)', () => {
    expect(redactUrl(`postgres://u:${PW}@h/db?sslmode=require&password=${PW}`)).toBe('postgres://u:***@h/db?sslmode=require&password=***');
    expect(redactSecretsOf('postgres://u:p%40ss@h/db', 'auth failed for p@ss at postgres://u:p%40ss@h/db')).toBe('auth failed for *** at postgres://u:***@h/db');
  });
});

describe('the CLI with a bad registry URL', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('Compile first: npm run build (dist/src/cli/main.js is missing).');
  });
  const run = (root: string, args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [CLI, '-w', root, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', FORCE_COLOR: '0', DATABASE_URL: '', EDGEWISE_REGISTRY: '', ...env } });

  it.each(BAD)('DATABASE_URL=%j: versions and publish exit 2 naming the scheme; the password is in no output and no file', (url, named) => {
    w = makeWorkspace();
    writeRun(w.root, 'v001');
    for (const args of [['versions'], ['publish'], ['--json', 'publish']]) {
      const r = run(w.root, args, { DATABASE_URL: url });
      expect(r.status, r.stdout + r.stderr).toBe(2);
      const said = args[0] === '--json' ? (JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { message: string }).message : r.stderr;
      expect(said).toContain(named === 'whitespace' ? 'whitespace before' : `unsupported scheme "${named}"`);
      expect(r.stdout + r.stderr).not.toContain(PW);
    }
    expect(existsSync(join(w.root, 'public'))).toBe(false);
    expect(everything(w.root)).not.toContain(PW);
  });

  it('EDGEWISE_REGISTRY and the config file\'s "registry" are checked the same way', () => {
    w = makeWorkspace();
    const r1 = run(w.root, ['versions'], { EDGEWISE_REGISTRY: `mysql://root:${PW}@localhost/reg` });
    expect(r1.status).toBe(2);
    expect(r1.stderr).toContain('"mysql://"');
    writeFileSync(join(w.root, 'edgewise.json'), JSON.stringify({ registry: `pg://me:${PW}@db/reg` }));
    const r2 = run(w.root, ['--json', 'versions'], {});
    expect(r2.status).toBe(2);
    const last = JSON.parse(r2.stdout.trim().split('\n').at(-1)!) as { code: string; item: string };
    expect(last).toMatchObject({ code: 'registry.bad_location', item: 'pg://me:***@db/reg' });
    expect(r2.stdout + r2.stderr).not.toContain(PW);
  });

  it('a sqlite: URL is a file path', () => {
    w = makeWorkspace();
    writeRun(w.root, 'v001');
    const r = run(w.root, ['publish', '--yes'], { DATABASE_URL: 'sqlite:ml/other.db' });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(w.root, 'ml', 'other.db'))).toBe(true);
  });
});
