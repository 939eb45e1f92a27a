/**
 * Image hashing speed and hash agreement, against the Python reference (bench/python/imagehash_ref.py:
 * PIL + scipy, imagehash's definitions) on the same files, in the same script.
 *
 *   node dist/bench/hash.js [../shared/data/hymenoptera_data] [--python /usr/bin/python3] [--rounds 3]
 *
 * edgewise's rate is the whole per-image work of `edgewise validate` (read, SHA-256, header checks,
 * thumbnail, aHash + dHash + pHash, quality measures) through the same worker threads validate uses;
 * Python's is pHash alone, one thread (imagehash has no threads). Rounds interleave the two so both see the
 * same machine load; the ratio of medians is the result. Then a one-thread breakdown of where time goes.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { measureImage, shrinkFactor, thumbnailScale, type ImageMeasure } from '../src/images/image-measure.js';
import { measureQuality } from '../src/images/image-quality.js';
import { readJpegHeader } from '../src/images/jpeg-header.js';
import { jpegThumbnail, jpegWalker, useWasmWalker } from '../src/images/jpeg-thumbnail.js';
import { formatFromExtension } from '../src/images/image-format.js';
import { createMeasurer, type Measurer } from '../src/images/measure-pool.js';
import { applyOrientation, hammingHex, lanczosResizer, perceptualHashes, toGrey, useWasmResize, type PerceptualHashes } from '../src/images/perceptual-hash.js';
import { fingerprintOf } from '../src/images/thumb-match.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : dflt);
const python = opt('--python', '/usr/bin/python3');
const rounds = Number(opt('--rounds', '3'));
const dataDir = resolve(args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ?? '../shared/data/hymenoptera_data');
const script = fileURLToPath(new URL('../../bench/python/imagehash_ref.py', import.meta.url));
const limits = { maxPixels: 100_000_000, maxReadBytes: 1 << 30 };

/** The images under `dir` by their names (a dataset's LICENSE or README is not one). */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : formatFromExtension(e.name) ? [join(dir, e.name)] : []))
    .sort();
}

