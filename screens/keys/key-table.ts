import type { Key } from 'ink';

/**
 * Keys as data. Each screen has one table (`bindings.ts`): rows of keys, the action each key triggers, a line
 * for the `?` help and, when the row belongs on the help bar, its short label there. The same rows match the
 * keys (`keyActions`), fill the help bar (`barHints`) and the `?` overlay (`helpRows`), so the three cannot
 * disagree. Pure: no React here.
 */

/** One key press: Ink's flags, and the character of a printable key ('' for a named key such as ⏎). */
export type KeyPress = { input: string } & Partial<Key>;

/**
 * A key as tables write it: a named key (`return`, `escape`, `tab`, `backspace`, `up`, `down`, `left`, `right`,
 * `pageup`, `pagedown`, `home`, `end`, `space`), optionally with modifiers (`shift+left`, `meta+left`,
 * `ctrl+c`); one character (`q`, `G`, `[`); or a range of characters (`1-9`).
 */
export type KeySpec = string;

/** One line of a screen's keys. `S` is what the screen tells its help bar (which hints apply now). */
export interface KeyRow<A extends string, S = void> {
  /** Each key and the action it triggers, in the order they are shown. */
  keys: Readonly<Record<KeySpec, A>>;
  /** The line in the `?` overlay. */
  help: string;
  /** The label on the help bar (absent: `?` only); a function when it depends on the screen's state. */
  bar?: string | ((s: S) => string | undefined);
  /** The keys the bar shows when not all of them (`↑↓` for `↑↓ k j`). */
  barKeys?: readonly KeySpec[];
  /** How to write keys that are not single presses (Configure's "type"); only for rows with no `keys`. */
  shown?: string;
}

export type KeyTable<A extends string, S = void> = readonly KeyRow<A, S>[];

/** A key on the help bar: how it is written, and what it does. */
export interface KeyHint {
  keys: string;
  label: string;
}

type Named = 'return' | 'escape' | 'tab' | 'backspace' | 'up' | 'down' | 'left' | 'right' | 'pageup' | 'pagedown' | 'home' | 'end';
const FLAG: Record<Named, (k: KeyPress) => boolean> = {
  return: (k) => Boolean(k.return),
  escape: (k) => Boolean(k.escape),
  tab: (k) => Boolean(k.tab),
  // Ink names the key most terminals send for ⌫ (0x7f) "delete".
  backspace: (k) => Boolean(k.backspace || k.delete),
  up: (k) => Boolean(k.upArrow),
  down: (k) => Boolean(k.downArrow),
  left: (k) => Boolean(k.leftArrow),
  right: (k) => Boolean(k.rightArrow),
  pageup: (k) => Boolean(k.pageUp),
  pagedown: (k) => Boolean(k.pageDown),
  home: (k) => Boolean(k.home),
  end: (k) => Boolean(k.end),
};
const SYMBOL: Record<Named | 'space', string> = {
  return: '⏎',
  escape: 'esc',
  tab: 'tab',
  backspace: '⌫',
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  space: 'space',
};
type Modifier = 'ctrl' | 'shift' | 'meta';

interface Parsed {
  mods: Modifier[];
  named?: Named;
  /** Characters the spec matches (one, or a range). */
  from?: string;
  to?: string;
}

export function parseSpec(spec: KeySpec): Parsed {
  const parts = spec.length > 1 ? spec.split('+') : [spec];
  // `+` itself is a key: "+" or "shift++" would split into empty parts.
  const last = spec.endsWith('+') && spec.length > 1 ? '+' : parts.at(-1)!;
  const mods = (spec.endsWith('+') && spec.length > 1 ? parts.slice(0, -2) : parts.slice(0, -1)) as Modifier[];
  for (const m of mods) if (m !== 'ctrl' && m !== 'shift' && m !== 'meta') throw new Error(`key "${spec}": unknown modifier ${m}`);
  if (last === 'space') return { mods, from: ' ', to: ' ' };
  if (last in FLAG) return { mods, named: last as Named };
  if ([...last].length === 1) return { mods, from: last, to: last };
  const range = /^(.)-(.)$/u.exec(last);
  if (range) return { mods, from: range[1]!, to: range[2]! };
  throw new Error(`key "${spec}": not a key name, a character or a range`);
}

/** How a key is written on the bar and in `?`. */
export function keySymbol(spec: KeySpec): string {
  const p = parseSpec(spec);
  const mods = p.mods.map((m) => `${m}+`).join('');
  if (p.named) return mods + SYMBOL[p.named];
  if (p.from === ' ') return mods + SYMBOL.space;
  if (p.from === 'c' && p.mods.length === 1 && p.mods[0] === 'ctrl') return 'ctrl-c';
  return mods + (p.from === p.to ? p.from! : `${p.from}-${p.to}`);
}

