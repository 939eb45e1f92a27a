import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyFileAtomic, writeFileAtomic } from '../core/atomic.js';
import { fsErrorDetails } from '../core/fs-errors.js';
import { formatBytes } from '../core/progress.js';
import { EdgewiseError, throwIfCancelled } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import { sha256File, stableStringify } from '../core/hash.js';
import type { Step } from '../core/step.js';
import type { Workspace } from '../core/workspace.js';
import {
  LABEL_MAP, MODEL_FILE, MODEL_JSON, artifactsDir, artifactsRoot, inspectPublic, labelMapJson, materialize, missingSpace, publicModelFile, publicUrl, registryWrites, removeStagedPublic, renameDir, stageArtifacts,
  stagedPublicFile, stagingDir,
} from './artifacts.js';
import { crashPoint } from './crash.js';
import { publishedMetrics, publishedTemperature, readPublishInputs, type PublishInputs } from './inputs.js';
import { clearPending, writePending } from './pending.js';
import { currentActor, withRegistry } from './session.js';
import { nextVersionAfter } from './rows.js';
import { streamEvents } from '../core/event-queue.js';
import type { ModelJson, NewVersion, VersionRow } from './types.js';

export interface PublishOptions {
  /** Run id (model folder name) or folder; default the newest run. */
  model?: string;
  forceUnevaluated?: boolean;
  /** Which of the run's model files ships (model_info.json `variants`); default: the evaluation's pick. */
  variant?: string;
  signal?: AbortSignal;
  actor?: string;
}

export interface PublishResult {
  /**
   * published: a new version; already-published: this content is the active version; reactivated: an
   * older version holds exactly this content (e.g. thresholds tuned back to v001's) and is active again.
   */
  status: 'published' | 'already-published' | 'reactivated';
  version: string;
  /** The training run it came from (ml/models/<run>): not necessarily equal to `version`. */
  run: string;
  previous: string | undefined;
  active: string | undefined;
  evaluated: boolean;
  modelJson?: ModelJson;
  recovered?: string;
}

function thresholdsOf(inp: PublishInputs): { tau: number; margin: number; temperature: number } {
  // Forced without tuning: accept every prediction (tau 0, margin 0) and say so with evaluated: false.
  return { tau: inp.thresholds?.tau ?? 0, margin: inp.thresholds?.margin ?? 0, temperature: publishedTemperature(inp) };
}

/**
 * Warnings when the new version would answer worse than the live one (headless publishes have no
 * old-vs-new table to look at): lower top-1 or selective accuracy. Publishing still goes ahead.
 */
function worseThanActive(activeRow: VersionRow | undefined, inp: PublishInputs): StepEvent[] {
  if (!activeRow?.metrics) return [];
  const now = publishedMetrics(inp);
  const out: StepEvent[] = [];
  for (const key of ['top1', 'selective_accuracy'] as const) {
    const before = activeRow.metrics[key];
    const after = now[key];
    if (typeof before === 'number' && typeof after === 'number' && after < before - 1e-9) {
      out.push({
        type: 'warning',
        code: 'publish.worse_than_active',
        item: activeRow.version,
        message: `${key} ${after.toFixed(3)} is lower than the live ${activeRow.version}'s ${before.toFixed(3)}; \`edgewise rollback\` returns to it.`,
      });
    }
  }
  return out;
}

/** Publishing the same model, labels, metrics and thresholds again finds the existing version. */
export function sameContent(row: VersionRow, inp: PublishInputs): boolean {
  return (
    row.tflite_sha256 === inp.tfliteSha256 &&
    row.labels_sha256 === inp.labelsSha256 &&
    row.unevaluated === !inp.evaluated &&
    stableStringify(row.thresholds) === stableStringify(thresholdsOf(inp)) &&
    stableStringify(row.metrics) === stableStringify(publishedMetrics(inp))
  );
}

export function buildModelJson(ws: Workspace, version: string, inp: PublishInputs, createdAt: string): ModelJson {
  const t = thresholdsOf(inp);
  return {
    version,
    tflite_url: publicUrl(ws, `local_model_${version}.tflite`),
    tflite_sha256: inp.tfliteSha256,
    labels_url: publicUrl(ws, LABEL_MAP),
    labels_sha256: inp.labelsSha256,
    input: inp.variant.input,
    quantization: inp.variant.quantization,
    model_variant: inp.variant.name,
    thresholds: { tau: t.tau, margin: t.margin },
    temperature: t.temperature,
    metrics: publishedMetrics(inp),
    created_at: createdAt,
    source_run: inp.run,
    backend: inp.modelInfo.backend ?? null,
    evaluated: inp.evaluated,
  };
}

