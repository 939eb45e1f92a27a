import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BINS, equalWidthCalibration } from './calibration.js';
import { argmax, splitKnown, topKAccuracy } from './metrics.js';

/**
 * The model files of one run side by side (float32 and its quantized variants, listed in model_info.json as
 * `variants`), each scored on the same test images. Pure scoring here; eval-step runs the files.
 */
export interface VariantFile {
  name: string;
  file: string;
  quantization: string;
  input_dtype: string;
}

export interface VariantMetrics extends VariantFile {
  size_bytes: number;
  sha256: string;
  /** Scored test images (the same ones for every variant). */
  n: number;
  top1: number;
  top3: number;
  /** 15 equal-width bins, before temperature (as the top-level `ece`). */
  ece: number;
  /** LiteRT inference time per image on this machine (decoding excluded): compare variants, not machines. */
  ms_per_image: number | null;
  /** Against the float32 model on the same images: share with the same top-1 label, and the largest |Δp|. */
  agreement_with_float: number;
  max_abs_diff_vs_float: number;
}

/** Variants listed in `model_info.json` whose file exists beside it; just the float model when none are listed. */
export function listVariants(modelDir: string): VariantFile[] {
  const float: VariantFile = { name: 'float32', file: 'model.tflite', quantization: 'none', input_dtype: 'float32' };
  const infoPath = join(modelDir, 'model_info.json');
  if (!existsSync(infoPath)) return [float];
  let listed: unknown;
  try {
    listed = (JSON.parse(readFileSync(infoPath, 'utf8')) as { variants?: unknown }).variants;
  } catch {
    return [float];
  }
  if (!Array.isArray(listed)) return [float];
  const out: VariantFile[] = [];
  for (const v of listed as Record<string, unknown>[]) {
    const file = typeof v.file === 'string' ? v.file : undefined;
    // Only plain file names beside model.tflite: model_info.json cannot point elsewhere.
    if (!file || file.includes('/') || file.includes('\\') || !file.endsWith('.tflite') || !existsSync(join(modelDir, file))) continue;
    const input = (v.input ?? {}) as { dtype?: unknown };
    out.push({ name: String(v.name ?? file), file, quantization: String(v.quantization ?? 'none'), input_dtype: String(input.dtype ?? 'float32') });
  }
  if (!out.some((v) => v.file === 'model.tflite')) out.unshift(float);
  return out;
}

export function scoreVariant(
  v: VariantFile & { size_bytes: number; sha256: string; ms_per_image: number | null },
  probs: number[][],
  truth: number[],
  floatProbs: number[][],
): VariantMetrics {
  const known = splitKnown(probs, truth);
  let agree = 0;
  let maxDiff = 0;
  probs.forEach((p, i) => {
    const f = floatProbs[i]!;
    if (argmax(p) === argmax(f)) agree++;
    p.forEach((x, k) => (maxDiff = Math.max(maxDiff, Math.abs(x - f[k]!))));
  });
  return {
    ...v,
    n: known.probs.length,
    top1: topKAccuracy(known.probs, known.truth, 1),
    top3: topKAccuracy(known.probs, known.truth, 3),
    ece: equalWidthCalibration(known.probs, known.truth, DEFAULT_BINS).ece,
    agreement_with_float: probs.length ? agree / probs.length : 1,
    max_abs_diff_vs_float: maxDiff,
  };
}

/** The default pick for Publish: the smallest file whose top-1 is within `points` percentage points of float32's. */
export function defaultVariant(variants: readonly VariantMetrics[], points = 1): VariantMetrics | undefined {
  const float = variants.find((v) => v.quantization === 'none') ?? variants[0];
  if (!float) return undefined;
  const ok = variants.filter((v) => v.top1 >= float.top1 - points / 100 - 1e-12);
  return ok.sort((a, b) => a.size_bytes - b.size_bytes || a.name.localeCompare(b.name))[0] ?? float;
}
