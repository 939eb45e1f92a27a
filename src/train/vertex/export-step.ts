import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../core/atomic.js';
import { UntrustedPathError } from '../../core/contained.js';
import { EdgewiseError, InputError, throwIfCancelled } from '../../core/errors.js';
import type { StepEvent } from '../../core/events.js';
import { sha256 } from '../../core/hash.js';
import type { Step, StepContext } from '../../core/step.js';
import { parseVersion } from '../../core/workspace.js';
import { downloadVerified, listFolder } from '../../cloud/gcs.js';
import { openCloudSession, parseGsUri, type CloudSession } from '../../cloud/session.js';
import { consoleUrl } from '../../cloud/settings.js';
import type { VertexSettings } from '../../config/schema.js';
import { exportModel, fetchEvaluations, getPipeline, waitForOperation } from '../../cloud/vertex.js';
import { nextModelVersion } from '../model-version.js';
import { R, readPipeline, type ExportRecord, type ModelRecord } from './resources.js';

export interface ExportInput {
  settings?: Partial<VertexSettings>;
  /** Model resource name; default: the one the journal's pipeline produced. */
  model?: string;
  /** Target version folder (vNNN); default: the next free one. */
  version?: string;
}

export interface ExportOutput {
  backend: 'vertex';
  version: string;
  model: string;
  modelDir: string;
  tflite: string;
  labelsFile: string;
  infoFile: string;
  evaluationFile: string;
  labels: string[];
  artifactOutputUri: string;
}

export interface ModelInput {
  width: number;
  height: number;
  channels: number;
  dtype: string;
  layout: 'NHWC';
  range?: [number, number];
  quantization?: { scale: number; zeroPoint: number };
  source: string;
}

/**
 * `edgewise export`: the trained model as tflite into gs://BUCKET/PREFIX/exports/vNNN/, then the files
 * the operation reports into ml/models/vNNN/ (model.tflite, labels.txt, model_info.json,
 * vertex_evaluation.json): the same layout the local backend writes. The folder appears whole or not at all.
 */
export const vertexExportStep: Step<ExportInput, ExportOutput> = {
  name: 'vertex-export',
  title: 'Export the Vertex AI model to .tflite',
  fingerprint(input, ctx) {
    const model = input.model ?? modelFromJournal(ctx);
    return model ? `${model}|${input.version ?? ''}|${ctx.config.prefix}` : undefined;
  },
  artifacts: (o) => [o.tflite, o.labelsFile, o.infoFile, o.evaluationFile],
  writes: (_input, ctx) => [ctx.workspace.stateDir, ctx.workspace.modelsDir],
  async *run(input, ctx) {
    const s = await openCloudSession(ctx.config, { ...(input.settings ? { settings: input.settings } : {}) });
    try {
      return yield* exportVertexModel(s, input, ctx);
    } finally {
      await s.close();
    }
  },
};

function modelFromJournal(ctx: StepContext): string | undefined {
  ctx.journal.reload();
  return ctx.journal.resource<ModelRecord>(R.model)?.name;
}

async function resolveModel(s: CloudSession, input: ExportInput, ctx: StepContext): Promise<string> {
  const m = input.model ?? modelFromJournal(ctx);
  if (m) return m;
  const p = readPipeline(ctx.journal);
  if (!p) throw new InputError('No trained Vertex AI model to export.', { code: 'vertex.no_model', hint: 'Train one with `edgewise train --backend vertex` (or pass --model projects/…/models/ID).' });
  const snap = await getPipeline(s, p.name, ctx.signal);
  if (snap.state === 'SUCCEEDED' && snap.modelName) {
    ctx.journal.setResource(R.model, { name: snap.modelName, pipeline: p.name, at: new Date().toISOString() });
    return snap.modelName;
  }
  throw new InputError(`The training pipeline ${p.name} is ${snap.state}, so there is no model to export yet.`, {
    code: 'vertex.not_trained',
    hint: snap.state === 'FAILED' || snap.state === 'CANCELLED' ? 'Start a new one with `edgewise train --backend vertex --force`.' : 'Wait for it with `edgewise watch`, then export.',
  });
}

