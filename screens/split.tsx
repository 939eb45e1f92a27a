import { Box, useInput, type Key } from 'ink';
import { Text } from './components/text.js';
import { StepError } from './components/step-error.js';
import { useContext, useEffect, useReducer, type ReactNode } from 'react';
import type { Step } from '../src/core/step.js';
import { percent } from '../src/core/text.js';
import { splitStep as defaultSplitStep, type SplitInput, type SplitOutput } from '../src/split/split-step.js';
import { HelpBar, HelpKeyContext, helpBarLines } from './components/help-bar.js';
import { SPLIT_KEYS, type SplitBar } from './keys/bindings.js';
import { keyActions } from './keys/key-table.js';
import { useStep, useCancelOnBack } from './hooks/use-step.js';
import { theme } from './theme.js';
import type { ScreenProps } from './types.js';
import { configureStep } from '../src/config/configure-step.js';

/**
 * The split screen: ratio controls with a live preview (a dry run of the split step on every change), the
 * per-class table, the leakage check, and Enter to write the split. Keys only dispatch reducer actions;
 * starting the step, going back and finishing happen in effects keyed on the state, so a coalesced chunk
 * of keys ("→→⏎" over SSH) applies in order to fresh state.
 */
type Held = 'validation' | 'test';

export interface SplitUiState {
  focus: Held;
  /** In hundredths, so key steps never drift. */
  validation: number;
  test: number;
  /** Counters: each increment asks an effect to act once. */
  runs: number;
  continues: number;
  /** The last run no longer matches the ratios (or failed): Enter runs again instead of continuing. */
  stale: boolean;
  back: boolean;
  /** Take an empty validation/test split out of train (c, offered when the manifest's split column leaves one empty). */
  carve: boolean;
  /** The manifest's split column decides every image: the ratio keys do nothing, and the screen says so. */
  fixed: boolean;
}

export type SplitUiAction =
  | { type: 'focus'; delta: number }
  | { type: 'adjust'; delta: number }
  | { type: 'enter' }
  | { type: 'run-failed' }
  | { type: 'back' }
  | { type: 'carve' }
  | { type: 'fixed'; fixed: boolean };

const MIN_TRAIN = 5;
const MAX_HELD = 50;

export function initialSplitUi(validation: number, test: number): SplitUiState {
  return { focus: 'validation', validation: Math.round(validation * 100), test: Math.round(test * 100), runs: 0, continues: 0, stale: false, back: false, carve: false, fixed: false };
}

export function splitUiReducer(s: SplitUiState, a: SplitUiAction): SplitUiState {
  switch (a.type) {
    case 'focus':
      return { ...s, focus: s.focus === 'validation' ? 'test' : 'validation' };
    case 'adjust': {
      if (s.fixed) return s;
      const other = s.focus === 'validation' ? s.test : s.validation;
      const max = Math.min(MAX_HELD, 100 - MIN_TRAIN - other);
      const next = Math.max(0, Math.min(max, s[s.focus] + a.delta));
      if (next === s[s.focus]) return s;
      // A changed ratio makes the last run stale: the next Enter runs again rather than continuing.
      return { ...s, [s.focus]: next, continues: 0, stale: true };
    }
    case 'enter':
      // A run was asked for these ratios: Enter again goes back once it has finished.
      return s.runs > 0 && !s.stale ? { ...s, continues: s.continues + 1 } : { ...s, runs: s.runs + 1, stale: false, continues: 0 };
    case 'run-failed':
      return { ...s, stale: true, continues: 0 };
    case 'back':
      return { ...s, back: true };
    case 'carve':
      return s.carve ? s : { ...s, carve: true, continues: 0, stale: true };
    case 'fixed':
      return s.fixed === a.fixed ? s : { ...s, fixed: a.fixed };
  }
}

const ADJUST = { less: -5, more: 5, less1: -1, more1: 1 } as const;

/** Keys → actions (SPLIT_KEYS); a chunk of several keys becomes several actions, in order. */
export function splitKeyActions(input: string, key: Partial<Key>): SplitUiAction[] {
  const out: SplitUiAction[] = [];
  for (const { action } of keyActions(SPLIT_KEYS, input, key)) {
    if (action === undefined) continue;
    // Focus toggles between the two held-out splits: up and down both switch.
    if (action === 'focus') out.push({ type: 'focus', delta: 1 });
    else if (action in ADJUST) out.push({ type: 'adjust', delta: ADJUST[action as keyof typeof ADJUST] });
    else out.push({ type: action as 'enter' | 'back' | 'carve' });
  }
  return out;
}

