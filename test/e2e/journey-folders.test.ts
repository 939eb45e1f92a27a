import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src/synthetic/synthetic.js';
import { cliJson, expectTitleOnTop, useJourney } from './journey-shell.js';

const SPLIT_OF: Record<string, string> = { train: 'train', validation: 'validation', test: 'test' };

/**
 * A new user's folders, as most photo collections come: photos/train|validation|test/<label>/*.jpg and no
 * manifest. In a real terminal at 80×24 with keys only: Configure finds the folder and says what it holds,
 * writes the manifest, and the job runs to a published model; every image stays in the split its folder names.
 */
describe('e2e journey (tmux, 80×24): from train/validation/test/<label>/ folders to a published model, keys only', () => {
  const j = useJourney();

  it('configures from the folder tree, validates, splits by folder, trains, evaluates, tunes and publishes', { timeout: 480_000 }, async () => {
    const root = j.workspace('edgewise-folders-');
    // Photos drawn by the synthetic generator elsewhere, then laid out the way a download is.
    const scratch = j.workspace('edgewise-folders-src-');
    const data = await generateSyntheticDataset({ root: scratch, classes: 3, perClass: 15, seed: 'folders', size: [96, 128], faults: false });
    const placed: Array<{ path: string; split: string }> = [];
    const count: Record<string, number> = {};
    for (const img of data.images) {
      const k = (count[img.label] = (count[img.label] ?? 0) + 1);
      const split = k % 5 === 0 ? 'test' : k % 5 === 4 ? 'validation' : 'train';
      const rel = `${split}/${img.label}/${basename(img.image)}`;
      mkdirSync(join(root, 'photos', split, img.label), { recursive: true });
      copyFileSync(join(data.imagesDir, img.image), join(root, 'photos', rel));
      placed.push({ path: rel, split });
    }
    expect(existsSync(join(root, 'ml'))).toBe(false);
    const t = j.terminal(root);

    // Configure: the typed field shows the folder it found with its split folders; ⏎ accepts it.
    const wizard = t.type('edgewise');
    await t.waitFor('Where should models train?');
    t.keys('Enter');
    let s = await t.waitFor('Images folder');
    expect(s).toMatch(/photos \(45 images, split folders train, validation, test\)/);
    expect(s).toContain('type or edit › photos');
    t.keys('Enter');
    await t.waitFor('Which network should local training start from?');
    t.keys('Enter');
    s = await t.waitFor('⏎ continue');
    expect(s).toContain('Found photos/: 45 images, 3 labels, split folders train, validation, test');
    expect(s).toContain('Wrote ml/dataset/manifest.csv');
    t.keys('Enter');
    let home = await t.waitFor(/✔ 1\. Configure/);

    // Validate: nothing to review (no duplicates planted), ⏎ writes.
    home = await t.waitFor('Next: Validate — press');
    t.keys('Enter');
    s = await t.waitFor(/⏎ writes report\.json/, 90_000);
    expectTitleOnTop(s, 'Validate and deduplicate');
    expect(s).toMatch(/45 images · 0 errors/);
    t.keys('Enter');
    await t.waitFor(/✔ Wrote ml\/dataset\/manifest\.clean\.csv \(45 images\)/, 60_000);
    t.keys('Enter');

    // Split: the folders decide.
    home = await t.waitFor('Next: Split — press');
    t.keys('Enter');
    s = await t.waitFor('✔ Leakage check', 60_000);
    t.keys('Enter');
    await t.waitFor('✔ Wrote ml/dataset/splits.csv', 60_000);
    t.keys('Enter');
    const rows = parse(readFileSync(join(root, 'ml/dataset/splits.csv'), 'utf8'), { columns: true }) as Array<{ image: string; split: string }>;
    expect(rows).toHaveLength(45);
    const want = new Map(placed.map((p) => [p.path, SPLIT_OF[p.split]]));
    for (const r of rows) expect(r.split, r.image).toBe(want.get(r.image));

    // Train, Evaluate, Tune, Publish as on any workspace.
    home = await t.waitFor('Next: Train — press');
    t.keys('Enter');
    await t.waitFor('⏎ trains on the train split');
    t.keys('Enter');
    s = await t.waitFor(/⏎ continue|✖/, 300_000);
    expect(s).toContain('✔ v001: ml/models/v001/model.tflite');
    t.keys('Enter');
    home = await t.waitFor('Next: Evaluate — press');
    t.keys('Enter');
    await t.waitFor(/Evaluate v001 +top-1 \d\.\d{3}/, 180_000);
    t.keys('Escape');
    home = await t.waitFor('Next: Tune — press');
    t.keys('Enter');
    await t.waitFor(/Tune thresholds · v001/, 60_000);
    t.text('s');
    await t.waitFor('Saved ml/metrics/thresholds_v001.json', 30_000);
    t.keys('Escape');
    home = await t.waitFor('Next: Publish — press');
    t.keys('Enter');
    await t.waitFor('make it active?', 60_000);
    t.text('y');
    await t.waitFor('v001 is published and active', 60_000);
    t.keys('Enter');
    home = await t.waitFor(/✔ \d\. Publish/);
    t.text('q');
    expect(await wizard.done()).toBe(0);

    const versions = cliJson(root, ['versions']);
    expect((versions.output as { active: string }).active).toBe('v001');
    const labels = JSON.parse(readFileSync(join(root, 'public/models/label_map.json'), 'utf8')) as string[];
    expect([...labels].sort()).toEqual([...data.labels].sort());
  });
});
