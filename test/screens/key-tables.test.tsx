import { render, Text } from 'ink';
import { render as renderTesting } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../../screens/app.js';
import { HelpBar, HelpKeyContext } from '../../screens/components/help-bar.js';
import { useKeys } from '../../screens/hooks/use-keys.js';
import { APP_KEYS, CONFIGURE_KEYS, SCREEN_KEYS } from '../../screens/keys/bindings.js';
import { barHints, keySymbol, parseSpec, rowKeys, showKeys, splitKeys, type KeyTable } from '../../screens/keys/key-table.js';
import { createContext } from '../../src/core/context.js';
import { stepStates } from '../../src/core/status.js';
import { FakeStdin, flush, SizedStdout, waitFor } from '../helpers/ink.js';
import { makeTempDir } from '../helpers/tmp.js';

/**
 * Keys as data (issue 19 §4): each screen's one table is what its keys do, what its help bar shows and what
 * `?` lists. These tests press every key of every table through Ink as a terminal sends it, and read every
 * row back from the wizard's `?` overlay on that screen.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyTable = KeyTable<string, any>;
const TABLES: Record<string, AnyTable> = { app: APP_KEYS, configure: CONFIGURE_KEYS, ...SCREEN_KEYS };

/** The bytes a terminal sends for a key (xterm), or for each end of a range. */
const NAMED: Record<string, string> = {
  return: '\r',
  escape: '\u001B',
  tab: '\t',
  backspace: '\u007F',
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  pageup: '\u001B[5~',
  pagedown: '\u001B[6~',
  home: '\u001B[H',
  end: '\u001B[F',
};
const MODIFIER: Record<string, number> = { shift: 2, meta: 3 };
function bytes(spec: string): string[] {
  if (spec === 'ctrl+c') return ['\u0003'];
  const p = parseSpec(spec);
  if (p.named) {
    const raw = NAMED[p.named]!;
    if (p.mods.length === 0) return [raw];
    // xterm: ESC [ 1 ; <modifier> <final> for a modified arrow.
    return [`\u001B[1;${MODIFIER[p.mods[0]!]!}${raw.at(-1)}`];
  }
  return p.from === p.to ? [p.from!] : [p.from!, p.to!];
}

function Probe({ table, seen }: { table: AnyTable; seen: Array<{ action: string; input: string }> }) {
  useKeys(table, (action, press) => seen.push({ action, input: press.input }), { isActive: true });
  return <Text>listening</Text>;
}

describe('every key of every table, pressed as a terminal sends it, triggers its action', () => {
  for (const [name, table] of Object.entries(TABLES)) {
    it(name, async () => {
      const stdin = new FakeStdin();
      const seen: Array<{ action: string; input: string }> = [];
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const inst = render(<Probe table={table} seen={seen} />, { stdout: new SizedStdout() as any, stdin: stdin as any, debug: true, exitOnCtrlC: false, patchConsole: false });
      await flush();
      for (const row of table) {
        for (const [spec, action] of Object.entries(row.keys)) {
          for (const b of bytes(spec)) {
            seen.length = 0;
            stdin.write(b);
            await waitFor(() => seen.length > 0, 200).catch(() => undefined);
            expect({ spec, bytes: JSON.stringify(b), got: seen.map((s) => s.action) }).toEqual({ spec, bytes: JSON.stringify(b), got: [action] });
          }
        }
      }
      inst.unmount();
    });
  }
});

