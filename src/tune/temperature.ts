/**
 * Temperature scaling on probabilities: p^(1/T) renormalised, i.e. softmax(log p / T). Done in log space
 * so small probabilities and large 1/T do not underflow to an all-zero row.
 */
export function applyTemperature(probs: ArrayLike<number>, temperature: number, out: Float64Array = new Float64Array(probs.length)): Float64Array {
  const k = probs.length;
  if (temperature === 1) {
    // No temperature: use the model's own numbers, as the app will (renormalising would move them by ulps
    // and could flip a decision that sits exactly on a threshold).
    for (let i = 0; i < k; i++) out[i] = probs[i]!;
    return out;
  }
  // Divide (not multiply by 1/T) and clip at 0 exactly as src/evaluate does, so both agree to the last bit.
  let max = -Infinity;
  for (let i = 0; i < k; i++) {
    const l = Math.log(Math.max(0, probs[i]!)) / temperature;
    out[i] = l;
    if (l > max) max = l;
  }
  if (max === -Infinity) {
    out.fill(1 / k);
    return out;
  }
  let sum = 0;
  for (let i = 0; i < k; i++) {
    const e = Math.exp(out[i]! - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < k; i++) out[i] = out[i]! / sum;
  return out;
}

/** Top-1 index (first on ties), its probability and the runner-up probability. */
export function topTwo(p: ArrayLike<number>): { pred: number; p1: number; p2: number } {
  let pred = 0;
  let p1 = -Infinity;
  let p2 = -Infinity;
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (v > p1) {
      p2 = p1;
      p1 = v;
      pred = i;
    } else if (v > p2) {
      p2 = v;
    }
  }
  if (p2 === -Infinity) p2 = 0;
  return { pred, p1, p2 };
}
