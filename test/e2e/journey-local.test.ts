import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src/synthetic/synthetic.js';
import { cliJson, expectTitleOnTop, homeState, readJournal, useJourney } from './journey-shell.js';

const sha256 = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * The whole journey a newcomer takes, in a real terminal at 80×24, with keys only: an empty workspace with
 * a folder of photos → configure → validate (review the duplicates) → split → train (local) → evaluate →
 * tune → publish, then the files the app ships are checked. Each screen is reached from the home screen's
 * "Next:" line, as a user would.
 */
describe('e2e journey (tmux, 80×24, local backend): configure → publish with keys only', () => {
  const j = useJourney();

  it('takes a synthetic dataset from an empty workspace to a published model', { timeout: 420_000 }, async () => {
    const root = j.workspace('edgewise-journey-');
    // Small on purpose: 2 shared cores. Planted faults give the duplicate review something to show.
    const data = await generateSyntheticDataset({ root, classes: 3, perClass: 16, seed: 'journey', size: [96, 128] });
    const t = j.terminal(root);

    // Configure: local backend, the detected images folder.
    const wizard = t.type('edgewise');
    await t.waitFor('Where should models train?');
    t.keys('Enter');
    await t.waitFor('Images folder');
    t.keys('Enter');
    await t.waitFor('Which network should local training start from?');
    t.keys('Enter');
    let home = await t.waitFor(/✔ 1\. Configure/);
    expectTitleOnTop(home, 'edgewise');
    expect(home).toContain('backend local');

    // Validate: a dry run, then the review of duplicate clusters (conflicts first), then write.
    home = await t.waitFor('Next: Validate — press');
    t.keys('Enter');
    // Conflicts come first in the review list.
    let s = await t.waitFor(/❯ conflict/, 90_000);
    expectTitleOnTop(s, 'Validate and deduplicate');
    expect(s).toContain('⏎ writes report.json and the cleaned manifest');
    t.keys('Down');
    s = await t.waitFor(/❯ (exact|near)/);
    t.keys('Right');
    s = await t.waitFor(/▸ (keep|drop)/);
    t.keys('Space');
    await t.waitFor('1 override');
    t.text('r'); // reset: the automatic choices stand
    s = await t.waitFor(/\n⏎ writes report\.json/);
    t.keys('Enter');
    s = await t.waitFor(/✔ Wrote ml\/dataset\/manifest\.clean\.csv \(\d+ images\)/, 60_000);
    const kept = Number(/manifest\.clean\.csv \((\d+) images\)/.exec(s)![1]);
    expect(kept).toBe(data.images.length);
    t.keys('Enter');

    // Split: preview first, Enter writes, Enter again goes back to the steps.
    home = await t.waitFor(/✔ \d\. Validate/);
    home = await t.waitFor('Next: Split — press');
    t.keys('Enter');
    s = await t.waitFor('✔ Leakage check', 60_000);
    expectTitleOnTop(s, 'Split into train / validation / test');
    expect(s).toContain('Preview: nothing written yet');
    t.keys('Enter');
    await t.waitFor('✔ Wrote ml/dataset/splits.csv', 60_000);
    t.keys('Enter');

    // Train (local): embeddings, live epochs, export.
    home = await t.waitFor(/✔ \d\. Split/);
    home = await t.waitFor('Next: Train — press');
    expect(homeState(home, 'Train')).toBe('to do');
    t.keys('Enter');
    await t.waitFor('⏎ trains on the train split');
    t.keys('Enter');
    await t.waitFor('Training… esc cancels');
    // `?` mid-training shows every key, this screen's too; the training goes on underneath.
    t.text('?');
    s = await t.waitFor('On this screen');
    expectTitleOnTop(s, 'Keys');
    expect(s).toContain('retrain though up to date');
    t.keys('Escape');
    s = await t.waitFor(/⏎ continue|✖/, 300_000);
    expectTitleOnTop(s, 'Train a classifier (local)');
    expect(s).toContain('✔ v001: ml/models/v001/model.tflite');
    expect(s).toMatch(/embedded \d+ new, 0 cached/);
    expect(s).toMatch(/epoch \d+/);
    // ⏎ "continue": back to the steps.
    t.keys('Enter');

    // Evaluate: runs the .tflite on the test split and shows the report.
    home = await t.waitFor(/✔ \d\. Train/);
    home = await t.waitFor('Next: Evaluate — press');
    t.keys('Enter');
    s = await t.waitFor(/Evaluate v001 +top-1 \d\.\d{3}/, 180_000);
    expectTitleOnTop(s, /Evaluate v001/);
    expect(s).toContain('top-1 accuracy');
    t.keys('Down', 'Down', 'End');
    await t.waitFor(/lines \d+–(\d+) of \1/);
    t.keys('Escape');

    // Tune: type tau 0.5 on the focused slider, save.
    home = await t.waitFor(/✔ \d\. Evaluate/);
    home = await t.waitFor('Next: Tune — press');
    t.keys('Enter');
    s = await t.waitFor(/Tune thresholds · v001/, 60_000);
    expectTitleOnTop(s, 'Tune thresholds');
    t.text('0.5');
    t.keys('Enter');
    await t.waitFor(/▸ tau +0\.50/);
    t.text('s');
    await t.waitFor('Saved ml/metrics/thresholds_v001.json', 30_000);
    t.keys('Escape');

    // Publish: old vs new, y ships it.
    home = await t.waitFor(/✔ \d\. Tune/);
    home = await t.waitFor('Next: Publish — press');
    t.keys('Enter');
    s = await t.waitFor('make it active?', 60_000);
    expectTitleOnTop(s, 'Publish run v001 as v001');
    expect(s).toMatch(/tau +– +0\.500/);
    t.text('y');
    s = await t.waitFor('v001 is published and active', 60_000);
    expect(s).toContain('wrote public/models/model.json');
    t.keys('Enter');
    home = await t.waitFor(/✔ \d\. Publish/);

    // Re-tune the live model: saving ships nothing and says so; p opens Publish, which ships v002 after y.
    const tuneNo = home.split('\n').find((l) => / Tune /.test(l))!.match(/(\d)\. Tune/)![1]!;
    t.text(tuneNo);
    t.keys('Enter');
    s = await t.waitFor(/Tune thresholds · v001/, 60_000);
    expect(s).toContain('Answers only when the top probability ≥ 0.50 and beats the runner-up by ≥');
    t.text('0.6');
    t.keys('Enter');
    await t.waitFor(/▸ tau +0\.60/);
    t.text('s');
    s = await t.waitFor(/p\s+opens\s+Publish/, 30_000);
    expect(s.replace(/\s+/g, ' ')).toMatch(/\(nothing shipped\)\. Live v001 still ships tau 0\.50/);
    expect(JSON.parse(readFileSync(join(root, 'public/models/model.json'), 'utf8')).version).toBe('v001');
    t.text('p');
    s = await t.waitFor('make it active?', 60_000);
    expectTitleOnTop(s, 'Publish run v001 as v002');
    expect(s).toMatch(/tau +0\.500 +0\.600 +\+0\.100/);
    expect(s.replace(/\s+/g, ' ')).toContain('same model as v001, new thresholds');
    t.text('y');
    await t.waitFor('v002 is published and active', 60_000);
    t.keys('Enter');
    home = await t.waitFor(/✔ \d\. Publish/);
    expect(home.replace(/\s+/g, ' ')).not.toContain('publish to ship');
    t.text('q');
    expect(await wizard.done()).toBe(0);

    // Tuned from the command line: saved only, and the command to publish is printed.
    const tuned = t.type('edgewise tune --tau 0.7 --margin 0');
    s = await t.waitFor(/rc\d+=\d+/, 60_000);
    expect(s.replace(/\n/g, '')).toContain('to ship them, run: edgewise publish --model v001');
    expect(await tuned.done()).toBe(0);
    // Home and Versions say the saved thresholds are not live yet.
    const third = t.type('edgewise');
    home = await t.waitFor(/publish\s+to\s+ship/, 30_000);
    expect(home.replace(/\s+/g, ' ')).toMatch(/saved for v001: tau 0\.70, margin 0\.00; live \(v002\): tau 0\.60, margin 0\.00 — publish to ship/);
    expect(homeState(home, 'Publish')).toBe('out of date');
    t.text('q');
    expect(await third.done()).toBe(0);
    // `edgewise publish` at a terminal shows old vs new and asks; n changes nothing.
    const asked = t.type('edgewise publish');
    s = await t.waitFor('Publish v003 and make it active?', 60_000);
    expect(s).toMatch(/tau +0\.600 +0\.700 +\+0\.100/);
    t.text('n');
    t.keys('Enter');
    expect(await asked.done()).toBe(130);
    expect(JSON.parse(readFileSync(join(root, 'public/models/model.json'), 'utf8')).version).toBe('v002');

    // Publish it after all: reopening shows every step done, and the Versions screen shows what is live.
    expect(await t.type('edgewise publish --yes').done(60_000)).toBe(0);
    const again = t.type('edgewise');
    home = await t.waitFor(/✔ \d\. Publish/, 30_000);
    expect(home).toContain('Every step is done');
    for (const step of ['Configure', 'Validate', 'Split', 'Train', 'Evaluate', 'Tune', 'Publish']) expect(homeState(home, step), `${step} in\n${home}`).toBe('done');
    // `?` lists every key; esc closes it.
    t.text('?');
    s = await t.waitFor('show or hide this help');
    expectTitleOnTop(s, 'Keys');
    t.keys('Escape');
    home = await t.waitFor('Every step is done');
    const versionsRow = home.split('\n').findIndex((l) => l.includes('Versions'));
    const cursorRow = home.split('\n').findIndex((l) => l.startsWith('❯'));
    t.keys(...Array<string>(versionsRow - cursorRow).fill('Down'), 'Enter');
    s = await t.waitFor(/\* v003/, 30_000);
    expectTitleOnTop(s, 'Versions');
    t.keys('Escape');
    await t.waitFor('Every step is done');
    t.text('q');
    expect(await again.done()).toBe(0);

    // The files the app ships.
    const pub = join(root, 'public', 'models');
    const model = JSON.parse(readFileSync(join(pub, 'model.json'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const labelMap = JSON.parse(readFileSync(join(pub, 'label_map.json'), 'utf8')) as string[];
    expect([...labelMap].sort()).toEqual([...data.labels].sort());
    expect(model.version).toBe('v003');
    expect(model.source_run).toBe('v001');
    expect(model.labels_sha256).toBe(sha256(labelMap.join('\n')));
    const tflite = join(pub, 'local_model_v003.tflite');
    expect(existsSync(tflite)).toBe(true);
    expect(model.tflite_sha256).toBe(sha256(readFileSync(tflite)));
    expect(model.tflite_url).toMatch(/local_model_v003\.tflite$/);
    expect(model.thresholds).toEqual({ tau: 0.7, margin: 0 });
    expect(model.metrics.top1).toBeGreaterThan(1 / 3);
    expect(model.input).toMatchObject({ width: expect.any(Number), height: expect.any(Number), channels: 3 });

    // The registry row, through the CLI a script would use.
    const versions = cliJson(root, ['versions']);
    expect(versions.ok).toBe(true);
    const out = versions.output as { active: string; versions: Array<Record<string, unknown>> };
    expect(out.active).toBe('v003');
    expect(out.versions).toHaveLength(3);
    // Three versions of one model file: the thresholds changed, the .tflite did not.
    for (const v of out.versions) expect(v).toMatchObject({ tflite_sha256: model.tflite_sha256, labels_sha256: model.labels_sha256, source_run: 'v001' });
    expect(out.versions[2]).toMatchObject({ version: 'v003', active: true });

    // The journal is valid JSON and records every step of the journey.
    const journal = readJournal(root);
    for (const step of ['validate', 'split', 'train', 'eval', 'tune', 'publish']) expect(Object.keys(journal.steps)).toContain(step);
  });
});