export async function* exportVertexModel(s: CloudSession, input: ExportInput, ctx: StepContext): AsyncGenerator<StepEvent, ExportOutput, void> {
  const model = await resolveModel(s, input, ctx);
  const format = s.settings.exportFormat;
  const j = ctx.journal;
  if (input.version !== undefined && parseVersion(input.version) === undefined) {
    throw new InputError(`"${input.version}" is not a model version.`, { code: 'vertex.bad_version', item: input.version, hint: 'Versions look like v001, v002 …' });
  }

  // Resume an export of this model still in flight (or finished but not downloaded) instead of starting another.
  let rec = j.resource<ExportRecord>(R.export);
  // The version names the folder written (and the temp folder deleted) below: from the journal, it must be a vNNN.
  if (rec && (typeof rec.version !== 'string' || parseVersion(rec.version) === undefined)) {
    throw new UntrustedPathError('write the model into', String(rec.version), `${ctx.workspace.rel(ctx.workspace.modelsDir)}/ as a vNNN version`, ctx.workspace.rel(ctx.workspace.journalPath));
  }
  if (!(rec && rec.model === model && rec.format === format && rec.state !== 'failed' && (!input.version || rec.version === input.version) && !existsSync(ctx.workspace.modelDir(rec.version)))) rec = undefined;
  if (rec) yield { type: 'log', message: `Resuming the export of ${model} to ${rec.outputUriPrefix}` };
  else {
    const version = input.version ?? nextModelVersion(ctx.workspace.modelsDir);
    if (existsSync(ctx.workspace.modelDir(version))) {
      throw new InputError(`${ctx.workspace.rel(ctx.workspace.modelDir(version))} already exists; versions are immutable.`, { code: 'vertex.version_exists', item: version, hint: 'Omit --version to use the next free one.' });
    }
    const outputUriPrefix = s.uri(s.objectName(`exports/${version}/`));
    const operation = await exportModel(s, model, format, outputUriPrefix, ctx.signal);
    rec = { model, version, format, outputUriPrefix, operation, state: 'running', startedAt: new Date().toISOString() };
    j.setResource(R.export, rec);
    yield { type: 'status', state: 'EXPORTING', message: `${model} → ${outputUriPrefix}`, data: { operation, model, console: consoleUrl.model(model, s.project) } };
  }
  const current = rec;
  const { metadata } = yield* waitForOperation(s, current.operation, (n) => s.models.checkExportModelProgress(n) as never, {
    what: 'model export',
    signal: ctx.signal,
    onError: (err) => {
      j.setResource(R.export, { ...current, state: 'failed' });
      return new EdgewiseError(`Exporting ${model} as ${format} failed: ${err.message}`, {
        code: 'vertex.export_failed',
        item: model,
        hint: 'Only mobile model types (MOBILE_TF_*) export to tflite; check the model in the console and retry `edgewise export`.',
      });
    },
  });
  const outputInfo = (metadata?.outputInfo ?? {}) as { artifactOutputUri?: string };
  const folder = outputInfo.artifactOutputUri || current.outputUriPrefix;
  j.setResource(R.export, { ...current, state: 'done', artifactOutputUri: folder });
  yield { type: 'status', state: 'EXPORTED', message: folder };

  // List what the export wrote rather than guessing its layout.
  const { bucket, name: prefix } = parseGsUri(folder.endsWith('/') ? folder : `${folder}/`);
  const objects = await listFolder(s, bucket, prefix, ctx.signal);
  const tfliteObj = objects.find((o) => o.name.endsWith('/model.tflite')) ?? objects.find((o) => o.name.endsWith('.tflite'));
  if (!tfliteObj) {
    throw new EdgewiseError(`The export folder ${folder} holds no .tflite file (found: ${objects.map((o) => o.name.slice(prefix.length)).join(', ') || 'nothing'}).`, {
      code: 'vertex.export_empty',
      item: folder,
      hint: 'Check the export in the console; rerun `edgewise export --force`.',
    });
  }
  const labelObj = ['dict.txt', 'labels.txt'].map((n) => objects.find((o) => o.name.endsWith(`/${n}`))).find((o) => o !== undefined);
  const tflite = await downloadVerified(s, bucket, tfliteObj.name, ctx.signal);
  yield { type: 'log', message: `Downloaded ${tfliteObj.name.slice(prefix.length)} (${tflite.length} bytes, MD5 verified)` };

  const { readTfliteInfo, splitLabels } = await import('../../tflite/read-info.js');
  let info: Awaited<ReturnType<typeof readTfliteInfo>> | undefined;
  try {
    info = readTfliteInfo(tflite, tfliteObj.name);
  } catch (e) {
    yield { type: 'warning', code: 'vertex.tflite_unreadable', item: tfliteObj.name, message: `could not read the model's tensors: ${(e as Error).message}` };
  }
  let labels: string[] | undefined;
  let labelsSource = '';
  if (labelObj) {
    labels = splitLabels((await downloadVerified(s, bucket, labelObj.name, ctx.signal)).toString('utf8'));
    labelsSource = `gs://${bucket}/${labelObj.name}`;
  } else if (info?.labels?.length) {
    labels = info.labels;
    labelsSource = `tflite:${info.labelsSource ?? 'metadata'}`;
  }
  if (!labels?.length) {
    throw new EdgewiseError(`Could not find the label list of ${model}: no dict.txt/labels.txt in ${folder} and none inside the .tflite.`, {
      code: 'vertex.no_labels',
      item: folder,
      hint: 'Check the export folder in the console; the labels must be in output order.',
    });
  }
  const outputTensor = info?.tensors[info.outputs[0] ?? -1];
  const classes = outputTensor?.shape[outputTensor.shape.length - 1];
  if (classes !== undefined && classes !== labels.length) {
    throw new EdgewiseError(`The model has ${classes} outputs but ${labelsSource} lists ${labels.length} labels.`, { code: 'vertex.labels_mismatch', item: labelsSource, hint: 'Rerun the export; do not edit the label file.' });
  }
  const metaObj = objects.find((o) => o.name.endsWith('/tflite_metadata.json'));
  const inputSpec = modelInputOf(info, metaObj ? (JSON.parse((await downloadVerified(s, bucket, metaObj.name, ctx.signal)).toString('utf8')) as Record<string, unknown>) : undefined);
  if (!inputSpec) {
    throw new EdgewiseError(`Could not read the input size of ${tfliteObj.name}.`, { code: 'vertex.no_input_spec', item: tfliteObj.name, hint: 'The download may be damaged: rerun `edgewise export --force`.' });
  }

  const evaluations = await fetchEvaluations(s, model, ctx.signal);
  throwIfCancelled(ctx.signal);
  const pipeline = readPipeline(j);
  const version = current.version;
  const modelInfo = {
    backend: 'vertex' as const,
    version,
    model,
    pipeline: pipeline?.name,
    dataset: pipeline?.dataset,
    model_type: pipeline?.modelType ?? ctx.config.modelType,
    export_format: format,
    export_uri: `gs://${bucket}/${tfliteObj.name}`,
    input: inputSpec,
    labels,
    labels_source: labelsSource,
    labels_sha256: sha256(labels.join('\n')),
    tflite_sha256: sha256(tflite),
    created_at: new Date().toISOString(),
  };

  // Written into a hidden folder, then renamed: a cancelled or failed export leaves no half version.
  const finalDir = ctx.workspace.modelDir(version);
  const tmpDir = join(ctx.workspace.modelsDir, `.${version}.tmp-${process.pid}`);
  try {
    await rm(tmpDir, { recursive: true, force: true });
    await mkdir(tmpDir, { recursive: true });
    await writeFileAtomic(join(tmpDir, 'model.tflite'), tflite);
    await writeFileAtomic(join(tmpDir, 'labels.txt'), labels.join('\n') + '\n');
    await writeJsonAtomic(join(tmpDir, 'model_info.json'), modelInfo);
    await writeJsonAtomic(join(tmpDir, 'vertex_evaluation.json'), { model, fetched_at: new Date().toISOString(), evaluations });
    throwIfCancelled(ctx.signal);
    if (existsSync(finalDir)) throw new InputError(`${ctx.workspace.rel(finalDir)} appeared while exporting.`, { code: 'vertex.version_exists', item: version, hint: 'Rerun `edgewise export`.' });
    await rename(tmpDir, finalDir);
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  const rel = (p: string): string => ctx.workspace.rel(p);
  const out: ExportOutput = {
    backend: 'vertex',
    version,
    model,
    modelDir: rel(finalDir),
    tflite: rel(join(finalDir, 'model.tflite')),
    labelsFile: rel(join(finalDir, 'labels.txt')),
    infoFile: rel(join(finalDir, 'model_info.json')),
    evaluationFile: rel(join(finalDir, 'vertex_evaluation.json')),
    labels,
    artifactOutputUri: folder,
  };
  for (const p of [out.tflite, out.labelsFile, out.infoFile, out.evaluationFile]) yield { type: 'artifact', path: p };
  return out;
}

type TfliteInfo = import('../../tflite/read-info.js').TfliteInfo;

/** Input size and type: from the .tflite's input tensor, else the export's tflite_metadata.json. */
export function modelInputOf(info: TfliteInfo | undefined, meta: Record<string, unknown> | undefined): ModelInput | undefined {
  const t = info?.tensors[info.inputs[0] ?? -1];
  if (t && t.shape.length === 4) {
    const [, h, w, c] = t.shape as [number, number, number, number];
    const q = t.quantization && t.quantization.scale.length === 1 ? { scale: t.quantization.scale[0]!, zeroPoint: t.quantization.zeroPoint[0] ?? 0 } : undefined;
    return { width: w, height: h, channels: c, dtype: t.type, layout: 'NHWC', ...(t.type === 'uint8' ? { range: [0, 255] as [number, number] } : {}), ...(q ? { quantization: q } : {}), source: 'tflite' };
  }
  const shape = meta?.inputShape;
  if (Array.isArray(shape) && shape.length === 4) {
    const [, h, w, c] = shape.map(Number) as [number, number, number, number];
    const dtype = typeof meta?.inputType === 'string' ? meta.inputType : 'uint8';
    return { width: w, height: h, channels: c, dtype, layout: 'NHWC', ...(dtype === 'uint8' ? { range: [0, 255] as [number, number] } : {}), source: 'tflite_metadata.json' };
  }
  return undefined;
}
