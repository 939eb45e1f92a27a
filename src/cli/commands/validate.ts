import { Option, type Command } from 'commander';
import { BACKENDS, wholeNumber } from '../flag-values.js';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';

interface ValidateFlags {
  acceptLabelMapping?: boolean;
  keep?: string[];
  drop?: string[];
  radius?: number;
  backend?: string;
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('validate')
    .description('check the manifest and every image (corrupt, wrong format, too small, bombs, quality), find exact and near duplicates and label conflicts, and write report.json and the cleaned manifest')
    .option('--accept-label-mapping', 'apply the suggested mapping for labels Vertex AI would reject (recorded in report.json, reversible)')
    .option('--radius <bits>', 'pHash Hamming radius for near duplicates (default: config validate.nearRadius, 8)', wholeNumber('--radius', 0, 12, '6 (smaller finds only closer copies)', 'a whole number of bits'))
    .option('--keep <image...>', 'keep this image of its duplicate cluster (overrides the keep rule; repeatable)')
    .option('--drop <image...>', 'drop this image of its duplicate cluster (repeatable)')
    .addOption(new Option('--backend <backend>', 'check for this backend (default: config backend)').choices(BACKENDS))
    .addHelpText('after', '\nExit codes: 0 no errors, 2 errors found (listed; the cleaned manifest leaves those images out).\n\nExamples:\n  edgewise validate\n  edgewise validate --json > report.ndjson\n  edgewise validate --backend vertex --accept-label-mapping')
    .action(async (flags: ValidateFlags, cmd: Command) => {
      process.exitCode = await runCommand('validate', globalsOf(cmd), async (h) => {
        const { validateStep, readValidationReport } = await import('../../validate/validate-step.js');
        const { formatValidateSummary } = await import('../../validate/validate-summary.js');
        const configFlags: Record<string, unknown> = {};
        if (flags.radius !== undefined) configFlags.validate = { nearRadius: flags.radius };
        if (flags.backend !== undefined) configFlags.backend = flags.backend;
        const ctx = h.context(configFlags);
        const overrides: Record<string, 'keep' | 'drop'> = {};
        for (const p of flags.keep ?? []) overrides[p] = 'keep';
        for (const p of flags.drop ?? []) overrides[p] = 'drop';
        const output = await h.run(validateStep, {
          ...(flags.acceptLabelMapping ? { acceptLabelMapping: true } : {}),
          ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
        });
        const report = await readValidationReport(ctx);
        const ws = ctx.workspace;
        return {
          output: h.json ? report : output,
          human: formatValidateSummary(report, ws.rel(ws.reportPath), ws.rel(ws.cleanManifest)),
          exitCode: report.errors.length > 0 ? 2 : 0,
        };
      });
    });
};
