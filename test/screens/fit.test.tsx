import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Box, render } from 'ink';
import { render as renderTesting } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HelpBar, HelpKeyContext, packHints } from '../../screens/components/help-bar.js';
import { EVAL_KEYS } from '../../screens/keys/bindings.js';
import { barHints } from '../../screens/keys/key-table.js';
import { Text } from '../../screens/components/text.js';
import { fitClauses, wrapWords } from '../../screens/components/wrap.js';
import HomeScreen from '../../screens/home.js';
import { useTerminalSize } from '../../screens/hooks/use-terminal-size.js';
import ValidateScreen from '../../screens/validate.js';
import { parseConfig } from '../../src/config/load.js';
import { createContext } from '../../src/core/context.js';
import { photoJpeg } from '../validate/validate-fixtures.js';
import { FakeStdin, flush, SizedStdout, waitFor } from '../helpers/ink.js';
import { makeTempDir } from '../helpers/tmp.js';

/** Screens that fit any terminal (issue 16 §6): key hints, wide terminals, long findings, resizes. */

const EVAL_HINTS = barHints(EVAL_KEYS, 'report');

function lines(frame: string): string[] {
  return frame.replace(/\n$/, '').split('\n');
}

describe('key hints', () => {
  it('wrap to a second line at 60 columns instead of losing keys', () => {
    const r = renderTesting(
      <HelpKeyContext.Provider value>
        <Box width={60}>
          <HelpBar columns={60} table={EVAL_KEYS} state="report" />
        </Box>
      </HelpKeyContext.Provider>,
    );
    const frame = r.lastFrame()!;
    for (const h of [...EVAL_HINTS, { keys: '?', label: 'all keys' }]) expect(frame).toContain(`${h.keys} ${h.label}`);
    expect(lines(frame)).toHaveLength(2);
    for (const l of lines(frame)) expect([...l.trimEnd()].length).toBeLessThanOrEqual(59);
    r.unmount();
  });

  it('stay on one line when it is wide enough, and keep `? all keys` last when even two lines are too few', () => {
    expect(packHints(EVAL_HINTS, 100)).toHaveLength(1);
    const many = Array.from({ length: 12 }, (_, i) => ({ keys: `k${i}`, label: 'does a thing' }));
    const packed = packHints([...many, { keys: '?', label: 'all keys' }], 40);
    expect(packed).toHaveLength(2);
    expect(packed.at(-1)!.at(-1)).toEqual({ keys: '?', label: 'all keys' });
  });
});

