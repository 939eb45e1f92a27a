import type { Key } from 'ink';
import type { TuneKey } from './state.js';

/**
 * Ink hands over a whole run of plain characters as one input ("]]\t0.5\r" when keys arrive coalesced over
 * SSH); split it into one key per character so the reducer sees every press in order.
 */
export function toTuneKeys(input: string, key: Key): TuneKey[] {
  if (key.ctrl && input === 'c') return [{ kind: 'ctrl-c' }];
  if (key.leftArrow) return [key.shift || key.meta ? { kind: 'left', big: true } : { kind: 'left' }];
  if (key.rightArrow) return [key.shift || key.meta ? { kind: 'right', big: true } : { kind: 'right' }];
  if (key.upArrow) return [{ kind: 'up' }];
  if (key.downArrow) return [{ kind: 'down' }];
  if (key.pageUp) return [{ kind: 'pageup' }];
  if (key.pageDown) return [{ kind: 'pagedown' }];
  if (key.home) return [{ kind: 'home' }];
  if (key.end) return [{ kind: 'end' }];
  if (key.tab) return [{ kind: 'tab' }];
  if (key.return) return [{ kind: 'enter' }];
  if (key.escape && input === '') return [{ kind: 'escape' }];
  if (key.backspace || key.delete) return [{ kind: 'backspace' }];
  if (key.ctrl) return [];
  const out: TuneKey[] = [];
  for (const ch of input) {
    if (ch === '\r' || ch === '\n') out.push({ kind: 'enter' });
    else if (ch === '\t') out.push({ kind: 'tab' });
    else if (ch === '\x7f' || ch === '\b') out.push({ kind: 'backspace' });
    else if (ch === '\x03') out.push({ kind: 'ctrl-c' });
    else if (ch >= ' ') out.push({ kind: 'char', ch });
  }
  return out;
}
