import { Box } from 'ink';
import { Text } from './text.js';
import { clampOffset } from './scroll-state.js';

/**
 * Shows `height` lines of `lines` from `offset` (clamped), one Ink line each, truncated to the width so the
 * box never wraps and the screen keeps its size at 80×24. Lines starting with "■ " are section titles.
 */
export function ScrollBox({ lines, offset, height, width, accent }: { lines: readonly string[]; offset: number; height: number; width: number; accent?: string }) {
  const start = clampOffset(offset, lines.length, height);
  const shown = lines.slice(start, start + height);
  return (
    <Box flexDirection="column" width={width} height={height}>
      {shown.map((l, i) =>
        l.startsWith('■ ') ? (
          <Text key={start + i} bold color={accent} wrap="truncate-end">
            {l}
          </Text>
        ) : (
          <Text key={start + i} wrap="truncate-end">
            {l === '' ? ' ' : l}
          </Text>
        ),
      )}
    </Box>
  );
}

/** "lines 21–40 of 74" for a help bar. */
export function scrollPosition(offset: number, height: number, total: number): string {
  if (total <= height) return `${total} lines`;
  const start = clampOffset(offset, total, height);
  return `lines ${start + 1}–${Math.min(total, start + height)} of ${total}`;
}
