import { Box } from 'ink';
import { Text } from './text.js';
import { theme } from '../theme.js';

export interface SliderProps {
  label: string;
  /** 0..1 */
  value: number;
  focused: boolean;
  /** Total width in columns (label, value and bar). */
  width: number;
  /** Shown instead of the value while the user types a number. */
  editing?: string;
}

/** One horizontal slider: `▸ tau     0.62 ━━━━━━━━━●────────`. Renders props only. */
export function Slider({ label, value, focused, width, editing }: SliderProps) {
  const head = `${focused ? '▸' : ' '} ${label.padEnd(7)}`;
  const shown = editing !== undefined ? `${editing}▏`.padEnd(5) : value.toFixed(2).padEnd(5);
  const barWidth = Math.max(5, width - head.length - shown.length - 2);
  const pos = Math.round(Math.max(0, Math.min(1, value)) * (barWidth - 1));
  const filled = '━'.repeat(pos);
  const rest = '─'.repeat(barWidth - 1 - pos);
  return (
    <Box>
      <Text bold={focused} {...(focused ? { color: theme.accent } : {})}>
        {head}
      </Text>
      <Text bold inverse={editing !== undefined}>
        {shown}
      </Text>
      <Text> </Text>
      <Text {...(focused ? { color: theme.accent } : { dimColor: true })}>{filled}</Text>
      <Text bold {...(focused ? { color: theme.accent } : {})}>
        ●
      </Text>
      <Text dimColor>{rest}</Text>
    </Box>
  );
}
