import { EventEmitter } from 'node:events';

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
