import { Box } from 'ink';
import { Text } from './text.js';
import { createContext, useContext } from 'react';

export interface KeyHint {
  keys: string;
  label: string;
}

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

/** The one-line key summary at the bottom of every screen, ending in `? all keys` inside the wizard. */
export function HelpBar({ hints, columns }: { hints: KeyHint[]; columns: number }) {
  const helpKey = useContext(HelpKeyContext);
  const all = helpKey && !hints.some((h) => h.keys === '?') ? [...hints, { keys: '?', label: 'all keys' }] : hints;
  let used = 0;
  const shown: KeyHint[] = [];
  for (const h of all) {
    const w = h.keys.length + h.label.length + 3;
    if (used + w > columns - 1) break;
    used += w;
    shown.push(h);
  }
  return (
    <Box>
      {shown.map((h) => (
        <Text key={h.keys}>
          <Text bold>{h.keys}</Text> <Text dimColor>{h.label}</Text>
          {'  '}
        </Text>
      ))}
    </Box>
  );
}