/**
 * A registry shared by two checkouts (one PostgreSQL database): the second checkout publishing the same
 * content finds the version already active, but its own public/models may hold nothing (or an older
 * version). Writes the active version's public files there from this run, which has the same model, labels,
 * metrics and thresholds (sameContent), with the registry row's version, date and source run, so model.json
 * matches the first checkout's. The registry is not touched. Returns the paths written (none when this
 * checkout already serves that version intact).
 */
async function materializeActiveHere(ws: Workspace, row: VersionRow, inp: PublishInputs): Promise<string[]> {
  const state = await inspectPublic(ws);
  if (state.version === row.version && state.problems.length === 0) return [];
  const modelJson = buildModelJson(ws, row.version, { ...inp, run: row.source_run ?? inp.run }, row.created_at ?? new Date().toISOString());
  const model = publicModelFile(ws, row.version);
  const labelMap = join(ws.publicModelsDir, LABEL_MAP);
  const json = join(ws.publicModelsDir, MODEL_JSON);
  if (!existsSync(model) || (await sha256File(model)) !== row.tflite_sha256) await copyFileAtomic(inp.tflitePath, model);
  await writeFileAtomic(labelMap, labelMapJson(inp.labels));
  // model.json last: it is what the app reads first.
  await writeFileAtomic(json, JSON.stringify(modelJson, null, 2) + '\n');
  return [model, labelMap, json];
}

/**
 * Publishes one evaluated model. Order (see pending.ts for recovery):
 *   1. under the workspace lock, finish or undo any interrupted operation;
 *   2. write the intent journal; stage every artifact (model, labels, label map, model.json, metrics,
 *      thresholds) in a hidden folder; record its content hash in the journal; rename it to artifacts/vNNN;
 *   4. ONE registry transaction: row + publish/activate events + active pointer (the commit point);
 *   5. update public/models from the artifacts, model.json last; 6. remove the intent journal.
 * A kill before 4 leaves the old version (recovery deletes the staged files); after 4, the next command
 * finishes 5 from the stored artifacts.
 */
export async function publish(ws: Workspace, opts: PublishOptions, emit: (e: StepEvent) => void = () => {}): Promise<PublishResult> {
  const actor = opts.actor ?? currentActor();
  const out = await publishOnce(ws, opts, actor, emit);
  if (out.status !== 'already-published' || out.version === out.active) return out;
  // Versions are immutable, so the same content is not published twice: the version that has it goes
  // live again, the way `rollback --to` does it (its own lock, artifact checks and journal).
  const { rollback } = await import('./rollback.js');
  emit({ type: 'log', message: `${out.version} already holds exactly this model, labels, metrics and thresholds: making it active again.` });
  const r = await rollback(ws, { to: out.version, actor, ...(opts.signal ? { signal: opts.signal } : {}) }, emit);
  return { ...out, status: r.status === 'rolled-back' ? 'reactivated' : 'already-published', previous: r.from, active: r.version };
}

