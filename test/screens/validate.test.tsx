import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { render } from 'ink';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import ValidateScreen, { initialValidateUi, reviewOrder, validateUiReducer } from '../../screens/validate.js';
import { asciiRows, halfBlockRows } from '../../screens/components/image-preview.js';
import { parseConfig } from '../../src/config/load.js';
import { createContext } from '../../src/core/context.js';
import type { Cluster } from '../../src/validate/clusters.js';
import { photo, photoJpeg, raw } from '../validate/validate-fixtures.js';
import { keys, SizedStdout, waitFor } from '../helpers/ink.js';
import { makeTempDir } from '../helpers/tmp.js';
import { FakeStdin as Stdin } from '../helpers/ink.js';


let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir('edgewise-validate-screen-');
});
afterEach(() => tmp.cleanup());

async function workspace() {
  const images = join(tmp.dir, 'ml', 'dataset', 'images');
  mkdirSync(images, { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(join(images, `p${i}.jpg`), await photoJpeg(`p${i}`));
  writeFileSync(join(images, 'p0_copy.jpg'), readFileSync(join(images, 'p0.jpg')));
  writeFileSync(join(images, 'p1_small.jpg'), await raw(photo(160, 120, 'p1')).resize(112).jpeg({ quality: 70 }).toBuffer());
  const rows = ['image,label', 'p0.jpg,a', 'p0_copy.jpg,b', 'p1.jpg,a', 'p1_small.jpg,a', 'p2.jpg,b', 'p3.jpg,b', 'gone.jpg,a'];
  writeFileSync(join(tmp.dir, 'ml', 'dataset', 'manifest.csv'), rows.join('\n') + '\n');
  return createContext({ root: tmp.dir, config: parseConfig({}, 'test') });
}

async function renderAt(columns = 80, rows = 24) {
  const ctx = await workspace();
  const stdout = new SizedStdout(columns, rows);
  const stdin = new Stdin();
  const calls = { back: 0, done: [] as Array<string | undefined> };
  const inst = render(
    <ValidateScreen ctx={ctx} isActive columns={columns} rows={rows} color={false} onBack={() => calls.back++} onDone={(s) => calls.done.push(s)} />,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    { stdout: stdout as any, stdin: stdin as any, debug: true, exitOnCtrlC: false, patchConsole: false },
  );
  const frame = (): string => stdout.lastFrame() ?? '';
  return { stdin, calls, inst, frame, stdout };
}

function fits(frame: string, columns: number, rows: number): void {
  const lines = frame.replace(/\n$/, '').split('\n');
  expect(lines.length).toBeLessThanOrEqual(rows);
  for (const l of lines) expect([...l].length).toBeLessThanOrEqual(columns);
}

describe('validate screen', () => {
  it('shows the phases while running, then the review list with a preview, at 80×24; overrides are written on Enter', async () => {
    const ui = await renderAt();
    const sawBars = (): boolean => ui.stdout.frames.some((f) => /dec\+hash\s+█+/.test(f) && f.includes('errors'));
    await waitFor(() => ui.frame().includes('❯ conflict'));
    expect(sawBars()).toBe(true);
    // The conflict (p0 "a" vs its copy "b") comes first, then the near-duplicate pair.
    let f = ui.frame();
    fits(f, 80, 24);
    expect(f).toMatch(/❯ conflict\s+2 images\s+a\/b/);
    expect(f).toMatch(/near\s+2 images/);
    expect(f).toContain('image.missing×1');
    expect(f).toMatch(/▸ keep\s+p0\.jpg/);
    // The preview draws both pictures (ASCII ramp without colour).
    await waitFor(() => /kept: p0_copy|other: p0_copy/.test(ui.frame()) && !ui.frame().includes('(loading…)'));
    f = ui.frame();
    expect(f).toMatch(/[#%@*+=]{6}/);

    // Down to the near pair, right to the second member, space keeps it (overriding the rule).
    ui.stdin.write(keys.down);
    await waitFor(() => /❯ near/.test(ui.frame()));
    ui.stdin.write(keys.right);
    await waitFor(() => /▸ drop\s+p1_small/.test(ui.frame()));
    ui.stdin.write(' ');
    await waitFor(() => /▸ keep\*\s+p1_small/.test(ui.frame()));
    expect(ui.frame()).toContain('1 override');
    fits(ui.frame(), 80, 24);

    ui.stdin.write(keys.enter);
    await waitFor(() => ui.frame().includes('✔ Wrote'));
    const clean = readFileSync(join(tmp.dir, 'ml', 'dataset', 'manifest.clean.csv'), 'utf8');
    expect(clean).toContain('p1_small.jpg');
    expect(clean).toContain('p1.jpg');
    await waitFor(() => ui.calls.done.length === 1);
    expect(ui.calls.done[0]).toBe('5 kept, 1 duplicates dropped, 2 errors');
    const report = JSON.parse(readFileSync(join(tmp.dir, 'ml', 'dataset', 'report.json'), 'utf8')) as { overrides: Record<string, string> };
    expect(report.overrides).toEqual({ 'p1_small.jpg': 'keep' });
    ui.stdin.write(keys.enter);
    await waitFor(() => ui.calls.back === 1);
    ui.inst.unmount();
  });

  it('f lists every finding with its file and line; esc closes the list before leaving', async () => {
    const ui = await renderAt(80, 24);
    await waitFor(() => ui.frame().includes('❯ conflict'));
    expect(ui.frame()).toContain('f lists them');
    ui.stdin.write('f');
    await waitFor(() => ui.frame().includes('gone.jpg:8'));
    expect(ui.frame()).toMatch(/✖ gone\.jpg:8 .*(missing|not found|does not exist)/);
    fits(ui.frame(), 80, 24);
    ui.stdin.write(keys.escape);
    await waitFor(() => ui.frame().includes('❯ conflict'));
    expect(ui.calls.back).toBe(0);
    ui.inst.unmount();
  });

  it('writes nothing when left with Esc', async () => {
    const ui = await renderAt(100, 30);
    await waitFor(() => ui.frame().includes('❯ conflict'));
    ui.stdin.write(keys.escape);
    await waitFor(() => ui.calls.back === 1);
    expect(() => readFileSync(join(tmp.dir, 'ml', 'dataset', 'manifest.clean.csv'))).toThrow();
    ui.inst.unmount();
  });
});

describe('validate review reducer', () => {
  const cluster = (id: string, kind: 'exact' | 'near', conflict: boolean, images: string[]): Cluster => ({
    id,
    kind,
    labelConflict: conflict,
    splitLeak: false,
    keep: images[0]!,
    members: images.map((image, i) => ({ image, label: 'x', sha256: 's' + i, distance: i, kept: i === 0 })),
  });

  it('orders conflicts first and applies coalesced keys to fresh state', () => {
    const clusters = reviewOrder([cluster('n1', 'near', false, ['a', 'b']), cluster('e1', 'exact', false, ['c', 'd']), cluster('c1', 'exact', true, ['e', 'f', 'g'])]);
    expect(clusters.map((c) => c.id)).toEqual(['c1', 'e1', 'n1']);
    let s = validateUiReducer(initialValidateUi, { type: 'enter' });
    expect(s.writes).toBe(0); // nothing to write before the dry run finished
    s = validateUiReducer(s, { type: 'loaded', clusters });
    // "→ → space ↓ space" as one burst.
    for (const a of [{ type: 'member', delta: 1 }, { type: 'member', delta: 1 }, { type: 'toggle' }, { type: 'move', delta: 1 }, { type: 'toggle' }] as const) s = validateUiReducer(s, a);
    expect(s.overrides).toEqual({ g: 'keep', c: 'drop' });
    s = validateUiReducer(s, { type: 'member', delta: 5 });
    expect(s.member).toBe(1);
    s = validateUiReducer(s, { type: 'reset' });
    expect(s.overrides).toEqual({});
    s = validateUiReducer(s, { type: 'enter' });
    expect(s.writes).toBe(1);
  });

  it('half blocks pair pixel rows; the ASCII ramp follows brightness', () => {
    const px = { width: 2, height: 3, rgb: [255, 0, 0, 0, 0, 0, 0, 255, 0, 255, 255, 255, 10, 10, 10, 250, 250, 250] };
    const hb = halfBlockRows(px);
    expect(hb.length).toBe(2);
    expect(hb[0]).toEqual([{ fg: '#ff0000', bg: '#00ff00' }, { fg: '#000000', bg: '#ffffff' }]);
    expect(hb[1]![1]).toEqual({ fg: '#fafafa', bg: '#000000' });
    const a = asciiRows(px);
    expect(a[1]![0]).toBe(' ');
    expect(a[1]![1]).toBe('@');
  });
});
