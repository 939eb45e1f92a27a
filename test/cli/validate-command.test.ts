import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/tmp.js';
import { photoJpeg } from '../validate/validate-fixtures.js';

/** `edgewise validate` as a user runs it: the compiled CLI (npm test builds first). */
const CLI = resolve('dist/src/cli/main.js');
const tmp = makeTempDir('edgewise-validate-cli-');

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '-w', tmp.dir, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('Compile first: npm run build (dist/src/cli/main.js is missing).');
  const images = join(tmp.dir, 'ml', 'dataset', 'images');
  mkdirSync(images, { recursive: true });
  const rows = ['image,label'];
  for (const label of ['ant', 'bee']) {
    for (let i = 0; i < 10; i++) {
      writeFileSync(join(images, `${label}${i}.jpg`), await photoJpeg(`${label}${i}`));
      rows.push(`${label}${i}.jpg,${label}`);
    }
  }
  writeFileSync(join(images, 'ant0_copy.jpg'), await photoJpeg('ant0'));
  rows.push('ant0_copy.jpg,ant');
  writeFileSync(join(tmp.dir, 'ml', 'dataset', 'manifest.csv'), rows.join('\n') + '\n');
});
afterAll(() => tmp.cleanup());

describe('edgewise validate', () => {
  it('exits 0 and prints a summary when there are no errors', () => {
    const r = cli(['validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Checked 21 rows');
    expect(r.stdout).toContain('20 kept, 1 duplicate dropped, 0 rejected');
    expect(r.stdout).toContain('1 exact group');
    expect(r.stdout).toContain('Next: edgewise split');
  });

  it('exits 2 naming the file and line when there are errors; --json carries the full report', () => {
    writeFileSync(join(tmp.dir, 'ml', 'dataset', 'images', 'broken.jpg'), 'not a jpeg');
    writeFileSync(join(tmp.dir, 'ml', 'dataset', 'manifest.csv'), 'image,label\nbroken.jpg,ant\n../outside.jpg,bee\n' + ['ant', 'bee'].flatMap((l) => Array.from({ length: 10 }, (_, i) => `${l}${i}.jpg,${l}`)).join('\n') + '\n');
    const human = cli(['validate']);
    expect(human.code).toBe(2);
    expect(human.stdout).toMatch(/broken\.jpg \(line 2\): the file is not an image/);
    expect(human.stdout).toMatch(/\.\.\/outside\.jpg \(line 3\): .*outside the images folder/);
    // Both count as rejected: the image that failed its checks and the row refused before reading it.
    expect(human.stdout).toContain('Checked 22 rows');
    expect(human.stdout).toContain('20 kept, 0 duplicates dropped, 2 rejected');
    const json = cli(['--json', 'validate']);
    expect(json.code).toBe(2);
    const last = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as { type: string; output: { errors: Array<{ code: string; line: number }>; clusters: unknown[]; classCounts: Record<string, number> } };
    expect(last.type).toBe('result');
    expect(last.output.errors.map((e) => [e.code, e.line])).toEqual([['image.not_an_image', 2], ['path.escape', 3]]);
    expect(last.output.classCounts).toEqual({ ant: 10, bee: 10 });
    expect(Array.isArray(last.output.clusters)).toBe(true);
  });

  it('rejects a bad --radius before doing anything', () => {
    const r = cli(['validate', '--radius', '40']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--radius must be a whole number of bits from 0 to 12');
  });
});

describe('a moved workspace', () => {
  it('prints its paths relative to where it is now, and the journal records no absolute path', async () => {
    const parent = makeTempDir('edgewise-moved-');
    try {
      const before = join(parent.dir, 'before');
      const images = join(before, 'ml', 'dataset', 'images');
      mkdirSync(images, { recursive: true });
      const rows = ['image,label'];
      for (const label of ['ant', 'bee']) {
        for (let i = 0; i < 3; i++) {
          writeFileSync(join(images, `${label}${i}.jpg`), await photoJpeg(`moved-${label}${i}`));
          rows.push(`${label}${i}.jpg,${label}`);
        }
      }
      writeFileSync(join(before, 'ml', 'dataset', 'manifest.csv'), rows.join('\n') + '\n');
      const run = (dir: string, args: string[]) => spawnSync(process.execPath, [CLI, '-w', dir, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', FORCE_COLOR: '0' } });
      expect(run(before, ['validate']).status).toBe(0);
      const after = join(parent.dir, 'after');
      renameSync(before, after);
      // Unchanged inputs: the step is skipped and its recorded output printed.
      for (const args of [['validate'], ['--json', 'validate']]) {
        const r = run(after, args);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout + r.stderr).not.toContain(before);
      }
      expect(run(after, ['validate']).stdout).toContain('Report: ml/dataset/report.json');
      expect(readFileSync(join(after, '.edgewise', 'journal.json'), 'utf8')).not.toContain(parent.dir);
    } finally {
      parent.cleanup();
    }
  });
});
