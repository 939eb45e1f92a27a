import { Box } from 'ink';
import { Text } from './components/text.js';
import { StepError } from './components/step-error.js';
import { useEffect, useReducer } from 'react';
import type { Step } from '../src/core/step.js';
import { vertexExportStep, type ExportInput, type ExportOutput } from '../src/train/vertex/export-step.js';
import { HelpBar } from './components/help-bar.js';
import { ProgressLine } from './components/progress-bar.js';
import { useKeys } from './hooks/use-keys.js';
import { EXPORT_KEYS } from './keys/bindings.js';
import { useStep, useCancelOnBack } from './hooks/use-step.js';
import { theme } from './theme.js';
import type { ScreenProps } from './types.js';

/** ⏎ runs the export, ⏎ again (once it is done) continues home; esc goes back (cancelling a running export). */
export interface ExportUi {
  enters: number;
  back: boolean;
}

export function exportUiReducer(s: ExportUi, a: 'enter' | 'back'): ExportUi {
  return a === 'enter' ? { ...s, enters: s.enters + 1 } : { ...s, back: true };
}

export interface ExportScreenProps extends ScreenProps {
  /** Tests pass their own step. */
  step?: Step<ExportInput, ExportOutput>;
}

/**
 * Export the Vertex model as .tflite into ml/models/vNNN (with its labels and Vertex's own evaluation), so
 * evaluation, tuning and publishing treat it exactly like a locally trained model.
 */
export default function ExportScreen({ ctx, isActive, columns, rows, onBack, onDone, step = vertexExportStep }: ExportScreenProps) {
  const run = useStep(step, ctx);
  const st = run.state;
  const finished = st.status === 'done' || st.status === 'skipped';
  const [ui, dispatch] = useReducer(exportUiReducer, { enters: 0, back: false });

  useKeys(EXPORT_KEYS, dispatch, { isActive });
  useEffect(() => {
    if (ui.enters === 0) return;
    if (finished && st.output) {
      onDone(`${st.output.version} exported`);
      onBack();
    } else if (st.status !== 'running') run.start({});
  }, [ui.enters]); // eslint-disable-line react-hooks/exhaustive-deps
  useCancelOnBack(ui.back, onBack, run);

  const width = Math.max(40, columns);
  const room = Math.max(2, rows - 10);
  const lines = st.lines.slice(-room);
  return (
    <Box flexDirection="column" width={width}>
      <Text bold color={theme.accent} wrap="truncate-end">
        Export the Vertex model as .tflite
      </Text>
      <Text dimColor wrap="wrap">
        Exports the trained AutoML model to gs://{ctx.config.bucket ?? 'BUCKET'}/{ctx.config.prefix}/exports/, downloads model.tflite and its labels into ml/models/vNNN/ (checksums verified) with Vertex's own evaluation beside them.
      </Text>
      <Box flexDirection="column" marginTop={1}>
        {st.phases.map((p) => (
          <ProgressLine key={p.phase} progress={p.progress} width={width} />
        ))}
        {lines.map((l, i) => (
          <Text key={i} wrap="truncate-end" color={l.type === 'warning' ? theme.warn : undefined}>
            {l.type === 'artifact' ? `wrote ${l.path}` : l.type === 'status' ? `${l.state}${l.message ? `: ${l.message}` : ''}` : l.message}
          </Text>
        ))}
      </Box>
      <Box marginTop={1} flexDirection="column">
        {st.status === 'idle' ? <Text>⏎ export and download</Text> : null}
        {st.status === 'running' ? <Text color={theme.accent}>Exporting… (esc stops waiting; the export operation is kept in the journal and resumed)</Text> : null}
        {finished && st.output ? (
          <Text color={theme.ok} wrap="wrap">
            ✔ {st.output.version}: {st.output.tflite} · Next: Evaluate · ⏎ continue
          </Text>
        ) : null}
        {st.status === 'failed' || st.status === 'cancelled' ? (
          <StepError state={st} cancelled="Stopped waiting; ⏎ resumes the same export." />
        ) : null}
      </Box>
      <Box marginTop={1}>
        <HelpBar columns={width} table={EXPORT_KEYS} state={{ finished }} />
      </Box>
    </Box>
  );
}
