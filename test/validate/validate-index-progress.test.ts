import { describe, expect, it } from 'vitest';
import { ProgressTracker } from '../../src/core/progress.js';
import { seededRandom } from '../../src/core/random.js';
import type { DedupeItem } from '../../src/validate/clusters.js';
import { indexNearDuplicates } from '../../src/validate/validate-step.js';

/** Random 64-bit hashes: enough items that the index search takes a while even on a fast machine. */
function items(n: number): DedupeItem[] {
  const rand = seededRandom('index-progress');
  const hex = () => Array.from({ length: 16 }, () => Math.floor(rand() * 16).toString(16)).join('');
  return Array.from({ length: n }, (_, i) => ({ image: `${i}.jpg`, label: 'x', sha256: String(i), phash: hex(), dhash: hex(), line: i + 2, pixels: 1, bytes: 1 }));
}

describe("validate's index phase", () => {
  it('reports progress while the search runs and lets the event loop turn, instead of everything at the end', async () => {
    const list = items(4_000);
    const tracker = new ProgressTracker('index', list.length, 'images', 0);
    let turned = false;
    setImmediate(() => (turned = true));
    const seen: Array<{ done: number; turned: boolean }> = [];
    const gen = indexNearDuplicates(list, { nearRadius: 8, nearDhashRadius: 6 }, tracker);
    let r = await gen.next();
    while (!r.done) {
      if (r.value.type === 'progress') seen.push({ done: r.value.done, turned });
      r = await gen.next();
    }
    expect(r.value.clusters).toEqual([]);
    expect(seen.at(-1)!.done).toBe(list.length);
    // Progress between 0 and the end, and some of it delivered after the event loop had run in between.
    expect(seen.filter((s) => s.done > 0 && s.done < list.length).length).toBeGreaterThan(3);
    expect(seen.some((s) => s.turned && s.done < list.length)).toBe(true);
  });

  it('stops at the next step when cancelled', async () => {
    const list = items(4_000);
    const ac = new AbortController();
    const gen = indexNearDuplicates(list, { nearRadius: 8, nearDhashRadius: 6 }, new ProgressTracker('index', list.length, 'images', 0), ac.signal);
    await gen.next();
    ac.abort();
    await expect((async () => {
      for (let r = await gen.next(); !r.done; r = await gen.next());
    })()).rejects.toThrow();
  });
});
