import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleTemps, writeJsonAtomic } from '../core/atomic.js';
import type { Workspace } from '../core/workspace.js';
import { MANIFEST, artifactsDir, inspectPublic, manifestHash, materialize, publicModelFile, removeStagedPublic, removeStaleStaging, renameDir, type Manifest } from './artifacts.js';
import type { RegistryStore } from './store.js';

/**
 * The publish/rollback intent journal (.edgewise/registry-pending.json). It is written before the
 * registry transaction and removed after public/models is updated, so after a crash the next command
 * knows an operation was in flight. The registry commit is the decision point:
 *  - not committed: remove what was staged; public/models was never touched (old version in place);
 *  - committed: finish the job from the stored artifacts (new version in place).
 */
export type PendingOp =
  | { op: 'publish'; version: string; staging: string; content_sha256?: string; started_at: string; pid: number; public_model_created?: boolean }
  | { op: 'activate'; version: string; started_at: string; pid: number };

export function pendingPath(ws: Workspace): string {
  return join(ws.stateDir, 'registry-pending.json');
}
export function lockPath(ws: Workspace): string {
  return join(ws.stateDir, 'registry.lock');
}

export function readPending(ws: Workspace): PendingOp | undefined {
  const p = pendingPath(ws);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as PendingOp;
  } catch {
    // Written atomically, so unreadable means edited by hand: treat as "something was in flight".
    return { op: 'activate', version: '', started_at: '', pid: 0 };
  }
}

export async function writePending(ws: Workspace, op: PendingOp): Promise<void> {
  await writeJsonAtomic(pendingPath(ws), op);
}

export async function clearPending(ws: Workspace): Promise<void> {
  await rm(pendingPath(ws), { force: true });
}

function manifestHashOf(dir: string): string | undefined {
  try {
    return manifestHash((JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest).files);
  } catch {
    return undefined;
  }
}

export interface RecoveryReport {
  /** What happened, for a log line; undefined when nothing was pending. */
  message?: string;
}

/** Temp files of atomic writes killed half-way (the journal's own, public/models'): only dead writers' files. */
export async function removeStaleRegistryTemps(ws: Workspace): Promise<void> {
  await removeStaleTemps(ws.stateDir);
  await removeStaleTemps(ws.publicModelsDir);
}

/** Call with the workspace lock held, before any new operation. Idempotent: safe to crash in it too. */
export async function recoverPending(ws: Workspace, store: RegistryStore): Promise<RecoveryReport> {
  await removeStaleRegistryTemps(ws);
  const pending = readPending(ws);
  if (!pending) {
    await removeStaleStaging(ws);
    await removeStagedPublic(ws);
    return {};
  }
  let message: string;
  if (pending.op === 'publish') {
    const row = await store.get(pending.version);
    const committed = pending.content_sha256 !== undefined && row !== undefined && row.content_sha256 === pending.content_sha256;
    const final = artifactsDir(ws, pending.version);
    if (committed) {
      if (!existsSync(final) && existsSync(pending.staging)) await renameDir(pending.staging, final);
      message = `An interrupted publish of ${pending.version} had been committed to the registry; finished putting its files in place.`;
    } else {
      await rm(pending.staging, { recursive: true, force: true });
      if (pending.content_sha256 !== undefined && existsSync(final) && manifestHashOf(final) === pending.content_sha256) await rm(final, { recursive: true, force: true });
      // The public model file staged before the commit has a name no version owns yet.
      if (pending.public_model_created) await rm(publicModelFile(ws, pending.version), { force: true });
      message = `An interrupted publish of ${pending.version} never reached the registry; removed its staged files (nothing changed).`;
    }
  } else {
    message = `An interrupted rollback/activation was found; public/models now matches the registry's active version.`;
  }
  await removeStaleStaging(ws);
  await removeStagedPublic(ws);
  // Whatever the registry says is active is what public/models must serve.
  const active = await store.active();
  if (active !== undefined) {
    const row = await store.get(active);
    const pub = await inspectPublic(ws);
    if (row && (pub.version !== active || pub.problems.length > 0 || pub.modelJson?.tflite_sha256 !== row.tflite_sha256)) await materialize(ws, row);
  }
  await clearPending(ws);
  return { message };
}
