import { Box, useApp, useInput } from 'ink';
import { Text } from './components/text.js';
import { Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import type { StepContext } from '../src/core/step.js';
import { JOB_STEPS, type StepState } from '../src/core/status.js';
import { describeSavedVsLive, savedVsLive } from '../src/registry/saved-vs-live.js';
import { R, type PipelineRecord } from '../src/train/vertex/resources.js';
import { HelpKeyContext, HelpNotesContext } from './components/help-bar.js';
import ConfigureScreen from './configure.js';
import type { Detected } from '../src/config/detect.js';
import HomeScreen, { type HomeEntry } from './home.js';
import { KeyHelp } from './components/key-help.js';
import { ScreenReady } from './components/screen-ready.js';
import { APP_KEYS, SCREEN_KEYS } from './keys/bindings.js';
import { keyActions } from './keys/key-table.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { screens } from './registry.js';

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
  /** Holds keys while a screen mounts (input-gate.ts); absent in tests that feed keys to Ink directly. */
  inputGate?: { open(): void; close(): void };
}

/** The wizard's root: owns focus, routes between home and step screens, and turns Ctrl-C into a cancel. */
export function App({ loadContext, loadStates, detected, controller, initialRoute, onExit, inputGate }: AppProps) {
  const { exit } = useApp();
  const { columns, rows } = useTerminalSize();
  const [ctx, setCtx] = useState<StepContext>(loadContext);
  const [states, setStates] = useState<Record<string, StepState>>(() => loadStates(ctx));
  const [route, setRouteNow] = useState<string>(initialRoute ?? (states.configure === 'todo' ? 'configure' : 'home'));
  // Keys pressed while the next screen mounts wait for it (ScreenReady) instead of reaching no one.
  const setRoute = useCallback((next: string) => {
    inputGate?.close();
    setRouteNow(next);
  }, [inputGate]);
  const ready = inputGate ? () => inputGate.open() : undefined;
  const [help, setHelp] = useState(false);
  // The open screen's own notes for the help (what its numbers mean now); cleared when the route changes.
  const [notes, setNotes] = useState<{ route: string; lines: string[] }>({ route: '', lines: [] });
  const [exitCode, setExitCode] = useState<number | undefined>(undefined);

  useInput((input, key) => {
    for (const { action } of keyActions(APP_KEYS, input, key)) {
      if (action === 'quit') {
        controller.abort();
        setExitCode(130);
      } else if (action === 'help' && route !== 'configure') setHelp((h) => !h);
      else if (action === 'close' && help) setHelp(false);
    }
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
  }, [refresh, initialRoute, setRoute]);
  const done = useCallback(() => refresh(), [refresh]);
  const setRouteNotes = useCallback((lines: string[]) => setNotes({ route, lines }), [route]);
  // A screen opening another with its props (Tune's `p` → Publish for the run just tuned).
  const [routeProps, setRouteProps] = useState<Record<string, unknown>>({});
  const open = useCallback(
    (id: string, props: Record<string, unknown> = {}) => {
      refresh();
      setRouteProps(props);
      setRoute(id);
    },
    [refresh, setRoute],
  );

  const allEntries: HomeEntry[] = [
    { id: 'configure', title: 'Configure', summary: 'backend, cloud project, bucket, paths', state: states.configure ?? 'todo' },
    ...screens.map((s): HomeEntry => {
      // An entry with no step names of its own but named like a job step (upload) follows that step.
      const steps = s.steps.length > 0 ? s.steps : (JOB_STEPS as readonly string[]).includes(s.id) ? [s.id] : [];
      // A screen of one backend only: shown dimmed on the other, never offered as "Next".
      const only = s.backend;
      // A pipeline still running in Vertex AI (the session that started it may be gone): say so, and offer
      // to reattach. The journal was just reloaded by loadStates; this reads it from memory.
      const pipeline = s.id === 'vertex-train' ? ctx.journal.resource<PipelineRecord>(R.pipeline) : undefined;
      const live = pipeline && !['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(pipeline.state);
      return {
        id: s.id,
        title: s.title,
        summary: live ? `${pipeline.state} in Vertex AI: ${pipeline.name.split('/').pop()} · ⏎ reattaches` : s.summary,
        state: combine(steps.map((n) => states[n] === 'todo' || states[n] === undefined ? remoteState(ctx, n) : states[n]!)),
        ...(steps.length === 0 ? { kind: 'tool' as const } : only && only !== ctx.config.backend ? { kind: 'other-backend' as const, backend: only } : {}),
      };
    }),
  ];
  // Thresholds saved for the live model but not shipped: Home says so (they wait for Publish).
  const pending = useMemo(() => savedVsLive(ctx.workspace), [ctx, states]); // eslint-disable-line react-hooks/exhaustive-deps
  // The other backend's steps go last, so the digits 1-9 reach this backend's whole job.
  const entries = [...allEntries.filter((e) => e.kind !== 'other-backend'), ...allEntries.filter((e) => e.kind === 'other-backend')];

  const helpView = <KeyHelp screen={SCREEN_KEYS[route]} notes={notes.route === route ? notes.lines : []} columns={columns} />;
  // While the help shows, the screen stays mounted (a running step keeps running) but hidden and deaf.
  const common = { ctx, isActive: exitCode === undefined && !help, columns, rows, onBack: back, onDone: done, onOpen: open };
  let body;
  if (route === 'configure') {
    body = (
      <ScreenReady key={route} onReady={ready}>
        <ConfigureScreen {...common} detected={detected} onDone={() => { refresh(); setRoute('home'); }} />
      </ScreenReady>
    );
  } else {
    const entry = screens.find((s) => s.id === route);
    if (entry) {
      const Screen = entry.component;
      // Screens load lazily (registry.tsx): the first frame never waits for tfjs, sharp or the cloud SDKs.
      body = (
        <Suspense fallback={<Text dimColor>Loading {entry.title}…</Text>}>
          <ScreenReady key={route} onReady={ready}>
            <Screen {...routeProps} {...common} />
          </ScreenReady>
        </Suspense>
      );
    } else {
      body = (
        <ScreenReady key={route} onReady={ready}>
          <HomeScreen
            root={ctx.workspace.root}
            backend={ctx.config.backend}
            entries={entries}
            {...(pending ? { notice: describeSavedVsLive(pending) } : {})}
            isActive={exitCode === undefined && !help}
            columns={columns}
            onOpen={(id) => {
              setRouteProps({});
              setRoute(id);
            }}
            onQuit={() => setExitCode(0)}
          />
        </ScreenReady>
      );
    }
  }
  return (
    <HelpKeyContext.Provider value={route !== 'configure'}>
      <HelpNotesContext.Provider value={setRouteNotes}>
        {help ? helpView : null}
        <Box display={help ? 'none' : 'flex'} flexDirection="column">
          {body}
        </Box>
      </HelpNotesContext.Provider>
    </HelpKeyContext.Provider>
  );
}

/**
 * Steps whose record may be a journal resource rather than a step record: upload always runs (the bucket
 * is the truth) and leaves `gcs.upload`, out of date when the split was rewritten after it; a pipeline
 * reattached to and followed to the end is recorded under `vertex.pipeline`.
 */
function remoteState(ctx: StepContext, step: string): StepState {
  if (ctx.journal.step(step)) return 'done';
  if (step === 'upload') {
    const up = ctx.journal.resource<{ at?: string }>('gcs.upload');
    if (!up?.at) return 'todo';
    const split = ctx.journal.step('split')?.finishedAt;
    return split && split > up.at ? 'stale' : 'done';
  }
  // A pipeline that finished while another session (or `edgewise watch`) followed it is done too.
  if (step === 'vertex-train') return ctx.journal.resource<PipelineRecord>(R.pipeline)?.state === 'SUCCEEDED' ? 'done' : 'todo';
  return 'todo';
}

function combine(states: StepState[]): StepState {
  if (states.length === 0) return 'todo';
  if (states.every((s) => s === 'done')) return 'done';
  if (states.some((s) => s === 'stale')) return 'stale';
  return states.some((s) => s === 'done') ? 'stale' : 'todo';
}
