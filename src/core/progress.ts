import type { ProgressEvent } from './events.js';

/**
 * Builds progress events with rate and ETA so both front ends show the same numbers. `emitEvery`
 * throttles: `update` returns undefined when the last event is too recent (the final one always passes).
 */
export class ProgressTracker {
  private readonly start: number;
  private lastEmit = 0;
  constructor(
    readonly phase: string | undefined,
    readonly total: number,
    readonly unit: string,
    private readonly emitEveryMs = 100,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.start = this.now();
  }

  update(done: number): ProgressEvent | undefined {
    const t = this.now();
    if (done < this.total && done !== 0 && t - this.lastEmit < this.emitEveryMs) return undefined;
    this.lastEmit = t;
    return this.event(done, t);
  }

  /** An event regardless of throttling. */
  event(done: number, t = this.now()): ProgressEvent {
    const elapsed = (t - this.start) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const ev: ProgressEvent = { type: 'progress', done, total: this.total, unit: this.unit };
    if (this.phase !== undefined) ev.phase = this.phase;
    if (done > 0 && elapsed > 0.05) {
      ev.rate = rate;
      ev.etaSeconds = rate > 0 ? Math.max(0, (this.total - done) / rate) : undefined!;
      if (ev.etaSeconds === undefined) delete ev.etaSeconds;
    }
    return ev;
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** `1.2 MB`, `340 KB`: bytes in the unit people read, at most 7 characters below a terabyte. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const [v, unit] = n < 1024 ** 2 ? [n / 1024, 'KB'] : n < 1024 ** 3 ? [n / 1024 ** 2, 'MB'] : [n / 1024 ** 3, 'GB'];
  return `${v.toFixed(v < 99.95 ? 1 : 0)} ${unit}`;
}

export function formatRate(rate: number | undefined, unit: string): string {
  if (rate === undefined) return '';
  if (unit === 'bytes') return `${formatBytes(Math.round(rate))}/s`;
  const r = rate >= 100 ? rate.toFixed(0) : rate >= 10 ? rate.toFixed(1) : rate.toFixed(2);
  return `${r} ${unit}/s`;
}

/** `120/400 img`, or `1.2 MB/4.0 MB` for a phase counted in bytes. */
export function formatCounts(p: { done: number; total: number; unit: string }): string {
  return p.unit === 'bytes' ? `${formatBytes(p.done)}/${formatBytes(p.total)}` : `${p.done}/${p.total} ${p.unit}`;
}
