import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled CLI: end-to-end tests run what users run (npm test builds it first). */
export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it) before the end-to-end tests.`);
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

/** A real terminal: a detached tmux session of a given size running one shell command. */
export class TmuxSession {
  readonly name: string;
  constructor(command: string, opts: { columns?: number; rows?: number; cwd?: string } = {}) {
    this.name = `edgewise-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      execFileSync('tmux', ['-V']);
    } catch {
      throw new Error('tmux is not installed: apt-get install tmux (.ci/run installs it).');
    }
    tmux('new-session', '-d', '-s', this.name, '-x', String(opts.columns ?? 80), '-y', String(opts.rows ?? 24), ...(opts.cwd ? ['-c', opts.cwd] : []), command);
  }

  screen(): string {
    return tmux('capture-pane', '-p', '-t', this.name);
  }

  /** Keys in tmux's names (Enter, Down, Right, BSpace, C-c) or literal text with `literal`. */
  send(keys: string[], literal = false): void {
    tmux('send-keys', '-t', this.name, ...(literal ? ['-l'] : []), ...keys);
  }

  /**
   * Clears the pane now, in tmux's own order: a screen read after this never shows what an earlier
   * program left (a `clear` typed into the shell runs later, so a poll could still match the old frame).
   */
  reset(): void {
    tmux('send-keys', '-R', '-t', this.name);
    tmux('clear-history', '-t', this.name);
  }

  resize(columns: number, rows: number): void {
    tmux('resize-window', '-t', this.name, '-x', String(columns), '-y', String(rows));
  }

  /**
   * Polls the screen until `pattern` shows, and returns a whole frame: a frame reaches the terminal in
   * pieces, so a read can catch its top half (the pattern) without its bottom (the help line a test then
   * checks). After a match it reads again until two reads 50 ms apart agree (at most 0.5 s: progress bars
   * never settle). Fails with the last screen after `timeoutMs`.
   */
  async waitFor(pattern: RegExp | string, timeoutMs = 20_000): Promise<string> {
    const matches = (screen: string): boolean => (typeof pattern === 'string' ? screen.includes(pattern) : pattern.test(screen));
    const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 50));
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = this.screen();
      if (matches(last)) {
        for (let i = 0; i < 10; i++) {
          await pause();
          const again = this.screen();
          if (again === last || !matches(again)) break;
          last = again;
        }
        return last;
      }
      await pause();
    }
    throw new Error(`Timed out waiting for ${String(pattern)}. Screen:\n${last}`);
  }

  kill(): void {
    try {
      tmux('kill-session', '-t', this.name);
    } catch {
      /* already gone */
    }
  }
}

/** Quotes a value for the shell command tmux runs. */
export function sh(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}
