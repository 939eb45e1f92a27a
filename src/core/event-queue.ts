import type { StepEvent } from './events.js';

/**
 * The one way events made outside a step's generator reach its stream: callbacks, lock bodies and parallel
 * workers cannot `yield`, so they `push` here and the generator yields each event as it arrives (never
 * buffered to the end, so progress stays live).
 */
export class EventQueue<T> {
  private queue: T[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  private failed = false;
  private error: unknown;

  push(item: T): void {
    this.queue.push(item);
    this.notify();
  }

  /** No more items: `drain` ends once the queue is empty. */
  close(): void {
    this.closed = true;
    this.notify();
  }

  /** `drain` yields what is queued, then throws `e`. */
  fail(e: unknown): void {
    this.failed = true;
    this.error = e;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Yields items in order until `close` (or rethrows what `fail` was given). One reader. */
  async *drain(): AsyncGenerator<T, void, void> {
    for (;;) {
      while (this.queue.length > 0) yield this.queue.shift()!;
      if (this.failed) throw this.error;
      if (this.closed) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

/**
 * Runs `fn`, which reports through `emit`, and yields its events as they come; returns (or throws) what `fn`
 * does once every event before its end has been yielded. `fn` starts when the generator is first pulled.
 */
export async function* streamEvents<O, T = StepEvent>(fn: (emit: (e: T) => void) => Promise<O>): AsyncGenerator<T, O, void> {
  const queue = new EventQueue<T>();
  const done = fn((e) => queue.push(e));
  done.then(
    () => queue.close(),
    (e: unknown) => queue.fail(e),
  );
  yield* queue.drain();
  return await done;
}
