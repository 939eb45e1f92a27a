import { Box, Text, useInput } from 'ink';
import { useEffect, useMemo, useReducer } from 'react';
import type { StepState } from '../src/core/status.js';
import { HelpBar } from './components/help-bar.js';
import { homeReducer } from './home-state.js';
import { stateMark, theme } from './theme.js';

export interface HomeEntry {
  id: string;
  title: string;
  summary: string;
  state: StepState;
}

export interface HomeProps {
  root: string;
  backend: string;
  entries: HomeEntry[];
  isActive: boolean;
  columns: number;
  onOpen(id: string): void;
  onQuit(): void;
}

const STATE_LABEL: Record<StepState, string> = { done: 'done', stale: 'out of date', todo: 'to do' };
const STATE_COLOR: Record<StepState, string> = { done: theme.ok, stale: theme.warn, todo: theme.todo };

/** Where the workspace stands: every step as done / out of date / to do; any step can be opened and rerun. */
export default function HomeScreen({ root, backend, entries, isActive, columns, onOpen, onQuit }: HomeProps) {
  const ids = useMemo(() => entries.map((e) => e.id), [entries]);
  const firstOpen = Math.max(0, entries.findIndex((e) => e.state !== 'done'));
  const [state, dispatch] = useReducer(homeReducer(ids), { cursor: firstOpen });

  useInput(
    (input, key) => {
      if (key.upArrow || input === 'k') dispatch({ type: 'up' });
      else if (key.downArrow || input === 'j') dispatch({ type: 'down' });
      else if (key.return) dispatch({ type: 'open' });
      else if (/^[1-9]$/.test(input)) dispatch({ type: 'jump', index: Number(input) - 1 });
      else if (input === 'q') onQuit();
    },
    { isActive },
  );
  useEffect(() => {
    if (state.open) {
      dispatch({ type: 'reset' });
      onOpen(state.open);
    }
  }, [state.open]); // eslint-disable-line react-hooks/exhaustive-deps

  const next = entries.find((e) => e.state !== 'done');
  const width = Math.min(columns, 100);
  return (
    <Box flexDirection="column" width={width}>
      <Text bold color={theme.accent}>
        edgewise
      </Text>
      <Text wrap="truncate-middle">
        <Text dimColor>workspace </Text>
        {root}
        <Text dimColor> · backend </Text>
        {backend}
      </Text>
      <Box flexDirection="column" marginTop={1}>
        {entries.map((e, i) => (
          <Text key={e.id} wrap="truncate-end">
            <Text color={i === state.cursor ? theme.accent : undefined}>{i === state.cursor ? '❯' : ' '} </Text>
            <Text color={STATE_COLOR[e.state]}>{stateMark[e.state]}</Text> {String(i + 1)}. <Text bold={i === state.cursor}>{e.title.padEnd(12)}</Text>
            <Text color={STATE_COLOR[e.state]}>{STATE_LABEL[e.state].padEnd(12)}</Text>
            <Text dimColor>{e.summary}</Text>
          </Text>
        ))}
      </Box>
      <Box marginTop={1}>
        <Text>{next ? <>Next: <Text bold>{next.title}</Text> — press ⏎</> : <Text color={theme.ok}>Every step is done. Open any step to run it again.</Text>}</Text>
      </Box>
      <Box marginTop={1}>
        <HelpBar columns={width} hints={[{ keys: '↑↓', label: 'move' }, { keys: '⏎', label: 'open' }, { keys: '1-9', label: 'jump' }, { keys: '?', label: 'keys' }, { keys: 'q', label: 'quit' }]} />
      </Box>
    </Box>
  );
}
