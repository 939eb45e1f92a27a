import { hostname, userInfo } from 'node:os';
import type { Workspace } from '../core/workspace.js';
import { WorkspaceLock } from './lock.js';
import { lockPath, readPending, recoverPending, removeStaleRegistryTemps } from './pending.js';
import { openStore } from './open-store.js';
import { parseRegistryLocation, type RegistryStore } from './store.js';

/**
 * The registry of a workspace: a postgres:// URL, or a SQLite path (relative ones are workspace-relative).
 * Any other URL is refused here, before anything is opened or created (parseRegistryLocation).
 */
export function registryLocation(ws: Workspace): string {
  const where = parseRegistryLocation(ws.registry);
  return where.kind === 'postgres' ? where.url : ws.abs(where.path);
}

/** Who is publishing: EDGEWISE_USER, else the login name and host. */
export function currentActor(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EDGEWISE_USER) return env.EDGEWISE_USER;
  let name = env.USER ?? env.LOGNAME ?? 'unknown';
  try {
    name = userInfo().username;
  } catch {
    /* no passwd entry (containers): keep the env name */
  }
  return `${name}@${hostname()}`;
}

export interface RegistrySession {
  store: RegistryStore;
  /** Set when an interrupted publish/rollback was found and finished or undone. */
  recovered?: string;
}

/**
 * Runs `fn` with the workspace lock held and the registry open, migrated and recovered from any
 * interrupted operation. Publish and rollback use this; so does `versions` when something is pending.
 */
export async function withRegistry<T>(ws: Workspace, fn: (s: RegistrySession) => Promise<T>, opts: { signal?: AbortSignal; location?: string } = {}): Promise<T> {
  const lock = await WorkspaceLock.acquire(lockPath(ws), opts.signal ? { signal: opts.signal } : {});
  try {
    const store = await openStore(opts.location ?? registryLocation(ws), { timeoutMs: ws.config.registryTimeoutSeconds * 1000 });
    try {
      const r = await recoverPending(ws, store);
      return await fn(r.message ? { store, recovered: r.message } : { store });
    } finally {
      await store.close();
    }
  } finally {
    lock.release();
  }
}

/** Read-only access: takes the lock (and recovers) only if an interrupted operation is pending. */
export async function readRegistry<T>(ws: Workspace, fn: (s: RegistrySession) => Promise<T>, opts: { signal?: AbortSignal; location?: string } = {}): Promise<T> {
  if (readPending(ws)) return withRegistry(ws, fn, opts);
  await removeStaleRegistryTemps(ws);
  const store = await openStore(opts.location ?? registryLocation(ws), { timeoutMs: ws.config.registryTimeoutSeconds * 1000 });
  try {
    return await fn({ store });
  } finally {
    await store.close();
  }
}
