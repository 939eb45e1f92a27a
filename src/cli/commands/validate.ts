import type { Command } from 'commander';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';

interface ValidateFlags {
  acceptLabelMapping?: boolean;
  keep?: string[];
  drop?: string[];
  radius?: string;
  backend?: string;
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('validate')
    .description('check the manifest and every image (corrupt, wrong format, too small, bombs, quality), find exact and near duplicates and label conflicts, and write report.json and the cleaned manifest')
    .option('--accept-label-mapping', 'apply the suggested mapping for labels Vertex AI would reject (recorded in report.json, reversible)')
    .option('--radius <bits>', 'pHash Hamming radius for near duplicates (default: config validate.nearRadius, 8)')
    .option('--keep <image...>', 'keep this image of its duplicate cluster (overrides the keep rule; repeatable)')
    .option('--drop <image...>', 'drop this image of its duplicate cluster (repeatable)')
    .option('--backend <backend>', 'check for this backend: local or vertex (default: config backend)')
    .addHelpText('after', '\nExit codes: 0 no errors, 2 errors found (listed; the cleaned manifest leaves those images out).\n\nExamples:\n  edgewise validate\n  edgewise validate --json > report.ndjson\n  edgewise validate --backend vertex --accept-label-mapping')
    .action(async (flags: ValidateFlags, cmd: Command) => {
      process.exitCode = await runCommand('validate', globalsOf(cmd), async (h) => {
        const { InputError } = await import('../../core/errors.js');
        const { validateStep, readValidationReport } = await import('../../dataset/validate-step.js');
        const { formatValidateSummary } = await import('../../dataset/validate-summary.js');
        const configFlags: Record<string, unknown> = {};
        if (flags.radius !== undefined) {
          const r = Number(flags.radius);
          if (!Number.isInteger(r) || r < 0 || r > 12) {
            throw new InputError(`--radius must be a whole number of bits from 0 to 12, got "${flags.radius}".`, { item: '--radius', hint: 'e.g. --radius 6 (smaller finds only closer copies)' });
          }
          configFlags.validate = { nearRadius: r };
        }
        if (flags.backend !== undefined) {
          if (flags.backend !== 'local' && flags.backend !== 'vertex') {
            throw new InputError(`--backend must be local or vertex, got "${flags.backend}".`, { item: '--backend' });
          }
          configFlags.backend = flags.backend;
        }
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
