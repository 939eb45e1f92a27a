import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { measureFile } from '../../src/images/measure-worker.js';
import { makeTempDir } from '../helpers/tmp.js';
import { photo, photoJpeg, raw } from '../validate/validate-fixtures.js';

/**
 * The pool's threads need the compiled worker script, so when `dist/` is built (npm test builds first) the
 * test runs the compiled pool on real threads; from sources alone it checks the in-thread fallback.
 */
const compiled = resolve('dist/src/images/measure-pool.js');
const useDist = existsSync(compiled) && existsSync(resolve('dist/src/images/measure-worker.js'));
type PoolModule = typeof import('../../src/images/measure-pool.js');
const load = async (): Promise<PoolModule> =>
  useDist ? ((await import(pathToFileURL(compiled).href)) as PoolModule) : await import('../../src/images/measure-pool.js');
const limits = { maxPixels: 50_000_000, maxReadBytes: 1 << 28 };

describe('measure pool', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  afterEach(() => tmp?.cleanup());

  async function files(n: number): Promise<{ path: string; size: number }[]> {
    tmp = makeTempDir();
    const out: { path: string; size: number }[] = [];
    for (let i = 0; i < n; i++) {
      const path = join(tmp.dir, `img-${i}.${i % 5 === 4 ? 'png' : 'jpg'}`);
      // JPEGs large enough for the coefficient path, PNGs through libvips, one truncated JPEG.
      let data: Buffer = i % 5 === 4 ? await raw(photo(300, 260, `p${i}`)).png().toBuffer() : await photoJpeg(`p${i}`, 320 + i, 280);
      if (i === 7) data = data.subarray(0, data.length >> 1);
      writeFileSync(path, data);
      out.push({ path, size: data.length });
    }
    out.push({ path: join(tmp.dir, 'gone.jpg'), size: 10 }); // vanished between scan and measure
    return out;
  }

  it('gives every file the result the same measurement on this thread gives', async () => {
    const list = await files(40);
    const { createMeasurer } = await load();
    const m = createMeasurer(list.length, { threads: 2 });
    if (useDist) expect(m.threads).toBe(2);
    const got = new Map<number, unknown>();
    try {
      for await (const { index, result } of m.measureAll(list, limits)) {
        expect(got.has(index)).toBe(false);
        got.set(index, result);
      }
    } finally {
      await m.close();
    }
    expect(got.size).toBe(list.length);
    for (const [i, f] of list.entries()) expect(got.get(i)).toEqual(await measureFile(f.path, f.size, limits));
    expect(got.get(7)).toHaveProperty('decodeError');
    expect(got.get(list.length - 1)).toHaveProperty('error');
    expect(got.get(0)).toHaveProperty('hashes.phash');
  });

  it('measures every file on this thread when the threads cannot run, and says why', async () => {
    const list = await files(40);
    const broken = join(tmp.dir, 'broken-worker.mjs');
    writeFileSync(broken, "import 'no-such-package-for-edgewise'; export default () => [];\n");
    const { createMeasurer } = await load();
    const m = createMeasurer(list.length, { threads: 2, script: pathToFileURL(broken) });
    const got = new Map<number, unknown>();
    try {
      for await (const { index, result } of m.measureAll(list, limits)) got.set(index, result);
    } finally {
      await m.close();
    }
    expect(got.size).toBe(list.length);
    expect(got.get(0)).toHaveProperty('hashes.phash');
    expect(got.get(7)).toHaveProperty('decodeError');
    expect(m.fallback).toMatch(/no-such-package-for-edgewise/);
  });

  it('measures few images on this thread, and starts no new work once cancelled', async () => {
    const { createMeasurer, MIN_IMAGES_FOR_THREADS } = await load();
    expect(createMeasurer(MIN_IMAGES_FOR_THREADS - 1, { threads: 4 }).threads).toBe(1);
    const list = await files(64);
    const m = createMeasurer(list.length, { threads: 2 });
    const stop = new AbortController();
    let seen = 0;
    try {
      for await (const _ of m.measureAll(list, limits, stop.signal)) {
        if (++seen === 1) stop.abort();
      }
    } finally {
      await m.close();
    }
    // What was already in flight finishes (at most 2 batches of 8 per thread); the rest never starts.
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(list.length);
  });
});
