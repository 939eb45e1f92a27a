import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createContext } from '../../src/core/context.js';
import { runStepCollect } from '../../src/core/step.js';
import { neutraliseCell } from '../../src/manifest/csv-safety.js';
import { splitStep } from '../../src/split/split-step.js';
import { formatVertexCsv } from '../../src/split/vertex-csv.js';
import { makeTempDir } from '../helpers/tmp.js';

/**
 * Issue 15, item 4: labels a spreadsheet would run (=1+2, +cmd|' /C calc'!A0, @SUM(A1:A9), -2+3) were
 * written raw into vertex_dataset.csv. Vertex cannot import them anyway: refused with the suggested mapping,
 * and no file is written.
 */
const FORMULAS = ['=1+2', "+cmd|' /C calc'!A0", '@SUM(A1:A9)', '-2+3'];

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('edgewise-vertex-formula-');
});
afterEach(() => tmp.cleanup());

describe('formatVertexCsv', () => {
  it.each(FORMULAS)('refuses the label %j, naming it and suggesting a Vertex-safe name', (label) => {
    let err: { code?: string; message: string; hint?: string } | undefined;
    try {
      formatVertexCsv([{ image: 'a.jpg', label, split: 'train' }, { image: 'b.jpg', label: 'ok_label', split: 'test' }], { bucket: 'b-1', prefix: '' });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).toBe('vertex_csv.bad_label');
    expect(err!.message).toContain(`"${label}"`);
    expect(err!.message).toContain('must start with a letter');
    expect(err!.hint).toMatch(/-> "[A-Za-z][A-Za-z0-9_]*"/);
    expect(err!.hint).toContain('--accept-label-mapping');
  });
  it('refuses control characters in image names', () => {
    expect(() => formatVertexCsv([{ image: 'a\x1b[31m.jpg', label: 'ok', split: 'train' }], { bucket: 'b-1', prefix: '' })).toThrow(/control character/);
  });
});

function writeClean(labels: string[]): void {
  const rows: string[][] = [];
  labels.forEach((label, k) => {
    for (let i = 0; i < 12; i++) rows.push([neutraliseCell(`c${k}/${i}.jpg`), neutraliseCell(label), `sha-${k}-${i}`, `g-${k}-${i}`]);
  });
  mkdirSync(join(tmp.dir, 'ml', 'dataset'), { recursive: true });
  writeFileSync(join(tmp.dir, 'ml', 'dataset', 'manifest.clean.csv'), stringify(rows, { header: true, columns: ['image', 'label', 'sha256', 'group'] }));
}
const ctx = (config: ConfigInput) => createContext({ root: tmp.dir, config: parseConfig(config, 'test') });
const vertexCsv = (): string => join(tmp.dir, 'ml', 'dataset', 'vertex_dataset.csv');
const splitsCsv = (): string => join(tmp.dir, 'ml', 'dataset', 'splits.csv');

describe('split with formula labels', () => {
  it('vertex backend: the split is refused and neither vertex_dataset.csv nor splits.csv is written', async () => {
    writeClean(['ants', '=1+2', '@SUM(A1:A9)']);
    const err = (await runStepCollect(splitStep, {}, ctx({ backend: 'vertex', bucket: 'my-bucket' })).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: string; message: string };
    expect(err).toMatchObject({ code: 'vertex_csv.bad_label' });
    expect(err.message).toContain('"=1+2"');
    expect(existsSync(vertexCsv())).toBe(false);
    expect(existsSync(splitsCsv())).toBe(false);
  });

  it('local backend with a bucket: splits.csv is written, the Vertex CSV is not, and a warning says why', async () => {
    writeClean(['ants', "+cmd|' /C calc'!A0"]);
    const { output, events } = await runStepCollect(splitStep, {}, ctx({ backend: 'local', bucket: 'my-bucket' }));
    expect(existsSync(vertexCsv())).toBe(false);
    expect(output.vertexSkipped).toMatch(/cannot import/);
    expect(events.some((e) => e.type === 'warning' && e.code === 'split.vertex_csv_skipped')).toBe(true);
    // splits.csv keeps the label, neutralised for spreadsheets.
    expect(readFileSync(splitsCsv(), 'utf8')).toContain(`'+cmd|' /C calc'!A0`);
    expect(readFileSync(splitsCsv(), 'utf8')).not.toMatch(/,\+cmd/);
  });
});
