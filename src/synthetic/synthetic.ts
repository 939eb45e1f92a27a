import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import sharp from 'sharp';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic, writeJsonAtomic } from '../core/atomic.js';
import { seededRandom, randomInt } from '../core/random.js';
import { SYNTHETIC_CLASSES, drawSample } from './synthetic-shapes.js';


/** The kinds of planted faults; validation must report each with this kind. */
export type FaultKind =
  | 'exact_duplicate'
  | 'near_duplicate'
  | 'label_conflict'
  | 'corrupt'
  | 'not_an_image'
  | 'too_small'
  | 'missing_file';

export interface PlantedFault {
  kind: FaultKind;
  /** The manifest path (relative to the images folder) of the faulty entry. */
  image: string;
  /** For duplicates and conflicts: the original image it copies. */
  of?: string;
  /** How a near duplicate was made (reencoded, resized, cropped, exif_rotated). */
  transform?: string;
  label: string;
}

export interface SyntheticOptions {
  /** Workspace root: writes ml/dataset/{manifest.csv, images/, ground_truth.json} under it. */
  root: string;
  classes?: number;
  perClass?: number;
  seed?: string;
  /** Plant the known faults (default true). */
  faults?: boolean;
  /** Longest side range of the clean images in pixels. */
  size?: [number, number];
  /** Number of images drawn at once. */
  concurrency?: number;
}

export interface SyntheticDataset {
  manifestPath: string;
  imagesDir: string;
  groundTruthPath: string;
  labels: string[];
  /** Clean images (relative paths) with their labels, faults excluded. */
  images: Array<{ image: string; label: string }>;
  faults: PlantedFault[];
}

async function renderPhoto(svg: string, rand: () => number, noise: number): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  // Sensor-like noise, from the seeded generator so every run draws the same pixels.
  for (let i = 0; i < data.length; i++) {
    const n = (rand() + rand() + rand() - 1.5) * noise;
    data[i] = Math.max(0, Math.min(255, data[i]! + n));
  }
  return { data, width: info.width, height: info.height };
}

function toJpeg(p: { data: Buffer; width: number; height: number }, quality = 90): Promise<Buffer> {
  return sharp(p.data, { raw: { width: p.width, height: p.height, channels: 3 } }).jpeg({ quality }).toBuffer();
}

/**
 * A labelled image set that a model can learn (shapes under random pose, scale, colour, background and
 * noise) with known faults planted and listed in ground_truth.json. Tests of every step use it.
 */
