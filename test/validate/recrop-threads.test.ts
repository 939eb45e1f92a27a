import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/core/errors.js';
import type { ProgressEvent, StepEvent } from '../../src/core/events.js';
import { ProgressTracker } from '../../src/core/progress.js';
import { seededRandom } from '../../src/core/random.js';
import { measureBuffer } from '../../src/images/image-measure.js';
import { createPairMatcher, type PairMatcher } from '../../src/images/measure-pool.js';
import { decodeFingerprint, FINGERPRINT_SIDE, samePhotoBatch } from '../../src/images/thumb-match.js';
import { findClustersAndGroups, NEAR_CONFIRM, type ClusterOptions, type ClusterResult, type DedupeItem } from '../../src/validate/clusters.js';
import { indexNearDuplicates } from '../../src/validate/duplicates.js';
import { makeTempDir } from '../helpers/tmp.js';
import { scene, SCENE_H as H, SCENE_W as W } from './validate-fixtures.js';

/**
 * validate compares the re-crop candidates on worker threads (measure-pool.ts createPairMatcher) and builds
 * the clusters from their decisions afterwards (clusters.ts indexSteps + finishClusters). The result must be
 * what comparing them one by one gives (findClustersAndGroups), whatever order the decisions come back in.
 * The threads need the compiled worker script: with dist/ built (npm test builds first) the real pool runs.
 */
const compiled = resolve('dist/src/images/measure-pool.js');
const useDist = existsSync(compiled) && existsSync(resolve('dist/src/images/measure-worker.js'));
type PoolModule = typeof import('../../src/images/measure-pool.js');
const pool = async (): Promise<PoolModule> => (useDist ? ((await import(pathToFileURL(compiled).href)) as PoolModule) : await import('../../src/images/measure-pool.js'));

const LIMITS = { maxPixels: 50_000_000, maxReadBytes: 50_000_000 };
const OPTS: ClusterOptions = { nearRadius: 8, nearDhashRadius: 6, confirm: NEAR_CONFIRM, similarRadius: 10, similarDhashRadius: 12 };

async function item(buf: Buffer, image: string, line: number, label: string, split: string): Promise<DedupeItem> {
  const m = await measureBuffer(buf, LIMITS);
  return { image, label, sha256: image, phash: m.hashes!.phash, dhash: m.hashes!.dhash, line, pixels: m.width! * m.height!, bytes: m.bytes, split, fingerprint: decodeFingerprint(m.fingerprint!) };
}

/**
 * Candidates that are never the same photo, many of them (several batches): images whose pHashes sit within a
 * few bits of one another and whose dHashes do not (so the hashes alone join none), with noise thumbnails.
 */
function fillers(n: number, firstLine: number): DedupeItem[] {
  const rand = seededRandom('recrop-threads');
  const base = BigInt('0x9a3c5e7f1b2d4a68');
  return Array.from({ length: n }, (_, i) => {
    let p = base;
    for (let k = 0; k < 4; k++) p ^= 1n << BigInt(Math.floor(rand() * 64));
    const d = Array.from({ length: 16 }, () => Math.floor(rand() * 16).toString(16)).join('');
    const pixels = Uint8Array.from({ length: FINGERPRINT_SIDE * FINGERPRINT_SIDE }, () => Math.floor(rand() * 256));
    return { image: `filler-${i}.jpg`, label: 'other', sha256: `f${i}`, phash: p.toString(16).padStart(16, '0'), dhash: d, line: firstLine + i, pixels: 1, bytes: 1, split: 'test', fingerprint: { pixels, aspect: 4 / 3 } };
  });
}

/** Completes every batch, then hands the decisions back last pair first: the opposite of the search's order. */
function backwards(): PairMatcher {
  return {
    threads: 1,
    fallback: undefined,
    async *matchAll(fingerprints, pairs, rule) {
      // Every image a pair names has a fingerprint (the matcher's contract).
      const same = samePhotoBatch({ fingerprints: fingerprints.map((f) => f!), pairs: pairs.map(([i, j]) => [i, j]), rule });
      for (let k = pairs.length - 1; k >= 0; k--) {
        await new Promise((r) => setTimeout(r, k % 3));
        yield { index: k, same: same[k]! };
      }
    },
    close: async () => undefined,
  };
}

async function run(items: DedupeItem[], matcherFor: (pairs: number) => PairMatcher, signal?: AbortSignal, onEvent?: (e: StepEvent) => void): Promise<ClusterResult> {
  const gen = indexNearDuplicates(items, OPTS, new ProgressTracker('index', items.length, 'images', 0), signal, matcherFor);
  for (;;) {
    const r = await gen.next();
    if (r.done) return r.value;
    onEvent?.(r.value);
  }
}

