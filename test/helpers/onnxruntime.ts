import { loadOrt } from '../../src/train/local/onnx-runtime.js';

/**
 * Why onnxruntime does not load here, through the product's own loader (src/train/local/onnx-runtime.ts,
 * EDGEWISE_ONNXRUNTIME included); undefined when it loads. onnxruntime-node is an optionalDependency: a
 * platform without its binary runs the suite without it, so tests whose subject is onnxruntime itself skip
 * there, naming why (ortSkipReason), and every other test expects the engine the product falls back to
 * (test/train/embedding-helpers.ts floatEngineHere). CI has it: .ci/run fails when it does not load.
 */
export function ortMissingHere(): Promise<string | undefined> {
  return loadOrt().then(
    () => undefined,
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
}

/** Appended to the name of a test about onnxruntime itself: empty where it loads, else why it is skipped. */
export function ortSkipReason(here: { ortMissing?: string | undefined }): string {
  return here.ortMissing === undefined ? '' : ` [skipped: onnxruntime does not load here: ${here.ortMissing}; CI has it]`;
}
