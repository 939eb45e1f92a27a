import { fsErrorDetails } from './fs-errors.js';

/** Exit codes shared by every command: 0 ok, 1 failed, 2 bad usage or bad input, 130 cancelled. */
export const ExitCode = { ok: 0, failed: 1, badInput: 2, cancelled: 130 } as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
  /** What to do about it, in one sentence a user can act on. */
  hint?: string;
  /** Machine-readable code, e.g. `manifest.missing_label`. */
  code?: string;
  /** The file, line or item the error is about. */
  item?: string;
  exitCode?: ExitCodeValue;
  cause?: unknown;
}

/** Every error the tool means to show a user. Anything else is a bug and is shown with its stack. */
export class EdgewiseError extends Error {
  readonly hint: string | undefined;
  readonly code: string;
  readonly item: string | undefined;
  readonly exitCode: ExitCodeValue;
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'EdgewiseError';
    this.hint = details.hint;
    this.code = details.code ?? 'failed';
    this.item = details.item;
    this.exitCode = details.exitCode ?? ExitCode.failed;
  }
}

/** Bad input or bad usage: exit code 2. */
export class InputError extends EdgewiseError {
  constructor(message: string, details: Omit<ErrorDetails, 'exitCode'> = {}) {
    super(message, { code: 'bad_input', ...details, exitCode: ExitCode.badInput });
    this.name = 'InputError';
  }
}

/** The user (or a signal) cancelled: exit code 130. */
export class CancelledError extends EdgewiseError {
  constructor(message = 'Cancelled.') {
    super(message, { code: 'cancelled', exitCode: ExitCode.cancelled });
    this.name = 'CancelledError';
  }
}

/** Throws CancelledError when the signal has been aborted; call between units of work. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

export function isEdgewiseError(e: unknown): e is EdgewiseError {
  return e instanceof EdgewiseError;
}

/** Normalises anything thrown into the shape reporters print. */
export function describeError(e: unknown): { message: string; hint?: string; code: string; item?: string; exitCode: number; stack?: string } {
  if (e instanceof EdgewiseError) {
    return { message: e.message, code: e.code, exitCode: e.exitCode, ...(e.hint ? { hint: e.hint } : {}), ...(e.item ? { item: e.item } : {}) };
  }
  if (e instanceof Error && e.name === 'AbortError') return { message: 'Cancelled.', code: 'cancelled', exitCode: ExitCode.cancelled };
  // A read-only or full disk, a permission, a symlink loop: the system's words, not "an unexpected error".
  const fs = fsErrorDetails(e);
  if (fs) return { message: fs.message, code: fs.code, exitCode: ExitCode.failed, hint: fs.hint, ...(fs.path ? { item: fs.path } : {}) };
  const err = e instanceof Error ? e : new Error(String(e));
  return { message: err.message, code: 'internal', exitCode: ExitCode.failed, ...(err.stack ? { stack: err.stack } : {}) };
}
