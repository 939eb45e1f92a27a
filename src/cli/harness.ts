import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { StepContext, Step } from '../core/step.js';
import { runStep } from '../core/step.js';
import { HumanReporter, JsonReporter, type Reporter } from './reporters.js';
import { canPrompt, detectTerminal } from './terminal.js';
import { existsSync } from 'node:fs';
import { InputError } from '../core/errors.js';
import { handleSignals } from './signals.js';

const CREATES_WORKSPACE = new Set(['init', 'demo']);

/** Options every command accepts (declared once on the program). */
export interface GlobalOptions {
  workspace?: string;
  json?: boolean;
  /** commander's --no-input sets input=false */
  input?: boolean;
  force?: boolean;
  verbose?: boolean;
}

export interface Harness {
  readonly root: string;
  readonly json: boolean;
  /** True when a person can answer prompts (TTY both ends, not CI, not --json/--no-input). */
  readonly interactive: boolean;
  readonly signal: AbortSignal;
  readonly reporter: Reporter;
  /** Built on first use, with the command's config flags merged over edgewise.json and env. */
  context(flags?: Record<string, unknown>): StepContext;
  run<I, O>(step: Step<I, O>, input: I, flags?: Record<string, unknown>): Promise<O>;
}

export interface CommandOutcome {
  output: unknown;
  /** What a person reads at the end (the NDJSON result carries `output` instead). */
  human?: string;
  /** Non-zero when the command finished but found problems (e.g. validation errors: 2). */
  exitCode?: number;
}

/**
 * Runs a command body with a reporter, a cancellation signal wired to Ctrl-C (first press cancels the
 * step cleanly, a second one exits at once), and errors turned into exit codes. Returns the exit code.
 */
export async function runCommand(name: string, globals: GlobalOptions, body: (h: Harness) => Promise<CommandOutcome>): Promise<number> {
  const json = Boolean(globals.json);
  const reporter: Reporter = json ? new JsonReporter() : new HumanReporter(undefined, undefined, undefined, Boolean(globals.verbose));
  const controller = new AbortController();
  let presses = 0;
  const onSigint = (): void => {
    presses++;
    if (presses > 1) process.exit(130);
    controller.abort();
  };
  const releaseSignals = handleSignals(onSigint);
  const root = resolve(globals.workspace ?? process.cwd());
  // Loaded here, not at the top: the config schema (zod) costs start-up time that --help should not pay.
  const { createContext } = await import('../core/context.js');
  const term = detectTerminal();
  let ctx: StepContext | undefined;
  const harness: Harness = {
    root,
    json,
    interactive: canPrompt(term, { json, noInput: globals.input === false }),
    signal: controller.signal,
    reporter,
    context(flags) {
      ctx ??= createContext({ root, signal: controller.signal, force: Boolean(globals.force), flags: flags ?? {} });
      return ctx;
    },
    run(step, input, flags) {
      return runStep(step, input, harness.context(flags), { onEvent: (e) => reporter.event(e) });
    },
  };
  try {
    // Only init and demo make a workspace; every other command needs one to exist.
    if (!CREATES_WORKSPACE.has(name) && !existsSync(root)) {
      throw new InputError(`The workspace folder ${root} does not exist.`, {
        code: 'workspace.missing',
        item: root,
        hint: 'Check the -w/--workspace path, or create the workspace with `edgewise init -w DIR`.',
      });
    }
    const outcome = await body(harness);
    reporter.result(name, outcome.output, outcome.human);
    return outcome.exitCode ?? 0;
  } catch (e) {
    return reporter.error(name, e);
  } finally {
    releaseSignals();
  }
}

/** Global options as seen from inside a subcommand's action. */
export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** A command module: adds its subcommand(s) to the program. Keep heavy imports inside the action (start-up time). */
export type RegisterCommand = (program: Command) => void;
