import type { Command } from 'commander';
import { wholeNumber } from '../flag-values.js';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';

export const register: RegisterCommand = (program: Command) => {
  program
    .command('eval')
    .description('run the .tflite over the test split: accuracy, calibration (ECE, temperature), per-class metrics, reports')
    .option('--model <dir>', 'model folder to evaluate, e.g. ml/models/v002, or just v002 (default: the latest)')
    .option('--width <columns>', 'width of the printed report (default: the terminal width or 80)', wholeNumber('--width', 40, Infinity, '100'))
    .addHelpText(
      'after',
      '\nWrites ml/metrics/predictions_vNNN.json (input of `edgewise tune`), metrics_vNNN.json and report_vNNN.html.\nWith --json the result object carries the whole metrics file.\n',
    )
    .action(async (flags: { model?: string; width?: number }, cmd: Command) => {
      process.exitCode = await runCommand('eval', globalsOf(cmd), async (h) => {
        const { evalStep } = await import('../../evaluate/eval-step.js');
        const { renderTerminalReport } = await import('../../evaluate/terminal-report.js');
        const { parseVersion } = await import('../../core/workspace.js');
        const { existsSync } = await import('node:fs');
        const { resolve } = await import('node:path');
        let input: { model?: string; version?: string } = {};
        if (flags.model) {
          // A bare "v002" means ml/models/v002 unless a folder by that name sits in the workspace root.
          input = parseVersion(flags.model) !== undefined && !existsSync(resolve(h.root, flags.model)) ? { version: flags.model } : { model: flags.model };
        }
        // A terminal narrower than the report's minimum gets the minimum (it wraps) rather than an error.
        const width = flags.width ?? Math.max(40, process.stdout.columns ?? 80);
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
