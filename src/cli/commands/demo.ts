import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { wholeNumber } from '../flag-values.js';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';

export const register: RegisterCommand = (program: Command) => {
  program
    .command('demo [dir]')
    .description('create a synthetic workspace (default ./edgewise-demo) and run every step on the local backend')
    .option('--classes <n>', 'number of synthetic classes (2–8)', wholeNumber('--classes', 2, 8, '4'), 4)
    .option('--per-class <n>', 'images per class (at least 12: Vertex needs 10 per class and the split a few more)', wholeNumber('--per-class', 12, Infinity, '40'), 40)
    .option('--seed <seed>', 'seed for the synthetic data', 'edgewise-demo')
    .action(async (dir: string | undefined, flags: { classes: number; perClass: number; seed: string }, cmd: Command) => {
      const globals = globalsOf(cmd);
      const root = resolve(dir ?? globals.workspace ?? 'edgewise-demo');
      process.exitCode = await runCommand('demo', { ...globals, workspace: root }, async (h) => {
        const { runDemo } = await import('../demo/run-demo.js');
        const result = await runDemo(h, { classes: flags.classes, perClass: flags.perClass, seed: flags.seed });
        const lines = [`Demo workspace: ${result.workspace}`, ...result.stages.map((s) => `  ${s.name.padEnd(10)} ${s.summary}`)];
        lines.push('', `Open it in the wizard: ${wizardCommand(result.workspace)}`);
        return { output: result, human: lines.join('\n') };
      });
    });
};

const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * A command that opens the workspace from any folder: this very CLI by absolute path, with -w. (`cd DIR &&
 * npx edgewise` only works inside the project: elsewhere npx asks the registry for a package "edgewise".)
 */
export function wizardCommand(workspace: string, bin = fileURLToPath(new URL('../main.js', import.meta.url))): string {
  const cli = existsSync(bin) ? bin : resolve(process.argv[1] ?? bin);
  return `node ${shellQuote(cli)} -w ${shellQuote(workspace)}`;
}
