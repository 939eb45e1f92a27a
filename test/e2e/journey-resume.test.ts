import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src/synthetic/synthetic.js';
import { cliJson, filesUnder, homeState, processesIn, readJournal, useJourney } from './journey-shell.js';

/**
 * A dropped SSH session on the local backend: the terminal disappears (tmux session killed: the wizard
 * gets SIGHUP) in the middle of training's embedding phase. Reopening `edgewise` must show training as not
 * done, the journal must still parse, no model folder may be half-written, and training again must reuse
 * every embedding that was finished before the drop.
 */
describe('e2e (tmux): a dropped session during local training', () => {
  const j = useJourney();

  it('restarts training from the embedding cache after the terminal is killed mid-step', { timeout: 420_000 }, async () => {
    const root = j.workspace('edgewise-resume-');
    const data = await generateSyntheticDataset({ root, classes: 3, perClass: 30, seed: 'resume', faults: false, size: [96, 128] });
    // The steps before training, headless (what a script or an earlier session did).
    expect(cliJson(root, ['init', '--no-input', '--backend', 'local']).ok).toBe(true);
    expect(cliJson(root, ['validate']).ok).toBe(true);
    expect(cliJson(root, ['split']).ok).toBe(true);
    const total = data.images.length;

    let term = j.terminal(root);
    term.type('edgewise');
    await term.waitFor('Next: Train — press', 30_000);
    term.keys('Enter');
    await term.waitFor('⏎ trains on the train split');
    term.keys('Enter');
    // Drop the session once some embeddings are done but not all.
    let embedded = 0;
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      const m = /embed\s.*?(\d+)\/(\d+) img/.exec(term.screen());
      embedded = m ? Number(m[1]) : 0;
      if (embedded >= 6) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(embedded, `embedding progress never reached 6:\n${term.screen()}`).toBeGreaterThanOrEqual(6);
    expect(processesIn(root).length).toBeGreaterThan(0);
    term.kill();
    // The hang-up ends the wizard and its embedding workers: nothing goes on writing in the background.
    for (let i = 0; i < 100 && processesIn(root).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(processesIn(root)).toEqual([]);

    // What the drop left behind: a valid journal without a train record, cached embeddings, no model.
    const journal = readJournal(root);
    expect(Object.keys(journal.steps)).toEqual(expect.arrayContaining(['validate', 'split']));
    expect(journal.steps.train).toBeUndefined();
    const cached = filesUnder(join(root, '.edgewise', 'cache', 'embeddings'), /\.f32$/).length;
    expect(cached).toBeGreaterThan(0);
    const models = join(root, 'ml', 'models');
    expect(existsSync(models) ? readdirSync(models).filter((d) => /^v\d+$/.test(d)) : []).toEqual([]);
    expect(filesUnder(join(root, '.edgewise'), /\.tmp$/).filter((f) => f.endsWith('journal.json.tmp'))).toEqual([]);

    // A new session: home says training is still to do; training again reuses the cache.
    term = j.terminal(root);
    term.type('edgewise');
    const home = await term.waitFor('Next: Train — press', 30_000);
    expect(homeState(home, 'Train')).toBe('to do');
    expect(homeState(home, 'Split')).toBe('done');
    term.keys('Enter');
    await term.waitFor('⏎ trains on the train split');
    term.keys('Enter');
    const s = await term.waitFor(/⏎ continue|✖/, 300_000);
    const m = /embedded (\d+) new, (\d+) cached/.exec(s);
    expect(m, s).not.toBeNull();
    const [fresh, reused] = [Number(m![1]), Number(m![2])];
    expect(reused).toBeGreaterThan(0);
    expect(fresh + reused).toBe(total);
    expect(fresh).toBeLessThan(total);
    expect(s).toContain('✔ v001: ml/models/v001/model.tflite');
    expect(readJournal(root).steps.train).toBeDefined();
  });
});