describe('re-crop comparisons on worker threads', () => {
  let items: DedupeItem[] = [];
  let serial: ClusterResult;

  beforeAll(async () => {
    const cut = (buf: Buffer, top: number, left: number) =>
      sharp(buf).extract({ left: Math.round(W * left), top: Math.round(H * top), width: W - Math.round(W * left), height: H - Math.round(H * top) });
    const a = await scene('pose-a');
    const f = await scene('pose-f');
    items = [
      await item(a, 'a.jpg', 2, 'toy', 'training'),
      await item(await cut(a, 0.07, 0).resize(W / 2).jpeg({ quality: 40 }).toBuffer(), 'a_cut7.jpg', 3, 'toy', 'test'),
      await item(await cut(a, 0.05, 0.05).jpeg({ quality: 90 }).toBuffer(), 'a_cut5x5.jpg', 4, 'ball', 'validation'),
      await item(f, 'f.jpg', 5, 'ball', 'training'),
      await item(await sharp(f).rotate(1).resize(W, H, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer(), 'f_turn1.jpg', 6, 'ball', 'training'),
      await item(await cut(f, 0.03, 0).jpeg({ quality: 90 }).toBuffer(), 'f_cut3.jpg', 7, 'toy', 'test'),
      ...fillers(24, 8),
    ];
    serial = findClustersAndGroups(items, OPTS);
  }, 120_000);

  it('the set has re-crops only the thumbnails join, label conflicts, leaks and enough candidates for several batches', () => {
    const recrops = serial.clusters.flatMap((c) => c.members.filter((m) => m.recrop).map((m) => m.image));
    expect(recrops.length).toBeGreaterThanOrEqual(2);
    expect(serial.clusters.some((c) => c.labelConflict && c.splitLeak)).toBe(true);
    expect(serial.clusters.flatMap((c) => c.members.map((m) => m.image)).some((m) => m.startsWith('filler'))).toBe(false);
  });

  it('gives the clusters, re-crop marks and groups of comparing one by one, on real threads', async () => {
    const { createPairMatcher: onThreads } = await pool();
    let threads = 0;
    let pairs = 0;
    const events: StepEvent[] = [];
    const result = await run(
      items,
      (n) => {
        pairs = n;
        const m = onThreads(n, { threads: 2 });
        threads = m.threads;
        return m;
      },
      undefined,
      (e) => events.push(e),
    );
    if (useDist) expect(threads).toBe(2);
    expect(pairs).toBeGreaterThan(3 * 32); // several batches per thread
    expect(result).toEqual(serial);
    // The comparisons report their own progress, in pairs, within the index phase.
    const last = events.filter((e): e is ProgressEvent => e.type === 'progress' && e.unit === 'pairs').at(-1)!;
    expect(last).toMatchObject({ phase: 'index', done: pairs, total: pairs });
  });

  it('gives the same result whatever order the decisions come back in (last pair first, uneven delays)', async () => {
    expect(await run(items, backwards)).toEqual(serial);
  });

  it('on this thread too (few pairs, one core, or no compiled worker)', async () => {
    expect(await run(items, (n) => createPairMatcher(n, { threads: 1 }))).toEqual(serial);
  });

  it('compares on this thread, saying why, when the threads cannot run', async () => {
    const { createPairMatcher: onThreads } = await pool();
    const dir = makeTempDir();
    try {
      const broken = join(dir.dir, 'broken-worker.mjs');
      writeFileSync(broken, "import 'no-such-package-for-edgewise'; export const samePhotoBatch = () => [];\n");
      let matcher: PairMatcher | undefined;
      const events: StepEvent[] = [];
      const result = await run(items, (n) => (matcher = onThreads(n, { threads: 2, script: pathToFileURL(broken) })), undefined, (e) => events.push(e));
      expect(result).toEqual(serial);
      expect(matcher!.fallback).toMatch(/no-such-package-for-edgewise/);
      expect(events.find((e) => e.type === 'warning')).toMatchObject({ code: 'validate.threads' });
    } finally {
      dir.cleanup();
    }
  });

  it('stops comparing when cancelled mid-check, on threads and on this thread', async () => {
    const { createPairMatcher: onThreads } = await pool();
    const many = fillers(90, 2); // ≈ 4,000 candidate pairs
    for (const threads of [2, 1]) {
      const stop = new AbortController();
      let done = 0;
      let total = 0;
      const outcome = run(many, (n) => onThreads(n, { threads }), stop.signal, (e) => {
        if (e.type !== 'progress' || e.unit !== 'pairs') return;
        done = e.done;
        total = e.total;
        if (e.done > 0) stop.abort();
      });
      await expect(outcome).rejects.toBeInstanceOf(CancelledError);
      expect(done).toBeGreaterThan(0);
      expect(done).toBeLessThan(total / 4);
    }
  }, 120_000);
});
