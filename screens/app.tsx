import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useCallback, useEffect, useState } from 'react';
import type { StepContext } from '../src/core/step.js';
import type { StepState } from '../src/core/status.js';
import ConfigureScreen from './configure.js';
import type { Detected } from './configure-questions.js';
import HomeScreen, { type HomeEntry } from './home.js';
import { hasCtrlC } from './hooks/keys.js';
import { screens } from './registry.js';
import { theme } from './theme.js';

export interface AppProps {
  /** Builds the step context (reads edgewise.json); called again after configuration changes. */
  loadContext(): StepContext;
  loadStates(ctx: StepContext): Record<string, StepState>;
  detected: Detected;
  /** Aborted on Ctrl-C: the running step stops cleanly. */
  controller: AbortController;
  /** Screen to open first (e.g. `tune` for `edgewise tune --interactive`). */
  initialRoute?: string;
  onExit(code: number): void;
}

const GLOBAL_KEYS = [
  ['↑↓ / j k', 'move in lists'],
  ['⏎', 'open / confirm'],
  ['esc', 'back to the previous screen'],
  ['1-9', 'jump to a step (home)'],
  ['?', 'show or hide this help'],
  ['q', 'quit (home)'],
  ['ctrl-c', 'cancel the running step and quit (exit 130)'],
];

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]); // eslint-disable-line react-hooks/exhaustive-deps
  return size;
}

/** The wizard's root: owns focus, routes between home and step screens, and turns Ctrl-C into a cancel. */
export function App({ loadContext, loadStates, detected, controller, initialRoute, onExit }: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const [ctx, setCtx] = useState<StepContext>(loadContext);
  const [states, setStates] = useState<Record<string, StepState>>(() => loadStates(ctx));
  const [route, setRoute] = useState<string>(initialRoute ?? (states.configure === 'todo' ? 'configure' : 'home'));
  const [help, setHelp] = useState(false);
  const [exitCode, setExitCode] = useState<number | undefined>(undefined);

  useInput((input, key) => {
    if (hasCtrlC(input, key)) {
      controller.abort();
      setExitCode(130);
    } else if (input === '?' && route !== 'configure') setHelp((h) => !h);
    else if (help && key.escape) setHelp(false);
  });

  // Exit only from an effect, after the last state change has rendered.
  useEffect(() => {
    if (exitCode !== undefined) {
      onExit(exitCode);
      exit();
    }
  }, [exitCode]); // eslint-disable-line react-hooks/exhaustive-deps

  const refresh = useCallback(() => {
    const next = loadContext();
    setCtx(next);
    setStates(loadStates(next));
  }, [loadContext, loadStates]);
  const back = useCallback(() => {
    refresh();
    if (initialRoute && initialRoute !== 'home') setExitCode(0);
    else setRoute('home');
  }, [refresh, initialRoute]);
  const done = useCallback(() => refresh(), [refresh]);

  const entries: HomeEntry[] = [
    { id: 'configure', title: 'Configure', summary: 'backend, cloud project, bucket, paths', state: states.configure ?? 'todo' },
    ...screens.map((s) => ({
      id: s.id,
      title: s.title,
      summary: s.summary,
      state: combine(s.steps.map((n) => states[n] ?? 'todo')),
    })),
  ];

  if (help) {
    return (
      <Box flexDirection="column" width={Math.min(columns, 80)}>
        <Text bold color={theme.accent}>Keys</Text>
        {GLOBAL_KEYS.map(([k, v]) => (
          <Text key={k}>
            <Text bold>{k!.padEnd(10)}</Text> {v}
          </Text>
        ))}
        <Text dimColor>Each screen lists its own keys at the bottom. Press ? or esc to close.</Text>
      </Box>
    );
  }
  const common = { ctx, isActive: exitCode === undefined, columns, rows, onBack: back, onDone: done };
  if (route === 'configure') {
    return <ConfigureScreen {...common} detected={detected} onDone={() => { refresh(); setRoute('home'); }} />;
  }
  const entry = screens.find((s) => s.id === route);
  if (entry) {
    const Screen = entry.component;
    return <Screen {...common} />;
  }
  return (
    <HomeScreen
      root={ctx.workspace.root}
      backend={ctx.config.backend}
      entries={entries}
      isActive={exitCode === undefined}
      columns={columns}
      onOpen={(id) => setRoute(id)}
      onQuit={() => setExitCode(0)}
    />
  );
}

function combine(states: StepState[]): StepState {
  if (states.length === 0) return 'todo';
  if (states.every((s) => s === 'done')) return 'done';
  if (states.some((s) => s === 'stale')) return 'stale';
  return states.some((s) => s === 'done') ? 'stale' : 'todo';
}
