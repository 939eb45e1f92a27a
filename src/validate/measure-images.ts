import { throwIfCancelled } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import { ProgressTracker } from '../core/progress.js';
import type { ValidateSettings } from '../config/schema.js';
import { HashCache } from '../images/hash-cache.js';
import { createMeasurer } from '../images/measure-pool.js';
import type { Findings, SeverityFinding } from './findings.js';
import { checkImage, type Backend } from './image-checks.js';
import type { Scanned } from './scan-files.js';

/** How many images were measured this run and how many came from the hash cache. */
export interface MeasureCounts {
  hashed: number;
  cached: number;
}

/**
 * The hash phase: every file decoded and hashed (cached measures reused, the rest measured in parallel),
 * then judged against the image checks. Sets each image's `measure` and adds its findings.
 */
export async function* measureImages(scanned: Scanned[], cacheDir: string, settings: ValidateSettings, backend: Backend, findings: Findings, signal?: AbortSignal): AsyncGenerator<StepEvent, MeasureCounts> {
  const limits = { maxPixels: settings.maxPixels, maxReadBytes: settings.maxReadBytes };
  const cache = new HashCache(cacheDir, limits);
  const toMeasure: Scanned[] = [];
  let cached = 0;
  for (const s of scanned) {
    if (!s.abs) continue;
    const hit = cache.get(s.row.image, s.size!, s.mtimeMs!);
    if (hit) {
      s.measure = hit;
      cached++;
    } else toMeasure.push(s);
  }
  const judge = (s: Scanned): void => {
    const list = s.measure ? checkImage(s.row.image, s.row.line, s.measure, settings, backend) : [];
    s.findings.push(...list);
    findings.record(list);
  };
  for (const s of scanned) if (s.measure) judge(s);

  const tracker = new ProgressTracker('hash', scanned.filter((s) => s.abs).length, 'images');
  let done = cached;
  yield tracker.event(done);
  const measurer = createMeasurer(toMeasure.length, settings.concurrency ? { inFlight: settings.concurrency } : {});
  try {
    const files = toMeasure.map((s) => ({ path: s.abs!, size: s.size! }));
    for await (const { index, result } of measurer.measureAll(files, limits, signal)) {
      const s = toMeasure[index]!;
      if ('error' in result) {
        const f: SeverityFinding = { severity: 'error', code: 'image.unreadable', item: s.row.image, line: s.row.line, message: `the file cannot be read: ${result.error}`, hint: 'Check its permissions.' };
        s.findings.push(f);
        findings.record([f]);
      } else {
        s.measure = result;
        cache.set(s.row.image, s.size!, s.mtimeMs!, result);
        judge(s);
      }
      done++;
      const ev = tracker.update(done);
      if (ev) {
        yield ev;
        yield* findings.metrics();
      }
    }
    if (measurer.fallback) {
      yield { type: 'warning', code: 'validate.threads', message: `The measuring threads failed (${measurer.fallback}); the rest was measured on one thread, more slowly.` };
    }
  } finally {
    await measurer.close();
    // Keep what was measured even when cancelled: the next run starts from there.
    await cache.save().catch(() => undefined);
  }
  throwIfCancelled(signal);
  yield* findings.metrics();
  return { hashed: toMeasure.length, cached };
}
