import { Box } from 'ink';
import { Text } from './components/text.js';
import { StepError } from './components/step-error.js';
import { useContext, useEffect, useMemo, useReducer } from 'react';
import type { Step } from '../src/core/step.js';
import { evalStep as defaultEvalStep, type EvalInput, type EvalOutput } from '../src/evaluate/eval-step.js';
import { renderTerminalReport } from '../src/evaluate/terminal-report.js';
import { decimal } from '../src/core/text.js';
import { HelpBar, HelpKeyContext, helpBarLines } from './components/help-bar.js';
import { ProgressLine } from './components/progress-bar.js';
import { ScrollBox, scrollPosition } from './components/scroll-box.js';
import { scrollReducer, type ScrollAction } from './components/scroll-state.js';
import { useKeys } from './hooks/use-keys.js';
import { useStep, useCancelOnBack } from './hooks/use-step.js';
import { EVAL_KEYS } from './keys/bindings.js';
import { theme } from './theme.js';
import type { ScreenProps } from './types.js';

/** Intents from keys; side effects (start, cancel, back) run in effects keyed on the counters. */
interface UiState {
  offset: number;
  runs: number;
  force: boolean;
  cancels: number;
  back: boolean;
}

type UiAction = { type: 'scroll'; action: ScrollAction; total: number; height: number } | { type: 'rerun' } | { type: 'cancel' } | { type: 'back' };

function uiReducer(s: UiState, a: UiAction): UiState {
  switch (a.type) {
    case 'scroll':
      return { ...s, offset: scrollReducer({ offset: s.offset }, { ...a.action, total: a.total, height: a.height }).offset };
    case 'rerun':
      return { ...s, runs: s.runs + 1, force: true, offset: 0 };
    case 'cancel':
      return { ...s, cancels: s.cancels + 1 };
    case 'back':
      return { ...s, back: true };
  }
}

const SCROLL: Record<string, ScrollAction> = {
  up: { type: 'line', delta: -1 },
  down: { type: 'line', delta: 1 },
  pageup: { type: 'page', delta: -1 },
  pagedown: { type: 'page', delta: 1 },
  top: { type: 'top' },
  bottom: { type: 'bottom' },
};

export interface EvalScreenProps extends ScreenProps {
  /** The step to run (tests pass one with a fake model). */
  step?: Step<EvalInput, EvalOutput>;
  input?: EvalInput;
}

/**
 * Evaluation: runs the eval step (skipped when up to date) and shows the terminal report in a scroll box
 * that fits 80×24.
 */
export default function EvalScreen({ ctx, isActive, columns, rows, onBack, onDone, step, input }: EvalScreenProps) {
  const { state, start, cancel } = useStep(step ?? defaultEvalStep, ctx);
  const [ui, dispatch] = useReducer(uiReducer, { offset: 0, runs: 1, force: false, cancels: 0, back: false });
  const width = Math.max(40, columns);
  // The report takes the rows the title, the position line and the key hints (one line, or two when narrow) leave.
  const keyLines = helpBarLines(EVAL_KEYS, 'report', width, useContext(HelpKeyContext));
  const bodyHeight = Math.max(3, rows - 2 - keyLines);
  const running = state.status === 'running' || state.status === 'idle';
  const metrics = state.output?.metrics;
  const lines = useMemo(() => (metrics ? renderTerminalReport(metrics, { width }) : []), [metrics, width]);

  useEffect(() => {
    start(input ?? {}, { force: ui.force });
  }, [ui.runs]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.cancels > 0) cancel();
  }, [ui.cancels]); // eslint-disable-line react-hooks/exhaustive-deps
  useCancelOnBack(ui.back, onBack, { cancel });
  useEffect(() => {
    if ((state.status === 'done' || state.status === 'skipped') && state.output) {
      const m = state.output.metrics;
      onDone(`${state.output.version}: top-1 ${decimal(m.top1)}, ECE ${decimal(m.ece)}`);
    }
  }, [state.status]); // eslint-disable-line react-hooks/exhaustive-deps

  useKeys(
    EVAL_KEYS,
    (action) => {
      // While running only esc and c count (both cancel); afterwards esc goes back.
      if (running) {
        if (action === 'back' || action === 'cancel') dispatch({ type: 'cancel' });
      } else if (action === 'back' || action === 'rerun') dispatch({ type: action });
      else if (action !== 'cancel') dispatch({ type: 'scroll', action: SCROLL[action]!, total: lines.length, height: bodyHeight });
    },
    { isActive },
  );

  if (running) {
    const recent = state.lines.slice(-Math.max(0, bodyHeight - state.phases.length - 1));
    return (
      <Box flexDirection="column" width={width}>
        <Text bold color={theme.accent}>
          Evaluate the model
        </Text>
        {state.phases.length === 0 ? <Text dimColor>Loading the model…</Text> : null}
        {state.phases.map((p) => (
          <ProgressLine key={p.phase} progress={p.progress} width={width} />
        ))}
        {recent.map((l, i) => (
          <Text key={i} wrap="truncate-end" color={l.type === 'warning' ? theme.warn : undefined} dimColor={l.type !== 'warning'}>
            {l.type === 'warning' ? `warning: ${l.message}` : l.type === 'artifact' ? `wrote ${l.path}` : l.type === 'log' ? l.message : `${l.state} ${l.message ?? ''}`}
          </Text>
        ))}
        <HelpBar columns={width} table={EVAL_KEYS} state="running" />
      </Box>
    );
  }

  if (state.status === 'failed' || state.status === 'cancelled' || !metrics) {
    return (
      <Box flexDirection="column" width={width}>
        <Text bold color={theme.accent}>
          Evaluate the model
        </Text>
        <StepError state={state} cancelled="Cancelled: nothing was written." />
        <HelpBar columns={width} table={EVAL_KEYS} state="failed" />
      </Box>
    );
  }

  const out = state.output!;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold color={theme.accent}>
          Evaluate {out.version}
        </Text>
        <Text> top-1 {decimal(metrics.top1)} · ECE {decimal(metrics.ece)} → {decimal(metrics.ece_after_temperature)} (T={decimal(metrics.temperature, 2)})</Text>
        <Text dimColor>{state.status === 'skipped' ? ' · up to date' : ''}</Text>
      </Text>
      <ScrollBox lines={lines} offset={ui.offset} height={bodyHeight} width={width} accent={theme.accent} />
      <Text dimColor wrap="truncate-end">
        {scrollPosition(ui.offset, bodyHeight, lines.length)} · {out.reportPath} · Next: Tune (esc, then ⏎)
      </Text>
      <HelpBar columns={width} table={EVAL_KEYS} state="report" />
    </Box>
  );
}