const ARROW = /^(.*?)([↑↓←→])$/u;

/** Keys written together: symbols apart by spaces, an arrow pair as one (`↑↓`, `shift+←→`). */
export function showKeys(specs: readonly KeySpec[]): string {
  const out: string[] = [];
  for (const s of specs.map(keySymbol)) {
    const a = ARROW.exec(out.at(-1) ?? '');
    const b = ARROW.exec(s);
    if (a && b && a[1] === b[1]) out[out.length - 1] += b[2]!;
    else out.push(s);
  }
  return out.join(' ');
}

/** Whether a press is this key (modifiers the key does not name are not looked at). */
function matches(p: Parsed, press: KeyPress): boolean {
  for (const m of p.mods) if (!press[m]) return false;
  if (p.named) return FLAG[p.named](press);
  // Ink hands ctrl+letter over as the letter: it is not the letter unless the key asks for ctrl.
  if (press.ctrl && !p.mods.includes('ctrl')) return false;
  const ch = press.input;
  return [...ch].length === 1 && ch >= p.from! && ch <= p.to!;
}

/** The action a single press triggers in this table, if any. */
function matchPress<A extends string, S>(table: KeyTable<A, S>, press: KeyPress): A | undefined {
  let best: { action: A; mods: number } | undefined;
  for (const row of table) {
    for (const [spec, action] of Object.entries(row.keys) as Array<[KeySpec, A]>) {
      const p = parseSpec(spec);
      if (matches(p, press) && (!best || p.mods.length > best.mods)) best = { action, mods: p.mods.length };
    }
  }
  return best?.action;
}

const NAMED_FLAGS: Array<keyof Key> = ['upArrow', 'downArrow', 'leftArrow', 'rightArrow', 'pageUp', 'pageDown', 'home', 'end', 'return', 'escape', 'tab', 'backspace', 'delete'];

/** A control character inside a run of typed characters, as the key it stands for. */
function controlPress(ch: string): KeyPress | undefined {
  if (ch === '\r' || ch === '\n') return { input: '', return: true };
  if (ch === '\t') return { input: '', tab: true };
  if (ch === '\u007f' || ch === '\b') return { input: '', backspace: true };
  const code = ch.charCodeAt(0);
  if (code >= 1 && code <= 26) return { input: String.fromCharCode(code + 96), ctrl: true };
  return undefined;
}

/**
 * The one key splitter. Ink splits escape sequences into separate events but hands a run of plain characters
 * over as one input string: "\r\rmy-bucket\r" or "]]\t0.5\r" typed ahead over SSH arrives as a single event
 * with no flag set. This turns such a run back into one press per key, in order, so ⏎ is ⏎ and every
 * character counts. A Ctrl-C ends the run: the host quits, and nothing typed after it applies.
 */
export function splitKeys(input: string, key: Partial<Key>): KeyPress[] {
  if (NAMED_FLAGS.some((f) => key[f]) || key.ctrl) return [{ ...key, input }];
  const out: KeyPress[] = [];
  for (const ch of input) {
    const press = controlPress(ch) ?? { input: ch, ...(key.meta ? { meta: true } : {}), ...(/^[A-Z]$/.test(ch) ? { shift: true } : {}) };
    out.push(press);
    if (press.ctrl && press.input === 'c') break;
  }
  return out;
}

/** Every press in an Ink input event, with the action it triggers in the table (undefined: none). */
export function keyActions<A extends string, S>(table: KeyTable<A, S>, input: string, key: Partial<Key>): Array<{ action: A | undefined; press: KeyPress }> {
  return splitKeys(input, key).map((press) => ({ action: matchPress(table, press), press }));
}

/** How a row's keys are written in `?`. */
export function rowKeys<A extends string, S>(row: KeyRow<A, S>): string {
  return row.shown ?? showKeys(Object.keys(row.keys));
}

/** The `?` overlay's lines for a table: keys, then what they do. */
export function helpRows<A extends string, S>(table: KeyTable<A, S>): Array<{ keys: string; help: string }> {
  return table.map((row) => ({ keys: rowKeys(row), help: row.help }));
}

/** The help bar's hints for a table in this state: the rows with a bar label now, in table order. */
export function barHints<A extends string, S>(table: KeyTable<A, S>, state: S): KeyHint[] {
  const out: KeyHint[] = [];
  for (const row of table) {
    const label = typeof row.bar === 'function' ? row.bar(state) : row.bar;
    if (label !== undefined) out.push({ keys: row.barKeys ? showKeys(row.barKeys) : rowKeys(row), label });
  }
  return out;
}
