import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupWorkspaces, predictionsWorkspace } from '../tune/fixtures.js';
import { expectTitleOnTop, useJourney } from './journey-shell.js';

/** Every line of a tmux screen fits `columns` (tmux pads nothing; a longer line would have wrapped). */
function fitsWidth(screen: string, columns: number): void {
  for (const l of screen.split('\n')) expect([...l].length, screen).toBeLessThanOrEqual(columns);
}

/**
 * Screens that fit any terminal (issue 16 §6), in a real terminal: the Tune screen drawn at 200×50 and the
 * window shrunk to 80×24 and 60×20 mid-session (tmux resize-window), then grown back. Before the repaint on
 * resize, Ink's erase went up one row per line it had drawn while the terminal had re-wrapped the wide
 * lines onto more rows: old rows stayed at the top, the title twice.
 */
describe('e2e (tmux): screens across terminal sizes', () => {
  const j = useJourney();
  afterAll(cleanupWorkspaces);

  it('home: a wide terminal shows whole descriptions; shrunk to 80×24 it leaves no stale rows above the screen', async () => {
    // A workspace with a long path (a photo collection three folders deep): its line is wider than 80 columns.
    const root = join(j.workspace('edgewise-fit-'), 'a-photo-collection-with-a-rather-long-folder-name', 'another-level-of-folders-that-people-make', 'and-one-more-for-the-season');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'edgewise.json'), '{"backend":"local"}\n');
    const term = j.terminal(root, { columns: 200, rows: 50 });
    const run = term.type('edgewise');
    const wide = await term.waitFor('Next: Validate — press', 60_000);
    expectTitleOnTop(wide, 'edgewise');
    // Descriptions use the width (they were cut at 100 columns).
    expect(wide).toContain('the trained .tflite + labels, into ml/models/vNNN, checksums verified');
    expect(wide).toContain('and-one-more-for-the-season · backend local');

    term.tmux.resize(80, 24);
    await new Promise((r) => setTimeout(r, 500));
    const small = await term.waitFor(/workspace .*…/);
    // The lines of the 200-column frame, re-wrapped by the terminal onto more rows, are gone: the title is
    // the first line and every step is listed once.
    expectTitleOnTop(small, 'edgewise');
    expect(small.match(/Configure/g), small).toHaveLength(1);
    expect(small.match(/Split/g), small).toHaveLength(1);
    fitsWidth(small, 80);
    // Every step's description fits by whole clauses: none is cut mid-word with … (the workspace path may be).
    const rows = small.split('\n').filter((l) => /^[❯ ] \S (\d\.| {2}) /.test(l));
    expect(rows.length, small).toBeGreaterThanOrEqual(9);
    for (const row of rows) expect(row, small).not.toContain('…');
    expect(small).toContain('bad files, label rules, class balance');
    term.text('q');
    expect(await run.done()).toBe(0);
  }, 240_000);

  it('at 80×24 the weakest-class line names whole classes and counts the rest, never cut with …', async () => {
    // Class names as long as a clothing dataset's: three of them no longer fit one 80-column line.
    const fx = predictionsWorkspace({ seed: 43, test: 300, validation: 200, labels: ['longsleeve', 'outwear', 't-shirt', 'hoodie'] });
    const term = j.terminal(fx.root, { columns: 80, rows: 24 });
    const run = term.type('edgewise tune --interactive --target-accuracy 0.9');
    const screen = await term.waitFor(/Weakest on \w+:/, 60_000);
    fitsWidth(screen, 80);
    const weakest = screen.split('\n').find((l) => l.startsWith('Weakest on'))!;
    expect(weakest, screen).not.toContain('…');
    expect(weakest, screen).toMatch(/^Weakest on \w+: [\w-]+ acc \d+% cov \d+%( · [\w-]+ acc \d+% cov \d+%)* \(\+\d more\)\s*$/);
    term.keys('Escape');
    expect(await run.done()).toBe(0);
  }, 240_000);

  it('200×50 → 80×24 → 60×20 → 200×50: no stale rows, the heatmap and every key hint stay, a tall curve', async () => {
    const fx = predictionsWorkspace({ seed: 41, test: 300, validation: 200 });
    writeFileSync(join(fx.root, 'ml/metrics/thresholds_v001.json'), JSON.stringify({ version: 'v001', tau: 0.3, margin: 0 }));
    const term = j.terminal(fx.root, { columns: 200, rows: 50 });
    const run = term.type('edgewise tune --interactive --target-accuracy 0.9');
    const wide = await term.waitFor(/validation\s+n=\d+\s+coverage/, 60_000);
    expectTitleOnTop(wide, 'Tune thresholds');

    term.tmux.resize(80, 24);
    // The frame at the new size (the heatmap's axis drawn at 80 columns), once the repaint has landed.
    await term.waitFor(/^Tune thresholds.*\n(.*\n){20}/);
    await new Promise((r) => setTimeout(r, 500));
    const small = await term.waitFor('Selective accuracy (m)');
    expectTitleOnTop(small, 'Tune thresholds');
    expect(small.match(/Tune thresholds/g), small).toHaveLength(1);
    expect(small.match(/Risk vs coverage/g), small).toHaveLength(1);
    fitsWidth(small, 80);

    term.tmux.resize(60, 20);
    await new Promise((r) => setTimeout(r, 500));
    const narrow = await term.waitFor('esc back');
    expectTitleOnTop(narrow, 'Tune thresholds');
    expect(narrow.match(/Tune thresholds/g), narrow).toHaveLength(1);
    fitsWidth(narrow, 60);
    // The core stays: sliders, curve, heatmap (smaller), and the key hints on two lines, none cut.
    expect(narrow).toContain('Risk vs coverage');
    expect(narrow).toContain('Selective accuracy (m)');
    for (const hint of ['←→ ±0.01', '[ ] ±0.05', 'tab switch', 'm heatmap', 't target', 'g suggestion', 's save', 'esc back']) expect(narrow).toContain(hint);
    term.keys('Right');
    await term.waitFor(/tau\s+0\.31/);

    term.tmux.resize(200, 50);
    await new Promise((r) => setTimeout(r, 500));
    // (Waits for a frame with 30 rows of curve: the first read may still be the 60×20 frame.)
    const tall = await term.waitFor(/(.* │.*\n){30}/);
    expectTitleOnTop(tall, 'Tune thresholds');
    expect(tall.match(/Tune thresholds/g), tall).toHaveLength(1);
    // The curve takes the rows a tall terminal has (it stopped at 8 rows, leaving 28 empty).
    expect(tall).toMatch(/tau\s+0\.31/);
    expect(tall).toMatch(/ 1\.00 [░▒▓█◆ ]{21}/); // the heatmap down to its last margin row
    fitsWidth(tall, 200);

    // Leaving with unsaved thresholds asks for a second esc.
    term.keys('Escape');
    await term.waitFor('esc again leaves without saving');
    term.keys('Escape');
    expect(await run.done()).toBe(0);
  }, 240_000);
});
