import { Box, Text } from 'ink';
import terminalLink from 'terminal-link';

/**
 * A URL whole, on a line of its own, as an OSC 8 hyperlink where the terminal supports one (plain text
 * elsewhere). It is never cut or wrapped by the layout: a URL cut at the terminal's width cannot be opened, and
 * one wrapped by inserted line breaks cannot be copied. A line longer than the terminal is left to the
 * terminal's own soft wrap, which only text written once can afford: use it inside <Static>, or where it fits.
 */
export function UrlLine({ url, dim }: { url: string; dim?: boolean }) {
  return (
    <Box width={url.length} flexShrink={0}>
      <Text dimColor={dim ?? false}>{terminalLink(url, url, { fallback: false })}</Text>
    </Box>
  );
}
