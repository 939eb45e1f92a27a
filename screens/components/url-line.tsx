import { Box, Text } from 'ink';
import terminalLink from 'terminal-link';
import { escapeControls } from '../../src/core/text.js';

/**
 * A URL whole, on a line of its own, as an OSC 8 hyperlink where the terminal supports one (plain text
 * elsewhere). It is never cut or wrapped by the layout: a URL cut at the terminal's width cannot be opened, and
 * one wrapped by inserted line breaks cannot be copied. A line longer than the terminal is left to the
 * terminal's own soft wrap, which only text written once can afford: use it inside <Static>, or where it fits.
 */
// Ink's own Text on purpose: the escaping Text (./text.tsx) would show the OSC 8 sequence as text. The URL
// (remote data) is escaped here instead, before it is wrapped in the link.
export function UrlLine({ url, dim }: { url: string; dim?: boolean }) {
  const safe = escapeControls(url);
  return (
    <Box width={safe.length} flexShrink={0}>
      <Text dimColor={dim ?? false}>{terminalLink(safe, safe, { fallback: false })}</Text>
    </Box>
  );
}
