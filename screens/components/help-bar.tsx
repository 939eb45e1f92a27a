import { Box, Text } from 'ink';

export interface KeyHint {
  keys: string;
  label: string;
}

/** The one-line key summary at the bottom of every screen; `?` shows all keys. */
export function HelpBar({ hints, columns }: { hints: KeyHint[]; columns: number }) {
  let used = 0;
  const shown: KeyHint[] = [];
  for (const h of hints) {
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
