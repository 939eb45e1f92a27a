import { GREY_QUALITY_WASM } from './grey-quality-wasm.js';
import type { GreyImage } from './perceptual-hash.js';
import { lazyWasm } from './wasm-module.js';

/** Raw quality measures of a grey thumbnail; thresholds are applied later (config.validate). */
export interface QualityMeasures {
  /** Mean grey level, 0-255. */
  mean: number;
  /** Shannon entropy of the 256-bin grey histogram, in bits (0 flat ... 8). */
  entropy: number;
  /** Variance of the 4-neighbour Laplacian: low for blurry or featureless images. */
  blur: number;
}

/**
 * Columns per run of integer sums in the blur loop: a run's sum of squared Laplacians (each at most
 * 1020² = 1,040,400) stays below 2^31 up to 2,064 of them.
 */
const RUN = 2048;

/** grey-quality.c: the same sums in WebAssembly SIMD, the image copied into the module's memory. */
class WasmSums {
  private readonly memory: WebAssembly.Memory;
  private readonly heap: number;
  private readonly run: (at: number, w: number, h: number) => void;
  private readonly histAt: number;
  private readonly sumsAt: number;

  constructor(instance: WebAssembly.Instance) {
    const x = instance.exports as Record<string, unknown>;
    this.memory = x.memory as WebAssembly.Memory;
    this.heap = (x.__heap_base as WebAssembly.Global).value as number;
    this.run = x.quality_sums as (at: number, w: number, h: number) => void;
    this.histAt = (x.hist_ptr as () => number)();
    this.sumsAt = (x.sums_ptr as () => number)();
  }

  sums(img: GreyImage): Sums {
    const need = this.heap + img.data.length;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / 65536));
    new Uint8Array(this.memory.buffer, this.heap, img.data.length).set(img.data);
    this.run(this.heap, img.width, img.height);
    const s = new Float64Array(this.memory.buffer, this.sumsAt, 2);
    return { hist: new Int32Array(this.memory.buffer, this.histAt, 256), s: s[0]!, s2: s[1]! };
  }
}

const wasmSums = lazyWasm(GREY_QUALITY_WASM, (instance) => new WasmSums(instance));
/** Turns the WebAssembly sums off (true: back on): for tests and benchmarks comparing the two. */
export function useWasmQuality(on: boolean): void {
  wasmSums.allow(on);
}

/** The grey histogram, and the sum and sum of squares of the 4-neighbour Laplacian over interior pixels. */
interface Sums {
  hist: Int32Array;
  s: number;
  s2: number;
}

/**
 * Every sum is of integers, so it is exact in any order and in any type that holds it: the histogram counts
 * in an Int32Array, the Laplacian's sums in int32 over runs of a row, added into doubles (each total stays
 * far below 2^53). The results are those of summing each value into a double one at a time, bit for bit.
 */
function sumsOf(img: GreyImage): Sums {
  const { data, width: w, height: h } = img;
  const hist = new Int32Array(256);
  for (let i = 0; i < data.length; i++) hist[data[i]!]!++;
  let s = 0;
  let s2 = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x0 = 1; x0 < w - 1; x0 += RUN) {
      const end = y * w + Math.min(w - 1, x0 + RUN);
      let rs = 0;
      let rs2 = 0;
      for (let i = y * w + x0; i < end; i++) {
        const lap = data[i - 1]! + data[i + 1]! + data[i - w]! + data[i + w]! - 4 * data[i]!;
        rs = (rs + lap) | 0;
        rs2 = (rs2 + lap * lap) | 0;
      }
      s += rs;
      s2 += rs2;
    }
  }
  return { hist, s, s2 };
}

/**
 * The sums in WebAssembly where it runs (these loops were ≈ 10 % of measuring a clothing photo in
 * JavaScript), else in TypeScript; the same numbers either way.
 */
export function measureQuality(img: GreyImage): QualityMeasures {
  const { width: w, height: h } = img;
  const { hist, s, s2 } = wasmSums.get()?.sums(img) ?? sumsOf(img);
  let sum = 0;
  for (let v = 1; v < 256; v++) sum += v * hist[v]!;
  const n = img.data.length || 1;
  let entropy = 0;
  for (let v = 0; v < 256; v++) {
    const p = hist[v]! / n;
    if (p > 0) entropy -= p * Math.log2(p);
  }
  const m = w > 2 && h > 2 ? (w - 2) * (h - 2) : 0;
  const blur = m > 0 ? s2 / m - (s / m) ** 2 : 0;
  return { mean: sum / n, entropy, blur };
}
