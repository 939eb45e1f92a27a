import { expect } from 'vitest';
import type { StepEvent } from '../../src/core/events.js';
import type { Embedder } from '../../src/train/local/embedder.js';
import { nativeTfLoads } from '../../src/train/local/tf-runtime.js';
import { ortMissingHere } from '../helpers/onnxruntime.js';

/** Runs a step generator to its end: its result and every event it yielded. */
export async function drain<T>(gen: AsyncGenerator<StepEvent, T, void>): Promise<{ result: T; events: StepEvent[] }> {
  const events: StepEvent[] = [];
  for (;;) {
    const r = await gen.next();
    if (r.done) return { result: r.value, events };
    events.push(r.value);
  }
}

/**
 * How far `other`'s vectors are from `ref`'s over the original and the mirrored view of every file: the largest
 * |Δ| and the largest |value| of the reference. The mirrored view must be a different vector (a comparison of
 * the same view twice would pass trivially).
 */
export async function embeddingAgreement(ref: Embedder, other: Embedder, files: string[]): Promise<{ maxDiff: number; maxAbs: number }> {
  let maxDiff = 0;
  let maxAbs = 0;
  for (const f of files) {
    const [a, af] = await ref.embed(f, ['orig', 'flip']);
    const [b, bf] = await other.embed(f, ['orig', 'flip']);
    expect(b!.length).toBe(a!.length);
    for (let i = 0; i < a!.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(a![i]! - b![i]!), Math.abs(af![i]! - bf![i]!));
      maxAbs = Math.max(maxAbs, Math.abs(a![i]!));
    }
    expect(Math.max(...a!.map((v, i) => Math.abs(v - af![i]!)))).toBeGreaterThan(1e-3);
  }
  return { maxDiff, maxAbs };
}

/**
 * The float32 embedding engine `auto` picks on this machine, found the way the product finds it
 * (resolveFeatureEngine): onnxruntime when its module loads through the product's own loader
 * (src/train/local/onnx-runtime.ts, EDGEWISE_ONNXRUNTIME included), else tfjs-node when it loads, else LiteRT.
 * onnxruntime-node is an optionalDependency, so a platform without its binary runs the suite on the fallback:
 * tests expect exactly the engine found here, and those whose subject is onnxruntime itself skip, saying why,
 * in their name (test/helpers/onnxruntime.ts). CI has onnxruntime-node (.ci/run fails when it does not load).
 */
export interface FloatEngineHere {
  /** The embedder's `backend` name: onnxruntime, tensorflow (tfjs-node) or litert. */
  backend: 'onnxruntime' | 'tensorflow' | 'litert';
  /** Why onnxruntime is not used here (its load error); undefined when it loads. */
  ortMissing?: string;
}

export async function floatEngineHere(): Promise<FloatEngineHere> {
  const ortMissing = await ortMissingHere();
  if (ortMissing === undefined) return { backend: 'onnxruntime' };
  return { backend: (await nativeTfLoads()) ? 'tensorflow' : 'litert', ortMissing };
}