async function publishOnce(ws: Workspace, opts: PublishOptions, actor: string, emit: (e: StepEvent) => void): Promise<PublishResult> {
  return withRegistry(ws, async ({ store, recovered }) => {
    if (recovered) emit({ type: 'warning', code: 'registry.recovered', message: recovered });
    crashPoint('publish.locked');
    const inp = await readPublishInputs(ws, { ...(opts.model !== undefined ? { model: opts.model } : {}), ...(opts.variant !== undefined ? { variant: opts.variant } : {}), forceUnevaluated: Boolean(opts.forceUnevaluated) });
    if (inp.variant.chosenBy !== 'only') emit({ type: 'log', message: `Shipping the ${inp.variant.name} model file (${inp.variant.file}; ${inp.variant.chosenBy === 'option' ? 'as asked' : "evaluation's default: the smallest within 1 point of float32's top-1"}).` });
    if (!inp.evaluated) emit({ type: 'warning', code: 'publish.unevaluated', item: inp.run, message: `Publishing ${inp.run} without ${inp.metrics ? 'tuned thresholds' : 'an evaluation'} (--force-unevaluated): recorded in the registry.` });
    throwIfCancelled(opts.signal);
    const rows = await store.list();
    const active = await store.active();
    const same = rows.find((r) => sameContent(r, inp));
    if (!same) for (const w of worseThanActive(rows.find((r) => r.version === active), inp)) emit(w);
    if (same) {
      const wrote = same.version === active ? await materializeActiveHere(ws, same, inp) : [];
      emit({ type: 'log', message: `${inp.run} is already published as ${same.version}${same.version === active ? ' (active)' : ''}${wrote.length ? '' : ': nothing to do'}.` });
      for (const p of wrote) emit({ type: 'artifact', path: ws.rel(p), kind: p.endsWith('.tflite') ? 'model' : p.endsWith(MODEL_JSON) ? 'model.json' : 'labels', description: `${same.version}, active (this checkout had no copy)` });
      return { status: 'already-published', version: same.version, run: inp.run, previous: active, active, evaluated: !same.unevaluated, ...(recovered ? { recovered } : {}) };
    }
    const version = nextVersionAfter(rows.map((r) => r.version));
    const final = artifactsDir(ws, version);
    if (existsSync(final)) {
      throw new EdgewiseError(`${ws.rel(final)} already exists but the registry (${store.location}) has no ${version}: it holds another registry's version.`, {
        code: 'publish.version_exists', item: ws.rel(final),
        hint: 'Point --registry at the database that published it, or move that folder away if it is garbage.',
      });
    }
    const pubFile = publicModelFile(ws, version);
    if (existsSync(pubFile) && (await sha256File(pubFile)) !== inp.tfliteSha256) {
      throw new EdgewiseError(`${ws.rel(pubFile)} already exists with different content (published by hand?); versions are immutable, so publish will not overwrite it.`, {
        code: 'publish.version_exists', item: ws.rel(pubFile),
        hint: `Register it (the seed's INSERT) or move it away, then publish again.`,
      });
    }

    const createdAt = new Date().toISOString();
    const modelJson = buildModelJson(ws, version, inp, createdAt);
    const modelJsonText = JSON.stringify(modelJson, null, 2) + '\n';
    const labelMapText = labelMapJson(inp.labels);
    const kept = `nothing was published: ${active ? `${active} is still active and public/models still serves it` : 'the registry and public/models are unchanged'}`;
    // Every byte is written before the registry commit; check there is room for all of it first.
    const inputBytes = [inp.tflitePath, inp.labelsPath, inp.modelInfoPath, ...(inp.metrics ? [inp.metricsPath] : []), ...(inp.thresholds ? [inp.thresholdsPath] : [])]
      .reduce((n, f) => n + statSync(f).size, 0);
    const small = Buffer.byteLength(modelJsonText) + Buffer.byteLength(labelMapText);
    const artifactBytes = inputBytes + small + 4096;
    const publicBytes = (existsSync(pubFile) ? 0 : statSync(inp.tflitePath).size) + small;
    for (const [dir, bytes] of [[artifactsRoot(ws), artifactBytes], [ws.publicModelsDir, publicBytes]] as const) {
      const short = await missingSpace(dir, bytes);
      if (short) {
        throw new EdgewiseError(`Disk full: publishing ${version} needs ${formatBytes(short.needed)} on the disk holding ${ws.rel(short.dir) || '.'}, ${formatBytes(short.available)} free; ${kept}.`, {
          code: 'publish.disk_full', item: ws.rel(short.dir) || '.',
          hint: 'Free some space on that disk, then run edgewise publish again.',
        });
      }
    }
    const staging = stagingDir(ws, randomBytes(6).toString('hex'));
    const createsPublicModel = !existsSync(pubFile);
    emit({ type: 'log', message: `Publishing run ${inp.run} as ${version}${active ? ` (replacing ${active})` : ''}.` });
    // The journal names the staging folder before it exists, so a kill while staging leaves nothing unowned.
    await writePending(ws, { op: 'publish', version, staging, started_at: createdAt, pid: process.pid, public_model_created: createsPublicModel });
    crashPoint('publish.journal-opened');
    let content: string;
    try {
      content = await stageArtifacts(staging, version, [
        { name: MODEL_FILE, from: inp.tflitePath },
        { name: 'labels.txt', from: inp.labelsPath },
        { name: LABEL_MAP, data: labelMapText },
        { name: MODEL_JSON, data: modelJsonText },
        { name: 'model_info.json', from: inp.modelInfoPath },
        ...(inp.metrics ? [{ name: 'metrics.json', from: inp.metricsPath }] : []),
        ...(inp.thresholds ? [{ name: 'thresholds.json', from: inp.thresholdsPath }] : []),
      ]);
      crashPoint('publish.staged');
      // The public files too, before the commit: the model under its new version name (no one reads it
      // yet), label_map.json and model.json beside their targets, renamed over them after the commit.
      if (createsPublicModel) await copyFileAtomic(inp.tflitePath, pubFile);
      await writeFileAtomic(stagedPublicFile(ws, version, LABEL_MAP), labelMapText);
      await writeFileAtomic(stagedPublicFile(ws, version, MODEL_JSON), modelJsonText);
      crashPoint('publish.public-staged');
      throwIfCancelled(opts.signal);
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      if (createsPublicModel) await rm(pubFile, { force: true });
      await removeStagedPublic(ws);
      await clearPending(ws);
      throw diskFull(e, `Disk full while staging ${version}: ${kept}.`) ?? e;
    }

    const row: NewVersion = {
      version, tflite_url: modelJson.tflite_url, labels_sha256: inp.labelsSha256, metrics: { ...modelJson.metrics },
      tflite_sha256: inp.tfliteSha256, thresholds: thresholdsOf(inp), created_at: createdAt, published_by: actor,
      source_run: inp.run, unevaluated: !inp.evaluated, content_sha256: content,
    };
    await writePending(ws, { op: 'publish', version, staging, content_sha256: content, started_at: createdAt, pid: process.pid, public_model_created: createsPublicModel });
    crashPoint('publish.journal-written');
    try {
      await renameDir(staging, final);
      crashPoint('publish.artifacts-renamed');
      throwIfCancelled(opts.signal);
      await store.insertAndActivate(row, actor, { run: inp.run, forced_unevaluated: !inp.evaluated, tflite_sha256: inp.tfliteSha256 });
    } catch (e) {
      let committed: boolean;
      try {
        committed = (await store.get(version))?.content_sha256 === content;
      } catch {
        // Cannot tell (connection lost at COMMIT): leave the journal; the next command decides.
        throw e;
      }
      if (!committed) {
        await rm(staging, { recursive: true, force: true });
        await rm(final, { recursive: true, force: true });
        if (createsPublicModel) await rm(pubFile, { force: true });
        await removeStagedPublic(ws);
        await clearPending(ws);
        throw diskFull(e, `Disk full before ${version} reached the registry: ${kept}.`) ?? e;
      }
    }
    crashPoint('publish.committed');
    // Renames only (no new bytes), model.json last: it is what the app reads first.
    await rename(stagedPublicFile(ws, version, LABEL_MAP), join(ws.publicModelsDir, LABEL_MAP));
    crashPoint('publish.label-map-renamed');
    await rename(stagedPublicFile(ws, version, MODEL_JSON), join(ws.publicModelsDir, MODEL_JSON));
    // "wrote" only now that every file is in place (each was fsynced before the commit).
    emit({ type: 'artifact', path: ws.rel(pubFile), kind: 'model' });
    emit({ type: 'artifact', path: ws.rel(`${ws.publicModelsDir}/${LABEL_MAP}`), kind: 'labels' });
    emit({ type: 'artifact', path: ws.rel(`${ws.publicModelsDir}/${MODEL_JSON}`), kind: 'model.json', description: `${version}, active` });
    crashPoint('publish.before-journal-clear');
    await clearPending(ws);
    return { status: 'published', version, run: inp.run, previous: active, active: version, evaluated: inp.evaluated, modelJson, ...(recovered ? { recovered } : {}) };
  }, opts.signal ? { signal: opts.signal } : {});
}