export interface SplitScreenProps extends ScreenProps {
  /** The step to run (tests may pass their own). */
  step?: Step<SplitInput, SplitOutput>;
}

export default function SplitScreen({ ctx, isActive, columns, rows, onBack, onDone, step }: SplitScreenProps) {
  const theStep = step ?? defaultSplitStep;
  const preview = useStep(theStep, ctx);
  const run = useStep(theStep, ctx);
  const saveRatios = useStep(configureStep, ctx);
  const [ui, dispatch] = useReducer(splitUiReducer, undefined, () => initialSplitUi(ctx.config.split.validation, ctx.config.split.test));
  const train = 100 - ui.validation - ui.test;
  const ratios = { train: train / 100, validation: ui.validation / 100, test: ui.test / 100 };

  useInput((input, key) => splitKeyActions(input, key).forEach((a) => dispatch(a)), { isActive });

  const carve = ui.carve ? { carveFromTrain: true } : {};
  useEffect(() => {
    preview.start({ ...ratios, ...carve, dryRun: true });
  }, [ui.validation, ui.test, ui.carve]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.runs > 0) run.start({ ...ratios, ...carve });
  }, [ui.runs]); // eslint-disable-line react-hooks/exhaustive-deps
  // Every image's split comes from the manifest's split column: the ratios decide nothing.
  const previewed = preview.state.output;
  useEffect(() => {
    if (previewed) dispatch({ type: 'fixed', fixed: previewed.images > 0 && previewed.sources.manifest === previewed.images && !previewed.carved });
  }, [previewed]);
  useCancelOnBack(ui.back, onBack, run, preview);
  const runFinished = run.state.status === 'done' || run.state.status === 'skipped';
  useEffect(() => {
    if (run.state.status === 'failed' || run.state.status === 'cancelled') dispatch({ type: 'run-failed' });
  }, [run.state.status]);
  // A finished run refreshes the home screen's status at once; Enter afterwards goes back to it. Ratios
  // chosen here are saved to edgewise.json, so a later headless `edgewise split` keeps the same split.
  useEffect(() => {
    if (runFinished && run.state.output) {
      const o = run.state.output;
      const s = ctx.config.split;
      if (s.train !== ratios.train || s.validation !== ratios.validation || s.test !== ratios.test) {
        saveRatios.start({ answers: { split: { ...ratios, seed: s.seed } } });
      }
      onDone(`${o.totals.train} train / ${o.totals.validation} validation / ${o.totals.test} test, ${o.changes.moved} moved`);
    }
  }, [run.state.status]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.continues > 0 && !ui.stale && runFinished) onBack();
  }, [ui.continues, run.state.status]); // eslint-disable-line react-hooks/exhaustive-deps
  // What to show: the run's result while it is current, otherwise the preview.
  const current = ui.runs > 0 && (!ui.stale || run.state.status === 'failed' || run.state.status === 'cancelled') && run.state.status !== 'idle';
  const shown = current ? run.state : preview.state;
  const out = shown.output;
  const width = Math.max(40, columns);

  const emptySplit = shown.status === 'failed' && shown.error?.code === 'split.empty_split' && !shown.error.message.includes('for train');
  const bar: SplitBar = { fixed: ui.fixed, emptySplit, finished: current && runFinished };
  // A narrow terminal puts the key hints on two lines: the table gives up the row.
  const helpExtra = helpBarLines(SPLIT_KEYS, bar, width, useContext(HelpKeyContext)) - 1;
  const rowsForTable = Math.max(1, rows - 16 - helpExtra - (ui.fixed ? 1 : 0) - (out?.carved ? 1 : 0));
  const classes = out?.classes ?? [];
  const visible = classes.slice(0, classes.length > rowsForTable ? rowsForTable - 1 : rowsForTable);
  const labelW = Math.max(5, Math.min(Math.max(5, ...classes.map((c) => c.label.length)), width - 34));
  const cell = (n: number): string => String(n).padStart(7);
  const tableRow = (label: string, t: number, v: number, te: number, n: number): string =>
    `${label.length > labelW ? label.slice(0, labelW - 1) + '…' : label.padEnd(labelW)}${cell(t)}${cell(v)}${cell(te)}${cell(n)}`;

  const ratioRow = (name: string, value: number, focused: boolean | undefined) => (
    <Text key={name} color={focused && !ui.fixed ? theme.accent : undefined} dimColor={ui.fixed}>
      {focused && !ui.fixed ? '❯ ' : '  '}
      {name.padEnd(11)}
      {percent(value / 100, 0).padStart(4)}
      {ui.fixed ? null : focused ? <Text dimColor>  ◂ ▸</Text> : focused === undefined ? <Text dimColor>  (the rest)</Text> : null}
    </Text>
  );

  let status: ReactNode;
  if (run.state.status === 'running') status = <Text color={theme.accent}>Writing the split…</Text>;
  else if (current && runFinished && out) {
    status = (
      <Text color={theme.ok} wrap="truncate-end">
        ✔ Wrote {out.splitsCsv}
        {out.vertexCsv ? ` and ${out.vertexCsv}` : ' (Vertex CSV skipped: no bucket)'}
        {run.state.status === 'skipped' ? ' · up to date' : ''}
      </Text>
    );
  } else if (shown.status === 'failed' || shown.status === 'cancelled') {
    status = (
      <StepError
        state={shown}
        cancelled="Cancelled: nothing was written."
        {...(emptySplit
          ? {
              hint: (
                <>
                  <Text bold>c</Text> takes it out of train (per class, duplicates kept together); or set its ratio to 0, or add those rows to the manifest.
                </>
              ),
            }
          : {})}
      />
    );
  } else status = <Text dimColor>Preview: nothing written yet · ⏎ writes splits.csv</Text>;

  return (
    <Box flexDirection="column" width={width}>
      <Text bold color={theme.accent}>
        Split into train / validation / test
      </Text>
      {ratioRow('train', train, undefined)}
      {ratioRow('validation', ui.validation, ui.focus === 'validation')}
      {ratioRow('test', ui.test, ui.focus === 'test')}
      {ui.fixed ? (
        <Text color={theme.warn} wrap="truncate-end">
          {"The manifest's split column decides every image: these ratios do not apply."}
        </Text>
      ) : null}
      {out?.carved ? (
        <Text color={theme.warn} wrap="truncate-end">
          {out.carved.splits.join(' and ')} taken out of train: {out.carved.images} images (per class, clusters whole)
        </Text>
      ) : null}
      <Box marginTop={1} flexDirection="column">
        {out ? (
          <>
            <Text bold>{'class'.padEnd(labelW) + '  train  valid   test  total'}</Text>
            {visible.map((c) => (
              <Text key={c.label}>{tableRow(c.label, c.counts.train, c.counts.validation, c.counts.test, c.total)}</Text>
            ))}
            {visible.length < classes.length ? <Text dimColor>… {classes.length - visible.length} more classes (edgewise split prints all)</Text> : null}
            <Text bold>{tableRow('total', out.totals.train, out.totals.validation, out.totals.test, out.images)}</Text>
          </>
        ) : shown.status === 'running' || shown.status === 'idle' ? (
          <Text dimColor>Computing the split…</Text>
        ) : null}
      </Box>
      {out ? (
        <Box marginTop={1} flexDirection="column">
          {out.leaks.groups === 0 ? (
            <Text color={theme.ok}>✔ Leakage check: no cluster of near-identical images spans two splits</Text>
          ) : (
            <Text color={theme.warn} wrap="truncate-end">
              ⚠ Leakage check: {out.leaks.groups} cluster{out.leaks.groups === 1 ? '' : 's'} ({out.leaks.images} images) span splits in the manifest's split column
            </Text>
          )}
          <Text dimColor wrap="truncate-end">
            Largest per-class deviation {out.maxDeviation} image{out.maxDeviation === 1 ? '' : 's'}
            {out.changes.previous > 0 ? ` · vs last split: ${out.changes.moved} moved, ${out.changes.added} added` : ''}
            {out.minimums.length > 0 ? ` · ${out.minimums.length} placed for class minimums` : ''}
          </Text>
        </Box>
      ) : null}
      <Box marginTop={1}>{status}</Box>
      <HelpBar columns={width} table={SPLIT_KEYS} state={bar} />
    </Box>
  );
}
