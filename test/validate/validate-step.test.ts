import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema, type ConfigInput } from '../../src/config/schema.js';
import { createContext } from '../../src/core/context.js';
import { runStepCollect } from '../../src/core/step.js';
import { InputError } from '../../src/core/errors.js';
import { generateSyntheticDataset, type SyntheticDataset } from '../../src/synthetic/synthetic.js';
import type { ValidationReport } from '../../src/validate/validate-report.js';
import { validateStep, type ValidateInput } from '../../src/validate/validate-step.js';
import { makeTempDir } from '../helpers/tmp.js';
import sharp from 'sharp';
import { photo, photoJpeg, raw, scene } from './validate-fixtures.js';

async function validate(root: string, input: ValidateInput = {}, config: ConfigInput = {}) {
  const ctx = createContext({ root, config: ConfigSchema.parse(config), force: true });
  const { output, events } = await runStepCollect(validateStep, input, ctx);
  const report = JSON.parse(readFileSync(ctx.workspace.abs(output.reportPath), 'utf8')) as ValidationReport;
  const clean = parse(readFileSync(ctx.workspace.abs(output.cleanManifestPath), 'utf8'), { columns: true }) as Array<Record<string, string>>;
  const header = readFileSync(ctx.workspace.abs(output.cleanManifestPath), 'utf8').split(/\r?\n/)[0];
  return { output, events, report, clean, header };
}

const FAULT_CODE: Record<string, string> = {
  corrupt: 'image.corrupt',
  not_an_image: 'image.not_an_image',
  too_small: 'image.too_small',
  missing_file: 'image.missing',
  label_conflict: 'duplicate.label_conflict',
  exact_duplicate: 'duplicate.exact',
  near_duplicate: 'duplicate.near',
};

