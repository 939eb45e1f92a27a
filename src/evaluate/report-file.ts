import { existsSync, readFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../core/atomic.js';
import { parseVersion, type Workspace } from '../core/workspace.js';
import { resolveImagePath } from '../manifest/image-paths.js';
import { readLiveModel } from '../registry/saved-vs-live.js';
import { parsePredictions } from '../tune/predictions.js';
import type { ThresholdsFile } from '../tune/save.js';
import { renderHtmlReport, type Thumbnails } from './html-report.js';
import { thresholdView } from './risk-coverage.js';
import type { MetricsFile, PredictionsFile } from './types.js';

/**
 * ml/metrics/report_vNNN.html: written by `edgewise eval`, and written again from the same metrics and
 * predictions files whenever thresholds are saved for the run, so it always shows the saved thresholds.
 */

/** Longest side of a mistake's thumbnail, in pixels (shown at up to 128 CSS pixels). */
export const THUMB_PX = 128;
/** A thumbnail above this many bytes is made again at a lower quality, then dropped. */
export const THUMB_MAX_BYTES = 16_000;
/** All thumbnails together: past this, the rest are shown by name only. */
export const THUMBS_MAX_TOTAL_BYTES = 200_000;

export function reportPath(ws: Workspace, version: string): string {
  return join(ws.metricsDir, `report_${version}.html`);
}

/** Small JPEG data: URIs of the images, read from the images folder only (symlinks out of it are refused). */
export async function makeThumbnails(imagesDir: string, images: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!existsSync(imagesDir)) return out;
  const root = await realpath(imagesDir);
  let total = 0;
  for (const image of new Set(images)) {
    const r = await resolveImagePath(root, image);
    if (!('abs' in r)) continue;
    let bytes: Buffer | undefined;
    for (const quality of [70, 45]) {
      try {
        bytes = await sharp(r.abs, { failOn: 'none', limitInputPixels: 100_000_000 })
          .rotate()
          .resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true })
          .flatten({ background: '#ffffff' })
          .jpeg({ quality })
          .toBuffer();
      } catch {
        bytes = undefined; // not an image sharp can read: shown by name only
        break;
      }
      if (bytes.length <= THUMB_MAX_BYTES) break;
      bytes = undefined;
    }
    if (!bytes || total + bytes.length > THUMBS_MAX_TOTAL_BYTES) continue;
    total += bytes.length;
    out[image] = `data:image/jpeg;base64,${bytes.toString('base64')}`;
  }
  return out;
}

/** thresholds_vNNN.json when it holds a usable tau and margin. */
function readSaved(ws: Workspace, version: string): (ThresholdsFile & { path: string }) | undefined {
  const path = join(ws.metricsDir, `thresholds_${version}.json`);
  if (!existsSync(path)) return undefined;
  try {
    const t = JSON.parse(readFileSync(path, 'utf8')) as Partial<ThresholdsFile>;
    const ok = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
    if (!ok(t.tau) || !ok(t.margin)) return undefined;
    const saved: ThresholdsFile & { path: string } = {
      ...(t as ThresholdsFile),
      saved_at: typeof t.saved_at === 'string' ? t.saved_at : '',
      tuned_on: typeof t.tuned_on === 'string' ? t.tuned_on : '?',
      measured_on: typeof t.measured_on === 'string' ? t.measured_on : '?',
      path: ws.rel(path),
    };
    if (typeof saved.target !== 'number') delete saved.target;
    return saved;
  } catch {
    return undefined; // tune's loader warns about a broken file; the report shows "not tuned yet"
  }
}

/** The report's HTML for a run: its metrics and predictions, the saved thresholds, what is live, thumbnails. */
export async function buildHtmlReport(ws: Workspace, metrics: MetricsFile, pred: PredictionsFile): Promise<string> {
  const saved = readSaved(ws, metrics.version);
  const live = readLiveModel(ws);
  const thresholds = thresholdView(pred, { evaluatedAt: metrics.created_at, ...(saved ? { saved } : {}), ...(live ? { live } : {}) });
  const thumbnails: Thumbnails = await makeThumbnails(ws.imagesDir, metrics.most_confident_mistakes.map((w) => w.image));
  return renderHtmlReport(metrics, { thresholds, thumbnails });
}

/** Renders and atomically writes the report of a run; returns its absolute path. */
export async function writeHtmlReport(ws: Workspace, metrics: MetricsFile, pred: PredictionsFile): Promise<string> {
  const path = reportPath(ws, metrics.version);
  await writeFileAtomic(path, await buildHtmlReport(ws, metrics, pred));
  return path;
}

export type RefreshResult = { path: string } | { skipped: string };

/**
 * Writes the report again from metrics_vNNN.json and predictions_vNNN.json (after thresholds were saved).
 * Skipped, saying why, when the run was never evaluated or its files cannot be drawn (the thresholds are
 * saved either way); a failed write still throws.
 */
export async function refreshHtmlReport(ws: Workspace, version: string): Promise<RefreshResult> {
  // The version names files in the metrics folder: a vNNN, never a path (docs/notes/threat-model.md).
  if (parseVersion(version) === undefined) return { skipped: `"${version}" is not a version like v001` };
  const metricsPath = join(ws.metricsDir, `metrics_${version}.json`);
  const predictionsPath = join(ws.metricsDir, `predictions_${version}.json`);
  if (!existsSync(metricsPath)) return { skipped: `${ws.rel(metricsPath)} does not exist (run \`edgewise eval\`)` };
  let html: string;
  try {
    const metrics = JSON.parse(readFileSync(metricsPath, 'utf8')) as MetricsFile;
    const pred = parsePredictions(JSON.parse(readFileSync(predictionsPath, 'utf8')), ws.rel(predictionsPath));
    if (metrics.version !== version || pred.version !== version) throw new Error(`they are not both for ${version}`);
    html = await buildHtmlReport(ws, metrics, pred);
  } catch (e) {
    return { skipped: `${ws.rel(metricsPath)} and ${ws.rel(predictionsPath)} cannot be drawn (${(e as Error).message}); rerun \`edgewise eval\`` };
  }
  const path = reportPath(ws, version);
  await writeFileAtomic(path, html);
  return { path };
}
