/** What the terminal can do: decides between the wizard, prompts and plain output. */
export interface TerminalInfo {
  stdinTTY: boolean;
  stdoutTTY: boolean;
  ci: boolean;
  dumb: boolean;
  color: boolean;
}

export function detectTerminal(env: NodeJS.ProcessEnv = process.env, stdin = process.stdin, stdout = process.stdout): TerminalInfo {
  // An empty CI= still means CI to most tools (and to Ink): only an explicit "false"/"0" turns it off.
  const ci = env.CI !== undefined && env.CI !== 'false' && env.CI !== '0';
  const dumb = env.TERM === 'dumb';
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return {
    stdinTTY: Boolean(stdin.isTTY),
    stdoutTTY: Boolean(stdout.isTTY),
    ci,
    dumb,
    color: Boolean(stdout.isTTY) && !noColor && !dumb && env.FORCE_COLOR !== '0',
  };
}

/** The wizard and prompts need a person at a real terminal on both ends. */
export function canPrompt(t: TerminalInfo, opts: { json?: boolean; noInput?: boolean } = {}): boolean {
  return t.stdinTTY && t.stdoutTTY && !t.ci && !t.dumb && !opts.json && !opts.noInput;
}

/** Chalk (inside Ink) ignores NO_COLOR; pin FORCE_COLOR=0 before Ink loads so it does. */
export function applyColorPolicy(env: NodeJS.ProcessEnv = process.env): void {
  if ((env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb') env.FORCE_COLOR = '0';
}
