/**
 * Runs `fn` over `items` with at most `concurrency` in flight and yields results as they complete (so a
 * step can report progress and check cancellation between them). Stops starting new work once `signal`
 * is aborted; work already started is awaited.
 */
export async function* mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): AsyncGenerator<{ index: number; result: R }, void, void> {
  const inflight = new Map<number, Promise<{ index: number; result: R }>>();
  let next = 0;
  const start = (): void => {
    const i = next++;
    inflight.set(i, fn(items[i]!, i).then((result) => ({ index: i, result })));
  };
  try {
    while (next < items.length || inflight.size > 0) {
      while (!signal?.aborted && inflight.size < concurrency && next < items.length) start();
      if (inflight.size === 0) return;
      const done = await Promise.race(inflight.values());
      inflight.delete(done.index);
      yield done;
    }
  } finally {
    // Abandoned early (cancel or error): let running work settle so no file handle outlives the step.
    await Promise.allSettled(inflight.values());
  }
}
