/**
 * Does the near-duplicate decision catch re-crops, resizes and re-encodes of real photos, and does it keep
 * distinct photos of one class apart? Before: pHash ≤ 8 AND dHash ≤ 6. After: that, OR the hash index's
 * candidates (pHash ≤ candidate radius) confirmed by the aligned thumbnail correlation (thumb-match.ts).
 *
 *   node dist/bench/neardup-recrop.js [DIR=../shared/data/clothing-dataset-small] [copiesFrom=100]
 *
 * Copies: `copiesFrom` photos spread over DIR's labels, each edited 9 ways with sharp (crops of 2–10 % on
 * one or two sides, resize to 50 %, JPEG quality 40, a 2° rotation, and combinations). Recall = copies
 * found as duplicates of their original. False pairs: every pair of distinct photos of the same label in
 * DIR (all of them) that the rule calls duplicates.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { measureBuffer } from '../src/dataset/image-measure.js';
import { NearDupIndex } from '../src/dataset/neardup-index.js';
import { hammingHex, hexToHalves } from '../src/dataset/perceptual-hash.js';
import { decodeFingerprint, matchFingerprints, type Match } from '../src/dataset/thumb-match.js';
import { NEAR_CONFIRM } from '../src/dataset/clusters.js';

const DIR = process.argv[2] ?? '../shared/data/clothing-dataset-small';
const COPIES_FROM = Number(process.argv[3] ?? 100);
const LIMITS = { maxPixels: 100_000_000, maxReadBytes: 100_000_000 };

interface Measured {
  name: string;
  label: string;
  phash: string;
  dhash: string;
  fp: Uint8Array;
}

function photos(dir: string): Array<{ path: string; label: string }> {
  const out: Array<{ path: string; label: string }> = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.jpe?g$/i.test(e)) out.push({ path: p, label: p.split('/').at(-2)! });
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
const after = (radius: number, layout: number, detail: number): Rule => (p, d, a, b) => {
  if (before(p, d, a, b)) return true;
  if (p > radius) return false;
  const m = match(a, b);
  return m !== undefined && m.layout >= layout && m.detail >= detail;
};

async function main(): Promise<void> {
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

  const rules: Array<[string, Rule]> = [
    ['before: pHash ≤ 8 AND dHash ≤ 6', before],
    ...[12].flatMap((r) => [0, 0.6, 0.7, 0.75, 0.8].map((t): [string, Rule] => [`after: … OR (p ≤ ${r}, layout ≥ 0.85, detail ≥ ${t})`, after(r, 0.85, t)])),
  ];
  const t1 = performance.now();
  for (const c of candidates) match(c.a, c.b);
  for (const c of copies) match(c.orig, c.copy);
  const nccMs = (performance.now() - t1) / (candidates.length + copies.length);
  console.log(`\n${copies.length} copies of ${copies.length / Object.keys(EDITS).length} photos; ${sameLabelPairs} same-label pairs of distinct photos, ${candidates.length} of them within pHash ${WIDEST}; correlation ${nccMs.toFixed(1)} ms per pair`);
  console.log(`chosen in src/dataset/clusters.ts: pHash ≤ ${NEAR_CONFIRM.radius}, layout ≥ ${NEAR_CONFIRM.minLayout}, detail ≥ ${NEAR_CONFIRM.minDetail}\n`);

  const edits = Object.keys(EDITS);
  const head = ['rule'.padEnd(42), ...edits.map((e) => e.slice(0, 9).padStart(9)), 'recall'.padStart(7), 'false'.padStart(6)];
  console.log(head.join(' '));
  for (const [name, rule] of rules) {
    const cells = edits.map((e) => {
      const of = copies.filter((c) => c.edit === e);
      const hit = of.filter((c) => rule(hammingHex(c.orig.phash, c.copy.phash), hammingHex(c.orig.dhash, c.copy.dhash), c.orig, c.copy)).length;
      return `${((100 * hit) / of.length).toFixed(0)}%`.padStart(9);
    });
    const hits = copies.filter((c) => rule(hammingHex(c.orig.phash, c.copy.phash), hammingHex(c.orig.dhash, c.copy.dhash), c.orig, c.copy)).length;
    const falses = candidates.filter((c) => rule(c.p, c.d, c.a, c.b));
    console.log([name.padEnd(42), ...cells, `${((100 * hits) / copies.length).toFixed(1)}%`.padStart(7), String(falses.length).padStart(6)].join(' '));
  }

  // Distances of the copies: where the hashes put them.
  console.log('\nmedian / max distance of the copies to their original (pHash, dHash), and the correlation:');
  for (const e of edits) {
    const of = copies.filter((c) => c.edit === e);
    const p = of.map((c) => hammingHex(c.orig.phash, c.copy.phash)).sort((a, b) => a - b);
    const d = of.map((c) => hammingHex(c.orig.dhash, c.copy.dhash)).sort((a, b) => a - b);
    const r = of.map((c) => match(c.orig, c.copy)?.layout ?? NaN).sort((a, b) => a - b);
    const t = of.map((c) => match(c.orig, c.copy)?.detail ?? NaN).sort((a, b) => a - b);
    console.log(`  ${e.padEnd(26)} pHash ${p[p.length >> 1]} / ${p.at(-1)}  dHash ${d[d.length >> 1]} / ${d.at(-1)}  layout min ${r[0]!.toFixed(2)} median ${r[r.length >> 1]!.toFixed(2)}  detail 10th pct ${t[Math.floor(t.length / 10)]!.toFixed(2)} median ${t[t.length >> 1]!.toFixed(2)}`);
  }
  const pairsOver = candidates.map((c) => ({ ...c, m: match(c.a, c.b) })).filter((c) => c.m).sort((x, y) => y.m!.detail - x.m!.detail);
  console.log('\nhighest detail correlations among distinct same-label photos within the candidate radius (layout, detail):');
  for (const c of pairsOver.slice(0, 12)) console.log(`  ${c.m!.layout.toFixed(2)} ${c.m!.detail.toFixed(2)}  pHash ${c.p} dHash ${c.d}  ${c.a.name}  ${c.b.name}`);
}

await main();
