import { Box } from 'ink';
import { Text } from './text.js';
import { APP_KEYS } from '../keys/bindings.js';
import { helpRows, type KeyTable } from '../keys/key-table.js';
import { theme } from '../theme.js';

/** Width of the keys column: long key lists push their text on rather than wrapping inside the column. */
const KEYS_WIDTH = 14;

/**
 * The `?` overlay: the wizard's own keys, then every row of the open screen's table (the same rows its keys
 * are matched against and its help bar is made from), then what the screen says about its numbers now.
 */
export function KeyHelp<A extends string, S>({ screen, notes, columns }: { screen: KeyTable<A, S> | undefined; notes: readonly string[]; columns: number }) {
  const rows = <B extends string, T>(table: KeyTable<B, T>) =>
    helpRows(table).map((r) => (
      <Text key={r.keys} wrap="wrap">
        <Text bold>{r.keys.padEnd(KEYS_WIDTH)}</Text> {r.help}
      </Text>
    ));
  return (
    <Box flexDirection="column" width={Math.min(columns, 100)}>
      <Text bold color={theme.accent}>
        Keys
      </Text>
      {rows(APP_KEYS)}
      {screen && screen.length > 0 ? (
        <>
          <Text bold color={theme.accent}>
            On this screen
          </Text>
          {rows(screen)}
        </>
      ) : null}
      {notes.map((l) => (
        <Text key={l} wrap="wrap">
          {l}
        </Text>
      ))}
      <Text dimColor wrap="wrap">The line at the bottom of each screen lists its main keys. ? or esc closes this.</Text>
    </Box>
  );
}
