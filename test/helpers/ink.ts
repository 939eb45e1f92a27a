import { EventEmitter } from 'node:events';
import { ERASE_SCREEN } from '../../screens/hooks/use-terminal-size.js';

/** Lets Ink re-render: a few macrotask turns, never a wall-clock sleep. */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** Polls (in event-loop turns) until the condition holds or the turn budget runs out. */
export async function waitFor(cond: () => boolean, turns = 2000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error('condition not met in time');
}

export const keys = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  enter: '\r',
  escape: '\u001B',
  tab: '\t',
  backspace: '\u007F',
  ctrlC: '\u0003',
};

/** A stdout stub with a real size, for rendering at 80×24 and resizing (ink-testing-library has 100 columns and no rows). */
export class SizedStdout extends EventEmitter {
  frames: string[] = [];
  /** Whole-screen repaints after a resize (use-terminal-size.ts); the erase is kept out of `frames`. */
  repaints = 0;
  /** `frames.length` at the last repaint: the frames after it are what is on the cleared screen. */
  repaintAt = -1;
  isTTY = true;
  constructor(
    public columns = 80,
    public rows = 24,
  ) {
    super();
  }
  write = (frame: string): boolean => {
    if (frame.includes(ERASE_SCREEN)) {
      this.repaints++;
      this.repaintAt = this.frames.length;
      frame = frame.replace(ERASE_SCREEN, '');
      if (frame === '') return true;
    }
    this.frames.push(frame);
    return true;
  };
  lastFrame(): string | undefined {
    return this.frames.at(-1);
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

/** A TTY-like stdin for Ink that tests write key chunks into (a whole chunk arrives at once, as over SSH). */
export class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write = (d: string): void => {
    this.data = d;
    this.emit('readable');
    this.emit('data', d);
  };
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}
