import { PREPROCESSING_ID, pixelsToFloat, preprocessImage as decodeResize } from '../../tflite/preprocess.js';
export { decodeResize };
import type { InputSpec } from './backbone.js';

/**
 * Image file → RGB float32 pixels (HWC) in the backbone's input range, through THE preprocessing that
 * evaluation and the runner use (src/tflite/preprocess.ts), so the head is trained on what the shipped
 * model will see.
 */
export type Preprocess = (file: string | Uint8Array, input: InputSpec) => Promise<Float32Array>;

/** Part of every embedding cache key: changes when the shared preprocessing changes. */
export const preprocessId = `${PREPROCESSING_ID}-fill`;

export const preprocessImage: Preprocess = async (file, input) => {
  const px = await decodeResize(file, { width: input.width, height: input.height, fit: 'fill' });
  return pixelsToFloat(px, input.range);
};

/** Mirror image left-right of HWC pixels (flip augmentation and test-time views); float values or raw uint8 pixels. */
export function flipHorizontal<T extends Float32Array | Uint8Array>(pixels: T, width: number, height: number, channels = 3): T {
  const out = (pixels instanceof Uint8Array ? new Uint8Array(pixels.length) : new Float32Array(pixels.length)) as T;
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width; x++) {
      const src = row + x * channels;
      const dst = row + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) out[dst + c] = pixels[src + c] as number;
    }
  }
  return out;
}
