import { Box } from 'ink';
import { Text } from './text.js';
import { theme } from '../theme.js';
import { percent } from '../../src/core/text.js';

export interface ChartPoint {
  coverage: number;
  risk: number;
}

export interface RiskCoverageChartProps {
  points: readonly ChartPoint[];
  current?: ChartPoint;
  /** Plot area in characters (axis labels add 6 columns and 1 row). */
  width: number;
  height: number;
  title?: string;
}

/**
 * Risk (1 − selective accuracy) against coverage as a character plot: the curve as dots, the current
 * setting as ◉. The risk axis spans 0 to the curve's highest risk so small differences stay visible.
 */
export function RiskCoverageChart({ points, current, width, height, title }: RiskCoverageChartProps) {
  const maxRisk = Math.max(0.01, ...points.map((p) => p.risk), current?.risk ?? 0);
  const grid: string[][] = Array.from({ length: height }, () => Array.from({ length: width }, () => ' '));
  const col = (c: number) => Math.max(0, Math.min(width - 1, Math.round(c * (width - 1))));
  const row = (r: number) => Math.max(0, Math.min(height - 1, height - 1 - Math.round((r / maxRisk) * (height - 1))));
  for (const p of points) grid[row(p.risk)]![col(p.coverage)] = '•';
  let cur: { r: number; c: number } | undefined;
  if (current) {
    cur = { r: row(current.risk), c: col(current.coverage) };
  }
  const label = (r: number) => {
    if (r === 0) return percent(maxRisk, 0).padStart(4);
    if (r === height - 1) return '0%'.padStart(4);
    return '    ';
  };
  return (
    <Box flexDirection="column">
      {title ? <Text bold>{title}</Text> : null}
      {grid.map((cells, r) => {
        const line = cells.join('');
        if (cur && cur.r === r) {
          return (
            <Text key={r}>
              <Text dimColor>{label(r)} │</Text>
              {line.slice(0, cur.c)}
              <Text bold color={theme.accent}>
                ◉
              </Text>
              {line.slice(cur.c + 1)}
            </Text>
          );
        }
        return (
          <Text key={r}>
            <Text dimColor>{label(r)} │</Text>
            {line}
          </Text>
        );
      })}
      <Text dimColor>
        {'     └'}
        {'─'.repeat(width)}
      </Text>
      <Text dimColor>
        {'      0'}
        {'coverage'.padStart(Math.floor(width / 2) + 3).padEnd(width - 2)}
        {'1'}
      </Text>
    </Box>
  );
}
