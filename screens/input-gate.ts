import { PassThrough } from 'node:stream';

/**
 * Holds the keys a person types while a screen is not yet listening, and hands them over once it is.
 *
 * Ink subscribes a screen to key presses in an effect, which runs after the screen's first frame is on
 * the terminal, and a step screen loads lazily after a "Loading…" frame. Keys that arrive in between (typed
 * ahead over SSH, or pressed the moment a screen shows on a loaded machine) reach no screen and are lost.
 * The gate sits between the terminal and Ink: closed when the wizard starts and whenever it changes
 * screens, opened by the new screen once its effects ran (see `ScreenReady` in app.tsx). Ctrl-C is never
 * held.
 */
export class InputGate {
  /** What Ink reads as stdin: a stream fed through the gate, with the terminal's raw-mode controls. */
  readonly stream: NodeJS.ReadStream;
  private readonly queue: Buffer[] = [];
  private isOpen = false;
  private timer: NodeJS.Timeout | undefined;

  /** `maxHoldMs`: a screen that never reports ready (a bug) must not swallow the keyboard. */
  constructor(
    private readonly source: NodeJS.ReadStream,
    private readonly maxHoldMs = 2000,
  ) {
    const s = new PassThrough() as unknown as NodeJS.ReadStream;
    Object.assign(s, {
      isTTY: source.isTTY,
      setRawMode: (on: boolean) => {
        source.setRawMode?.(on);
        return s;
      },
      ref: () => {
        source.ref();
        return s;
      },
      unref: () => {
        source.unref();
        return s;
      },
    });
    this.stream = s;
    source.on('data', this.onData);
    this.close();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    // Ctrl-C goes through at once, after what was typed before it.
    if (this.isOpen || b.includes(0x03)) this.flush(b);
    else this.queue.push(b);
  };

  private flush(extra?: Buffer): void {
    for (const b of this.queue.splice(0)) this.stream.write(b);
    if (extra) this.stream.write(extra);
  }

  /** A screen is listening: deliver what was held, then pass keys straight through. */
  open(): void {
    clearTimeout(this.timer);
    this.isOpen = true;
    this.flush();
  }

  /** A screen is about to change: hold keys until the next one opens the gate. */
  close(): void {
    this.isOpen = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), this.maxHoldMs);
    this.timer.unref();
  }

  get held(): number {
    return this.queue.length;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.source.off('data', this.onData);
    this.stream.end();
  }
}
