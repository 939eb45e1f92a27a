/**
 * Lets background work (parallel uploads) hand events to a step's async generator: `push` from anywhere,
 * `drain` yields them in order until `close` (or rethrows what `fail` was given).
 */
export class Channel<T> {
  private queue: T[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  private error: unknown;
  private failed = false;

  push(item: T): void {
    this.queue.push(item);
    this.notify();
  }

  close(): void {
    this.closed = true;
    this.notify();
  }

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

  async *drain(): AsyncGenerator<T, void, void> {
    for (;;) {
      while (this.queue.length) yield this.queue.shift()!;
      if (this.failed) throw this.error;
      if (this.closed) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}
