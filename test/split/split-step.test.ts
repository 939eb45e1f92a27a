import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'csv-stringify/sync';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createContext } from '../../src/core/context.js';
import { EdgewiseError, InputError, CancelledError } from '../../src/core/errors.js';
import { runStepCollect } from '../../src/core/step.js';
import { splitStep } from '../../src/split/split-step.js';
import { readSplitsCsv } from '../../src/split/split-io.js';
import { formatSplitReport } from '../../src/split/split-report.js';
import { makeTempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('edgewise-split-');
});
afterEach(() => tmp.cleanup());

interface Row { image: string; label: string; group?: string; split?: string }

function writeClean(rows: Row[], opts: { split?: boolean; crlf?: boolean; bom?: boolean } = {}): string {
  const cols = ['image', 'label', 'sha256', 'group', ...(opts.split ? ['split'] : []), 'note'];
  let text = stringify(
    rows.map((r) => [r.image, r.label, `sha-${r.image}`, r.group ?? `g-${r.image}`, ...(opts.split ? [r.split ?? ''] : []), 'x']),
    { header: true, columns: cols, record_delimiter: opts.crlf ? '\r\n' : '\n' },
  );
  if (opts.bom) text = '\ufeff' + text;
  const path = join(tmp.dir, 'ml', 'dataset', 'manifest.clean.csv');
  mkdirSync(join(tmp.dir, 'ml', 'dataset'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function ctx(config: ConfigInput = {}, signal?: AbortSignal) {
  return createContext({ root: tmp.dir, config: parseConfig(config, 'test'), ...(signal ? { signal } : {}) });
}

function dataset(classes: string[], perClass: number, prefix = ''): Row[] {
  const rows: Row[] = [];
  for (const c of classes) for (let i = 0; i < perClass; i++) rows.push({ image: `${c}/${prefix}${i}.jpg`, label: c, group: `${c}-${prefix}${Math.floor(i / 2)}` });
  return rows;
}

const dsPath = (...p: string[]): string => join(tmp.dir, 'ml', 'dataset', ...p);

describe('split step', () => {
  it('fails with a clear error telling the user to run validate when the cleaned manifest is missing', async () => {
    const err = await runStepCollect(splitStep, {}, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain('manifest.clean.csv');
    expect((err as InputError).hint).toContain('edgewise validate');
  });

  it('writes splits.csv and the Vertex CSV, keeps clusters whole, and skips an unchanged rerun', async () => {
    writeClean(dataset(['ants', 'bees'], 40), { crlf: true, bom: true });
    const c = ctx({ bucket: 'my-bucket', prefix: 'demo' });
    const { output, events } = await runStepCollect(splitStep, {}, c);
    expect(output.images).toBe(80);
    expect(output.totals).toEqual({ train: 64, validation: 8, test: 8 });
    expect(output.changes).toMatchObject({ previous: 0, moved: 0 });
    expect(events.filter((e) => e.type === 'artifact')).toHaveLength(2);

    const splits = (await readSplitsCsv(dsPath('splits.csv')))!;
    expect(readFileSync(dsPath('splits.csv'), 'utf8').split('\n')[0]).toBe('image,label,split,cluster');
    const byCluster = new Map<string, Set<string>>();
    for (const r of splits) byCluster.set(r.cluster, (byCluster.get(r.cluster) ?? new Set()).add(r.split));
    expect([...byCluster.values()].every((s) => s.size === 1)).toBe(true);

    const vertex = readFileSync(dsPath('vertex_dataset.csv'), 'utf8');
    const lines = vertex.trimEnd().split('\n');
    expect(lines).toHaveLength(80);
    for (const [i, line] of lines.entries()) {
      const r = splits[i]!;
      const use = r.split === 'train' ? 'training' : r.split;
      expect(line).toBe(`${use},gs://my-bucket/demo/images/${r.image},${r.label}`);
    }

    const again = await runStepCollect(splitStep, {}, c);
    expect(again.events.some((e) => e.type === 'step-skip')).toBe(true);
    expect(formatSplitReport(output)).toMatch(/ants\s+32\s+4\s+4\s+40/);
  });

  it('moves 0 existing images when 10% new images are added, and reports the comparison', async () => {
    const first = dataset(['a', 'b', 'c'], 50);
    writeClean(first);
    await runStepCollect(splitStep, {}, ctx());
    const before = new Map((await readSplitsCsv(dsPath('splits.csv')))!.map((r) => [r.image, r.split]));

    writeClean([...first, ...dataset(['a', 'b', 'c'], 5, 'new')]);
    const { output } = await runStepCollect(splitStep, {}, ctx());
    expect(output.changes).toEqual({ previous: 150, moved: 0, added: 15, removed: 0, kept: true });
    const after = (await readSplitsCsv(dsPath('splits.csv')))!;
    for (const r of after) if (before.has(r.image)) expect(r.split).toBe(before.get(r.image));
    expect(output.maxDeviation).toBeLessThanOrEqual(1);
  });

  it('assigns afresh when the ratios change, and reports how many moved', async () => {
    writeClean(dataset(['a', 'b'], 50));
    await runStepCollect(splitStep, {}, ctx());
    const { output } = await runStepCollect(splitStep, { validation: 0.2, test: 0.2 }, ctx());
    expect(output.settings).toMatchObject({ train: 0.6, validation: 0.2, test: 0.2 });
    expect(output.changes.kept).toBe(false);
    expect(output.changes.moved).toBeGreaterThan(0);
    expect(output.totals.test).toBe(20);
  });

  it('respects the manifest split column (training/val/test spellings) and warns about leaking clusters', async () => {
    const rows: Row[] = dataset(['a'], 20).map((r, i) => ({ ...r, split: i < 14 ? 'training' : i < 17 ? 'val' : 'test' }));
    // a/16.jpg (val) and a/17.jpg (test) are in the same cluster: a leak in the user's own split.
    writeClean(rows, { split: true });
    const { output, events } = await runStepCollect(splitStep, {}, ctx());
    expect(output.sources.manifest).toBe(20);
    expect(output.totals).toEqual({ train: 14, validation: 3, test: 3 });
    expect(output.leaks.groups).toBe(1);
    const warn = events.find((e) => e.type === 'warning' && e.code === 'split.leak');
    expect(warn && 'item' in warn ? warn.item : '').toContain('a/16.jpg');
  });

  it('a split column with train/validation only and a 10 % test share: an error naming why; --carve-from-train takes test out of train per class, clusters whole', async () => {
    // Two classes; pairs of images share a cluster (group). 80 % train, 20 % validation in the manifest.
    const rows = dataset(['a', 'b'], 20).map((r, i) => ({ ...r, split: i % 20 < 16 ? 'train' : 'validation' }));
    writeClean(rows, { split: true });
    const err = await runStepCollect(splitStep, {}, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgewiseError);
    expect((err as EdgewiseError).code).toBe('split.empty_split');
    expect((err as EdgewiseError).exitCode).toBe(2);
    expect((err as EdgewiseError).message).toBe("No image for test (10 %): the manifest's split column puts every image in train or validation.");
    expect((err as EdgewiseError).hint).toContain('edgewise split --carve-from-train');
    expect(existsSync(dsPath('splits.csv'))).toBe(false);

    const { output, events } = await runStepCollect(splitStep, { carveFromTrain: true }, ctx());
    expect(output.carved?.splits).toEqual(['test']);
    expect(output.totals.validation).toBe(8);
    expect(output.totals.test).toBe(output.carved!.images);
    expect(output.totals.test).toBeGreaterThan(0);
    expect(output.totals.train + output.totals.test).toBe(32);
    for (const c of output.classes) expect(c.counts.test).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'log' && /took \d+ images? out of train for test/.test(e.message))).toBe(true);
    // Clusters stay whole, and the manifest's validation rows are untouched.
    const written = (await import('csv-parse/sync')).parse(readFileSync(dsPath('splits.csv'), 'utf8'), { columns: true }) as Array<{ image: string; split: string; cluster: string }>;
    const byCluster = new Map<string, Set<string>>();
    for (const r of written) byCluster.set(r.cluster, (byCluster.get(r.cluster) ?? new Set()).add(r.split));
    for (const s of byCluster.values()) expect(s.size).toBe(1);
    const given = new Map(rows.map((r) => [r.image, r.split]));
    for (const r of written) if (given.get(r.image) === 'validation') expect(r.split).toBe('validation');
  });

  it('--carve-from-train on the local backend without a bucket: the report says what it wrote, not "(dry run)"', async () => {
    const rows = dataset(['a', 'b'], 20).map((r, i) => ({ ...r, split: i % 20 < 16 ? 'train' : 'validation' }));
    writeClean(rows, { split: true });
    const { output } = await runStepCollect(splitStep, { carveFromTrain: true }, ctx());
    expect(existsSync(dsPath('splits.csv'))).toBe(true);
    const report = formatSplitReport(output);
    expect(report).not.toContain('dry run');
    expect(report.split('\n').at(-1)).toBe(`Wrote ${output.splitsCsv}.`);
    // A real dry run writes nothing and says so.
    const dry = await runStepCollect(splitStep, { carveFromTrain: true, dryRun: true, fresh: true }, ctx());
    expect(formatSplitReport(dry.output).split('\n').at(-1)).toBe('Dry run: nothing written.');
  });

  it('rejects an unknown split value naming the line', async () => {
    writeClean([{ image: 'x.jpg', label: 'a', split: 'holdout' }], { split: true });
    const err = await runStepCollect(splitStep, {}, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/manifest\.clean\.csv:2: split "holdout"/);
  });

  it('skips the Vertex CSV without a bucket, naming the flag and config that set it (vertex backend only)', async () => {
    writeClean(dataset(['a', 'b'], 12));
    const local = await runStepCollect(splitStep, {}, ctx());
    expect(local.events.filter((e) => e.type === 'warning').map((e) => (e as { code: string }).code)).toEqual([]);
    expect(local.output.vertexCsv).toBeUndefined();
    const vertex = createContext({ root: tmp.dir, config: parseConfig({ backend: 'vertex' }, 'test'), force: true });
    const { output, events } = await runStepCollect(splitStep, {}, vertex);
    expect(existsSync(dsPath('splits.csv'))).toBe(true);
    expect(existsSync(dsPath('vertex_dataset.csv'))).toBe(false);
    expect(output.vertexCsv).toBeUndefined();
    const warn = events.find((e) => e.type === 'warning' && e.code === 'split.no_bucket');
    expect(warn && 'message' in warn ? warn.message : '').toMatch(/--bucket.*"bucket" in edgewise\.json/);
  });

  it('neutralises formulas in splits.csv but keeps the Vertex CSV exact', async () => {
    const rows = dataset(['a'], 10);
    rows[0] = { image: '=HYPERLINK("x").jpg', label: 'a', group: 'evil' };
    rows[1] = { image: '-dash.jpg', label: 'a', group: 'dash' };
    rows[2] = { image: '@at.jpg', label: 'a', group: 'at' };
    writeClean(rows);
    // The quote in the first name cannot go into Vertex's CSV: use names without quotes for that part.
    await expect(runStepCollect(splitStep, {}, ctx({ bucket: 'bkt-1' }))).rejects.toThrow(/HYPERLINK/);
    rows[0] = { image: '=SUM(1).jpg', label: 'a', group: 'evil' };
    writeClean(rows);
    await runStepCollect(splitStep, {}, ctx({ bucket: 'bkt-1', prefix: '' }));
    const raw = readFileSync(dsPath('splits.csv'), 'utf8');
    const cells = raw.split('\n').slice(1).map((l) => l.split(',')[0]);
    expect(cells).toContain("'=SUM(1).jpg");
    expect(cells).toContain("'-dash.jpg");
    expect(cells).toContain("'@at.jpg");
    expect(raw.split('\n').some((l) => /^[=+\-@]/.test(l))).toBe(false);
    const back = (await readSplitsCsv(dsPath('splits.csv')))!.map((r) => r.image);
    expect(back).toContain('=SUM(1).jpg');
    const vertex = readFileSync(dsPath('vertex_dataset.csv'), 'utf8');
    expect(vertex).toMatch(/^(training|validation|test),gs:\/\/bkt-1\/images\/=SUM\(1\)\.jpg,a$/m);
    expect(vertex).toMatch(/,gs:\/\/bkt-1\/images\/-dash\.jpg,a$/m);
  });

  it('a dry run writes nothing and a cancelled run leaves no file', async () => {
    writeClean(dataset(['a', 'b'], 12));
    const dry = await runStepCollect(splitStep, { dryRun: true }, ctx({ bucket: 'bkt-1' }));
    expect(dry.output.dryRun).toBe(true);
    expect(existsSync(dsPath('splits.csv'))).toBe(false);
    const ac = new AbortController();
    ac.abort();
    await expect(runStepCollect(splitStep, {}, ctx({ bucket: 'bkt-1' }, ac.signal))).rejects.toBeInstanceOf(CancelledError);
    expect(existsSync(dsPath('splits.csv'))).toBe(false);
    expect(existsSync(dsPath('vertex_dataset.csv'))).toBe(false);
  });

  it('fails naming a class that has too few distinct images', async () => {
    writeClean([...dataset(['big'], 20), { image: 't1.jpg', label: 'tiny', group: 'x' }, { image: 't2.jpg', label: 'tiny', group: 'x' }]);
    const err = await runStepCollect(splitStep, {}, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain('"tiny"');
  });
});

describe('split of nothing', () => {
  it('is an error naming the cleaned manifest, and writes no splits.csv', async () => {
    writeClean([]);
    const err = await runStepCollect(splitStep, {}, ctx({ bucket: 'my-bucket', prefix: 'demo' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('split.no_images');
    expect((err as InputError).message).toContain('ml/dataset/manifest.clean.csv');
    expect(existsSync(dsPath('splits.csv'))).toBe(false);
    expect(existsSync(dsPath('vertex_dataset.csv'))).toBe(false);
  });
});
