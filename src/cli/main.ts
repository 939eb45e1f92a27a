#!/usr/bin/env node
// First: from here on Ctrl-C and SIGTERM exit 130 (see signals.ts).
import './signals.js';
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.js';
import { escapeControls } from '../core/text.js';
import { routeLibraryWarnings, warningsQuietForWizard } from './library-warnings.js';
import { applyColorPolicy, detectTerminal, noPromptReason } from './terminal.js';
import { loadWizard } from './open-screens.js';
import { exitCodeOfUsage, usageErrorAsJson } from './usage-errors.js';

// React's production build: the development reconciler is slower to load and to render.
process.env.NODE_ENV ??= 'production';
applyColorPolicy();
routeLibraryWarnings();
// `edgewise --json validate | head`: the reader went away. Stop quietly instead of crashing on EPIPE
// (every file is written atomically, so stopping here leaves nothing half-written).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('edgewise')
    .usage('[options] [command]')
    .description('From a folder of labelled photos to a calibrated, threshold-tuned .tflite classifier.\nRun with no command on a terminal to open the wizard.')
    .version(packageVersion(), '-V, --version')
    .option('-w, --workspace <dir>', 'workspace folder (default: the current folder)')
    .option('--json', 'print NDJSON events and a final result object instead of text; never prompts')
    .option('--no-input', 'never prompt; fail and name the flags to pass when an answer is needed')
    .option('--force', 'rerun steps even when their inputs did not change')
    .option('-v, --verbose', 'print debug lines and metric updates')
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const register of commands) register(program);
  program.argument('[command]').action(async (unknown: string | undefined) => {
    if (unknown !== undefined) {
      process.stderr.write(`edgewise: unknown command "${escapeControls(unknown)}".\n\n`);
      program.outputHelp({ error: true });
      usageErrorAsJson(`unknown command "${unknown}"`, process.argv);
      process.exitCode = 2;
      return;
    }
    const globals = program.opts<{ json?: boolean; input?: boolean; workspace?: string }>();
    const term = detectTerminal();
    const noWizard = noPromptReason(term, { json: globals.json, noInput: globals.input === false });
    if (noWizard) {
      program.outputHelp();
      // Say why no wizard opened, and the two ways on (stderr: a pipe reading the help gets only the help).
      process.stderr.write(
        `\nThe wizard did not open: ${noWizard}.\n` +
          'Open it from a terminal that can draw screens (stdin and stdout a terminal, e.g. TERM=xterm-256color, not CI),\n' +
          'or run the steps as the plain commands above: edgewise init, validate, split, train, eval, tune, publish.\n',
      );
      process.exitCode = 0;
      return;
    }
    warningsQuietForWizard();
    const { openWizard } = await loadWizard();
    process.exitCode = await openWizard({ root: globals.workspace ?? process.cwd() });
  });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return exitCodeOfUsage(e, argv);
    throw e;
  }
}

const code = await main(process.argv);
process.exitCode = code;
