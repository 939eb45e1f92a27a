/**
 * Does the near-duplicate decision catch re-crops, resizes and re-encodes of real photos, and does it keep
 * distinct photos of one class apart? Before: pHash ≤ 8 AND dHash ≤ 6. After: that, OR the hash index's
 * candidates (pHash ≤ candidate radius) confirmed by the aligned thumbnail correlation (thumb-match.ts).
 *
 *   node dist/bench/neardup-recrop.js [DIR=../shared/data/clothing-dataset-small] [copiesFrom=100]
 *   node dist/bench/neardup-recrop.js synthetic [copiesFrom=100]   (the demo's shape drawings, 8 × 60)
 *
 * Copies: `copiesFrom` photos spread over DIR's labels, each edited 10 ways with sharp (crops of 2–10 % on
 * one or two sides, resize to 50 %, JPEG quality 40, turns of 1° and 2°, and combinations). Recall = copies
 * found as duplicates of their original. False pairs: every pair of distinct photos of the same label in
 * DIR (all of them) that the rule calls duplicates.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { generateSyntheticDataset } from '../src/synthetic/synthetic.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { measureBuffer } from '../src/images/image-measure.js';
import { NearDupIndex } from '../src/validate/neardup-index.js';
import { hammingHex, hexToHalves } from '../src/images/perceptual-hash.js';
import { decodeFingerprint, isSamePhoto, matchFingerprints, passes, type Fingerprint, type Match, type MatchRule } from '../src/images/thumb-match.js';
import { NEAR_CONFIRM } from '../src/validate/clusters.js';

const ARG = process.argv[2] ?? '../shared/data/clothing-dataset-small';
let DIR = ARG;
const COPIES_FROM = Number(process.argv[3] ?? 100);
const LIMITS = { maxPixels: 100_000_000, maxReadBytes: 100_000_000 };

interface Measured {
  name: string;
  label: string;
  phash: string;
  dhash: string;
  fp: Fingerprint;
}

function photos(dir: string): Array<{ path: string; label: string }> {
  const out: Array<{ path: string; label: string }> = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(jpe?g|png)$/i.test(e)) out.push({ path: p, label: p.split('/').at(-2)! });
    }
  };
  walk(dir);
  return out;
}

async function measure(buf: Buffer, name: string, label: string): Promise<Measured | undefined> {
  const m = await measureBuffer(buf, LIMITS);
  if (!m.hashes || !m.fingerprint) return undefined;
  return { name, label, phash: m.hashes.phash, dhash: m.hashes.dhash, fp: decodeFingerprint(m.fingerprint) };
}

/** The edits a copy goes through; each returns the new file's bytes. */
const EDITS: Record<string, (img: Buffer, w: number, h: number) => Promise<Buffer>> = {
  'crop 2% top': (b, w, h) => crop(b, w, h, { top: 0.02 }),
  'crop 5% top': (b, w, h) => crop(b, w, h, { top: 0.05 }),
  'crop 10% bottom': (b, w, h) => crop(b, w, h, { bottom: 0.1 }),
  'crop 5% top+left': (b, w, h) => crop(b, w, h, { top: 0.05, left: 0.05 }),
  'crop 10% top+right': (b, w, h) => crop(b, w, h, { top: 0.1, right: 0.1 }),
  'resize 50%': (b, w, h) => sharp(b).resize(Math.round(w / 2), Math.round(h / 2)).jpeg({ quality: 90 }).toBuffer(),
  'JPEG q40': (b) => sharp(b).jpeg({ quality: 40 }).toBuffer(),
  'rotate 1°': (b, w, h) => sharp(b).rotate(-1).resize(w, h, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer(),
  'rotate 2°': (b, w, h) => sharp(b).rotate(2).resize(w, h, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer(),
  'crop 5% left + 50% + q40': async (b, w, h) => {
    const c = await crop(b, w, h, { left: 0.05 });
    return sharp(c).resize(Math.round((w * 0.95) / 2), Math.round(h / 2)).jpeg({ quality: 40 }).toBuffer();
  },
};

function crop(b: Buffer, w: number, h: number, cut: { top?: number; bottom?: number; left?: number; right?: number }): Promise<Buffer> {
  const top = Math.round((cut.top ?? 0) * h);
  const left = Math.round((cut.left ?? 0) * w);
  const height = h - top - Math.round((cut.bottom ?? 0) * h);
  const width = w - left - Math.round((cut.right ?? 0) * w);
  return sharp(b).extract({ left, top, width, height }).jpeg({ quality: 90 }).toBuffer();
}

type Rule = (p: number, d: number, a: Measured, b: Measured) => boolean;
const before: Rule = (p, d) => p <= 8 && d <= 6;
const corr = new Map<string, Match | undefined>();
const match = (a: Measured, b: Measured) => {
  const k = a.name < b.name ? `${a.name}\n${b.name}` : `${b.name}\n${a.name}`;
  if (!corr.has(k)) corr.set(k, matchFingerprints(a.fp, b.fp));
  return corr.get(k);
};
const after = (radius: number, rule: MatchRule): Rule => (p, d, a, b) => {
  if (before(p, d, a, b)) return true;
  if (p > radius) return false;
  const m = match(a, b);
  return m !== undefined && passes(m, rule);
};
const describe = (r: MatchRule): string => `detail ≥ ${r.minDetail}, |tone| ≤ ${r.maxToneShift}, shading ≤ ${r.maxShading}`;

async function main(): Promise<void> {
  if (ARG === 'synthetic') {
    DIR = mkdtempSync(join(tmpdir(), 'edgewise-recrop-'));
    await generateSyntheticDataset({ root: DIR, classes: 8, perClass: 60, faults: false, seed: 'recrop-bench' });
    DIR = join(DIR, 'ml', 'dataset', 'images');
  }
  const all = photos(DIR);
  console.log(`${DIR}: ${all.length} photos`);
  const t0 = performance.now();
  const originals: Measured[] = [];
  for (const p of all) {
    const m = await measure(readFileSync(p.path), relative(DIR, p.path), p.label);
    if (m) originals.push(m);
  }
  console.log(`measured ${originals.length} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Copies from photos spread evenly over the set.
  const step = Math.max(1, Math.floor(all.length / COPIES_FROM));
  const copies: Array<{ edit: string; orig: Measured; copy: Measured }> = [];
  for (let i = 0; i < all.length && copies.length < COPIES_FROM * Object.keys(EDITS).length; i += step) {
    const buf = readFileSync(all[i]!.path);
    const orig = originals.find((o) => o.name === relative(DIR, all[i]!.path));
    const meta = await sharp(buf).rotate().metadata();
    if (!orig || !meta.width || !meta.height) continue;
    const upright = await sharp(buf).rotate().jpeg({ quality: 95 }).toBuffer();
    for (const [edit, fn] of Object.entries(EDITS)) {
      const w = meta.orientation && meta.orientation >= 5 ? meta.height : meta.width;
      const h = meta.orientation && meta.orientation >= 5 ? meta.width : meta.height;
      const copy = await measure(await fn(upright, w, h), `${orig.name}#${edit}`, orig.label);
      if (copy) copies.push({ edit, orig, copy });
    }
  }

  // Candidate pairs among distinct photos of one label (the index at the widest radius tried).
  const WIDEST = 12;
  const hi = new Uint32Array(originals.length);
  const lo = new Uint32Array(originals.length);
  originals.forEach((o, i) => ([hi[i], lo[i]] = hexToHalves(o.phash)));
  const candidates: Array<{ a: Measured; b: Measured; p: number; d: number }> = [];
  new NearDupIndex(hi, lo).pairs(WIDEST, (i, j, p) => {
    const a = originals[i]!;
    const b = originals[j]!;
    if (a.label === b.label) candidates.push({ a, b, p, d: hammingHex(a.dhash, b.dhash) });
  });
  const sameLabelPairs = (() => {
    const per = new Map<string, number>();
    for (const o of originals) per.set(o.label, (per.get(o.label) ?? 0) + 1);
    return [...per.values()].reduce((s, n) => s + (n * (n - 1)) / 2, 0);
  })();

  const loose = { minLayout: NEAR_CONFIRM.minLayout, minDetail: 0, maxToneShift: 255, maxShading: 255 };
  const variants: MatchRule[] = [
    loose,
    ...[0.6, 0.7, 0.8].map((t) => ({ ...loose, minDetail: t })),
    ...[4, 6, 8, 12].map((x) => ({ ...loose, minDetail: 0.65, maxToneShift: x })),
    ...[4, 6, 8].map((x) => ({ ...loose, minDetail: 0.65, maxShading: x })),
    ...[0.6, 0.7].map((t) => ({ ...NEAR_CONFIRM, minDetail: t })),
    ...[6, 7, 10].map((x) => ({ ...NEAR_CONFIRM, maxShading: x })),
    ...[3, 6].map((x) => ({ ...NEAR_CONFIRM, maxToneShift: x })),
    { ...NEAR_CONFIRM },
  ];
  const rules: Array<[string, Rule]> = [
    ['before: pHash ≤ 8 AND dHash ≤ 6', before],
    ...variants.map((v): [string, Rule] => [`after: … OR (p ≤ 12, ${describe(v)})`, after(12, v)]),
    // The chosen rule as validate runs it: isSamePhoto stops early (no turns when the layout is far below the bar).
    ['validate: … OR isSamePhoto(NEAR_CONFIRM)', (p, d, a, b) => before(p, d, a, b) || (p <= NEAR_CONFIRM.radius && isSamePhoto(a.fp, b.fp, NEAR_CONFIRM))],
  ];
  const t1 = performance.now();
  for (const c of candidates) match(c.a, c.b);
  for (const c of copies) match(c.orig, c.copy);
  const nccMs = (performance.now() - t1) / (candidates.length + copies.length);
  console.log(`\n${copies.length} copies of ${copies.length / Object.keys(EDITS).length} photos; ${sameLabelPairs} same-label pairs of distinct photos, ${candidates.length} of them within pHash ${WIDEST}; correlation ${nccMs.toFixed(1)} ms per pair`);
  console.log(`chosen in src/validate/clusters.ts: pHash ≤ ${NEAR_CONFIRM.radius}, layout ≥ ${NEAR_CONFIRM.minLayout}, ${describe(NEAR_CONFIRM)}\n`);

  const edits = Object.keys(EDITS);
  const head = ['rule'.padEnd(62), ...edits.map((e) => e.slice(0, 9).padStart(9)), 'recall'.padStart(7), 'false'.padStart(6)];
  console.log(head.join(' '));
  for (const [name, rule] of rules) {
    const cells = edits.map((e) => {
      const of = copies.filter((c) => c.edit === e);
      const hit = of.filter((c) => rule(hammingHex(c.orig.phash, c.copy.phash), hammingHex(c.orig.dhash, c.copy.dhash), c.orig, c.copy)).length;
      return `${((100 * hit) / of.length).toFixed(0)}%`.padStart(9);
    });
    const hits = copies.filter((c) => rule(hammingHex(c.orig.phash, c.copy.phash), hammingHex(c.orig.dhash, c.copy.dhash), c.orig, c.copy)).length;
    const falses = candidates.filter((c) => rule(c.p, c.d, c.a, c.b));
    console.log([name.padEnd(62), ...cells, `${((100 * hits) / copies.length).toFixed(1)}%`.padStart(7), String(falses.length).padStart(6)].join(' '));
  }

  // Distances of the copies: where the hashes put them.
  console.log('\nmedian / max distance of the copies to their original (pHash, dHash), and the correlation:');
  for (const e of edits) {
    const of = copies.filter((c) => c.edit === e);
    const p = of.map((c) => hammingHex(c.orig.phash, c.copy.phash)).sort((a, b) => a - b);
    const d = of.map((c) => hammingHex(c.orig.dhash, c.copy.dhash)).sort((a, b) => a - b);
    const r = of.map((c) => match(c.orig, c.copy)?.layout ?? NaN).sort((a, b) => a - b);
    const t = of.map((c) => match(c.orig, c.copy)?.detail ?? NaN).sort((a, b) => a - b);
    const x = of.map((c) => Math.abs(match(c.orig, c.copy)?.toneShift ?? NaN)).sort((a, b) => a - b);
    const z = of.map((c) => match(c.orig, c.copy)?.shading ?? NaN).sort((a, b) => a - b);
    console.log(`  ${e.padEnd(26)} pHash ${p[p.length >> 1]} / ${p.at(-1)}  dHash ${d[d.length >> 1]} / ${d.at(-1)}  layout min ${r[0]!.toFixed(2)} median ${r[r.length >> 1]!.toFixed(2)}  detail 10th pct ${t[Math.floor(t.length / 10)]!.toFixed(2)} median ${t[t.length >> 1]!.toFixed(2)}  |tone| 90th pct ${x[Math.floor(x.length * 0.9)]!.toFixed(1)}  shading median ${z[z.length >> 1]!.toFixed(1)} 90th pct ${z[Math.floor(z.length * 0.9)]!.toFixed(1)}  |tone| max ${x.at(-1)!.toFixed(1)}`);
  }
  const pairsOver = candidates.map((c) => ({ ...c, m: match(c.a, c.b) })).filter((c) => c.m).sort((x, y) => y.m!.detail - x.m!.detail);
  const lowRes = candidates.map((c) => ({ ...c, m: match(c.a, c.b) })).filter((c) => c.m && c.m.detail >= 0.5).sort((x, y) => x.m!.shading - y.m!.shading);
  console.log('\nlowest shading residuals among distinct same-label photos with detail ≥ 0.5 (layout, detail, tone, shading):');
  for (const c of lowRes.slice(0, 12)) console.log(`  ${c.m!.layout.toFixed(2)} ${c.m!.detail.toFixed(2)} ${c.m!.toneShift.toFixed(1)} sh ${c.m!.shading.toFixed(1)}  pHash ${c.p} dHash ${c.d}  ${c.a.name}  ${c.b.name}`);
  console.log('\nhighest detail correlations among distinct same-label photos within the candidate radius (layout, detail, tone shift, shading, crop shares, angle):');
  for (const c of pairsOver.slice(0, 25)) {
    const m = c.m!;
    const al = m.alignment;
    console.log(`  ${m.layout.toFixed(2)} ${m.detail.toFixed(2)} ${m.toneShift.toFixed(1).padStart(6)} sh ${m.shading.toFixed(1)}  ${al.x.scale.toFixed(2)}×${al.y.scale.toFixed(2)} ${al.angle}°  pHash ${c.p} dHash ${c.d}  ${c.a.name}  ${c.b.name}`);
  }
  if (ARG === 'synthetic') rmSync(join(DIR, '..', '..', '..'), { recursive: true, force: true });
}

await main();
