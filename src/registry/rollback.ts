import { InputError, throwIfCancelled } from '../core/errors.js';
import type { StepEvent } from '../core/events.js';
import type { Step } from '../core/step.js';
import type { Workspace } from '../core/workspace.js';
import { inspectPublic, materialize, registryWrites, verifyArtifacts } from './artifacts.js';
import { crashPoint } from './crash.js';
import { clearPending, writePending } from './pending.js';
import { currentActor, withRegistry } from './session.js';
import { streamEvents } from '../core/event-queue.js';
import type { RegistryEvent, VersionRow } from './types.js';

export interface RollbackOptions {
  /** Target version; default the previously active one. */
  to?: string;
  signal?: AbortSignal;
  actor?: string;
}

export interface RollbackResult {
  status: 'rolled-back' | 'already-active';
  version: string;
  from: string | undefined;
  /** True when public/models had to be rewritten (always for a real rollback). */
  restored: boolean;
  recovered?: string;
}

/**
 * The version that was active before the current one. Activation history is a stack: publishing or
 * `--to X` pushes, a plain rollback pops. So rolling back twice walks back two versions instead of
 * toggling back to the version that was just rolled away from.
 */
export function previousActive(events: RegistryEvent[], active: string | undefined): string | undefined {
  const stack: string[] = [];
  for (const e of events) {
    if (e.kind === 'publish') continue;
    if (e.kind === 'rollback' && e.details?.mode === 'previous') {
      stack.pop();
      if (stack[stack.length - 1] !== e.version) stack.push(e.version);
    } else if (stack[stack.length - 1] !== e.version) {
      stack.push(e.version);
    }
  }
  while (stack.length > 0 && stack[stack.length - 1] === active) stack.pop();
  return stack[stack.length - 1];
}

export async function rollback(ws: Workspace, opts: RollbackOptions, emit: (e: StepEvent) => void = () => {}): Promise<RollbackResult> {
  const actor = opts.actor ?? currentActor();
  return withRegistry(ws, async ({ store, recovered }) => {
    if (recovered) emit({ type: 'warning', code: 'registry.recovered', message: recovered });
    const active = await store.active();
    const rows = await store.list();
    const known = rows.map((r) => r.version).join(', ') || 'none';
    let target: string;
    if (opts.to !== undefined) {
      target = opts.to;
    } else {
      const prev = previousActive(await store.events(), active);
      if (prev === undefined) {
        throw new InputError(`Nothing to roll back to: no version was active before ${active ?? '(none active)'}.`, {
          code: 'rollback.no_previous', item: active ?? store.location,
          hint: `Pick one with --to (published: ${known}).`,
        });
      }
      target = prev;
    }
    const row: VersionRow | undefined = rows.find((r) => r.version === target);
    if (!row) throw new InputError(`Version ${target} is not in the registry (${store.location}).`, { code: 'rollback.unknown_version', item: target, hint: `Published versions: ${known}.` });
    await verifyArtifacts(ws, row);
    crashPoint('rollback.verified');
    throwIfCancelled(opts.signal);

    if (target === active) {
      // Nothing to switch; repair public/models if someone changed it.
      const pub = await inspectPublic(ws);
      const stale = pub.version !== target || pub.problems.length > 0 || pub.modelJson?.tflite_sha256 !== row.tflite_sha256;
      if (stale) await materialize(ws, row);
      emit({ type: 'log', message: stale ? `${target} is already active; restored its files in public/models.` : `${target} is already active and in place.` });
      return { status: 'already-active', version: target, from: active, restored: stale, ...(recovered ? { recovered } : {}) };
    }

    await writePending(ws, { op: 'activate', version: target, started_at: new Date().toISOString(), pid: process.pid });
    crashPoint('rollback.journal-written');
    try {
      await store.activate(target, 'rollback', actor, { mode: opts.to === undefined ? 'previous' : 'to', from: active ?? null });
    } catch (e) {
      let committed: boolean;
      try {
        committed = (await store.active()) === target;
      } catch {
        throw e; // unknown outcome: the journal stays, the next command reconciles
      }
      if (!committed) {
        await clearPending(ws);
        throw e;
      }
    }
    crashPoint('rollback.committed');
    await materialize(ws, row);
    crashPoint('rollback.before-journal-clear');
    await clearPending(ws);
    emit({ type: 'log', message: `Rolled back from ${active ?? '(none)'} to ${target}.` });
    return { status: 'rolled-back', version: target, from: active, restored: true, ...(recovered ? { recovered } : {}) };
  }, opts.signal ? { signal: opts.signal } : {});
}

export const rollbackStep: Step<{ to?: string }, RollbackResult> = {
  name: 'rollback',
  title: 'Roll back',
  writes: (_input, ctx) => registryWrites(ctx.workspace),
  run(input, ctx) {
    return streamEvents((emit) => rollback(ctx.workspace, { ...input, signal: ctx.signal }, emit));
  },
};

