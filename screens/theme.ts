/**
 * Colours chosen to read on both dark and light terminals (no white/black/grey for meaning). With NO_COLOR
 * or TERM=dumb, FORCE_COLOR=0 is set before Ink loads and these render as plain text.
 */
export const theme = {
  accent: 'cyan',
  ok: 'green',
  warn: 'yellow',
  error: 'red',
  todo: 'magenta',
} as const;

export const stateMark = { done: '✔', stale: '↻', todo: '·', none: ' ' } as const;
