import { Box } from 'ink';
import { Text } from './components/text.js';
import { StepError } from './components/step-error.js';
import { useEffect, useReducer, type ReactNode } from 'react';
import type { Step } from '../src/core/step.js';
import { percent } from '../src/core/text.js';
import { trainStep as defaultTrainStep, type TrainInput, type TrainOutput } from '../src/train/step.js';
import { HelpBar } from './components/help-bar.js';
import { ProgressLine } from './components/progress-bar.js';
import { useKeys } from './hooks/use-keys.js';
import { TRAIN_KEYS } from './keys/bindings.js';
import { useStep, useCancelOnBack } from './hooks/use-step.js';
import type { StepRunState } from './hooks/step-state.js';
import { theme } from './theme.js';
import type { ScreenProps } from './types.js';

/**
 * The local training screen: ⏎ starts training (f retrains even when up to date), embedding progress with
 * rate and ETA, then a live per-epoch readout of loss and accuracy with small trend lines; ⏎ again continues
 * once the model is written. Keys only dispatch reducer actions; effects start, cancel and finish.
 */
export interface TrainUiState {
  /** ⏎ presses: the first starts training, one after it finished continues (decided in an effect on fresh state). */
  enters: number;
  /** f presses: retrain even when up to date. */
  forces: number;
  back: boolean;
}

export type TrainUiAction = { type: 'enter' } | { type: 'force' } | { type: 'back' };

export const initialTrainUi: TrainUiState = { enters: 0, forces: 0, back: false };

export function trainUiReducer(s: TrainUiState, a: TrainUiAction): TrainUiState {
  switch (a.type) {
    case 'enter':
      return { ...s, enters: s.enters + 1 };
    case 'force':
      return { ...s, forces: s.forces + 1 };
    case 'back':
      return { ...s, back: true };
  }
}

const SPARK = '▁▂▃▄▅▆▇█';

/** A one-line trend of the last `width` values. */
export function sparkline(values: number[], width: number): string {
  const v = values.slice(-width);
  if (v.length === 0) return '';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.map((x) => SPARK[hi - lo < 1e-12 ? 3 : Math.round(((x - lo) / (hi - lo)) * (SPARK.length - 1))]).join('');
}

function Readout({ state, width }: { state: StepRunState<TrainOutput>; width: number }) {
  const m = state.metrics;
  const last = (n: string) => m[n]?.[m[n]!.length - 1];
  const loss = last('loss');
  if (!loss) return null;
  const series = (n: string) => (m[n] ?? []).map((p) => p.value);
  const spark = Math.max(5, Math.min(40, width - 36));
  const row = (name: string, key: string, fmt: (v: number) => string) => {
    const l = last(key);
    if (!l) return null;
    return (
      <Text key={key}>
        {name.padEnd(14)}
        {fmt(l.value).padStart(8)}  <Text color={theme.accent}>{sparkline(series(key), spark)}</Text>
      </Text>
    );
  };
  return (
    <Box flexDirection="column" marginTop={1}>
      {/* One loss value per epoch: the series length is the epoch (the runner's tag overwrites a metric's own `step`). */}
      <Text bold>epoch {m.loss!.length}</Text>
      {row('loss', 'loss', (v) => v.toFixed(4))}
      {row('val loss', 'val_loss', (v) => v.toFixed(4))}
      {row('accuracy', 'accuracy', (v) => percent(v).padStart(6))}
      {row('val accuracy', 'val_accuracy', (v) => percent(v).padStart(6))}
    </Box>
  );
}

export interface TrainScreenProps extends ScreenProps {
  step?: Step<TrainInput, TrainOutput>;
}

export default function TrainScreen({ ctx, isActive, columns, rows, onBack, onDone, step }: TrainScreenProps) {
  const run = useStep(step ?? defaultTrainStep, ctx);
  const [ui, dispatch] = useReducer(trainUiReducer, initialTrainUi);
  const finished = run.state.status === 'done' || run.state.status === 'skipped';
  const vertex = ctx.config.backend === 'vertex';

  useKeys(TRAIN_KEYS, (action) => dispatch({ type: action }), { isActive });

  useEffect(() => {
    if (ui.enters === 0 || vertex) return;
    const o = run.state.output;
    if (finished && o) {
      // ⏎ after training: continue, i.e. back home with the status refreshed.
      onDone(`${o.version}: test ${percent(o.metrics.test_top1)} (on embeddings)`);
      onBack();
    }
    else if (run.state.status !== 'running') run.start({});
  }, [ui.enters]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.forces > 0 && !vertex && run.state.status !== 'running') run.start({}, { force: true });
  }, [ui.forces]); // eslint-disable-line react-hooks/exhaustive-deps
  useCancelOnBack(ui.back, onBack, run);

  const width = Math.max(40, columns);
  const s = run.state;
  const o = s.output;
  let status: ReactNode;
  if (vertex) status = <Text color={theme.warn} wrap="wrap">The configured backend is vertex: run `edgewise train --backend vertex` (or set backend local in edgewise.json).</Text>;
  else if (s.status === 'idle') status = <Text dimColor>⏎ trains on the train split (early stopping on validation) and exports the next model version.</Text>;
  else if (s.status === 'running') status = <Text color={theme.accent}>Training… esc cancels (nothing is written).</Text>;
  else if (finished && o) {
    status = (
      <Box flexDirection="column">
        <Text color={theme.ok} wrap="truncate-end">
          ✔ {o.version}: {o.tflite}
          {s.status === 'skipped' ? ' · up to date (f retrains)' : ''}
        </Text>
        <Text wrap="truncate-end">
          validation {percent(o.metrics.val_accuracy)} · test {percent(o.metrics.test_top1)} · best epoch {o.metrics.best_epoch}/{o.metrics.epochs} · embedded {o.embedded.computed} new, {o.embedded.cached} cached
        </Text>
        <Text dimColor>Next: Evaluate (the .tflite on the test split) · ⏎ continue</Text>
      </Box>
    );
  } else {
    status = (
      <StepError state={s} cancelled="Cancelled: no model was written." />
    );
  }
  const logLines = s.lines.filter((l) => l.type === 'log' || l.type === 'warning').slice(-Math.max(1, rows - 18));
  return (
    <Box flexDirection="column" width={width}>
      <Text bold color={theme.accent}>
        Train a classifier ({vertex ? 'vertex' : 'local'})
      </Text>
      {logLines.map((l, i) => (
        <Text key={i} wrap="truncate-end" color={l.type === 'warning' ? theme.warn : undefined} dimColor={l.type === 'log'}>
          {l.type === 'warning' ? '⚠ ' : ''}
          {'message' in l ? l.message : ''}
        </Text>
      ))}
      {s.phases.map((p) => (
        <ProgressLine key={p.phase} progress={p.progress} width={width} />
      ))}
      <Readout state={s} width={width} />
      <Box marginTop={1}>{status}</Box>
      <HelpBar columns={width} table={TRAIN_KEYS} state={{ finished, running: s.status === 'running' }} />
    </Box>
  );
}
