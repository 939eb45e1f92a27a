/**
 * The shared preprocessing's decode (src/tflite/preprocess.ts) against the previous rule, which applied every
 * embedded colour profile (preprocessing rgb-exif-linear-v1), on the same photos in one process:
 *
 *   node dist/bench/decode.js [DIR ...] [--rounds N] [--sample K]
 *
 * Prints, per folder: how many photos carry a profile, how many distinct profiles and how many act as sRGB,
 * the pixels of both rules compared (photos differing, largest difference), and the CPU time per photo of each
 * rule in interleaved rounds (K photos spread over the folder; CPU time of the whole process, libvips' threads
 * included) with THE RATIO old / new. DIR defaults to ../shared/data/hymenoptera_data.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { jpegIccProfile, profileActsAsSrgb } from '../src/tflite/icc-profile.js';
import { preprocessImage } from '../src/tflite/preprocess.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1]! : dflt;
};
const rounds = Number(flag('--rounds', '3'));
const sample = Number(flag('--sample', '200'));
const dirs = (args.length ? args : ['../shared/data/hymenoptera_data']).map((d) => resolve(d));
const SIZE = { width: 224, height: 224 };

/** The rule before: libvips applies any embedded profile (sharp's default). Same pipeline otherwise. */
async function previousRule(file: string): Promise<Uint8Array> {
  const { data } = await sharp(file, { failOn: 'error' })
    .rotate()
    .resize(SIZE.width, SIZE.height, { fit: 'fill', position: 'centre', kernel: 'linear' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return data;
}

function images(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...images(p));
    else if (/\.(jpe?g|png|webp)$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

async function cpuPerImage(files: string[], f: (file: string) => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  for (const file of files) await f(file);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / files.length;
}

for (const dir of dirs) {
  const files = images(dir);
  console.log(`${dir}: ${files.length} images; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  let withProfile = 0;
  let differing = 0;
  let largest = 0;
  const profiles = new Map<string, boolean>();
  for (const file of files) {
    const meta = await sharp(file).metadata();
    if (meta.icc) {
      withProfile++;
      const key = meta.icc.toString('base64');
      if (!profiles.has(key)) profiles.set(key, await profileActsAsSrgb(meta.icc));
      if (meta.format === 'jpeg') {
        const mine = jpegIccProfile(readFileSync(file));
        if (!mine || !Buffer.from(mine).equals(meta.icc)) console.log(`  ${file}: the markers give another profile than libvips`);
      }
    }
    const [a, b] = await Promise.all([previousRule(file), preprocessImage(file, SIZE)]);
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
    if (d) differing++;
    largest = Math.max(largest, d);
  }
  const srgb = [...profiles.values()].filter(Boolean).length;
  console.log(`  with a profile: ${withProfile} photos, ${profiles.size} distinct profiles, ${srgb} of them act as sRGB (skipped)`);
  console.log(`  pixels, new rule vs previous: ${differing} of ${files.length} photos differ; largest difference ${largest} levels`);
  const step = Math.max(1, Math.floor(files.length / sample));
  const timed = files.filter((_, i) => i % step === 0).slice(0, sample);
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const before = await cpuPerImage(timed, previousRule);
    const after = await cpuPerImage(timed, (f) => preprocessImage(f, SIZE));
    ratios.push(before / after);
    console.log(`  round ${r + 1} (${timed.length} photos, load ${loadavg()[0]!.toFixed(1)}): previous rule ${before.toFixed(2)} CPU ms/photo, new ${after.toFixed(2)}: ${(before / after).toFixed(2)}×`);
  }
  console.log(`THE RATIO (previous / new CPU per photo, decode + resize to 224): ${ratios.map((x) => x.toFixed(2)).join(', ')}`);
}

