/**
 * The re-crop confirmation alone, on the candidate pairs of a real set: every pair within pHash
 * NEAR_CONFIRM.radius that the hashes alone do not join (pHash ≤ 8 AND dHash ≤ 6), read from a workspace's
 * measure cache (.edgewise/cache/validate-images.json after one `edgewise validate`), so no image is decoded.
 * Times the rule as validate runs it (isSamePhoto, layout bar given) and the full match (matchFingerprints,
 * no bar, as bench/neardup-recrop.ts runs it). Given a second module (an earlier build of thumb-match.js),
 * runs it on the same pairs in the same process and counts every pair whose decision or match differs.
 *
 * Then compares the same pairs as validate does, in batches on the measuring threads (createPairMatcher), and
 * checks every decision equals this thread's.
 *
 *   node dist/bench/recrop-pairs.js CACHE.json [REFERENCE_thumb-match.js] [rounds=1]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NEAR_CONFIRM } from '../src/validate/clusters.js';
import { NearDupIndex } from '../src/validate/neardup-index.js';
import { hammingHex, hexToHalves } from '../src/images/perceptual-hash.js';
import * as current from '../src/images/thumb-match.js';
import { createPairMatcher } from '../src/images/measure-pool.js';

type Impl = Pick<typeof current, 'decodeFingerprint' | 'isSamePhoto' | 'matchFingerprints'>;

const [cachePath, refPath, roundsArg] = process.argv.slice(2);
if (!cachePath) throw new Error('usage: recrop-pairs.js CACHE.json [REFERENCE_thumb-match.js] [rounds]');
const ROUNDS = Number(roundsArg ?? 1);
const file = JSON.parse(readFileSync(cachePath, 'utf8')) as {
  entries: Record<string, { measure: { sha256: string; hashes?: { phash: string; dhash: string }; fingerprint?: string } }>;
};
const items = Object.entries(file.entries)
  .map(([name, e]) => ({ name, ...e.measure }))
  .filter((m) => m.hashes && m.fingerprint);
// One per distinct file, as validate's index sees them.
const seen = new Set<string>();
const reps = items.filter((m) => (seen.has(m.sha256) ? false : (seen.add(m.sha256), true)));
const hi = new Uint32Array(reps.length);
const lo = new Uint32Array(reps.length);
reps.forEach((m, k) => ([hi[k], lo[k]] = hexToHalves(m.hashes!.phash)));
const pairs: Array<[number, number]> = [];
new NearDupIndex(hi, lo).pairs(NEAR_CONFIRM.radius, (i, j, d) => {
  const dd = hammingHex(reps[i]!.hashes!.dhash, reps[j]!.hashes!.dhash);
  if (!(d <= 8 && dd <= 6)) pairs.push([i, j]);
});
console.log(`${reps.length} distinct images, ${pairs.length} candidate pairs the hashes do not join`);

function run(impl: Impl, label: string): { rule: boolean[]; full: Array<string | undefined> } {
  const t0 = performance.now();
  const fps = reps.map((m) => impl.decodeFingerprint(m.fingerprint!));
  const t1 = performance.now();
  let rule: boolean[] = [];
  let tRule = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const s = performance.now();
    rule = pairs.map(([i, j]) => impl.isSamePhoto(fps[i]!, fps[j]!, NEAR_CONFIRM));
    tRule = Math.min(tRule, performance.now() - s);
  }
  const s = performance.now();
  const full = pairs.map(([i, j]) => {
    const m = impl.matchFingerprints(fps[i]!, fps[j]!);
    return m && JSON.stringify(m);
  });
  const tFull = performance.now() - s;
  console.log(
    `${label}: decode ${(t1 - t0).toFixed(0)} ms; rule (as validate) ${tRule.toFixed(0)} ms = ${((tRule * 1000) / pairs.length).toFixed(0)} µs/pair, ` +
      `${rule.filter(Boolean).length} confirmed; full match ${tFull.toFixed(0)} ms`,
  );
  return { rule, full };
}

const mine = run(current, 'this build');
{
  const fps = reps.map((m) => current.decodeFingerprint(m.fingerprint!));
  const s = performance.now();
  const matcher = createPairMatcher(pairs.length);
  const same: boolean[] = [];
  for await (const { index, same: v } of matcher.matchAll(fps, pairs, NEAR_CONFIRM)) same[index] = v;
  await matcher.close();
  const t = performance.now() - s;
  const differ = pairs.filter((_p, k) => same[k] !== mine.rule[k]).length;
  console.log(`on ${matcher.threads} measuring threads (as validate): ${t.toFixed(0)} ms wall, thread start-up included; decisions that differ from this thread's: ${differ}`);
}
if (refPath) {
  const ref = (await import(pathToFileURL(resolve(refPath)).href)) as Impl;
  const theirs = run(ref, 'reference');
  let rule = 0;
  let full = 0;
  pairs.forEach((_p, k) => {
    if (mine.rule[k] !== theirs.rule[k]) rule++;
    if (mine.full[k] !== theirs.full[k]) full++;
  });
  console.log(`pairs whose decision differs: ${rule}; whose full match (layout, detail, tone, shading, alignment) differs: ${full}`);
}
