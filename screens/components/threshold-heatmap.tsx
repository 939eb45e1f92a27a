import { Box } from 'ink';
import { Text } from './text.js';
import { theme } from '../theme.js';
import { percent } from '../../src/core/text.js';

export interface HeatmapProps {
  /** values[r][c]: the metric at margin row r, tau column c; null where nothing is answered. */
  values: ReadonlyArray<ReadonlyArray<number | null>>;
  /** Margin (rows) and tau (columns) of each cell, for the axis labels. */
  margins: readonly number[];
  taus: readonly number[];
  /** Cell nearest the current setting. */
  current: { r: number; c: number };
  mode: 'accuracy' | 'coverage';
  /** Accuracy mode shades relative to the target. */
  target: number;
}

/** Shade of one cell: the darkest block meets the target (accuracy) or answers ≥ 75% (coverage). */
export function shade(v: number | null, mode: 'accuracy' | 'coverage', target: number): string {
  if (v === null) return ' ';
  if (mode === 'accuracy') return v >= target ? '█' : v >= target - 0.05 ? '▓' : v >= target - 0.1 ? '▒' : '░';
  return v >= 0.75 ? '█' : v >= 0.5 ? '▓' : v >= 0.25 ? '▒' : v > 0 ? '░' : ' ';
}

/** Selective accuracy or coverage over a coarse (tau, margin) grid, with the current setting marked ◆. */
export function ThresholdHeatmap({ values, margins, taus, current, mode, target }: HeatmapProps) {
  const legend =
    mode === 'accuracy'
      ? `█≥${percent(target, 0)} ▓≥${percent(target - 0.05, 0)} ▒≥${percent(target - 0.1, 0)} ░ less`
      : '█≥75% ▓≥50% ▒≥25% ░>0';
  return (
    <Box flexDirection="column">
      <Text bold>{mode === 'accuracy' ? 'Selective accuracy' : 'Coverage'} <Text dimColor>(m)</Text></Text>
      {values.map((row, r) => {
        const cells = row.map((v) => shade(v, mode, target));
        const lab = margins[r]!.toFixed(2);
        return (
          <Text key={r}>
            <Text dimColor>{lab} </Text>
            {r === current.r ? (
              <>
                {cells.slice(0, current.c).join('')}
                <Text bold color={theme.accent}>
                  ◆
                </Text>
                {cells.slice(current.c + 1).join('')}
              </>
            ) : (
              cells.join('')
            )}
          </Text>
        );
      })}
      <Text dimColor>
        {'mrg  '}
        {`${taus[0]!.toFixed(1)}`.padEnd(Math.max(1, taus.length - 3))}
        {taus[taus.length - 1]!.toFixed(1)}
        {' tau'}
      </Text>
      <Text dimColor>{legend}</Text>
    </Box>
  );
}
