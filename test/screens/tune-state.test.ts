import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { TUNE_KEYS } from '../../screens/keys/bindings.js';
import { keyActions } from '../../screens/keys/key-table.js';
import { initialTuneState, parseTyped, tuneReducer, type TuneKey, type TuneUiState } from '../../screens/tune/state.js';

const noKey = { upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false } as Key;
const oracle = { suggest: (t: number) => (t <= 0.9 ? { ti: Math.round(t * 50), mi: 3, coverage: 0.5 } : undefined) };
const run = (s: TuneUiState, keys: TuneKey[]) => keys.reduce((st, key) => tuneReducer(oracle)(st, { type: 'key', key }), s);
/** The keys as the screen hands them to the reducer: matched against TUNE_KEYS, one per press. */
const tuneKeys = (text: string, key: Key = noKey): TuneKey[] => keyActions(TUNE_KEYS, text, key).map(({ action, press }) => (action ? { kind: action, ch: press.input } : { kind: 'other' }));
const chars = (text: string) => tuneKeys(text);

describe('tune keys and reducer', () => {
  it('splits a coalesced run of characters into one key each', () => {
    expect(chars(']]\t0.5\r')).toEqual([
      { kind: 'more-big', ch: ']' },
      { kind: 'more-big', ch: ']' },
      { kind: 'switch', ch: '' },
      { kind: 'type', ch: '0' },
      { kind: 'type', ch: '.' },
      { kind: 'type', ch: '5' },
      { kind: 'apply', ch: '' },
    ]);
    expect(tuneKeys('', { ...noKey, rightArrow: true, shift: true })).toEqual([{ kind: 'more-big', ch: '' }]);
    expect(tuneKeys('', { ...noKey, rightArrow: true })).toEqual([{ kind: 'more', ch: '' }]);
    // Ctrl-C is the host's (it quits); nothing typed after it in the same chunk applies.
    expect(chars('s\u0003s')).toEqual([{ kind: 'save', ch: 's' }, { kind: 'other' }]);
  });

  it('h l H L Home End (listed in `?`) move the focused slider', () => {
    let s = initialTuneState(50, 0, 0.9);
    s = run(s, chars('hhl'));
    expect(s.ti).toBe(49);
    s = run(s, chars('HHL'));
    expect(s.ti).toBe(44);
    s = run(s, tuneKeys('', { ...noKey, end: true }));
    expect(s.ti).toBe(100);
    s = run(s, tuneKeys('', { ...noKey, home: true }));
    expect(s.ti).toBe(0);
  });

  it('parses typed numbers: fractions, percents, nothing else', () => {
    expect(parseTyped('0.55')).toBe(55);
    expect(parseTyped('.07')).toBe(7);
    expect(parseTyped('55')).toBe(55);
    expect(parseTyped('1')).toBe(100);
    expect(parseTyped('95%')).toBe(95);
    expect(parseTyped('0.555')).toBe(56);
    expect(parseTyped('1.5')).toBeUndefined();
    expect(parseTyped('101')).toBeUndefined();
    expect(parseTyped('')).toBeUndefined();
    expect(parseTyped('.')).toBeUndefined();
  });

  it('moves, clamps, switches, types, jumps and counts save requests', () => {
    let s = initialTuneState(98, 0, 0.9);
    s = run(s, chars(']'));
    expect(s.ti).toBe(100);
    s = run(s, [{ kind: 'switch' }, { kind: 'less' }, ...chars('l'), ...chars('L')]);
    expect([s.ti, s.mi, s.focus]).toEqual([100, 6, 'margin']);
    s = run(s, chars('0.2\t.4\r'));
    expect([s.ti, s.mi, s.focus]).toEqual([40, 20, 'tau']);
    s = run(s, chars('t80\r'));
    expect([s.ti, s.mi, s.target]).toEqual([40, 3, 0.8]);
    s = run(s, chars('t95\r'));
    expect(s.message).toEqual({ kind: 'error', text: 'No setting reaches 95% selective accuracy' });
    expect([s.ti, s.mi]).toEqual([40, 3]);
    s = run(s, chars('5'));
    s = run(s, [{ kind: 'erase' }, { kind: 'back' }]);
    expect(s.edit).toBeUndefined();
    expect(s.status).toBe('tuning');
    s = run(s, chars('ss'));
    expect(s.saveRequests).toBe(2);
    s = run(s, [{ kind: 'back' }, ...chars(']')]);
    expect(s.status).toBe('back');
    expect(s.ti).toBe(40); // nothing after leaving
  });
});

describe('leaving with unsaved thresholds', () => {
  it('asks once, leaves on the second esc; after a save, esc leaves at once', async () => {
    const { initialTuneState, tuneReducer } = await import('../../screens/tune/state.js');
    const reduce = tuneReducer({ suggest: () => undefined });
    const key = (k: Parameters<typeof reduce>[1]) => k;
    let s = initialTuneState(30, 0, 0.95);
    s = reduce(s, key({ type: 'key', key: { kind: 'more' } }));
    s = reduce(s, key({ type: 'key', key: { kind: 'back' } }));
    expect(s.status).toBe('tuning');
    expect(s.message?.text).toContain('not saved');
    s = reduce(s, key({ type: 'key', key: { kind: 'back' } }));
    expect(s.status).toBe('back');

    let t = initialTuneState(30, 0, 0.95);
    t = reduce(t, key({ type: 'key', key: { kind: 'more' } }));
    t = reduce(t, key({ type: 'key', key: { kind: 'save' } }));
    t = reduce(t, key({ type: 'key', key: { kind: 'back' } }));
    expect(t.status).toBe('back');
  });
});