describe('validate on the synthetic dataset with planted faults', () => {
  const tmp = makeTempDir();
  let ds: SyntheticDataset;
  let result: Awaited<ReturnType<typeof validate>>;
  beforeAll(async () => {
    ds = await generateSyntheticDataset({ root: tmp.dir });
    result = await validate(tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  it('reports every planted fault with the right kind', () => {
    const { report } = result;
    const all = [...report.errors, ...report.warnings];
    for (const f of ds.faults) {
      const code = FAULT_CODE[f.kind]!;
      const about = new Set([f.image, f.of].filter(Boolean));
      const hit = all.find((x) => x.code === code && about.has(x.item));
      expect(hit, `${f.kind} ${f.image}`).toBeDefined();
      if (f.of) {
        const cluster = report.clusters.find((c) => c.members.some((m) => m.image === f.image));
        expect(cluster, `cluster for ${f.image}`).toBeDefined();
        expect(cluster!.members.map((m) => m.image).sort()).toEqual([f.image, f.of].sort());
        expect(cluster!.kind).toBe(f.kind === 'near_duplicate' ? 'near' : 'exact');
        expect(cluster!.labelConflict).toBe(f.kind === 'label_conflict');
      }
    }
  });

  it('reports nothing else: every error and every duplicate cluster is a planted fault', () => {
    const { report } = result;
    const faultImages = new Set(ds.faults.map((f) => f.image));
    for (const e of report.errors) expect(faultImages.has(e.item), `unexpected error ${e.code} ${e.item}`).toBe(true);
    expect(report.errors.length).toBe(ds.faults.filter((f) => !['exact_duplicate', 'near_duplicate'].includes(f.kind)).length);
    const planted = ds.faults.filter((f) => f.of).map((f) => [f.image, f.of!].sort().join('|'));
    expect(report.clusters.map((c) => c.members.map((m) => m.image).sort().join('|')).sort()).toEqual(planted.sort());
    for (const w of report.warnings.filter((x) => x.code.startsWith('duplicate.'))) {
      const c = report.clusters.find((cl) => cl.members.some((m) => m.image === w.item));
      expect(c).toBeDefined();
    }
  });

  it('writes the cleaned manifest by the contract: one row per kept image, groups shared within clusters', () => {
    const { report, clean, header } = result;
    expect(header).toBe('image,label,sha256,group');
    expect(clean.length).toBe(report.summary.kept);
    const images = new Set(clean.map((r) => r.image));
    for (const f of ds.faults.filter((x) => !x.of)) expect(images.has(f.image)).toBe(false);
    for (const c of report.clusters) {
      const present = c.members.filter((m) => images.has(m.image));
      expect(present.map((m) => m.image)).toEqual([c.keep]);
      expect(clean.find((r) => r.image === c.keep)!.group).toBe(c.id);
    }
    const lone = clean.find((r) => !report.clusters.some((c) => c.members.some((m) => m.image === r.image)))!;
    expect(lone.group).toBe(lone.sha256);
    expect(lone.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The label conflict keeps the original, with its own label.
    const conflict = ds.faults.find((f) => f.kind === 'label_conflict')!;
    const orig = clean.find((r) => r.image === conflict.of)!;
    expect(orig.label).not.toBe(conflict.label);
    expect(images.has(conflict.image)).toBe(false);
  });

  it('emits progress for scan, hash and index, and climbing finding counters', () => {
    const { events } = result;
    const phases = new Set(events.filter((e) => e.type === 'progress').map((e) => (e as { phase?: string }).phase));
    expect([...phases]).toEqual(['scan', 'hash', 'index']);
    const errs = events.filter((e) => e.type === 'metric' && e.name === 'errors').map((e) => (e as { value: number }).value);
    expect(errs.at(-1)).toBe(result.report.errors.length);
    expect(errs[0]!).toBeLessThan(errs.at(-1)!);
  });
});

describe('validate: cache, overrides, split column, labels', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  afterEach(() => tmp?.cleanup());

  async function smallWorkspace(rows: string[], header = 'image,label'): Promise<string> {
    tmp = makeTempDir();
    const images = join(tmp.dir, 'ml', 'dataset', 'images');
    mkdirSync(images, { recursive: true });
    for (let i = 0; i < 4; i++) writeFileSync(join(images, `p${i}.jpg`), await photoJpeg(`p${i}`));
    writeFileSync(join(images, 'p0_copy.jpg'), readFileSync(join(images, 'p0.jpg')));
    writeFileSync(join(images, 'p1_small.jpg'), await raw(photo(160, 120, 'p1')).resize(112).jpeg({ quality: 70 }).toBuffer());
    writeFileSync(join(tmp.dir, 'secret.jpg'), await photoJpeg('secret'));
    symlinkSync(join(tmp.dir, 'secret.jpg'), join(images, 'escape.jpg'));
    writeFileSync(join(tmp.dir, 'ml', 'dataset', 'manifest.csv'), [header, ...rows].join('\r\n') + '\r\n');
    return tmp.dir;
  }

  it('most images missing (a wrong images folder) is an error, not done: report written, no cleaned manifest, not journalled', async () => {
    const root = await smallWorkspace(['p0.jpg,a', 'photos/p1.jpg,a', 'photos/p2.jpg,b', 'photos/p3.jpg,b']);
    const ctx = createContext({ root, config: ConfigSchema.parse({}), force: true });
    const err = await runStepCollect(validateStep, {}, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('validate.images_missing');
    expect((err as InputError).message).toBe('3 of 4 images in the manifest are missing from ml/dataset/images (e.g. photos/p1.jpg, photos/p2.jpg, photos/p3.jpg).');
    expect((err as InputError).hint).toContain('paths.images');
    expect(existsSync(join(root, 'ml/dataset/report.json'))).toBe(true);
    expect(existsSync(join(root, 'ml/dataset/manifest.clean.csv'))).toBe(false);
    expect(ctx.journal.step('validate')).toBeUndefined();
    // The wizard's preview (a dry run) fails the same way.
    const dry = await runStepCollect(validateStep, { dryRun: true }, ctx).catch((e: unknown) => e);
    expect((dry as InputError).code).toBe('validate.images_missing');
  });

  it('a row refused for its empty label counts as rejected and does not make its image "unlisted"', async () => {
    const root = await smallWorkspace(['p0.jpg,a', 'p1.jpg,', 'p2.jpg,b', 'p3.jpg,b', 'p0_copy.jpg,a', 'p1_small.jpg,a', 'escape.jpg,a']);
    const { report } = await validate(root);
    const unlisted = report.warnings.find((w) => w.code === 'images.unlisted');
    expect(unlisted?.message ?? '').not.toContain('p1.jpg');
    expect(report.summary.rows).toBe(7);
    expect(report.summary.kept + report.summary.dropped + report.summary.rejected).toBe(report.summary.rows);
  });

  it('says how alike a mislabelled pair is: byte-identical, or nearly identical with its distance', async () => {
    const root = await smallWorkspace(['p0.jpg,a', 'p0_copy.jpg,b', 'p1.jpg,a', 'p1_small.jpg,b', 'p2.jpg,a', 'p3.jpg,b', 'escape.jpg,a']);
    const { report } = await validate(root);
    const conflicts = report.errors.filter((e) => e.code === 'duplicate.label_conflict');
    expect(conflicts).toHaveLength(2);
    const exact = conflicts.find((e) => e.item.startsWith('p0'))!;
    const resized = conflicts.find((e) => e.item.startsWith('p1'))!;
    expect(exact.message).toMatch(/but byte-identical to "p0(_copy)?\.jpg"/);
    // A resized copy is never "identical", whatever its pHash distance (often 0).
    expect(resized.message).toMatch(/but nearly identical \(pHash distance \d\) to "p1(_small)?\.jpg"/);
  });

  it('catches a re-crop the hashes miss (on by default) and says it was confirmed as one', async () => {
    const root = await smallWorkspace(['p0.jpg,a', 'p1.jpg,b', 'p3.jpg,b', 'big.jpg,a', 'big_recrop.jpg,a']);
    const big = await scene('pose-a');
    const images = join(root, 'ml', 'dataset', 'images');
    writeFileSync(join(images, 'big.jpg'), big);
    // 7 % of the rows cut, then half the size at JPEG quality 40 (thumb-match.test.ts: the hashes miss it).
    writeFileSync(join(images, 'big_recrop.jpg'), await sharp(big).extract({ left: 0, top: 25, width: 480, height: 335 }).resize(240).jpeg({ quality: 40 }).toBuffer());
    const { report } = await validate(root);
    const cluster = report.clusters.find((c) => c.members.some((m) => m.image === 'big_recrop.jpg'));
    expect(cluster?.members.map((m) => [m.image, m.recrop ?? false])).toEqual([['big.jpg', false], ['big_recrop.jpg', true]]);
    const finding = report.warnings.find((w) => w.code === 'duplicate.near' && w.item === 'big_recrop.jpg');
    expect(finding?.message).toContain('confirmed as a re-crop');
    // The hashes alone do not join them.
    const off = await validate(root, {}, { validate: { confirmRecrops: false } });
    expect(off.report.clusters.filter((c) => c.members.some((m) => m.image === 'big_recrop.jpg'))).toEqual([]);
  });

  it('hashes only new or changed files on a rerun (cache keyed by path, size, mtime), and never touches the images', async () => {
    const root = await smallWorkspace(['p0.jpg,a', 'p1.jpg,a', 'p2.jpg,b', 'p3.jpg,b']);
    const imagesDir = join(root, 'ml', 'dataset', 'images');
    const snapshot = (): string[] =>
      readdirSync(imagesDir).sort().map((f) => {
        const st = lstatSync(join(imagesDir, f));
        return `${f}:${st.size}:${st.mtimeMs}:${createHash('sha256').update(st.isFile() ? readFileSync(join(imagesDir, f)) : '').digest('hex')}`;
      });
    const before = snapshot();
    const first = await validate(root);
    expect(first.output.summary).toMatchObject({ hashed: 4, cached: 0 });
    expect(snapshot()).toEqual(before);
    // p0_copy, p1_small and the escaping link are in the folder but not in this manifest.
    expect(first.report.warnings.find((w) => w.code === 'images.unlisted')?.message).toMatch(/^3 files are in the images folder/);
    expect((await validate(root)).output.summary).toMatchObject({ hashed: 0, cached: 4 });
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'ml', 'dataset', 'images', 'p2.jpg'), later, later);
    expect((await validate(root)).output.summary).toMatchObject({ hashed: 1, cached: 3 });
  });

  it('refuses a symlink escaping the images folder, reports split leakage, keeps extra columns, honours overrides', async () => {
    const root = await smallWorkspace(
      ['p0.jpg,a,train,ann', 'p0_copy.jpg,a,test,bob', 'p1.jpg,a,train,', 'p1_small.jpg,a,validation,', 'p2.jpg,b,,', 'p3.jpg,b,,', 'escape.jpg,b,,'],
      'image,label,split,photographer',
    );
    const first = await validate(root);
    expect(first.report.errors.map((e) => [e.code, e.item, e.line])).toEqual([['path.escape', 'escape.jpg', 8]]);
    expect(first.header).toBe('image,label,sha256,group,split,photographer');
    expect(first.clean.map((r) => r.image).sort()).toEqual(['p0.jpg', 'p1.jpg', 'p2.jpg', 'p3.jpg']);
    expect(first.clean.find((r) => r.image === 'p0.jpg')).toMatchObject({ split: 'train', photographer: 'ann' });
    expect(first.report.clusters.map((c) => [c.kind, c.splitLeak])).toEqual([['exact', true], ['near', true]]);
    expect(first.report.warnings.filter((w) => w.code === 'split.leakage').length).toBe(2);
    // The person keeps both copies of p0 and swaps which p1 is kept.
    const second = await validate(root, { overrides: { 'p0_copy.jpg': 'keep', 'p1.jpg': 'drop', 'p1_small.jpg': 'keep' } });
    const rows = new Map(second.clean.map((r) => [r.image, r]));
    expect([...rows.keys()].sort()).toEqual(['p0.jpg', 'p0_copy.jpg', 'p1_small.jpg', 'p2.jpg', 'p3.jpg']);
    expect(rows.get('p0.jpg')!.group).toBe(rows.get('p0_copy.jpg')!.group);
    const c1 = second.report.clusters.find((c) => c.members.some((m) => m.image === 'p1.jpg'))!;
    expect(c1.keep).toBe('p1_small.jpg');
    expect(c1.members.find((m) => m.image === 'p1.jpg')!.distance).toBeGreaterThanOrEqual(0);
  });

  it('checks labels against Vertex rules and applies the suggested mapping when accepted', async () => {
    const root = await smallWorkspace(['p0.jpg,honey bee', 'p1.jpg, honey bee ', 'p2.jpg,wasp', 'p3.jpg,wasp']);
    const vertex = { backend: 'vertex' as const };
    const refused = await validate(root, {}, vertex);
    const labelErr = refused.report.errors.find((e) => e.code === 'label.vertex_rule')!;
    expect(labelErr).toMatchObject({ item: 'label "honey bee"', line: 2 });
    expect(labelErr.hint).toContain('honey_bee');
    expect(refused.report.suggestedLabelMapping).toEqual({ 'honey bee': 'honey_bee' });
    expect(refused.report.errors.filter((e) => e.code === 'balance.too_few_images').map((e) => e.item).sort()).toEqual(['honey bee', 'wasp']);
    const accepted = await validate(root, { acceptLabelMapping: true }, vertex);
    expect(accepted.report.errors.some((e) => e.code === 'label.vertex_rule')).toBe(false);
    expect(accepted.report.labelMapping).toEqual({ 'honey bee': 'honey_bee' });
    expect(accepted.clean.filter((r) => r.label === 'honey_bee').length).toBe(2);
    // Local backend: Vertex's naming rules do not apply, so nothing is said about them.
    const local = await validate(root);
    expect(local.report.errors.some((e) => e.code === 'label.vertex_rule')).toBe(false);
    expect(local.report.warnings.some((e) => e.code === 'label.vertex_rule')).toBe(false);
  });

  it('reads a name ending in a space exactly, and a cell padded around an existing name as that name', async () => {
    const root = await smallWorkspace(['"p0 .jpg",a', ' p2.jpg ,b', 'p3.jpg,b']);
    const images = join(root, 'ml', 'dataset', 'images');
    writeFileSync(join(images, 'p0 .jpg'), await photoJpeg('p0 space'));
    const { report, clean } = await validate(root);
    expect(report.errors.filter((e) => e.code === 'image.missing')).toEqual([]);
    expect(clean.map((r) => r.image).sort()).toEqual(['p0 .jpg', 'p2.jpg', 'p3.jpg']);
  });

  it('two cells padded around one existing name: the first is read as that name, the second is not taken for it too', async () => {
    // Both trim to p2.jpg. Read as one image twice, they made a duplicate cluster of p2.jpg with itself and
    // p2.jpg was dropped from the cleaned manifest altogether.
    const root = await smallWorkspace(['p0.jpg,a', 'p1.jpg,a', ' p2.jpg ,b', '"p2.jpg  ",b', 'p3.jpg,b']);
    const { report, clean } = await validate(root);
    expect(clean.map((r) => r.image).sort()).toEqual(['p0.jpg', 'p1.jpg', 'p2.jpg', 'p3.jpg']);
    expect(report.clusters).toEqual([]);
    expect(report.errors.map((e) => [e.code, e.line])).toEqual([['image.missing', 5]]);
  });

  it('a label with a line break is an error on the local backend too, and its image is not kept', async () => {
    const root = await smallWorkspace(['p0.jpg,"a\nb"', 'p1.jpg,a', 'p2.jpg,b', 'p3.jpg,b']);
    const { report, clean } = await validate(root);
    expect(report.errors.map((e) => [e.code, e.line])).toEqual([['label.control_character', 2]]);
    expect(clean.map((r) => r.image).sort()).toEqual(['p1.jpg', 'p2.jpg', 'p3.jpg']);
  });

  it('one class for "café" typed in NFC and NFD, with a warning that they were merged', async () => {
    const root = await smallWorkspace(['p0.jpg,caf\u00e9', 'p2.jpg,cafe\u0301', 'p3.jpg,b']);
    const { report, clean } = await validate(root);
    expect(report.classCounts).toEqual({ 'caf\u00e9': 2, b: 1 });
    expect(clean.filter((r) => r.label === 'caf\u00e9').length).toBe(2);
    expect(report.warnings.filter((w) => w.code === 'label.unicode_merged').length).toBe(1);
  });

  it('refuses a Latin-1 manifest naming the line, and writes nothing', async () => {
    const root = await smallWorkspace([]);
    writeFileSync(join(root, 'ml', 'dataset', 'manifest.csv'), Buffer.from('image,label\np0.jpg,a\np2.jpg,caf\u00e9\n', 'latin1'));
    const ctx = createContext({ root, config: ConfigSchema.parse({}), force: true });
    const err = await runStepCollect(validateStep, {}, ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'manifest.encoding', item: 'ml/dataset/manifest.csv:3' });
    expect(existsSync(join(root, 'ml', 'dataset', 'report.json'))).toBe(false);
  });
});
