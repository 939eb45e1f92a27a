import { formatFromExtension, VERTEX_FORMATS } from '../images/image-format.js';
import type { ImageMeasure } from '../images/image-measure.js';
import type { SeverityFinding, Severity } from './findings.js';
import type { ValidateSettings } from '../config/schema.js';

const MB = 1024 * 1024;

export type Backend = 'local' | 'vertex';

/**
 * Turns an image's measures into findings under the current thresholds. Problems only Vertex has are
 * errors when training on Vertex and warnings for the local backend.
 */
export function checkImage(image: string, line: number, m: ImageMeasure, s: ValidateSettings, backend: Backend): SeverityFinding[] {
  const out: SeverityFinding[] = [];
  const add = (severity: Severity, code: string, message: string, hint?: string): void => {
    out.push({ severity, code, item: image, line, message, ...(hint ? { hint } : {}) });
  };
  const vertexOnly: Severity = backend === 'vertex' ? 'error' : 'warning';

  if (m.refused === 'too_large_to_read') {
    add('error', 'image.too_large', `the file is ${(m.bytes / MB).toFixed(1)} MB, above the ${(s.maxReadBytes / MB).toFixed(0)} MB edgewise reads`, 'Downscale or re-encode the image (Vertex trains on files up to 30 MB).');
    return out;
  }
  if (m.bytes === 0) {
    add('error', 'image.corrupt', 'the file is empty (0 bytes)', 'Copy the image again; the upload or copy that made it failed.');
    return out;
  }
  if (!m.sniffed) {
    add('error', 'image.not_an_image', 'the file is not an image (its first bytes match no image format)', 'Replace it with the real image or remove its manifest line.');
    return out;
  }
  const claimed = formatFromExtension(image);
  if (claimed !== m.sniffed && !(claimed === 'heif' && m.sniffed === 'avif')) {
    add('warning', 'image.extension_mismatch', `the name says ${claimed ? claimed.toUpperCase() : 'no known format'} but the content is ${m.sniffed.toUpperCase()}`, `Rename it with the extension of its real format (.${m.sniffed === 'jpeg' ? 'jpg' : m.sniffed}).`);
  }
  if (m.refused === 'not_decodable_here') {
    // Training and evaluation decode with sharp, which cannot read it: keeping it would stop them later.
    add('error', 'image.format_unreadable', `unsupported format: ${m.sniffed.toUpperCase()} (edgewise's decoder, used by train and evaluate, cannot read it)`, 'Convert it to JPEG or PNG (e.g. `magick in.bmp out.png`), or remove its manifest line.');
    return out;
  }
  if (!VERTEX_FORMATS.has(m.sniffed)) {
    add(vertexOnly, 'image.unsupported_format', `${m.sniffed.toUpperCase()} is not a format Vertex AI trains on (JPEG, GIF, PNG, BMP, ICO)`, 'Convert it to JPEG or PNG.');
  }
  if (m.bytes > s.maxFileBytes) {
    add(vertexOnly, 'image.file_too_large', `the file is ${(m.bytes / MB).toFixed(1)} MB; Vertex AI trains on files up to ${(s.maxFileBytes / MB).toFixed(0)} MB`, 'Re-encode or downscale it.');
  }
  if (m.headerError) {
    add('error', 'image.corrupt', `the image header is unreadable: ${m.headerError}`, 'Replace the file with an intact copy or remove its manifest line.');
    return out;
  }
  const w = m.width ?? 0;
  const h = m.height ?? 0;
  if (m.refused === 'too_many_pixels') {
    add('error', 'image.too_many_pixels', `${w}x${h} is ${((w * h) / 1e6).toFixed(0)} megapixels, above the ${(s.maxPixels / 1e6).toFixed(0)} MP limit: refused without decoding (a decompression bomb or a huge scan)`, 'Downscale it, or raise validate.maxPixels in edgewise.json if it is a real photo.');
    return out;
  }
  if (m.decodeError) {
    add('error', 'image.corrupt', `the image data is truncated or corrupt: ${m.decodeError}`, 'Replace the file with an intact copy or remove its manifest line.');
    return out;
  }
  if (Math.min(w, h) < s.minSide) {
    add('error', 'image.too_small', `${w}x${h} is smaller than ${s.minSide} px on its short side`, `Use images at least ${s.minSide} px on each side, or lower validate.minSide in edgewise.json.`);
  }
  const aspect = Math.max(w, h) / Math.max(1, Math.min(w, h));
  if (aspect > s.maxAspectRatio) {
    add('warning', 'image.extreme_aspect', `${w}x${h} has an aspect ratio of ${aspect.toFixed(1)}:1; training squares it and squashes the subject`, 'Crop it closer to square.');
  }
  if ((m.pages ?? 1) > 1) {
    add('warning', 'image.animated', `the image is animated (${m.pages} frames); only the first frame is used`, 'Save the frame you mean as a still image.');
  }
  if (m.space && !['srgb', 'b-w', 'rgb', 'rgb16', 'grey16'].includes(m.space)) {
    add('warning', 'image.colour_space', `the image is in the ${m.space.toUpperCase()} colour space; colours may shift when converted for training`, 'Convert it to sRGB.');
  }
  if (m.bitDepth !== undefined && m.bitDepth > 8) {
    add('warning', 'image.bit_depth', `the image has ${m.bitDepth} bits per sample; it is reduced to 8 for training`, 'Save it with 8 bits per sample.');
  }
  if (m.unusualCoding) {
    add(vertexOnly, 'image.unusual_encoding', 'the JPEG is lossless or arithmetic-coded, which many decoders cannot read', 'Re-save it as a standard (baseline or progressive) JPEG.');
  }
  if (m.quality) {
    const q = m.quality;
    if (q.mean < s.darkMean) add('warning', 'quality.dark', `the image is very dark (mean grey ${q.mean.toFixed(0)} of 255)`, 'Check the exposure; raise or lower validate.darkMean to tune this check.');
    if (q.mean > s.brightMean) add('warning', 'quality.bright', `the image is very bright (mean grey ${q.mean.toFixed(0)} of 255)`, 'Check the exposure; tune validate.brightMean.');
    if (q.entropy < s.minEntropy) add('warning', 'quality.low_information', `the image carries little information (grey entropy ${q.entropy.toFixed(2)} bits): nearly blank or flat`, 'Check that it shows the subject; tune validate.minEntropy.');
    else if (q.blur < s.blurVariance) add('warning', 'quality.blurry', `the image looks blurry (Laplacian variance ${q.blur.toFixed(0)})`, 'Check the focus; tune validate.blurVariance.');
  }
  return out;
}
