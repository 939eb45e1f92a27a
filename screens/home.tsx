import { Box } from 'ink';
import { Text } from './components/text.js';
import { useEffect, useMemo, useReducer } from 'react';
import type { StepState } from '../src/core/status.js';
import { HelpBar } from './components/help-bar.js';
import { homeReducer } from './home-state.js';
import { useKeys } from './hooks/use-keys.js';
import { HOME_KEYS } from './keys/bindings.js';
import { stateMark, theme } from './theme.js';
import { fitClauses } from './components/wrap.js';

export interface HomeEntry {
  id: string;
  title: string;
  summary: string;
  state: StepState;
  /**
   * step (default): part of the job, counted for "Next"; tool: a screen with no state of its own (Versions);
   * other-backend: a step of the backend not configured (shown dimmed, never "Next", still openable).
   */
  kind?: 'step' | 'tool' | 'other-backend';
  /** For other-backend entries: the backend they belong to. */
  backend?: string;
}

export interface HomeProps {
  root: string;
  backend: string;
  entries: HomeEntry[];
  /** Something the user should know before going on (saved thresholds that Publish has not shipped). */
  notice?: string;
  isActive: boolean;
  columns: number;
  onOpen(id: string): void;
  onQuit(): void;
}

const STATE_LABEL: Record<StepState | 'none', string> = { done: 'done', stale: 'out of date', todo: 'to do', none: '' };
const STATE_COLOR: Record<StepState | 'none', string | undefined> = { done: theme.ok, stale: theme.warn, todo: theme.todo, none: undefined };

const counts = (e: HomeEntry): boolean => (e.kind ?? 'step') === 'step';

/** Where the workspace stands: every step as done / out of date / to do; any step can be opened and rerun. */
export default function HomeScreen({ root, backend, entries, notice, isActive, columns, onOpen, onQuit }: HomeProps) {
  const ids = useMemo(() => entries.map((e) => e.id), [entries]);
  const firstOpen = Math.max(0, entries.findIndex((e) => counts(e) && e.state !== 'done'));
  const [state, dispatch] = useReducer(homeReducer(ids), { cursor: firstOpen });

  // Typed-ahead keys arrive as one string ("jj⏎" over SSH): one action per key, in order.
  useKeys(
    HOME_KEYS,
    (action, press) => {
      if (action === 'quit') onQuit();
      else if (action === 'jump') dispatch({ type: 'jump', index: Number(press.input) - 1 });
      else dispatch({ type: action });
    },
    { isActive },
  );
  useEffect(() => {
    if (state.open) {
      dispatch({ type: 'reset' });
      onOpen(state.open);
    }
  }, [state.open]); // eslint-disable-line react-hooks/exhaustive-deps

  const next = entries.find((e) => counts(e) && e.state !== 'done');
  const width = columns;
  const titleW = Math.min(18, Math.max(12, ...entries.map((e) => e.title.length + 1)));
  // What a row leaves its description: '❯ ✔ 1. ' (7), the title, the 12-wide state, one column spare.
  const summaryW = width - 1 - 7 - titleW - 12;
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
        {entries.map((e, i) => {
          const selected = i === state.cursor;
          const kind = e.kind ?? 'step';
          const mark = kind === 'step' ? <Text color={STATE_COLOR[e.state]}>{stateMark[e.state]}</Text> : <Text dimColor>{kind === 'tool' ? '›' : '–'}</Text>;
          const label =
            kind === 'step' ? (
              <Text color={STATE_COLOR[e.state]}>{STATE_LABEL[e.state].padEnd(12)}</Text>
            ) : (
              <Text dimColor>{(kind === 'tool' ? 'open' : `${e.backend ?? 'other'} only`).padEnd(12)}</Text>
            );
          return (
            <Text key={e.id} wrap="truncate-end" dimColor={kind === 'other-backend' && !selected}>
              <Text color={selected ? theme.accent : undefined}>{selected ? '❯' : ' '} </Text>
              {mark} {i < 9 ? `${i + 1}.` : '  '} <Text bold={selected}>{e.title.padEnd(titleW)}</Text>
              {label}
              <Text dimColor>{fitClauses(e.summary, summaryW)}</Text>
            </Text>
          );
        })}
      </Box>
      {notice ? (
        <Box marginTop={1}>
          <Text color={theme.warn} wrap="wrap">
            ! {notice}
          </Text>
        </Box>
      ) : null}
      <Box marginTop={1}>
        <Text wrap="truncate-end">
          {next ? (
            <>
              Next: <Text bold>{next.title}</Text> — {ids.indexOf(next.id) === state.cursor ? 'press ⏎' : `press ${ids.indexOf(next.id) < 9 ? ids.indexOf(next.id) + 1 : '↑↓'}, then ⏎`}
            </>
          ) : (
            <Text color={theme.ok}>Every step is done. Open any step to run it again.</Text>
          )}
        </Text>
      </Box>
      <Box marginTop={1}>
        <HelpBar columns={width} table={HOME_KEYS} state={undefined} />
      </Box>
    </Box>
  );
}
