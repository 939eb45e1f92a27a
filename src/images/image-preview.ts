import { realpath } from 'node:fs/promises';
import sharp from 'sharp';
import type { StepEvent } from '../core/events.js';
import type { Step } from '../core/step.js';
import { resolveImagePath } from '../manifest/image-paths.js';

export interface PreviewInput {
  /** Manifest paths (relative to the images folder). */
  images: string[];
  /** Box in pixels each image is fitted into (a terminal cell shows 1 x 2 pixels with half blocks). */
  width: number;
  height: number;
}

export interface PreviewImage {
  image: string;
  width: number;
  height: number;
  /** RGB bytes, row-major, width x height x 3; empty when the image could not be read. */
  rgb: number[];
  error?: string;
}

/**
 * Small RGB thumbnails for the review screen's terminal preview (EXIF orientation applied, as hashed).
 * A step so the screen does no I/O itself; never journaled (no fingerprint).
 */
export const previewStep: Step<PreviewInput, PreviewImage[]> = {
  name: 'validate-preview',
  title: 'Image preview',
  async *run(input, ctx): AsyncGenerator<StepEvent, PreviewImage[], void> {
    const root = await realpath(ctx.workspace.imagesDir);
    const out: PreviewImage[] = [];
    for (const image of input.images) {
      if (ctx.signal.aborted) break;
      try {
        const r = await resolveImagePath(root, image);
        if (!('abs' in r)) throw new Error('missing' in r ? 'file not found' : r.message);
        const { data, info } = await sharp(r.abs, { failOn: 'none', limitInputPixels: 100_000_000 })
          .rotate()
          .resize(Math.max(1, input.width), Math.max(1, input.height), { fit: 'inside' })
          .removeAlpha()
          .toColourspace('srgb')
          .raw()
          .toBuffer({ resolveWithObject: true });
        out.push({ image, width: info.width, height: info.height, rgb: Array.from(data) });
      } catch (e) {
        out.push({ image, width: 0, height: 0, rgb: [], error: (e as Error).message });
      }
    }
    return out;
  },
};
