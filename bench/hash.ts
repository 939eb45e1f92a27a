/**
 * Image hashing speed and pHash agreement, against the Python reference (bench/python/imagehash_ref.py:
 * PIL + scipy, imagehash's definitions) on the same files, in the same script.
 *
 *   node dist/bench/hash.js [../shared/data/hymenoptera_data] [--python /usr/bin/python3]
 *
 * edgewise's rate is the whole per-image work of `edgewise validate` (read, SHA-256, header checks, decode,
 * aHash + dHash + pHash, quality measures), all images in flight on the libuv pool (both cores); Python's
 * is pHash alone, one thread. Then a single-thread breakdown of where the time goes.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { mapConcurrent } from '../src/dataset/concurrent.js';
import { measureImage, shrinkFactor } from '../src/dataset/image-measure.js';
import { readJpegHeader } from '../src/dataset/jpeg-header.js';
import { measureQuality } from '../src/dataset/image-quality.js';
import { applyOrientation, hammingHex, perceptualHashes, toGrey } from '../src/dataset/perceptual-hash.js';

const args = process.argv.slice(2);
const pyIdx = args.indexOf('--python');
const python = pyIdx >= 0 ? args[pyIdx + 1]! : '/usr/bin/python3';
const dataDir = resolve(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--python') ?? '../shared/data/hymenoptera_data');
const script = fileURLToPath(new URL('../../bench/python/imagehash_ref.py', import.meta.url));

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out.sort();
}

function runPython(argv: string[], files: string[]): string {
  const r = spawnSync(python, [script, ...argv, '-'], { input: files.join('\n'), maxBuffer: 1 << 28, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${python} ${script} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

async function ourRate(files: string[], sizes: number[], concurrency: number): Promise<number> {
  const t = performance.now();
  for await (const _ of mapConcurrent(files, concurrency, (f, i) => measureImage(f, sizes[i]!, { maxPixels: 100_000_000, maxReadBytes: 1 << 30 }))) {
    // results are consumed as they complete, as the validate step does
  }
  return files.length / ((performance.now() - t) / 1000);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const files = await walk(dataDir);
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const mb = sizes.reduce((a, b) => a + b, 0) / 1024 / 1024;
  console.log(`${files.length} files (${mb.toFixed(1)} MB) in ${dataDir}; ${availableParallelism()} cores (shared machine: numbers are noisy)`);

  // Agreement with the reference.
  const ref = new Map<string, string>();
  for (const line of runPython([], files).trim().split('\n')) {
    const [p, , , ...rest] = line.split(' ');
    ref.set(rest.join(' '), p!);
  }
  const ours = new Map<string, string>();
  for await (const { index, result } of mapConcurrent(files, 4, (f, i) => measureImage(f, sizes[i]!, { maxPixels: 100_000_000, maxReadBytes: 1 << 30 }))) {
    if (result.hashes) ours.set(files[index]!, result.hashes.phash);
  }
  const dists = files.filter((f) => ref.has(f) && ours.has(f)).map((f) => hammingHex(ref.get(f)!, ours.get(f)!));
  const within = (k: number): string => `${dists.filter((d) => d <= k).length}/${dists.length} (${((100 * dists.filter((d) => d <= k).length) / dists.length).toFixed(1)}%)`;
  console.log(`pHash vs Python reference: identical ${within(0)}, within 2 bits ${within(2)}, within 4 bits ${within(4)}, max ${Math.max(...dists)} bits`);

  // Speed: interleaved rounds so both sides see the same machine load.
  const pyRates: number[] = [];
  const ourRates: Record<number, number[]> = { 1: [], 2: [], 4: [] };
  for (let round = 0; round < 3; round++) {
    const py = JSON.parse(runPython(['--time'], files)) as { n: number; seconds: number };
    pyRates.push(py.n / py.seconds);
    for (const c of [1, 2, 4]) ourRates[c]!.push(await ourRate(files, sizes, c));
  }
  const py = median(pyRates);
  console.log(`Python reference pHash (1 thread):           ${py.toFixed(0)} img/s`);
  for (const c of [1, 2, 4]) {
    const r = median(ourRates[c]!);
    console.log(`edgewise validate work, ${c} in flight:         ${r.toFixed(0).padStart(5)} img/s  = ${(r / py).toFixed(2)}x Python`);
  }

  // Where the time goes, one image at a time (ms per image).
  const t: Record<string, number> = {};
  const time = async <T>(k: string, fn: () => Promise<T> | T): Promise<T> => {
    const s = performance.now();
    const r = await fn();
    t[k] = (t[k] ?? 0) + performance.now() - s;
    return r;
  };
  sharp.concurrency(1);
  const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).jpeg().toBuffer();
  let n = 0;
  for (const f of files) {
    const buf = await time('read file', () => readFile(f));
    await time('sha256', () => createHash('sha256').update(buf).digest('hex'));
    const h = await time('JPEG header (JS)', () => readJpegHeader(buf));
    await time('sharp metadata (for comparison)', () => sharp(buf).metadata());
    if (!h) continue;
    n++;
    await time('sharp call overhead (8x8 JPEG)', () => sharp(tiny).raw().toBuffer());
    await time('decode, full size (for comparison)', () => sharp(buf).raw().toBuffer());
    const s = shrinkFactor(h.width, h.height);
    const raw = await time('decode with shrink-on-load', () =>
      sharp(buf, { failOn: 'error' }).resize(Math.round(h.width / s), Math.round(h.height / s), { fit: 'fill', kernel: 'linear' }).raw().toBuffer({ resolveWithObject: true }),
    );
    await time('decode at 1/8 only (pHash floor)', () =>
      sharp(buf).resize(Math.max(1, Math.round(h.width / 8)), Math.max(1, Math.round(h.height / 8)), { fit: 'fill', kernel: 'nearest' }).raw().toBuffer(),
    );
    const grey = await time('grey + orientation (JS)', () => applyOrientation(toGrey(raw.data, raw.info.width, raw.info.height, raw.info.channels), h.orientation));
    await time('aHash + dHash + pHash (JS)', () => perceptualHashes(grey));
    await time('quality measures (JS)', () => measureQuality(grey));
  }
  console.log(`\nSingle-thread breakdown over ${n} JPEGs (ms per image):`);
  for (const [k, v] of Object.entries(t)) console.log(`  ${k.padEnd(38)} ${(v / n).toFixed(3)}`);
  const best = median(ourRates[2]!) > median(ourRates[4]!) ? median(ourRates[2]!) : median(ourRates[4]!);
  console.log(`\nRESULT edgewise ${best.toFixed(0)} img/s vs Python ${py.toFixed(0)} img/s: ratio ${(best / py).toFixed(2)}x (goal 10x)`);
}

await main();
