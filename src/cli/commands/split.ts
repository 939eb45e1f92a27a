import type { Command } from 'commander';
import { share } from '../flag-values.js';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';

interface SplitFlags {
  train?: number;
  validation?: number;
  test?: number;
  seed?: string;
  fresh?: boolean;
  carveFromTrain?: boolean;
  bucket?: string;
  prefix?: string;
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('split')
    .description('split the cleaned dataset into train/validation/test (clusters kept whole, stable across reruns) and write splits.csv and the Vertex import CSV')
    .option('--train <ratio>', 'share of each class for training (default: config split.train, 0.8)', share('--train'))
    .option('--validation <ratio>', 'share for validation (default 0.1); train takes up the rest when omitted', share('--validation'))
    .option('--test <ratio>', 'share for test (default 0.1)', share('--test'))
    .option('--seed <seed>', 'seed for the assignment (default: config split.seed)')
    .option('--fresh', 'ignore the previous splits.csv and assign every image afresh (moves images: test sets stop being comparable)')
    .option('--carve-from-train', "when the manifest's split column leaves validation or test empty: take it out of train (per class, duplicates kept together)")
    .option('--bucket <name>', 'Cloud Storage bucket for the Vertex CSV URIs (default: config bucket)')
    .option('--prefix <prefix>', 'object prefix inside the bucket (default: config prefix)')
    .addHelpText('after', '\nExamples:\n  edgewise split\n  edgewise split --validation 0.15 --test 0.15 --json')
    .action(async (flags: SplitFlags, cmd: Command) => {
      process.exitCode = await runCommand('split', globalsOf(cmd), async (h) => {
        const { splitStep } = await import('../../split/split-step.js');
        const { formatSplitReport, nextAfterSplit } = await import('../../split/split-report.js');
        const configFlags: Record<string, unknown> = {};
        if (flags.bucket !== undefined) configFlags.bucket = flags.bucket;
        if (flags.prefix !== undefined) configFlags.prefix = flags.prefix;
        const ctx = h.context(configFlags);
        const input = {
          ...(flags.train !== undefined ? { train: flags.train } : {}),
          ...(flags.validation !== undefined ? { validation: flags.validation } : {}),
          ...(flags.test !== undefined ? { test: flags.test } : {}),
          ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
          ...(flags.fresh ? { fresh: true } : {}),
          ...(flags.carveFromTrain ? { carveFromTrain: true } : {}),
        };
        const output = await h.run(splitStep, input);
        return { output, human: `${formatSplitReport(output)}\n${nextAfterSplit(ctx.config.backend)}` };
      });
    });
};