describe('the tables are consistent', () => {
  it('no key is bound twice in a table, and a bar shows only keys of its own row', () => {
    for (const [name, table] of Object.entries(TABLES)) {
      const specs = table.flatMap((r) => Object.keys(r.keys));
      expect({ name, duplicates: specs.filter((s, i) => specs.indexOf(s) !== i) }).toEqual({ name, duplicates: [] });
      for (const row of table) for (const k of row.barKeys ?? []) expect(Object.keys(row.keys)).toContain(k);
    }
  });

  it('writes keys the way the bar and `?` show them', () => {
    expect(showKeys(['up', 'down', 'k', 'j'])).toBe('↑↓ k j');
    expect(showKeys(['shift+left', 'shift+right', 'meta+left', 'meta+right'])).toBe('shift+←→ meta+←→');
    expect(showKeys(['left', 'right', 'up'])).toBe('←→ ↑');
    expect(keySymbol('space')).toBe('space');
    expect(keySymbol('1-9')).toBe('1-9');
    expect(keySymbol('ctrl+c')).toBe('ctrl-c');
  });

  it('splits a run typed ahead into one press per key, and stops at Ctrl-C', () => {
    expect(splitKeys('jj\r', {})).toEqual([{ input: 'j' }, { input: 'j' }, { input: '', return: true }]);
    expect(splitKeys('a\u007fG\t', {})).toEqual([{ input: 'a' }, { input: '', backspace: true }, { input: 'G', shift: true }, { input: '', tab: true }]);
    expect(splitKeys('s\u0003s', {})).toEqual([{ input: 's' }, { input: 'c', ctrl: true }]);
    expect(splitKeys('', { leftArrow: true, shift: true })).toEqual([{ input: '', leftArrow: true, shift: true }]);
  });
});

describe('the help bar is the table', () => {
  it('shows the rows that have a bar label in this state, in table order, and `? all keys` in the wizard', () => {
    const r = renderTesting(
      <HelpKeyContext.Provider value>
        <HelpBar table={SCREEN_KEYS.tune!} state={{ loading: false, publishOffered: true }} columns={100} />
      </HelpKeyContext.Provider>,
    );
    const frame = (r.lastFrame() ?? '').replace(/\s+/g, ' ');
    const hints = [...barHints(SCREEN_KEYS.tune!, { loading: false, publishOffered: true }), ...barHints(APP_KEYS, undefined)];
    expect(hints.map((h) => `${h.keys} ${h.label}`)).toEqual(['←→ ±0.01', '[ ] ±0.05', 'tab switch', '0-9 type', 'm heatmap', 't target', 'g suggestion', 's save', 'p publish', 'esc back', '? all keys']);
    expect(frame).toContain(hints.map((h) => `${h.keys} ${h.label}`).join(' '));
    r.unmount();
  });
});

describe('`?` lists every row of the open screen’s table', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
    process.env.EDGEWISE_NO_PREFS = '1';
  });
  afterEach(() => tmp.cleanup());

  function overlay(route: string) {
    const controller = new AbortController();
    return renderTesting(
      <App
        loadContext={() => createContext({ root: tmp.dir, env: {}, signal: controller.signal })}
        loadStates={(ctx) => stepStates(tmp.dir, ctx.journal)}
        detected={{ imageFolders: [] }}
        controller={controller}
        initialRoute={route}
        onExit={() => {}}
      />,
    );
  }
  const text = (frame: string) => frame.split('\n').map((l) => l.trim()).join(' ');

  for (const [route, table] of Object.entries(SCREEN_KEYS)) {
    it(route, async () => {
      const ui = overlay(route);
      await flush();
      ui.stdin.write('?');
      await waitFor(() => (ui.lastFrame() ?? '').includes('show or hide this help'));
      const shown = text(ui.lastFrame() ?? '');
      for (const row of [...APP_KEYS, ...table]) {
        expect(shown).toContain(rowKeys(row));
        expect(shown).toContain(row.help);
      }
      ui.unmount();
    });
  }

  it('tune: h l, H L and Home End are there with what they do', async () => {
    const ui = overlay('tune');
    await flush();
    ui.stdin.write('?');
    await waitFor(() => (ui.lastFrame() ?? '').includes('show or hide this help'));
    const shown = text(ui.lastFrame() ?? '');
    expect(shown).toMatch(/←→ h l\s+tau or margin ±0\.01/);
    expect(shown).toMatch(/\[ \] H L PgDn PgUp shift\+←→ meta\+←→\s+±0\.05/);
    expect(shown).toMatch(/Home End\s+the slider to 0 \/ to 1/);
    ui.unmount();
  });
});
