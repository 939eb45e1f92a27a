import { Box } from 'ink';
import { Text } from './components/text.js';
import { StepError } from './components/step-error.js';
import { useEffect } from 'react';
import type { Step } from '../src/core/step.js';
import type { PrepareInput } from '../src/tune/prepare.js';
import type { SaveResult, ThresholdsFile } from '../src/tune/save.js';
import { tuneLoadStep, tuneSaveStep, type TuneSession } from '../src/tune/screen-steps.js';
import { HelpBar } from './components/help-bar.js';
import { ProgressLine } from './components/progress-bar.js';
import { useKeys } from './hooks/use-keys.js';
import { TUNE_KEYS } from './keys/bindings.js';
import { useStep } from './hooks/use-step.js';
import { theme } from './theme.js';
import { TuneView } from './tune/view.js';
import type { ScreenProps } from './types.js';

export interface TuneScreenProps extends ScreenProps {
  /** From `edgewise tune` flags; otherwise config.tune and the newest predictions. */
  model?: string;
  negatives?: string;
  split?: 'auto' | 'validation' | 'test';
  target?: number;
  maxFalseAccept?: number;
  /** Tests pass their own steps. */
  loadStep?: Step<PrepareInput, TuneSession>;
  saveStep?: Step<ThresholdsFile, SaveResult>;
}

/**
 * Threshold tuning: loads the predictions (a step: the screen does no I/O), then hands them to the live
 * view. Keys while loading: esc/q goes back.
 */
export default function TuneScreen(props: TuneScreenProps) {
  const { ctx, isActive, columns, rows, onBack, onDone } = props;
  const settings = ctx.config.tune;
  const load = useStep(props.loadStep ?? tuneLoadStep, ctx);
  useEffect(() => {
    const negatives = props.negatives ?? settings.negatives;
    load.start({
      ...(props.model ? { model: props.model } : {}),
      ...(negatives ? { negatives } : {}),
      split: props.split ?? settings.split,
    });
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const loaded = load.state.output;
  const ready = loaded !== undefined && (load.state.status === 'done' || load.state.status === 'skipped');
  useKeys(
    TUNE_KEYS,
    (action) => {
      if (action === 'back' || action === 'leave') onBack();
    },
    { isActive: isActive && !ready },
  );

  if (ready) {
    const maxFalseAccept = props.maxFalseAccept ?? settings.maxFalseAccept;
    return (
      <TuneView
        session={loaded}
        ctx={ctx}
        isActive={isActive}
        columns={columns}
        rows={rows}
        target={props.target ?? settings.targetAccuracy}
        {...(maxFalseAccept === undefined ? {} : { maxFalseAccept })}
        saveStep={props.saveStep ?? tuneSaveStep}
        onBack={onBack}
        onDone={onDone}
        {...(props.onOpen ? { onOpen: props.onOpen } : {})}
      />
    );
  }
  return (
    <Box flexDirection="column" width={columns}>
      <Text bold color={theme.accent}>
        Tune thresholds
      </Text>
      {load.state.status === 'failed' || load.state.status === 'cancelled' ? (
        <StepError state={load.state} />
      ) : (
        <>
          <Text>Loading predictions…</Text>
          {load.state.phases.map((p) => (
            <ProgressLine key={p.phase} progress={p.progress} width={Math.min(columns, 80) - 1} />
          ))}
        </>
      )}
      <HelpBar columns={columns} table={TUNE_KEYS} state={{ loading: true, publishOffered: false }} />
    </Box>
  );
}