describe('wrapWords', () => {
  it('wraps at word boundaries, breaks a word longer than the line, and loses no character', () => {
    const text = '✖ ml/dataset/images/train/skirt/0a1b2c3d-a-very-long-file-name-from-a-camera-roll.jpg:12 labelled "skirt" but its folder says "dress"';
    const out = wrapWords(text, 40, '  ');
    for (const l of out) expect(l.length).toBeLessThanOrEqual(40);
    expect(out.join(' ').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
    expect(out.slice(1).every((l) => l.startsWith('  '))).toBe(true);
  });
});

describe('fitClauses', () => {
  it('shortens a description by whole clauses, and cuts with … only when the first clause is too wide', () => {
    const text = 'bad files, label rules, class balance, exact/near duplicates and conflicts; review, then write';
    expect(fitClauses(text, 200)).toBe(text);
    expect(fitClauses(text, 44)).toBe('bad files, label rules, class balance');
    expect(fitClauses(text, 37)).toBe('bad files, label rules, class balance');
    expect(fitClauses(text, 36)).toBe('bad files, label rules');
    expect(fitClauses('RUNNING in Vertex AI: 1234567890123456789 · ⏎ reattaches', 44)).toBe('RUNNING in Vertex AI: 1234567890123456789');
    expect(fitClauses('one-long-word-and-nothing-else, more', 10)).toBe('one-long-…');
  });
});

describe('wide terminals', () => {
  it('the home screen shows a long step description whole at 200 columns', () => {
    const summary = 'a description written for a wide terminal, long enough that a hundred columns would cut it somewhere near here: THE-END';
    const r = renderTesting(
      <HomeScreen root="/w" backend="local" entries={[{ id: 'validate', title: 'Validate', summary, state: 'todo' }]} isActive={false} columns={200} onOpen={() => {}} onQuit={() => {}} />,
    );
    expect(r.lastFrame()).toContain('THE-END');
    r.unmount();
  });
});

/** A root that reads the terminal size, as the wizard's App and `edgewise tune` do. */
function SizeProbe() {
  const { columns, rows } = useTerminalSize();
  return (
    <Text>
      size {columns}×{rows}
    </Text>
  );
}

describe('resize', () => {
  it('repaints the whole screen after a resize, then draws the frame again from the top', async () => {
    const stdout = new SizedStdout(200, 50);
    // Not debug: the writes are what a terminal receives.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const inst = render(<SizeProbe />, { stdout: stdout as any, stdin: new FakeStdin() as any, exitOnCtrlC: false, patchConsole: false });
    await waitFor(() => stdout.frames.some((f) => f.includes('size 200×50')));
    expect(stdout.repaints).toBe(0);
    stdout.resize(80, 24);
    await waitFor(() => stdout.repaints > 0);
    // The frame follows the erase (Ink restores its last frame after our write), with the new size in it.
    await waitFor(() => stdout.frames.slice(stdout.repaintAt).some((f) => f.includes('size 80×24')));
    expect(stdout.repaints).toBe(1);
    inst.unmount();
  });
});

describe('long findings at 80 columns', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir('edgewise-fit-');
  });
  afterEach(() => tmp.cleanup());

  it('wrap in the findings list (f), with nothing cut, and scroll when they are more than fit', async () => {
    const images = join(tmp.dir, 'ml', 'dataset', 'images');
    mkdirSync(images, { recursive: true });
    const kept = Array.from({ length: 12 }, (_, i) => `p${i}.jpg`);
    for (const k of kept) writeFileSync(join(images, k), await photoJpeg(k));
    // Six missing photos (fewer than half: the run still reviews), each finding two or three lines at 80 columns.
    const long = (i: number) => `a-folder-with-a-long-name/another-long-subfolder-of-the-camera-roll/yet-another-level/photo-number-${i}-from-the-camera.jpg`;
    const rows = ['image,label', ...kept.map((k, i) => `${k},${i % 2 ? 'a' : 'b'}`), ...Array.from({ length: 6 }, (_, i) => `${long(i)},skirt`)];
    writeFileSync(join(tmp.dir, 'ml', 'dataset', 'manifest.csv'), rows.join('\n') + '\n');
    const ctx = createContext({ root: tmp.dir, config: parseConfig({}, 'test') });
    const stdout = new SizedStdout(80, 24);
    const stdin = new FakeStdin();
    const inst = render(
      <ValidateScreen ctx={ctx} isActive columns={80} rows={24} color={false} onBack={() => {}} onDone={() => {}} />,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      { stdout: stdout as any, stdin: stdin as any, debug: true, exitOnCtrlC: false, patchConsole: false },
    );
    const frame = () => stdout.lastFrame() ?? '';
    await waitFor(() => frame().includes('image.missing×6'), 20_000);
    stdin.write('f');
    await waitFor(() => frame().includes('photo-number-0'));
    const shown = lines(frame());
    expect(shown.length).toBeLessThanOrEqual(24);
    for (const l of shown) expect([...l].length).toBeLessThanOrEqual(80);
    // The first finding, read across its wrapped lines, is whole: its path and its message's last words.
    // (A path longer than a line is broken inside, so compare without the spaces.)
    const findingLines = shown.filter((l) => /^(✖|!| {2}\S)/.test(l) && !l.includes('image.missing×'));
    const text = findingLines.join('').replace(/\s+/g, '');
    expect(text).toContain(`✖${long(0)}:14thefiledoesnotexistinml/dataset/images`);
    for (const l of findingLines) expect(l).not.toContain('…');
    // More findings than rows: ↓ scrolls to the last one.
    expect(frame()).toMatch(/lines 1–\d+ of \d+/);
    for (let i = 0; i < 40; i++) {
      stdin.write('j');
      await flush(2);
    }
    await waitFor(() => frame().includes('photo-number-5'));
    inst.unmount();
  });
});
