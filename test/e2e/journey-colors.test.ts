import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSyntheticDataset } from '../../src/synthetic/synthetic.js';
import { UserTerminal, useJourney } from './journey-shell.js';

/** The screen with its escape sequences (tmux re-encodes what the app drew as SGR codes). */
function screenWithEscapes(term: UserTerminal): string {
  return execFileSync('tmux', ['capture-pane', '-p', '-e', '-t', term.tmux.name], { encoding: 'utf8' });
}

/** The colour parameters of every SGR sequence: foreground/background, 16-colour, 256 and truecolor. */
function colourCodes(screen: string): string[] {
  const out: string[] = [];
  for (const m of screen.matchAll(/\x1b\[([0-9;]*)m/g)) {
    const ps = m[1]!.split(';').map(Number);
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i]!;
      if (p === 38 || p === 48) {
        out.push(ps.slice(i, i + (ps[i + 1] === 2 ? 5 : 3)).join(';'));
        i += ps[i + 1] === 2 ? 4 : 2;
      } else if ((p >= 30 && p <= 37) || (p >= 40 && p <= 47) || (p >= 90 && p <= 97) || (p >= 100 && p <= 107)) out.push(String(p));
    }
  }
  return out;
}

/**
 * Colours in a real terminal: the wizard uses the 16 named colours of screens/theme.ts (the terminal's
 * palette decides, light or dark), a light background swaps the set, NO_COLOR removes every colour (image
 * previews included), and TERM=dumb never opens the wizard nor writes an escape sequence.
 */
describe('e2e (tmux): colours follow the theme, NO_COLOR and TERM=dumb', () => {
  const j = useJourney();

  async function workspace(): Promise<string> {
    const root = j.workspace('edgewise-colors-');
    await generateSyntheticDataset({ root, classes: 2, perClass: 6, seed: 'colors', size: [64, 80] });
    writeFileSync(join(root, 'edgewise.json'), '{"backend":"local"}\n');
    return root;
  }

  it('draws the home screen in the dark theme’s named colours by default', async () => {
    const term = j.terminal(await workspace(), { env: { TERM: 'xterm-256color', COLORFGBG: '' } });
    term.type('edgewise');
    await term.waitFor('Next: Validate — press');
    const codes = colourCodes(screenWithEscapes(term));
    expect(codes).toContain('36'); // accent: cyan title and cursor
    expect(codes).toContain('32'); // ok: the done mark
    // Only the 16 palette colours: no 256-colour or truecolor codes that ignore the terminal's palette.
    expect(codes.filter((c) => c.startsWith('38;') || c.startsWith('48;'))).toEqual([]);
    // Nothing that vanishes on a light or dark background.
    expect(codes.filter((c) => ['30', '37', '90', '97'].includes(c))).toEqual([]);
    // The control for the NO_COLOR case below: image previews are drawn in the pictures' own colours.
    term.keys('Enter');
    await term.waitFor(/▸ \S+\.jpg/, 60_000);
    let preview: string[] = [];
    for (let i = 0; i < 50 && preview.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      preview = colourCodes(screenWithEscapes(term)).filter((c) => /^(38|48);/.test(c));
    }
    expect(preview.length).toBeGreaterThan(0);
  });

  it('switches to the light set when the terminal says its background is light', async () => {
    const term = j.terminal(await workspace(), { env: { TERM: 'xterm-256color', COLORFGBG: '0;15' } });
    term.type('edgewise');
    await term.waitFor('Next: Validate — press');
    const codes = colourCodes(screenWithEscapes(term));
    expect(codes).toContain('34'); // accent: blue
    expect(codes).not.toContain('36');
    expect(codes).not.toContain('33');
  });

  it('NO_COLOR=1: no colour codes on the home screen nor in the validate screen’s image previews', async () => {
    const term = j.terminal(await workspace(), { env: { TERM: 'xterm-256color', NO_COLOR: '1' } });
    const run = term.type('edgewise');
    await term.waitFor('Next: Validate — press');
    expect(colourCodes(screenWithEscapes(term))).toEqual([]);
    term.keys('Enter');
    await term.waitFor(/❯ (conflict|exact|near)/, 60_000);
    await term.waitFor(/▸ \S+\.jpg/);
    await new Promise((r) => setTimeout(r, 1000)); // the previews load after the list
    const screen = screenWithEscapes(term);
    expect(colourCodes(screen), screen).toEqual([]);
    term.keys('Escape');
    await term.waitFor('Next: Validate — press');
    term.text('q');
    expect(await run.done()).toBe(0);
  });

  it('TERM=dumb: `edgewise` prints its help without a single escape sequence and exits 0', async () => {
    const term = j.terminal(await workspace(), { rows: 80, env: { TERM: 'dumb' } });
    const run = term.type('edgewise');
    expect(await run.done(30_000)).toBe(0);
    const screen = screenWithEscapes(term);
    expect(screen).toContain('Usage: edgewise');
    expect(screen).not.toContain('Where should models train?');
    // ...and says why the wizard did not open, and the two ways on.
    expect(screen).toContain('The wizard did not open: TERM=dumb says this terminal cannot move the cursor');
    expect(screen).toMatch(/Open it from a terminal that can draw screens/);
    expect(screen).toMatch(/or run the steps as the plain commands above: edgewise init, validate/);
    expect(colourCodes(screen)).toEqual([]);
    expect(screen.replace(/\x1b\[(0|39|49)?m/g, '')).not.toMatch(/\x1b/);
  });
});
