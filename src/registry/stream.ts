import type { StepEvent } from '../core/events.js';

/**
 * Turns a callback-style operation into a step's event stream: the operation calls `emit` (it may run
 * inside a lock callback, where a generator cannot yield), the generator yields each event as it comes.
 */
export async function* streamEvents<O>(fn: (emit: (e: StepEvent) => void) => Promise<O>): AsyncGenerator<StepEvent, O, void> {
  const queue: StepEvent[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  const emit = (e: StepEvent): void => {
    queue.push(e);
    wake?.();
  };
  const p = fn(emit).finally(() => {
    finished = true;
    wake?.();
  });
  p.catch(() => {}); // surfaced by the await below
  for (;;) {
    while (queue.length > 0) yield queue.shift()!;
    if (finished) break;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
  return await p;
}
