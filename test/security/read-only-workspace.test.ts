import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/tmp.js';
import { syntheticWorkspace } from '../train/fixture.js';

/**
 * A workspace the commands cannot write to, on a real read-only mount (a read-only bind mount of the
 * workspace: EROFS even for root, which ignores file permissions) and, for permissions, a child run as
 * `nobody` on a folder it does not own. The tests run as root here and in CI; a mount or a user switch
 * that fails fails the test, it is not skipped. Before the fix `train` said "ENOENT ... mkdir .edgewise"
 * (a recursive mkdir on a read-only disk), an unexpected error, after hashing and converting half-way.
 */
const CLI = resolve('dist/src/cli/main.js');
const tmp = makeTempDir('edgewise-readonly-');
const root = join(tmp.dir, 'ws');
const mounted: string[] = [];

function readOnly(dir: string): void {
  execFileSync('mount', ['--bind', dir, dir]);
  mounted.push(dir);
  execFileSync('mount', ['-o', 'remount,bind,ro', dir]);
}
function unmountAll(): void {
  for (const m of mounted.splice(0).reverse()) execFileSync('umount', [m]);
}

interface Run { status: number | null; stdout: string; stderr: string; result: Record<string, unknown> }

function edgewise(args: string[], opts: { uid?: number; gid?: number } = {}): Run {
  const r = spawnSync(process.execPath, [CLI, '-w', root, ...args], {
    encoding: 'utf8', timeout: 300_000, killSignal: 'SIGKILL', cwd: tmp.dir,
    env: { ...process.env, CI: 'true', HOME: tmp.dir, EDGEWISE_NO_PREFS: '1' }, ...opts,
  });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  let result: Record<string, unknown> = {};
  try {
    result = JSON.parse(last) as Record<string, unknown>;
  } catch {
    // human output
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, result };
}

/** Every file and folder with its size and mtime: "nothing written" is this staying equal. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      out[relative(root, p)] = `${st.isDirectory() ? 'd' : st.size}:${st.mtimeMs}`;
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** Runs `args` on the workspace mounted read-only; returns the run and whether anything changed. */
function onReadOnly(args: string[]): Run {
  const before = snapshot(root);
  readOnly(root);
  try {
    return edgewise(args);
  } finally {
    unmountAll();
    expect(snapshot(root)).toEqual(before);
  }
}

function expectReadOnly(r: Run, folder: string): void {
  expect(r.status, r.stderr + r.stdout).toBe(1);
  const error = r.result as { code?: string; message?: string; item?: string };
  expect(error?.code, JSON.stringify(r.result)).toBe('workspace.read_only');
  expect(error?.message).toContain('read-only file system');
  expect(error?.message).toContain(folder);
  expect(error?.message).toContain('nothing was changed');
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('Compile first: npm run build (dist/src/cli/main.js is missing).');
  await syntheticWorkspace(root, { perClass: 6, size: [64, 96] });
}, 120_000);
afterAll(() => {
  unmountAll();
  tmp.cleanup();
});

// Each test runs the CLI several times (train and eval among them): minutes on a loaded machine.
describe('a read-only workspace: every writing command refuses by name before it writes', { timeout: 600_000 }, () => {
  it('validate --force names the read-only folder; an up-to-date validate still runs (it writes nothing)', () => {
    const first = edgewise(['--json', 'validate']);
    expect(first.status, first.stderr).toBe(0);
    expectReadOnly(onReadOnly(['--json', 'validate', '--force']), '.edgewise');
    const human = onReadOnly(['validate', '--force']);
    expect(human.status).toBe(1);
    expect(human.stderr).toMatch(/The workspace is read-only: \.edgewise is on a read-only file system \(EROFS\)/);
    expect(human.stderr).not.toContain('unexpected error');
    const skipped = onReadOnly(['--json', 'validate']);
    expect(skipped.status, skipped.stderr).toBe(0);
  });

  it('train (local) says read-only, not ENOENT, and writes no cache, model or journal', () => {
    const r = onReadOnly(['--json', 'train', '--backend', 'local']);
    expectReadOnly(r, '.edgewise');
    expect(r.stdout + r.stderr).not.toContain('ENOENT');
    // Refused before the step started: no hashing, no embedding, no LiteRT conversion attempt.
    expect(r.stdout).not.toContain('"type":"progress"');
    expect(r.stdout).not.toContain('train.litert_unavailable');
  });

  it('eval and tune say read-only; an up-to-date eval still runs', () => {
    const trained = edgewise(['--json', 'train', '--backend', 'local']);
    expect(trained.status, trained.stderr + trained.stdout.slice(-2000)).toBe(0);
    expectReadOnly(onReadOnly(['--json', 'eval']), '.edgewise');
    const evaluated = edgewise(['--json', 'eval']);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(onReadOnly(['--json', 'eval']).status).toBe(0);
    expectReadOnly(onReadOnly(['--json', 'tune', '--target-accuracy', '0.5']), '.edgewise');
    // A dry run writes nothing, so it runs on a read-only workspace.
    expect(onReadOnly(['--json', 'tune', '--target-accuracy', '0.5', '--dry-run']).status).toBe(0);
  });

  it('a folder this user cannot write (run as nobody): workspace.not_writable naming it, nothing written', () => {
    const nobody = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))?.split(':');
    if (!nobody) throw new Error('no `nobody` user in /etc/passwd: this test runs the CLI as an unprivileged user');
    const [uid, gid] = [Number(nobody[2]), Number(nobody[3])];
    chmodSync(tmp.dir, 0o755);
    execFileSync('chown', ['-R', `${uid}:${gid}`, root]);
    // Everything is nobody's except ml/dataset (where validate writes its report), root's and read-only to others.
    execFileSync('chown', ['root:root', join(root, 'ml', 'dataset')]);
    chmodSync(join(root, 'ml', 'dataset'), 0o755);
    const before = snapshot(root);
    const r = edgewise(['--json', 'validate', '--force'], { uid, gid });
    expect(r.status, r.stderr + r.stdout).toBe(1);
    const error = r.result as { code?: string; message?: string };
    expect(error.code, JSON.stringify(r.result)).toBe('workspace.not_writable');
    expect(error.message).toContain('ml/dataset cannot be written by this user (EACCES)');
    // The hash cache and the journal (nobody's to write) were not touched either.
    expect(snapshot(root)).toEqual(before);
  });
});
