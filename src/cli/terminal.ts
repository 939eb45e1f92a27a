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
  return noPromptReason(t, opts) === undefined;
}

/** Why the wizard and prompts cannot run here, in words for the person who typed the command (undefined: they can). */
export function noPromptReason(t: TerminalInfo, opts: { json?: boolean; noInput?: boolean } = {}): string | undefined {
  if (opts.json) return '--json asks for machine output';
  if (opts.noInput) return '--no-input asks for no questions';
  if (t.dumb) return 'TERM=dumb says this terminal cannot move the cursor or redraw a screen';
  if (t.ci) return 'CI is set, so nobody is expected at the keys (CI=false turns that off)';
  if (!t.stdinTTY) return 'its input is not a terminal (piped or redirected)';
  if (!t.stdoutTTY) return 'its output is not a terminal (piped or redirected)';
  return undefined;
}

/** Chalk (inside Ink) ignores NO_COLOR; pin FORCE_COLOR=0 before Ink loads so it does. */
export function applyColorPolicy(env: NodeJS.ProcessEnv = process.env): void {
  if ((env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb') env.FORCE_COLOR = '0';
}
