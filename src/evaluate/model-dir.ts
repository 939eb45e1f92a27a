import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import type { Workspace } from '../core/workspace.js';
import { parseVersion } from '../core/workspace.js';

export interface ModelLocation {
  version: string;
  dir: string;
  tflite: string;
  labels: string;
  /** vertex_evaluation.json, when the model came from Vertex. */
  vertexEvaluation?: string;
}

/** Versions in ml/models that hold a model.tflite, oldest first. */
export function listModelVersions(ws: Workspace): string[] {
  if (!existsSync(ws.modelsDir)) return [];
  return readdirSync(ws.modelsDir)
    .filter((name) => parseVersion(name) !== undefined && existsSync(join(ws.modelsDir, name, 'model.tflite')))
    .sort((a, b) => parseVersion(a)! - parseVersion(b)!);
}

/**
 * The model to evaluate: `--model DIR` (a vNNN folder), else `version`, else the latest vNNN in ml/models.
 */
export function resolveModel(ws: Workspace, input: { version?: string; model?: string }): ModelLocation {
  let dir: string;
  if (input.model) {
    dir = resolve(ws.root, input.model);
    if (existsSync(dir) && statSync(dir).isFile()) dir = resolve(dir, '..');
  } else if (input.version) {
    if (parseVersion(input.version) === undefined) {
      throw new InputError(`"${input.version}" is not a model version.`, { item: input.version, hint: 'Versions look like v001, v002 …', code: 'eval.bad_version' });
    }
    dir = ws.modelDir(input.version);
  } else {
    const versions = listModelVersions(ws);
    const latest = versions[versions.length - 1];
    if (!latest) {
      throw new InputError(`No model to evaluate: ${ws.rel(ws.modelsDir)} has no vNNN folder with a model.tflite.`, {
        item: ws.rel(ws.modelsDir),
        code: 'eval.no_model',
        hint: 'Train one first (`edgewise train`, or `edgewise export` for Vertex), or pass --model ml/models/vNNN.',
      });
    }
    dir = ws.modelDir(latest);
  }
  const version = basename(dir);
  if (parseVersion(version) === undefined) {
    throw new InputError(`The model folder ${ws.rel(dir)} is not named like a version (v001, v002 …).`, {
      item: ws.rel(dir),
      code: 'eval.bad_model_dir',
      hint: 'Pass a folder such as ml/models/v001: the metrics are named after it.',
    });
  }
  const tflite = join(dir, 'model.tflite');
  if (!existsSync(tflite)) {
    throw new InputError(`${ws.rel(tflite)} does not exist.`, { item: ws.rel(tflite), code: 'eval.no_tflite', hint: 'Train or export the model first, or pass --model with a folder that holds model.tflite.' });
  }
  const labels = join(dir, 'labels.txt');
  if (!existsSync(labels)) {
    throw new InputError(`${ws.rel(labels)} does not exist: the model's labels are needed to score it.`, {
      item: ws.rel(labels),
      code: 'eval.no_labels',
      hint: 'Write the labels in model output order, one per line, beside model.tflite (training and export do this).',
    });
  }
  const vertex = join(dir, 'vertex_evaluation.json');
  return { version, dir, tflite, labels, ...(existsSync(vertex) ? { vertexEvaluation: vertex } : {}) };
}

/** labels.txt: one label per line in model output order; blank trailing lines ignored; no duplicates. */
export function parseLabels(text: string, path: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim());
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new InputError(`${path} is empty.`, { item: path, code: 'eval.empty_labels', hint: 'It must list the model labels in output order, one per line.' });
  const seen = new Map<string, number>();
  lines.forEach((l, i) => {
    if (l === '') throw new InputError(`${path}:${i + 1}: empty label.`, { item: `${path}:${i + 1}`, code: 'eval.bad_labels', hint: 'Every line up to the last must hold a label.' });
    const prev = seen.get(l);
    if (prev !== undefined) throw new InputError(`${path}:${i + 1}: label "${l}" already appears on line ${prev}.`, { item: `${path}:${i + 1}`, code: 'eval.bad_labels', hint: 'Each label must appear once, in model output order.' });
    seen.set(l, i + 1);
  });
  return lines;
}

export async function readLabels(path: string): Promise<string[]> {
  return parseLabels(await readFile(path, 'utf8'), path);
}
