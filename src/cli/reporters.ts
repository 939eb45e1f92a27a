import { describeError } from '../core/errors.js';
import { formatCounts, formatDuration, formatRate } from '../core/progress.js';
import type { RunnerEvent } from '../core/step.js';
import { escapeControls } from '../core/text.js';

export interface Reporter {
  event(e: RunnerEvent): void;
  /** The command's final output (an object for --json; a summary line or table for people). */
  result(command: string, output: unknown, human?: string): void;
  error(command: string, e: unknown): number;
}

type Write = (s: string) => void;

/** NDJSON: one event per line, ending in {"type":"result"} or {"type":"error"}. Never an escape code. */
export class JsonReporter implements Reporter {
  constructor(private readonly write: Write = (s) => process.stdout.write(s)) {}
  event(e: RunnerEvent): void {
    this.write(JSON.stringify(e) + '\n');
  }
  result(command: string, output: unknown): void {
    this.write(JSON.stringify({ type: 'result', command, ok: true, output }) + '\n');
  }
  error(command: string, e: unknown): number {
    const d = describeError(e);
    this.write(JSON.stringify({ type: 'error', command, ok: false, ...d }) + '\n');
    return d.exitCode;
  }
}

/**
 * Lines for people. On a TTY the progress line rewrites itself; on a pipe it prints at most one line per
 * phase per second so logs stay readable. Warnings and errors go to stderr. Everything printed passes
 * through escapeControls here, once, so a file name or label holding terminal escapes is shown, not obeyed;
 * the reporter's own escapes (the live progress line) are added after.
 */
export class HumanReporter implements Reporter {
  private lastLine = new Map<string, number>();
  private finished = new Set<string>();
  private liveLine = false;
  constructor(
    private readonly rawOut: Write = (s) => process.stdout.write(s),
    rawErr: Write = (s) => process.stderr.write(s),
    private readonly tty = Boolean(process.stdout.isTTY),
    private readonly verbose = false,
  ) {
    this.out = (s) => rawOut(escapeControls(s));
    this.err = (s) => rawErr(escapeControls(s));
  }
  private readonly out: Write;
  private readonly err: Write;

  private endLive(): void {
    if (this.liveLine) {
      this.out('\n');
      this.liveLine = false;
    }
  }

  event(e: RunnerEvent): void {
    switch (e.type) {
      case 'step-start':
        this.endLive();
        this.out(`▸ ${e.title}\n`);
        return;
      case 'step-skip':
        this.endLive();
        this.out(`✓ ${e.title}: ${e.reason}\n`);
        return;
      case 'step-end':
        this.endLive();
        this.out(`✓ ${e.title} (${formatDuration(e.seconds)})\n`);
        return;
      case 'progress': {
        const key = `${e.step}/${e.phase ?? ''}`;
        const pct = e.total > 0 ? Math.floor((100 * e.done) / e.total) : 0;
        const rate = formatRate(e.rate, e.unit);
        const eta = e.etaSeconds !== undefined && e.done < e.total ? ` ETA ${formatDuration(e.etaSeconds)}` : '';
        const line = `  ${e.phase ? e.phase + ': ' : ''}${formatCounts(e)} (${pct}%)${rate ? ' ' + rate : ''}${eta}`;
        if (this.tty) {
          this.rawOut(`\r\x1b[2K${escapeControls(line)}`);
          this.liveLine = true;
          if (e.done >= e.total) this.endLive();
        } else {
          // A pipe gets at most one line per phase per second, and the finished line once.
          const now = Date.now();
          const last = this.lastLine.get(key) ?? 0;
          const finished = e.done >= e.total;
          if (finished ? !this.finished.has(key) : now - last >= 1000) {
            this.lastLine.set(key, now);
            if (finished) this.finished.add(key);
            this.out(line + '\n');
          }
        }
        return;
      }
      case 'log':
        if (e.level === 'debug' && !this.verbose) return;
        this.endLive();
        this.out(`  ${e.message}\n`);
        return;
      case 'warning':
        this.endLive();
        this.err(`  warning [${e.code}]${e.item ? ` ${e.item}:` : ''} ${e.message}\n`);
        return;
      case 'status':
        this.endLive();
        this.out(`  [${new Date().toISOString().slice(11, 19)}] ${e.state}${e.message ? `: ${e.message}` : ''}\n`);
        return;
      case 'artifact':
        this.endLive();
        this.out(`  wrote ${e.path}${e.description ? ` (${e.description})` : ''}\n`);
        return;
      case 'metric':
        if (!this.verbose) return;
        this.endLive();
        this.out(`  ${e.name} = ${e.value}${e.iteration !== undefined ? ` @${e.iteration}` : ''}\n`);
        return;
    }
  }

  result(_command: string, _output: unknown, human?: string): void {
    this.endLive();
    if (human) this.out(human.endsWith('\n') ? human : human + '\n');
  }

  error(command: string, e: unknown): number {
    this.endLive();
    const d = describeError(e);
    this.err(`edgewise ${command}: ${d.message}\n`);
    if (d.hint) this.err(`  → ${d.hint}\n`);
    if (d.stack && process.env.EDGEWISE_DEBUG) this.err(d.stack + '\n');
    else if (d.code === 'internal') this.err('  (an unexpected error: set EDGEWISE_DEBUG=1 for the stack trace)\n');
    return d.exitCode;
  }
}
