import type { Command } from 'commander';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';

export const register: RegisterCommand = (program: Command) => {
  program
    .command('eval')
    .description('run the .tflite over the test split: accuracy, calibration (ECE, temperature), per-class metrics, reports')
    .option('--model <dir>', 'model folder to evaluate, e.g. ml/models/v002, or just v002 (default: the latest)')
    .option('--width <columns>', 'width of the printed report (default: the terminal width or 80)')
    .addHelpText(
      'after',
      '\nWrites ml/metrics/predictions_vNNN.json (input of `edgewise tune`), metrics_vNNN.json and report_vNNN.html.\nWith --json the result object carries the whole metrics file.\n',
    )
    .action(async (flags: { model?: string; width?: string }, cmd: Command) => {
      process.exitCode = await runCommand('eval', globalsOf(cmd), async (h) => {
        const { evalStep } = await import('../../evaluate/eval-step.js');
        const { renderTerminalReport } = await import('../../evaluate/terminal-report.js');
        const { parseVersion } = await import('../../core/workspace.js');
        const { existsSync } = await import('node:fs');
        const { resolve } = await import('node:path');
        const { InputError } = await import('../../core/errors.js');
        let input: { model?: string; version?: string } = {};
        if (flags.model) {
          // A bare "v002" means ml/models/v002 unless a folder by that name sits in the workspace root.
          input = parseVersion(flags.model) !== undefined && !existsSync(resolve(h.root, flags.model)) ? { version: flags.model } : { model: flags.model };
        }
        const width = flags.width !== undefined ? Number(flags.width) : (process.stdout.columns ?? 80);
        if (!Number.isInteger(width) || width < 40) throw new InputError(`--width must be a whole number of at least 40, got "${flags.width}".`, { item: '--width' });
        const out = await h.run(evalStep, input);
        const human = [
          ...renderTerminalReport(out.metrics, { width: Math.min(width, 120) }),
          '',
          `Predictions: ${out.predictionsPath}`,
          `Metrics:     ${out.metricsPath}`,
          `Report:      ${out.reportPath} (open in a browser)`,
          `Next: edgewise tune`,
        ].join('\n');
        return { output: out, human };
      });
    });
};
