import { Box } from 'ink';
import { Text } from './components/text.js';
import { StepError } from './components/step-error.js';
import { useEffect, useReducer, type ReactNode } from 'react';
import type { ProgressEvent } from '../src/core/events.js';
import { formatBytes, formatDuration } from '../src/core/progress.js';
import type { Step } from '../src/core/step.js';
import { uploadStep as defaultUploadStep, type UploadInput, type UploadOutput } from '../src/cloud/upload-step.js';
import { HelpBar } from './components/help-bar.js';
import { ProgressLine } from './components/progress-bar.js';
import { useKeys } from './hooks/use-keys.js';
import { UPLOAD_KEYS } from './keys/bindings.js';
import { useStep, useCancelOnBack } from './hooks/use-step.js';
import { theme } from './theme.js';
import type { ScreenProps } from './types.js';

/**
 * Upload to Cloud Storage: ⏎ uploads (d does a dry run first), with progress in files and bytes, rate and
 * ETA, and retries shown as they happen; ⏎ again continues once done. Keys only dispatch reducer actions.
 */
export interface UploadUiState {
  runs: number;
  dryRuns: number;
  continues: number;
  back: boolean;
}

export type UploadUiAction = { type: 'enter' } | { type: 'dry' } | { type: 'back' };

export const initialUploadUi: UploadUiState = { runs: 0, dryRuns: 0, continues: 0, back: false };

export function uploadUiReducer(s: UploadUiState, a: UploadUiAction): UploadUiState {
  switch (a.type) {
    case 'enter':
      return { ...s, runs: s.runs + 1 };
    case 'dry':
      return { ...s, dryRuns: s.dryRuns + 1 };
    case 'back':
      return { ...s, back: true };
  }
}

export interface UploadScreenProps extends ScreenProps {
  step?: Step<UploadInput, UploadOutput>;
}

export default function UploadScreen({ ctx, isActive, columns, rows, onBack, onDone, step }: UploadScreenProps) {
  const run = useStep(step ?? defaultUploadStep, ctx);
  const [ui, dispatch] = useReducer(uploadUiReducer, initialUploadUi);
  const st = run.state;
  const out = st.output;
  const finished = (st.status === 'done' || st.status === 'skipped') && out !== undefined;

  useKeys(UPLOAD_KEYS, (action) => dispatch({ type: action }), { isActive });

  // ⏎: upload; ⏎ after a real upload finished: continue.
  useEffect(() => {
    if (ui.runs === 0) return;
    if (finished && !out.dryRun) {
      onDone(`${out.uploaded} uploaded, ${out.skipped} unchanged`);
      onBack();
    }
    else if (st.status !== 'running') run.start({});
  }, [ui.runs]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (ui.dryRuns > 0 && st.status !== 'running') run.start({ dryRun: true });
  }, [ui.dryRuns]); // eslint-disable-line react-hooks/exhaustive-deps
  useCancelOnBack(ui.back, onBack, run);

  const width = Math.max(40, columns);
  const phase = (name: string) => st.phases.find((p) => p.phase === name)?.progress;
  const hash = phase('hash');
  const files = phase('files');
  const bytes = phase('bytes');
  const room = Math.max(2, rows - 12);
  const logLines = st.lines.filter((l) => l.type === 'log' || l.type === 'warning').slice(-room);

  let status: ReactNode;
  if (st.status === 'idle') status = <Text dimColor>⏎ upload · d dry run (lists what would move, moves nothing)</Text>;
  else if (st.status === 'running') status = <Text color={theme.accent}>Uploading… (Esc cancels; finished files are kept and skipped next time)</Text>;
  else if (finished && out.dryRun) {
    status = (
      <Text color={theme.accent} wrap="wrap">
        Dry run: {out.wouldUpload?.length ?? 0} object(s) would be uploaded, {out.skipped} unchanged · ⏎ uploads
      </Text>
    );
  } else if (finished) {
    status = (
      <Text color={theme.ok} wrap="wrap">
        ✔ {out.uploaded} object(s) uploaded ({formatBytes(out.bytesUploaded)}), {out.skipped} unchanged · {out.csvUri} · ⏎ continue
      </Text>
    );
  } else {
    status = (
      <StepError state={st} cancelled="Cancelled: objects already uploaded are kept; ⏎ resumes." />
    );
  }

  const bucket = ctx.config.bucket ? `gs://${ctx.config.bucket}/${ctx.config.prefix}/` : '(no bucket configured)';
  return (
    <Box flexDirection="column" width={width}>
      <Text bold color={theme.accent} wrap="truncate-end">
        Upload to {bucket}
      </Text>
      <Box flexDirection="column" marginTop={1}>
        {hash ? <ProgressLine progress={hash} width={width} label="hash" /> : null}
        {files ? <ProgressLine progress={files} width={width} label="files" /> : null}
        {bytes ? <ProgressLine progress={bytes} width={width} label="bytes" /> : null}
      </Box>
      <Box flexDirection="column" marginTop={1}>
        {logLines.map((l, i) => (
          <Text key={i} wrap="truncate-end" color={l.type === 'warning' ? theme.warn : undefined} dimColor={l.type === 'log'}>
            {l.type === 'warning' ? `⚠ ${l.item ? l.item + ': ' : ''}${l.message}` : l.type === 'log' ? l.message : ''}
          </Text>
        ))}
      </Box>
      <Box marginTop={1}>{status}</Box>
      <HelpBar columns={width} table={UPLOAD_KEYS} state={{ finished: finished && !out.dryRun }} />
    </Box>
  );
}