function runPython(argv: string[], files: string[]): string {
  const r = spawnSync(python, [script, ...argv, '-'], { input: files.join('\n'), maxBuffer: 1 << 28, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${python} ${script} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Pass = { rate: number; cpuMs: number };

/** img/s (wall clock) and CPU ms per image (this process, every thread) of one pass over the files. */
async function pass(m: Measurer, list: { path: string; size: number }[]): Promise<Pass> {
  const t = performance.now();
  const cpu = process.cpuUsage();
  for await (const _ of m.measureAll(list, limits)) {
    // consumed as they complete, as the validate step does
  }
  const used = process.cpuUsage(cpu);
  return { rate: list.length / ((performance.now() - t) / 1000), cpuMs: (used.user + used.system) / 1000 / list.length };
}

/**
 * A measurer made once and warmed by a whole pass before the timed rounds, as this thread is (by the
 * agreement pass): the steady state of a dataset of thousands. (Made afresh per round, its timed pass was
 * still compiling the hot code of new threads: ≈ 25 % more CPU per image than passes 3-5, measured.)
 * The first pass of fresh threads, start-up included, is what a validate run of this many files sees: it is
 * measured once, here.
 */
async function warmMeasurer(list: { path: string; size: number }[], threads: number, wasm = true): Promise<{ m: Measurer; first: Pass }> {
  if (!wasm) process.env.EDGEWISE_WASM = '0'; // worker threads copy the environment when they start
  const t = performance.now();
  const cpu = process.cpuUsage();
  const m = createMeasurer(list.length, { threads });
  if (!wasm) delete process.env.EDGEWISE_WASM;
  for await (const _ of m.measureAll(list, limits)) {
    // the first pass
  }
  const used = process.cpuUsage(cpu);
  return { m, first: { rate: list.length / ((performance.now() - t) / 1000), cpuMs: (used.user + used.system) / 1000 / list.length } };
}

function agreement(files: string[], ref: Map<string, Record<keyof PerceptualHashes, string>>, ours: Map<string, PerceptualHashes>): void {
  for (const k of ['phash', 'ahash', 'dhash'] as const) {
    const d = files.filter((f) => ref.has(f) && ours.has(f)).map((f) => hammingHex(ref.get(f)![k], ours.get(f)![k]));
    const within = (n: number): string => `${((100 * d.filter((x) => x <= n).length) / d.length).toFixed(1)}%`;
    console.log(`  ${k}: identical ${within(0)}, within 2 bits ${within(2)}, within 4 bits ${within(4)}, max ${Math.max(...d)} bits (n=${d.length})`);
  }
}

/**
 * What a conventional decoder costs at least: bench/c/libjpeg_floor.c (libjpeg-turbo at 1/8 scale to grey,
 * files in memory, nothing else), when a C compiler and libjpeg's headers are here.
 */
function floor(files: string[], pyRate: number, cores: number, oursMs: number): void {
  const src = fileURLToPath(new URL('../../bench/c/libjpeg_floor.c', import.meta.url));
  const bin = join(tmpdir(), `edgewise-libjpeg-floor-${process.pid}`);
  const cc = spawnSync('cc', ['-O2', src, '-o', bin, '-ljpeg'], { encoding: 'utf8' });
  if (cc.status !== 0) {
    console.log(`\n(libjpeg floor not measured: cc or libjpeg headers missing: ${(cc.stderr || cc.error?.message || '').split('\n')[0]})`);
    return;
  }
  try {
    const runs = [0, 1, 2].map(() => {
      const [n, sec] = spawnSync(bin, files, { encoding: 'utf8' }).stdout.trim().split(' ').map(Number);
      return (sec! / n!) * 1000;
    });
    const ms = median(runs);
    console.log(`\nDecode floor, libjpeg-turbo at 1/8 to grey (C, one thread, decode only): ${ms.toFixed(3)} ms per image`);
    console.log(`  edgewise's coefficient read: ${oursMs.toFixed(3)} ms (that decode's time / ours = ${(ms / oursMs).toFixed(2)}; at 1/4, ours also computes quadrant means)`);
    console.log(`  a decode-only ceiling on ${cores} cores: ${((cores * 1000) / ms).toFixed(0)} img/s = ${((cores * 1000) / ms / pyRate).toFixed(2)}x Python`);
  } finally {
    rmSync(bin, { force: true });
  }
}

async function main(): Promise<void> {
  const files = walk(dataDir);
  const sizes = files.map((f) => statSync(f).size);
  const mb = sizes.reduce((a, b) => a + b, 0) / 1024 / 1024;
  console.log(`${files.length} files (${mb.toFixed(1)} MB) in ${dataDir}; ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(2)}`);

  // Agreement with the reference: what validate computes, and the libvips path alone for comparison.
  const ref = new Map<string, Record<keyof PerceptualHashes, string>>();
  for (const line of runPython([], files).trim().split('\n')) {
    const [phash, ahash, dhash, ...rest] = line.split(' ');
    ref.set(rest.join(' '), { phash: phash!, ahash: ahash!, dhash: dhash! });
  }
  const ours = new Map<string, PerceptualHashes>();
  const viaVips = new Map<string, PerceptualHashes>();
  let fromCoefficients = 0;
  for (const [i, f] of files.entries()) {
    const m: ImageMeasure = await measureImage(f, sizes[i]!, limits);
    if (m.hashes) ours.set(f, m.hashes);
    const buf = readFileSync(f);
    const h = readJpegHeader(buf);
    if (h && thumbnailScale(h.width, h.height) && jpegThumbnail(buf, thumbnailScale(h.width, h.height)!)) fromCoefficients++;
    if (h) {
      const s = shrinkFactor(h.width, h.height);
      const raw = await sharp(buf).resize(Math.round(h.width / s), Math.round(h.height / s), { fit: 'fill', kernel: 'linear' }).raw().toBuffer({ resolveWithObject: true });
      viaVips.set(f, perceptualHashes(applyOrientation(toGrey(raw.data, raw.info.width, raw.info.height, raw.info.channels), h.orientation)));
    }
  }
  console.log(`\nAgreement with the Python reference, as validate computes them (${fromCoefficients} of ${files.length} read from coefficients):`);
  agreement(files, ref, ours);
  console.log('The same, every JPEG decoded by libvips (shrink-on-load) instead:');
  agreement(files, ref, viaVips);

  // Speed: interleaved rounds so both sides see the same machine load.
  const cores = availableParallelism();
  const py: number[] = [];
  const pyCpu: number[] = [];
  const one: number[] = [];
  const oneCpu: number[] = [];
  const all: number[] = [];
  const allCpu: number[] = [];
  const js: number[] = [];
  const jsCpu: number[] = [];
  const list = files.map((path, i) => ({ path, size: sizes[i]! }));
  const inThread = createMeasurer(list.length, { threads: 1 });
  const pooled = await warmMeasurer(list, cores);
  // The same without WebAssembly (the TypeScript walker and resize, what ran before they were ported).
  const pooledJs = await warmMeasurer(list, cores, false);
  for (let r = 0; r < rounds; r++) {
    const p = JSON.parse(runPython(['--time'], files)) as { n: number; seconds: number; cpu_seconds: number };
    py.push(p.n / p.seconds);
    pyCpu.push((p.cpu_seconds * 1000) / p.n);
    const o = await pass(inThread, list);
    one.push(o.rate);
    oneCpu.push(o.cpuMs);
    const a = await pass(pooled.m, list);
    all.push(a.rate);
    allCpu.push(a.cpuMs);
    const j = await pass(pooledJs.m, list);
    js.push(j.rate);
    jsCpu.push(j.cpuMs);
  }
  await Promise.all([inThread.close(), pooled.m.close(), pooledJs.m.close()]);
  const pyRate = median(py);
  console.log(`\nPython reference pHash (1 thread):      ${pyRate.toFixed(0).padStart(5)} img/s   rounds: ${py.map((x) => x.toFixed(0)).join(', ')}`);
  console.log(`edgewise validate work, this thread:    ${median(one).toFixed(0).padStart(5)} img/s = ${(median(one) / pyRate).toFixed(2)}x   rounds: ${one.map((x) => x.toFixed(0)).join(', ')}`);
  console.log(`edgewise validate work, ${cores} threads:      ${median(all).toFixed(0).padStart(5)} img/s = ${(median(all) / pyRate).toFixed(2)}x   rounds: ${all.map((x) => x.toFixed(0)).join(', ')}`);
  console.log(`the same without WebAssembly (EDGEWISE_WASM=0): ${median(js).toFixed(0).padStart(5)} img/s = ${(median(js) / pyRate).toFixed(2)}x   rounds: ${js.map((x) => x.toFixed(0)).join(', ')}`);
  // CPU time per image does not depend on how many other processes share the cores (wall-clock rates on a
  // loaded machine mostly measure the share of the cores each side got).
  console.log(`edgewise, ${cores} fresh threads' first pass (start-up included; what validate sees on this many files): ${pooled.first.rate.toFixed(0)} img/s = ${(pooled.first.rate / pyRate).toFixed(2)}x, CPU ${pooled.first.cpuMs.toFixed(3)} ms per image`);
  const pc = median(pyCpu);
  console.log(`CPU ms per image: Python ${pc.toFixed(3)}; edgewise one thread ${median(oneCpu).toFixed(3)} (Python / edgewise = ${(pc / median(oneCpu)).toFixed(2)}), ${cores} threads ${median(allCpu).toFixed(3)} (${(pc / median(allCpu)).toFixed(2)}), ${cores} threads without WebAssembly ${median(jsCpu).toFixed(3)} (${(pc / median(jsCpu)).toFixed(2)})`);

  // Where the time goes, one image at a time (ms per image), JPEGs that take the coefficient path.
  const t: Record<string, number> = {};
  const time = <T>(k: string, fn: () => T): T => {
    const s = performance.now();
    const r = fn();
    t[k] = (t[k] ?? 0) + performance.now() - s;
    return r;
  };
  const timeAsync = async <T>(k: string, fn: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    const r = await fn();
    t[k] = (t[k] ?? 0) + performance.now() - s;
    return r;
  };
  sharp.concurrency(1);
  let n = 0;
  for (const f of files) {
    const buf = time('read file', () => readFileSync(f));
    const h = readJpegHeader(buf);
    const scale = h && thumbnailScale(h.width, h.height);
    if (!h || !scale || !jpegThumbnail(buf, scale)) continue;
    n++;
    time('sha256', () => createHash('sha256').update(buf).digest('hex'));
    time('JPEG header', () => readJpegHeader(buf));
    const thumb = time('thumbnail from coefficients', () => jpegThumbnail(buf, scale)!);
    const grey = time('orientation', () => applyOrientation(thumb, h.orientation));
    time('aHash + dHash + pHash', () => perceptualHashes(grey));
    time('fingerprint', () => fingerprintOf(grey, grey.width / grey.height));
    time('quality measures', () => measureQuality(grey));
    // The fallbacks where WebAssembly cannot run (and the code before it was used), for comparison.
    useWasmWalker(false);
    useWasmResize(false);
    await timeAsync('(thumbnail, TypeScript walker)', async () => jpegThumbnail(buf, scale));
    await timeAsync('(hashes, TypeScript resize)', async () => perceptualHashes(grey));
    useWasmWalker(true);
    useWasmResize(true);
    await timeAsync('(libvips decode at 1/8, for comparison)', () => sharp(buf).resize(Math.ceil(h.width / 8), Math.ceil(h.height / 8), { fit: 'fill', kernel: 'nearest' }).raw().toBuffer());
    await timeAsync('(libvips full decode, for comparison)', () => sharp(buf).raw().toBuffer());
  }
  console.log(`\nOne-thread breakdown over the ${n} JPEGs read from coefficients (ms per image; walker ${jpegWalker()}, resize ${lanczosResizer()}):`);
  let sum = 0;
  for (const [k, v] of Object.entries(t)) {
    if (!k.startsWith('(')) sum += v;
    console.log(`  ${k.padEnd(42)} ${(v / n).toFixed(3)}`);
  }
  console.log(`  ${'sum of the work'.padEnd(42)} ${(sum / n).toFixed(3)}   (Python reference: ${(1000 / pyRate).toFixed(3)} per image)`);
  floor(files, pyRate, cores, t['thumbnail from coefficients']! / n);
  console.log(`\nRESULT edgewise ${median(all).toFixed(0)} img/s vs Python ${pyRate.toFixed(0)} img/s: ratio ${(median(all) / pyRate).toFixed(2)}x on ${cores} cores (goal 5x), load average ${loadavg()[0]!.toFixed(2)}`);
}

await main();
