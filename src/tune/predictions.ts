import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import { parseVersion } from '../core/workspace.js';
import { applyTemperature, topTwo } from './temperature.js';
import type { ScoredNegatives, ScoredPredictions } from './types.js';
import type { PredictionsFile, SplitPredictions } from '../evaluate/types.js';

export type SplitName = 'test' | 'validation';

// The file's shape is owned by the step that writes it (`edgewise eval`).
export type { PredictionsFile, SplitPredictions } from '../evaluate/types.js';

export interface LoadedPredictions {
  path: string;
  version: string;
  labels: string[];
  temperature: number;
  /**
   * After temperature. Images whose label the model does not have (truth -1) are left out, as `edgewise
   * eval` leaves them out of its metrics; `unscored` counts them.
   */
  splits: Record<SplitName, ScoredPredictions & { images: string[]; unscored: number }>;
}

const FILE_RE = /^predictions_(v\d{3,})\.json$/;

/** The newest `predictions_vNNN.json` in the metrics folder (or the one for `version`). */
export function findPredictions(metricsDir: string, version?: string): { path: string; version: string } {
  if (version !== undefined) {
    if (parseVersion(version) === undefined) {
      throw new InputError(`"${version}" is not a model version.`, { item: '--model', hint: 'Pass a version like v001 (see the folders in ml/models/).' });
    }
    const path = join(metricsDir, `predictions_${version}.json`);
    if (!existsSync(path)) {
      throw new InputError(`No predictions for ${version}: ${path} does not exist.`, { item: path, hint: `Run \`edgewise eval --model ${version}\` first.` });
    }
    return { path, version };
  }
  const found = existsSync(metricsDir)
    ? readdirSync(metricsDir)
        .map((f) => FILE_RE.exec(f))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ version: m[1]!, n: parseVersion(m[1]!) ?? -1 }))
        .sort((a, b) => b.n - a.n)
    : [];
  const latest = found[0];
  if (!latest) {
    throw new InputError(`No predictions found in ${metricsDir}.`, { item: metricsDir, hint: 'Run `edgewise eval` first: it writes ml/metrics/predictions_vNNN.json.' });
  }
  return { path: join(metricsDir, `predictions_${latest.version}.json`), version: latest.version };
}

function bad(path: string, where: string, what: string): InputError {
  return new InputError(`${path}: ${where} ${what}.`, {
    item: `${path} (${where})`,
    code: 'tune.bad_predictions',
    hint: 'The file is written by `edgewise eval`; run it again to regenerate it.',
  });
}

/** Checks the shape of a predictions file and returns it typed; every problem names the field and index. */
export function parsePredictions(raw: unknown, path: string): PredictionsFile {
  if (typeof raw !== 'object' || raw === null) throw bad(path, 'the top level', 'is not a JSON object');
  const o = raw as Record<string, unknown>;
  if (typeof o.version !== 'string') throw bad(path, '"version"', 'is missing or not a string');
  // It names the thresholds file tune writes: a vNNN, never a path.
  if (parseVersion(o.version) === undefined) throw bad(path, '"version"', `is ${JSON.stringify(o.version)}, not a version like v001`);
  if (!Array.isArray(o.labels) || o.labels.length < 2 || !o.labels.every((l) => typeof l === 'string')) {
    throw bad(path, '"labels"', 'must be a list of at least two label strings');
  }
  const labels = o.labels as string[];
  const t = o.temperature ?? 1;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) throw bad(path, '"temperature"', `must be a positive number (found ${JSON.stringify(t)})`);
  const split = (name: SplitName): SplitPredictions => {
    const s = o[name] ?? { images: [], truth: [], probs: [] };
    if (typeof s !== 'object' || s === null) throw bad(path, `"${name}"`, 'is not an object');
    const { images, truth, probs } = s as Record<string, unknown>;
    if (!Array.isArray(images) || !Array.isArray(truth) || !Array.isArray(probs)) throw bad(path, `"${name}"`, 'needs "images", "truth" and "probs" lists');
    if (truth.length !== images.length || probs.length !== images.length) {
      throw bad(path, `"${name}"`, `has ${images.length} images, ${truth.length} truth entries and ${probs.length} probability rows; they must match`);
    }
    for (let i = 0; i < probs.length; i++) {
      const tv = truth[i];
      if (!Number.isInteger(tv) || (tv as number) < -1 || (tv as number) >= labels.length) {
        throw bad(path, `${name}.truth[${i}]`, `is ${JSON.stringify(tv)}; it must be a label index 0..${labels.length - 1} or -1`);
      }
      const row = probs[i];
      if (!Array.isArray(row) || row.length !== labels.length) {
        throw bad(path, `${name}.probs[${i}]`, `must have one probability per label (${labels.length})`);
      }
      for (let j = 0; j < row.length; j++) {
        const v = row[j];
        if (typeof v !== 'number' || !Number.isFinite(v) || v < -1e-6) throw bad(path, `${name}.probs[${i}][${j}]`, `is ${JSON.stringify(v)}; probabilities must be finite and >= 0`);
        // Rounding noise from dequantisation or a softmax (-1e-17): treat as zero.
        if (v < 0) row[j] = 0;
      }
    }
    return { images: images.map(String), truth: truth as number[], probs: probs as number[][] };
  };
  return { version: o.version, labels, temperature: t, test: split('test'), validation: split('validation') };
}

/** Probability rows → top-1 index and the top two probabilities, after temperature. */
export function scoreRows(probs: readonly (readonly number[])[], truth: readonly number[], temperature: number): ScoredPredictions {
  const n = probs.length;
  const out: ScoredPredictions = { pred: new Int32Array(n), truth: new Int32Array(n), p1: new Float64Array(n), p2: new Float64Array(n) };
  let buf = new Float64Array(0);
  for (let i = 0; i < n; i++) {
    const row = probs[i]!;
    if (buf.length !== row.length) buf = new Float64Array(row.length);
    const { pred, p1, p2 } = topTwo(applyTemperature(row, temperature, buf));
    out.pred[i] = pred;
    out.truth[i] = truth[i]!;
    out.p1[i] = p1;
    out.p2[i] = p2;
  }
  return out;
}

export function scoreNegatives(probs: readonly (readonly number[])[], temperature: number): ScoredNegatives {
  const s = scoreRows(probs, new Array<number>(probs.length).fill(-1), temperature);
  return { p1: s.p1, p2: s.p2 };
}

export function loadPredictions(path: string): LoadedPredictions {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`${path} is not valid JSON.`, { item: path, hint: 'Run `edgewise eval` again to regenerate it.', cause: e });
  }
  return { path, ...scorePredictions(parsePredictions(raw, path)) };
}

/** A predictions file scored as tuning sees it: after temperature, images of unknown labels left out. */
export function scorePredictions(f: PredictionsFile): Omit<LoadedPredictions, 'path'> {
  const scored = (s: SplitPredictions) => {
    const keep = s.truth.map((t, i) => (t >= 0 ? i : -1)).filter((i) => i >= 0);
    return {
      ...scoreRows(
        keep.map((i) => s.probs[i]!),
        keep.map((i) => s.truth[i]!),
        f.temperature,
      ),
      images: keep.map((i) => s.images[i]!),
      unscored: s.truth.length - keep.length,
    };
  };
  return { version: f.version, labels: f.labels, temperature: f.temperature, splits: { test: scored(f.test), validation: scored(f.validation) } };
}
