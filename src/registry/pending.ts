import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { removeStaleTemps, writeJsonAtomic } from '../core/atomic.js';
import { UntrustedPathError, confinedPath } from '../core/contained.js';
import { parseVersion, type Workspace } from '../core/workspace.js';
import { MANIFEST, artifactsDir, artifactsRoot, inspectPublic, manifestHash, materialize, publicModelFile, removeStagedPublic, removeStaleStaging, renameDir, type Manifest } from './artifacts.js';
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

/** What publish names its staging folders (stagingDir): `.staging-` and 12 hex digits. */
const STAGING_NAME = /^\.staging-[0-9a-f]{12}$/;

/**
 * The folders a pending publish may touch, derived by recovery itself: the staging folder is rebuilt from
 * the journal's folder NAME inside this workspace's artifacts folder (a journal written before the workspace
 * moved still works), and both must really be inside it (no symlink out). A journal naming anything else
 * (another folder, a version that is not vNNN) was not written by edgewise: refused, nothing deleted.
 */
function pendingPaths(ws: Workspace, pending: Extract<PendingOp, { op: 'publish' }>): { staging: string; final: string } {
  const source = ws.rel(pendingPath(ws));
  const root = artifactsRoot(ws);
  const area = `${ws.rel(root)}/`;
  const name = typeof pending.staging === 'string' ? basename(pending.staging) : '';
  if (!STAGING_NAME.test(name)) throw new UntrustedPathError('delete', String(pending.staging), `${area} as a .staging-* folder`, source);
  if (typeof pending.version !== 'string' || parseVersion(pending.version) === undefined) throw new UntrustedPathError('delete', String(pending.version), `${area} as a vNNN version`, source);
  return {
    staging: confinedPath(root, join(root, name), 'delete', source, area),
    final: confinedPath(root, artifactsDir(ws, pending.version), 'delete', source, area),
  };
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
    const { staging, final } = pendingPaths(ws, pending);
    const row = await store.get(pending.version);
    const committed = pending.content_sha256 !== undefined && row !== undefined && row.content_sha256 === pending.content_sha256;
    if (committed) {
      if (!existsSync(final) && existsSync(staging)) await renameDir(staging, final);
      message = `An interrupted publish of ${pending.version} had been committed to the registry; finished putting its files in place.`;
    } else {
      await rm(staging, { recursive: true, force: true });
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