export async function generateSyntheticDataset(opts: SyntheticOptions): Promise<SyntheticDataset> {
  const nClasses = opts.classes ?? 4;
  if (nClasses < 2 || nClasses > SYNTHETIC_CLASSES.length) throw new RangeError(`classes must be 2..${SYNTHETIC_CLASSES.length}`);
  const perClass = opts.perClass ?? 30;
  const seed = opts.seed ?? 'edgewise-synthetic';
  const [minSide, maxSide] = opts.size ?? [160, 256];
  const datasetDir = join(opts.root, 'ml', 'dataset');
  const imagesDir = join(datasetDir, 'images');
  await mkdir(imagesDir, { recursive: true });
  const classes = SYNTHETIC_CLASSES.slice(0, nClasses);
  const limit = pLimit(opts.concurrency ?? 4);

  // Draw every parameter up front from one generator so the set does not depend on scheduling.
  const rand = seededRandom(seed);
  const jobs = classes.flatMap((cls) =>
    Array.from({ length: perClass }, (_, i) => {
      const long = randomInt(rand, minSide, maxSide);
      const aspect = 0.75 + rand() * 0.58;
      const width = aspect >= 1 ? long : Math.round(long * aspect);
      const height = aspect >= 1 ? Math.round(long / aspect) : long;
      const png = rand() < 0.15;
      return { cls, i, width, height, png, seed: rand() * 2 ** 32, quality: randomInt(rand, 80, 95) };
    }),
  );

  const images: Array<{ image: string; label: string }> = [];
  const pixels = new Map<string, { data: Buffer; width: number; height: number }>();
  await Promise.all(
    jobs.map((job) =>
      limit(async () => {
        const r = seededRandom(job.seed >>> 0);
        const photo = await renderPhoto(drawSample(job.cls, r, job.width, job.height), r, 10);
        const name = `${job.cls.label}/${job.cls.label}_${String(job.i).padStart(4, '0')}.${job.png ? 'png' : 'jpg'}`;
        const bytes = job.png
          ? await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } }).png().toBuffer()
          : await toJpeg(photo, job.quality);
        await writeFileAtomic(join(imagesDir, name), bytes);
        pixels.set(name, photo);
      }),
    ),
  );
  for (const job of jobs) {
    images.push({ image: `${job.cls.label}/${job.cls.label}_${String(job.i).padStart(4, '0')}.${job.png ? 'png' : 'jpg'}`, label: job.cls.label });
  }

  const faults: PlantedFault[] = [];
  const rows: Array<{ image: string; label: string }> = [...images];
  if (opts.faults ?? true) {
    const jpegs = images.filter((im) => im.image.endsWith('.jpg'));
    const src = (k: number): { image: string; label: string } => jpegs[(k * 7) % jpegs.length]!;
    const add = async (f: PlantedFault, bytes: Buffer | string | undefined): Promise<void> => {
      if (bytes !== undefined) await writeFileAtomic(join(imagesDir, f.image), bytes);
      faults.push(f);
      rows.push({ image: f.image, label: f.label });
    };

    const a = src(1);
    await add({ kind: 'exact_duplicate', image: 'extra/copy_of_' + a.image.split('/')[1], of: a.image, label: a.label }, await readFile(join(imagesDir, a.image)));

    const b = src(2);
    const bp = pixels.get(b.image)!;
    await add({ kind: 'near_duplicate', image: 'extra/reencoded.jpg', of: b.image, transform: 'reencoded', label: b.label }, await toJpeg(bp, 55));

    const c = src(3);
    const cp = pixels.get(c.image)!;
    const resized = await sharp(cp.data, { raw: { width: cp.width, height: cp.height, channels: 3 } })
      .resize(Math.round(cp.width * 0.7))
      .jpeg({ quality: 88 })
      .toBuffer();
    await add({ kind: 'near_duplicate', image: 'extra/resized.jpg', of: c.image, transform: 'resized', label: c.label }, resized);

    const d = src(4);
    const dp = pixels.get(d.image)!;
    const dx = Math.round(dp.width * 0.03);
    const dy = Math.round(dp.height * 0.03);
    const cropped = await sharp(dp.data, { raw: { width: dp.width, height: dp.height, channels: 3 } })
      .extract({ left: dx, top: dy, width: dp.width - 2 * dx, height: dp.height - 2 * dy })
      .jpeg({ quality: 90 })
      .toBuffer();
    await add({ kind: 'near_duplicate', image: 'extra/cropped.jpg', of: d.image, transform: 'cropped', label: d.label }, cropped);

    // Pixels stored turned a quarter to the left, with EXIF orientation 6 ("rotate 90° clockwise to view"):
    // it looks identical to the original once orientation is applied, and very different before.
    const e = src(5);
    const ep = pixels.get(e.image)!;
    const exifRotated = await sharp(ep.data, { raw: { width: ep.width, height: ep.height, channels: 3 } })
      .rotate(270)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 92 })
      .toBuffer();
    await add({ kind: 'near_duplicate', image: 'extra/exif_rotated.jpg', of: e.image, transform: 'exif_rotated', label: e.label }, exifRotated);

    const f = src(6);
    const otherLabel = classes.map((k) => k.label).find((l) => l !== f.label)!;
    await add({ kind: 'label_conflict', image: 'extra/mislabelled_' + f.image.split('/')[1], of: f.image, label: otherLabel }, await readFile(join(imagesDir, f.image)));

    const g = src(7);
    const full = await readFile(join(imagesDir, g.image));
    await add({ kind: 'corrupt', image: 'extra/truncated.jpg', label: g.label }, full.subarray(0, Math.floor(full.length * 0.5)));

    await add({ kind: 'not_an_image', image: 'extra/notes.jpg', label: classes[0]!.label }, 'These are field notes, not a photo.\n');

    const tiny = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 80, b: 40 } } }).jpeg().toBuffer();
    await add({ kind: 'too_small', image: 'extra/tiny.jpg', label: classes[1]!.label }, tiny);

    await add({ kind: 'missing_file', image: 'extra/never_uploaded.jpg', label: classes[0]!.label }, undefined);
  }

  const manifestPath = join(datasetDir, 'manifest.csv');
  await writeFileAtomic(manifestPath, stringify(rows.map((r) => [r.image, r.label]), { header: true, columns: ['image', 'label'] }));
  const groundTruthPath = join(datasetDir, 'ground_truth.json');
  await writeJsonAtomic(groundTruthPath, { seed, classes: classes.map((c) => c.label), perClass, faults });
  return { manifestPath, imagesDir, groundTruthPath, labels: classes.map((c) => c.label), images, faults };
}
