/**
 * Ctrl-C and SIGTERM end every command with exit code 130, at any moment. Until a command takes the
 * signals (runCommand: the first one cancels the step, a second exits at once) a signal exits straight
 * away: nothing has been written yet, and with no listener Node would die of the signal (status 143 for
 * SIGTERM) instead of exiting 130.
 *
 * One listener stays installed for the whole run and only the handler behind it changes: removing a
 * signal listener closes its libuv handle, and a signal that arrived but was not dispatched yet is
 * dropped with it (measured: 4 of 24 early SIGTERMs were lost that way and the run went on).
 */
let handler: (() => void) | undefined;

function onSignal(): void {
  if (handler) handler();
  else process.exit(130);
}

for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, onSignal);

/** Hands the signals to `h` until the returned function is called (then a signal exits 130 again). */
export function handleSignals(h: () => void): () => void {
  const previous = handler;
  handler = h;
  return () => {
    handler = previous;
  };
}
