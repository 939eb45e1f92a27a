import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { makeTempDir } from '../helpers/tmp.js';
import { photoJpeg } from '../validate/validate-fixtures.js';

/** From a plain train|valid|test/<label>/ tree to a split, as plain commands, with no manifest written by hand. */
const CLI = resolve('dist/src/cli/main.js');
const tmp = makeTempDir('edgewise-init-folders-');
const SPLITS: Record<string, string> = { train: 'train', valid: 'validation', test: 'test' };
const COUNTS: Record<string, number> = { train: 6, valid: 2, test: 2 };

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, '-w', tmp.dir, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', FORCE_COLOR: '0' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error('Compile first: npm run build (dist/src/cli/main.js is missing).');
  for (const folder of Object.keys(SPLITS)) {
    for (const label of ['jacket', 'shoes', 'hat']) {
      mkdirSync(join(tmp.dir, 'photos', folder, label), { recursive: true });
      for (let i = 0; i < COUNTS[folder]!; i++) writeFileSync(join(tmp.dir, 'photos', folder, label, `${i}.jpg`), await photoJpeg(`${folder}-${label}-${i}`));
    }
  }
});
afterAll(() => tmp.cleanup());

describe('edgewise init on a folder-per-label tree', () => {
  it('writes the manifest and says what it found; validate and split then keep every image in its folder\'s split', () => {
    const init = cli(['init', '--no-input', '--images', 'photos']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('Found photos/: 30 images, 3 labels, split folders train, valid, test');
    expect(init.stdout).toContain('Wrote ml/dataset/manifest.csv');

    const validate = cli(['validate']);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    expect(validate.stdout).toContain('Checked 30 rows');

    const split = cli(['split']);
    expect(split.code, split.stdout + split.stderr).toBe(0);
    const rows = parse(readFileSync(join(tmp.dir, 'ml/dataset/splits.csv'), 'utf8'), { columns: true }) as Array<{ image: string; split: string }>;
    expect(rows).toHaveLength(30);
    for (const r of rows) expect(r.split, r.image).toBe(SPLITS[r.image.split('/')[0]!]);
  });

  it('--json reports the layout it found', () => {
    const r = cli(['--json', 'init', '--no-input', '--images', 'photos']);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { output: { dataset: { kind: string; images: number; labels: number; splitFolders: string[]; wrote: string } } };
    expect(last.output.dataset).toMatchObject({ kind: 'folders', images: 30, labels: 3, splitFolders: ['train', 'valid', 'test'], wrote: 'ml/dataset/manifest.csv' });
  });
});
