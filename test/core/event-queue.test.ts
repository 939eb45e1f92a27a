import { describe, expect, it } from 'vitest';
import { EventQueue, streamEvents } from '../../src/core/event-queue.js';

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

describe('streamEvents: one queue from callbacks to a step stream', () => {
  it('yields each event while the work is still running (not buffered to the end), then returns its result', async () => {
    const g = gate();
    let finished = false;
    const gen = streamEvents<number, string>(async (emit) => {
      emit('a');
      await g.opened; // cannot finish until the test has seen 'a'
      emit('b');
      finished = true;
      return 42;
    });
    // Bounded wait: a buffering queue would never hand out 'a' while the work waits on the gate.
    const first = await Promise.race([gen.next(), new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 5000))]);
    expect(first).toEqual({ value: 'a', done: false });
    expect(finished).toBe(false);
    g.open();
    expect(await gen.next()).toEqual({ value: 'b', done: false });
    expect(await gen.next()).toEqual({ value: 42, done: true });
  });

  it('a failure comes after the events emitted before it', async () => {
    const seen: string[] = [];
    const gen = streamEvents<never, string>(async (emit) => {
      emit('x');
      await Promise.resolve();
      emit('y');
      throw new Error('boom');
    });
    await expect(
      (async () => {
        for await (const e of gen) seen.push(e);
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual(['x', 'y']);
  });
});

describe('EventQueue', () => {
  it('keeps the order of pushes from parallel workers and ends at close', async () => {
    const q = new EventQueue<number>();
    const workers = [0, 1, 2].map(async (w) => {
      for (let i = 0; i < 3; i++) {
        await Promise.resolve();
        q.push(w * 10 + i);
      }
    });
    void Promise.all(workers).then(() => q.close());
    const got: number[] = [];
    for await (const n of q.drain()) got.push(n);
    expect(got).toEqual([0, 10, 20, 1, 11, 21, 2, 12, 22]);
  });

  it('fail: what was queued is yielded, then the error', async () => {
    const q = new EventQueue<string>();
    q.push('one');
    q.fail(new Error('stopped'));
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const s of q.drain()) got.push(s);
      })(),
    ).rejects.toThrow('stopped');
    expect(got).toEqual(['one']);
  });
});
