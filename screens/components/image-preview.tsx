import { Box } from 'ink';
import { Text } from './text.js';

export interface PreviewPixels {
  width: number;
  height: number;
  /** RGB bytes, row-major. */
  rgb: ArrayLike<number>;
}

const hex = (r: number, g: number, b: number): string => '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('');
const RAMP = ' .:-=+*#%@';

/** One text row per two pixel rows: `▀` in the top pixel's colour over the bottom pixel's colour. */
export function halfBlockRows(p: PreviewPixels): Array<Array<{ fg: string; bg: string }>> {
  const rows: Array<Array<{ fg: string; bg: string }>> = [];
  const px = (x: number, y: number): string => {
    if (y >= p.height) return '#000000';
    const i = (y * p.width + x) * 3;
    return hex(p.rgb[i]!, p.rgb[i + 1]!, p.rgb[i + 2]!);
  };
  for (let y = 0; y < p.height; y += 2) {
    const row: Array<{ fg: string; bg: string }> = [];
    for (let x = 0; x < p.width; x++) row.push({ fg: px(x, y), bg: px(x, y + 1) });
    rows.push(row);
  }
  return rows;
}

/** Without colour: one character per two pixels from a brightness ramp. */
export function asciiRows(p: PreviewPixels): string[] {
  const rows: string[] = [];
  for (let y = 0; y < p.height; y += 2) {
    let line = '';
    for (let x = 0; x < p.width; x++) {
      let sum = 0;
      let n = 0;
      for (const yy of [y, y + 1]) {
        if (yy >= p.height) continue;
        const i = (yy * p.width + x) * 3;
        sum += 0.299 * p.rgb[i]! + 0.587 * p.rgb[i + 1]! + 0.114 * p.rgb[i + 2]!;
        n++;
      }
      line += RAMP[Math.min(RAMP.length - 1, Math.floor((sum / n / 256) * RAMP.length))];
    }
    rows.push(line);
  }
  return rows;
}

/**
 * An image drawn in the terminal with half-block characters (2 pixels per cell, 24-bit colour), so a person
 * on SSH can see whether two files really are the same picture. `color=false` draws a brightness ramp.
 */
export function ImagePreview({ pixels, color, caption, width }: { pixels: PreviewPixels | undefined; color: boolean; caption?: string; width: number }) {
  const cap = caption ? <Text wrap="truncate-end">{caption.length > width ? caption.slice(0, width - 1) + '…' : caption}</Text> : null;
  if (!pixels || pixels.width === 0) {
    return (
      <Box flexDirection="column" width={width}>
        {cap}
        <Text dimColor>{pixels ? '(no preview)' : '(loading…)'}</Text>
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={width}>
      {cap}
      {color
        ? halfBlockRows(pixels).map((row, y) => (
            <Text key={y}>
              {row.map((c, x) => (
                <Text key={x} color={c.fg} backgroundColor={c.bg}>
                  ▀
                </Text>
              ))}
            </Text>
          ))
        : asciiRows(pixels).map((line, y) => <Text key={y}>{line}</Text>)}
    </Box>
  );
}
