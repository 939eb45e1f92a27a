import { Box } from 'ink';
import type { ReactNode } from 'react';
import { Text } from './text.js';
import { theme } from '../theme.js';

/** What a failed or cancelled step left for its screen (the `error` of a StepRunState). */
export interface StepErrorState {
  status: string;
  error?: { message: string; hint?: string } | undefined;
}

/**
 * A step that failed or was cancelled, as every screen shows it: `✖ message` in the error colour (or the
 * screen's own words for a cancel, in the warning colour), then the error's hint on its own line after `→`.
 * `hint` replaces the error's hint where the screen can say something more useful (a key to press).
 */
export function StepError({ state, cancelled = 'Cancelled.', hint }: { state: StepErrorState; cancelled?: string; hint?: ReactNode }) {
  const isCancelled = state.status === 'cancelled';
  const shownHint = hint ?? state.error?.hint;
  return (
    <Box flexDirection="column">
      <Text color={isCancelled ? theme.warn : theme.error} wrap="wrap">
        {isCancelled ? cancelled : `✖ ${state.error?.message ?? 'failed'}`}
      </Text>
      {shownHint ? <Text wrap="wrap">→ {shownHint}</Text> : null}
    </Box>
  );
}

/** The same on one line, for a screen's single status line: `message → hint`. */
export function stepErrorLine(error: { message: string; hint?: string } | undefined): string {
  return `${error?.message ?? 'failed'}${error?.hint ? ` → ${error.hint}` : ''}`;
}
