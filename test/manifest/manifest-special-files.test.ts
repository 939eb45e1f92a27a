import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/tmp.js';
import { syntheticWorkspace } from '../train/fixture.js';

/**
 * A manifest that is not a regular file is refused by name (FIFO, device, socket, folder, symlink loop),
 * promptly: before the fix a FIFO blocked validate forever and a link to /dev/zero read until memory ran
 * out. Rows naming paths the system cannot follow are findings on their line, not a crash.
 */
const CLI = resolve('dist/src/cli/main.js');
const tmp = makeTempDir('edgewise-manifest-special-');
const template = join(tmp.dir, 'template');
/** A run that blocks is killed here and fails the test (a correct run takes a few seconds). */
const TIMEOUT_MS = 40_000;
const servers: Server[] = [];

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('Compile first: npm run build (dist/src/cli/main.js is missing).');
  await syntheticWorkspace(template, { perClass: 4, size: [48, 64] });
});
afterAll(() => {
  for (const s of servers) s.close();
  tmp.cleanup();
});

let n = 0;
function workspace(): { root: string; manifest: string } {
  const root = join(tmp.dir, `ws-${n++}`);
  cpSync(template, root, { recursive: true });
  return { root, manifest: join(root, 'ml', 'dataset', 'manifest.csv') };
}

function validate(root: string): { status: number | null; signal: string | null; result: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [CLI, '-w', root, '--json', 'validate', '--force'], { encoding: 'utf8', timeout: TIMEOUT_MS, killSignal: 'SIGKILL', env: { ...process.env, CI: 'true' } });
  const last = r.stdout.trim().split('\n').at(-1) ?? '{}';
  return { status: r.status, signal: r.signal, result: JSON.parse(last) as Record<string, unknown> };
}

describe('validate: the manifest must be a regular file of sane size', () => {
  const cases: Array<[string, (manifest: string) => Promise<void> | void, RegExp]> = [
    ['a FIFO', (m) => void execFileSync('mkfifo', [m]), /is a named pipe \(FIFO\), not a file/],
    ['a symlink to /dev/zero', (m) => symlinkSync('/dev/zero', m), /is a character device, not a file/],
    ['a folder', (m) => mkdirSync(m), /is a folder, not a file/],
    [
      'a Unix socket',
      (m) =>
        new Promise<void>((ok) => {
          const s = createServer();
          servers.push(s);
          s.listen(m, ok);
        }),
      /is a socket, not a file/,
    ],
    [
      'a symlink loop',
      (m) => {
        symlinkSync(`${m}.b`, m);
        symlinkSync(m, `${m}.b`);
      },
      /symbolic link loop/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`${what}: exit 2 with a named error, promptly`, async () => {
      const w = workspace();
      rmSync(w.manifest);
      await make(w.manifest);
      const r = validate(w.root);
      expect(r.signal, 'validate was killed after blocking').toBeNull();
      expect(r.status).toBe(2);
      expect(r.result).toMatchObject({ type: 'error', ok: false, exitCode: 2 });
      expect(String(r.result.code)).toMatch(/^manifest\./);
      expect(String(r.result.message)).toMatch(message);
      expect(existsSync(join(w.root, 'ml', 'dataset', 'report.json'))).toBe(false);
    }, TIMEOUT_MS + 10_000);
  }

  it('a manifest above validate.maxManifestBytes is refused, naming the setting', () => {
    const w = workspace();
    writeFileSync(join(w.root, 'edgewise.json'), JSON.stringify({ validate: { maxManifestBytes: 100 } }));
    const r = validate(w.root);
    expect(r.status).toBe(2);
    expect(r.result).toMatchObject({ code: 'manifest.too_large' });
    expect(String(r.result.hint)).toContain('validate.maxManifestBytes');
  });
});

describe('validate: rows the file system cannot follow are findings on their line', () => {
  it('a NUL byte, a 300-character name and a symlink loop: exit 2, each row named, the rest validated', () => {
    const w = workspace();
    symlinkSync('loop-b', join(w.root, 'ml', 'dataset', 'images', 'loop-a'));
    symlinkSync('loop-a', join(w.root, 'ml', 'dataset', 'images', 'loop-b'));
    const rows = [`circle/${'a'.repeat(300)}.jpg,circle`, 'loop-a,circle', 'circle/bad\0name.jpg,circle'];
    writeFileSync(w.manifest, readFileSync(w.manifest, 'utf8') + rows.join('\n') + '\n');
    const r = validate(w.root);
    expect(r.status).toBe(2);
    expect(r.result).toMatchObject({ type: 'result', ok: true });
    const report = JSON.parse(readFileSync(join(w.root, 'ml', 'dataset', 'report.json'), 'utf8')) as { findings?: unknown };
    const text = JSON.stringify(report);
    for (const code of ['path.name_too_long', 'path.symlink_loop', 'path.nul']) expect(text).toContain(code);
  });
});
