/**
 * Node process warnings raised by libraries, kept off the user's terminal. gcp-metadata (under
 * google-auth-library) calls `process.emitWarning(..., 'MetadataLookupWarning')` when probing the GCE metadata
 * server fails in a way it did not expect; Node prints that a tick later, after edgewise's own clear
 * "no credentials" error, and over the wizard's screen. edgewise already says what the missing credentials
 * mean, so that warning is dropped (kept for EDGEWISE_DEBUG=1). Any other warning is printed as Node would,
 * once, unless a full-screen wizard owns the terminal.
 */
const SWALLOWED = new Set(['MetadataLookupWarning']);

let wizardOwnsTerminal = false;

/** Called when the wizard takes over the screen: from then on no warning is written to stderr. */
export function warningsQuietForWizard(): void {
  wizardOwnsTerminal = true;
}

export function routeLibraryWarnings(env: NodeJS.ProcessEnv = process.env, write: (s: string) => void = (s) => void process.stderr.write(s)): void {
  // Node's own printer is a 'warning' listener installed at start-up: replace it.
  process.removeAllListeners('warning');
  process.on('warning', (w: Error) => {
    const debug = env.EDGEWISE_DEBUG === '1';
    if ((SWALLOWED.has(w.name) || wizardOwnsTerminal) && !debug) return;
    write(`(edgewise) ${w.name}: ${w.message}\n`);
  });
}
