import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { InputError } from '../core/errors.js';
import { jpegIccProfile, profileActsAsSrgb } from './icc-profile.js';

/**
 * THE image preprocessing shared by training (embeddings), export and evaluation, so a model sees the same
 * pixels everywhere:
 *   decode (any format sharp reads) → apply EXIF orientation → resize to width×height → drop alpha →
 *   sRGB, 3 channels (grey images are expanded) → raw HWC uint8 pixels.
 * Colour: an embedded ICC profile is applied (to sRGB), unless it acts as sRGB itself (no colour moved by
 * more than one level, src/tflite/icc-profile.ts): that transform would cost as much as the decode.
 * Resize: `fit: 'fill'` (default) stretches the whole image to the input size without cropping, as the
 * TFLite Task Library's image classifier does on the device; `'cover'` keeps the aspect ratio and
 * centre-crops. Kernel: bilinear ('linear'), the interpolation mobile runtimes use; JPEG shrink-on-load
 * keeps large photos fast.
 * Then `pixelsToFloat(pixels, [0, 1])` gives the float32 input (value p/255 for the default range) and a uint8
 * model takes the pixels as they are (`pixelsToInput` picks per model).
 */
export type FitMode = 'fill' | 'cover';

export interface PreprocessOptions {
  width: number;
  height: number;
  fit?: FitMode;
}

/** v2: embedded profiles that act as sRGB are no longer applied (v1 applied every profile: ±1 level on saturated colours). */
export const PREPROCESSING_ID = 'rgb-exif-linear-v2';

/** Decodes an image (path or encoded bytes) into H·W·3 RGB uint8 pixels. */
export async function preprocessImage(src: string | Uint8Array, opts: PreprocessOptions): Promise<Uint8Array> {
  const fit = opts.fit ?? 'fill';
  try {
    const bytes = typeof src === 'string' ? await readFile(src) : src;
    const { data, info } = await sharp(bytes, { failOn: 'error', ignoreIcc: await profileIsSrgb(bytes) })
      .rotate()
      .resize(opts.width, opts.height, { fit, position: 'centre', kernel: 'linear' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels === 3) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return toRgb(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.channels);
  } catch (e) {
    const item = typeof src === 'string' ? src : 'image bytes';
    throw new InputError(`Cannot read image ${item}: ${(e as Error).message}`, {
      item,
      code: 'image.unreadable',
      hint: 'Remove or replace the file (run edgewise validate to find unreadable images).',
    });
  }
}

/** Whether the image's embedded profile (if any) acts as sRGB, so applying it can be skipped. */
async function profileIsSrgb(bytes: Uint8Array): Promise<boolean> {
  const profile = bytes[0] === 0xff && bytes[1] === 0xd8 ? jpegIccProfile(bytes) : (await sharp(bytes).metadata()).icc;
  return profile ? profileActsAsSrgb(profile) : false;
}

function toRgb(px: Uint8Array, channels: number): Uint8Array {
  const n = px.length / channels;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const g = px[i * channels]!;
    const c1 = channels >= 3 ? px[i * channels + 1]! : g;
    const c2 = channels >= 3 ? px[i * channels + 2]! : g;
    out[i * 3] = g;
    out[i * 3 + 1] = c1;
    out[i * 3 + 2] = c2;
  }
  return out;
}

/** Pixels 0..255 → float32 values in [lo, hi] (lo + (hi − lo)·p/255; exactly p/255 for [0, 1]). */
export function pixelsToFloat(pixels: Uint8Array, range: [number, number] = [0, 1]): Float32Array {
  const [lo, hi] = range;
  const out = new Float32Array(pixels.length);
  if (lo === 0 && hi === 1) {
    for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! / 255;
  } else {
    const k = (hi - lo) / 255;
    for (let i = 0; i < pixels.length; i++) out[i] = lo + pixels[i]! * k;
  }
  return out;
}

/** Pixels → the model's input data: uint8 models take the raw pixels, float models their value range. */
export function pixelsToInput(pixels: Uint8Array, input: { dtype: 'float32' | 'uint8'; range: [number, number] }): Uint8Array | Float32Array {
  return input.dtype === 'uint8' ? pixels : pixelsToFloat(pixels, input.range);
}
