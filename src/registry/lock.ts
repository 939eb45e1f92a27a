import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { EdgewiseError, throwIfCancelled } from '../core/errors.js';

/**
 * A per-workspace mutex for publish and rollback (they change files in public/models and the registry
 * together). It is an exclusive transaction on a tiny SQLite file: the OS releases SQLite's file lock
 * when the holder dies, even by SIGKILL, so a crashed publish never leaves a stale lock behind.
 */
export class WorkspaceLock {
  private constructor(private readonly db: Database.Database) {}

  static async acquire(path: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<WorkspaceLock> {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { timeout: 0 });
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    // Poll with a zero busy timeout so a waiting screen keeps rendering (better-sqlite3 would block).
    for (;;) {
      try {
        db.exec('BEGIN EXCLUSIVE');
        return new WorkspaceLock(db);
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY') {
          db.close();
          throw e;
        }
      }
      if (Date.now() > deadline || opts.signal?.aborted) {
        db.close();
        throwIfCancelled(opts.signal);
        throw new EdgewiseError('Another publish or rollback is still running in this workspace.', {
          code: 'registry.busy', item: path,
          hint: 'Wait for it to finish and try again (the lock frees itself if that process died).',
        });
      }
      await new Promise((r) => setTimeout(r, 25 + Math.random() * 25));
    }
  }

  release(): void {
    if (!this.db.open) return;
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.close();
  }
}
