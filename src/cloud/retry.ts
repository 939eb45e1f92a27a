import { CancelledError, throwIfCancelled } from '../core/errors.js';
import { isRetryable } from './google-errors.js';

export interface RetryOptions {
  /** Attempts after the first (default 5). */
  retries?: number;
  /** First backoff ceiling in ms (default 500); doubles each time up to maxMs. */
  baseMs?: number;
  maxMs?: number;
  signal?: AbortSignal;
  retryable?: (e: unknown) => boolean;
  onRetry?: (e: unknown, attempt: number, delayMs: number) => void;
  random?: () => number;
}

/** Sleeps, waking early (with CancelledError) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with full jitter: a random wait in [0, min(max, base·2^attempt)]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.round(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

/** Runs `fn` until it succeeds, a non-retryable error happens, retries run out, or the signal aborts. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const retries = opts.retries ?? 5;
  const base = opts.baseMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const retryable = opts.retryable ?? isRetryable;
  for (let attempt = 0; ; attempt++) {
    throwIfCancelled(opts.signal);
    try {
      return await fn(attempt);
    } catch (e) {
      if (opts.signal?.aborted) throw new CancelledError();
      if (attempt >= retries || !retryable(e)) throw e;
      const delay = backoffDelay(attempt, base, max, opts.random);
      opts.onRetry?.(e, attempt + 1, delay);
      await sleep(delay, opts.signal);
    }
  }
}