/** A full disk as a named error that says what was kept; undefined for any other failure. */
function diskFull(e: unknown, message: string): EdgewiseError | undefined {
  if (fsErrorDetails(e)?.code !== 'fs.disk_full') return undefined;
  return new EdgewiseError(message, { code: 'publish.disk_full', hint: 'Free some space on the disk, then run edgewise publish again.', cause: e });
}

export interface PublishStepInput {
  model?: string;
  forceUnevaluated?: boolean;
  variant?: string;
}

/** Always runs (no fingerprint): publishing the same content again is answered by the registry itself. */
export const publishStep: Step<PublishStepInput, PublishResult> = {
  name: 'publish',
  title: 'Publish',
  writes: (_input, ctx) => registryWrites(ctx.workspace),
  run(input, ctx) {
    return streamEvents(async (emit) => {
      const out = await publish(ctx.workspace, { ...input, signal: ctx.signal }, emit);
      // Recorded for the wizard's home status only: with no fingerprint, runStep never skips publish.
      const ws = ctx.workspace;
      ctx.journal.recordStep('publish', {
        inputsHash: `${out.version}:${out.modelJson?.tflite_sha256 ?? out.status}`,
        finishedAt: new Date().toISOString(),
        output: out,
        artifacts: [ws.rel(`${ws.publicModelsDir}/${MODEL_JSON}`), ws.rel(publicModelFile(ws, out.version))],
      });
      return out;
    });
  },
};
