import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import type { ImageMeasure, MeasureLimits } from './image-measure.js';

/** Bump when what measureImage computes changes: every cached entry is then measured again. */
export const MEASURE_VERSION = 5; // 2: JPEG thumbnails from coefficients, cell-aware resizing; 3: what libjpeg refuses goes to the decoder; 4: fingerprint thumbnails; 5: fingerprints carry the aspect ratio

interface CacheEntry {
  size: number;
  mtimeMs: number;
  measure: ImageMeasure;
}

interface CacheFile {
  version: number;
  limits: MeasureLimits;
  entries: Record<string, CacheEntry>;
}

/**
 * Image measures (SHA-256, perceptual hashes, header facts, quality) keyed by the image's path, size and
 * modification time, in the workspace's cache folder. A changed file (size or mtime) is measured again;
 * changed limits discard the cache.
 */
export class HashCache {
  private entries: Record<string, CacheEntry> = {};
  private readonly used = new Set<string>();
  readonly path: string;

  constructor(cacheDir: string, private readonly limits: MeasureLimits) {
    this.path = join(cacheDir, 'validate-images.json');
    if (!existsSync(this.path)) return;
    try {
      const f = JSON.parse(readFileSync(this.path, 'utf8')) as CacheFile;
      if (f.version === MEASURE_VERSION && f.limits?.maxPixels === limits.maxPixels && f.limits?.maxReadBytes === limits.maxReadBytes) {
        this.entries = f.entries ?? {};
      }
    } catch {
      // A damaged cache is only lost time: start empty.
    }
  }

  get(path: string, size: number, mtimeMs: number): ImageMeasure | undefined {
    const e = this.entries[path];
    if (!e || e.size !== size || e.mtimeMs !== mtimeMs) return undefined;
    this.used.add(path);
    return e.measure;
  }

  set(path: string, size: number, mtimeMs: number, measure: ImageMeasure): void {
    this.entries[path] = { size, mtimeMs, measure };
    this.used.add(path);
  }

  /** Writes the entries used in this run (images no longer listed fall out). */
  async save(): Promise<void> {
    const entries: Record<string, CacheEntry> = {};
    for (const p of [...this.used].sort()) entries[p] = this.entries[p]!;
    const file: CacheFile = { version: MEASURE_VERSION, limits: this.limits, entries };
    await writeFileAtomic(this.path, JSON.stringify(file));
  }
}
