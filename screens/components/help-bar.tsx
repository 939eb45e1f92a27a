import { Box } from 'ink';
import { Text } from './text.js';
import { createContext, useContext } from 'react';
import { APP_KEYS } from '../keys/bindings.js';
import { barHints, type KeyHint, type KeyTable } from '../keys/key-table.js';

export type { KeyHint };

/**
 * Whether `?` opens the full key list here: the app root provides true (except on screens that take typed
 * text, where `?` is just a character); a screen rendered on its own (tests, `edgewise tune`) gets false.
 */
export const HelpKeyContext = createContext(false);

/**
 * Lines a screen adds to the `?` help, about what it shows now (Tune: what its tau and margin mean, with
 * their values). The wizard provides the setter; elsewhere it does nothing.
 */
export const HelpNotesContext = createContext<(lines: string[]) => void>(() => {});

/** Width of one hint on the bar: keys, a space, the label and two spaces of gap. */
const hintWidth = (h: KeyHint): number => h.keys.length + h.label.length + 3;

/**
 * Packs hints into at most `maxLines` lines of `columns - 1` cells, in order. When they do not all fit, the
 * last hint (`? all keys` in the wizard, which lists every key) keeps its place at the end of the last line.
 */
export function packHints(hints: readonly KeyHint[], columns: number, maxLines = 2): KeyHint[][] {
  const room = Math.max(1, columns - 1);
  const lines: KeyHint[][] = [[]];
  let used = 0;
  let dropped = false;
  for (const h of hints) {
    const w = hintWidth(h);
    if (used + w <= room || used === 0) {
      lines.at(-1)!.push(h);
      used += w;
    } else if (lines.length < maxLines) {
      lines.push([h]);
      used = w;
    } else {
      dropped = true;
      break;
    }
  }
  const last = hints.at(-1);
  if (dropped && last) {
    const line = lines.at(-1)!;
    while (line.length > 0 && used + hintWidth(last) > room) used -= hintWidth(line.pop()!);
    line.push(last);
  }
  return lines.filter((l) => l.length > 0);
}

/** The hints a HelpBar shows: the screen's rows that have a bar label now, and `? all keys` inside the wizard. */
function hintsFor<A extends string, S>(table: KeyTable<A, S>, state: S, helpKey: boolean): KeyHint[] {
  return [...barHints(table, state), ...(helpKey ? barHints(APP_KEYS, undefined) : [])];
}

/** How many lines a HelpBar for this table and state takes (for screens that lay out rows). */
export function helpBarLines<A extends string, S>(table: KeyTable<A, S>, state: S, columns: number, helpKey: boolean): number {
  return packHints(hintsFor(table, state, helpKey), columns).length;
}

/**
 * The key summary at the bottom of every screen, made from the screen's key table (keys/bindings.ts) and
 * ending in `? all keys` inside the wizard. It takes a second line when one is too narrow (60 columns),
 * rather than cutting keys off.
 */
export function HelpBar<A extends string, S>({ table, state, columns }: { table: KeyTable<A, S>; state: S; columns: number }) {
  const helpKey = useContext(HelpKeyContext);
  const lines = packHints(hintsFor(table, state, helpKey), columns);
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Box key={i}>
          {line.map((h) => (
            <Text key={h.keys}>
              <Text bold>{h.keys}</Text> <Text dimColor>{h.label}</Text>
              {'  '}
            </Text>
          ))}
        </Box>
      ))}
    </Box>
  );
}
