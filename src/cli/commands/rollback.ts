import type { Command } from 'commander';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';

export const register: RegisterCommand = (program: Command) => {
  program
    .command('rollback')
    .description('make the previously active version active again (or --to vNNN), restoring its files from the registry artifacts')
    .option('--to <version>', 'the version to restore, e.g. v001 (see `edgewise versions`)')
    .option('--registry <location>', 'registry: a SQLite file (default ml/registry.db) or a postgres:// URL (also DATABASE_URL)')
    .addHelpText('after', '\nEvery stored file is checked against its SHA-256 in the registry first; a missing or altered artifact stops the rollback with nothing changed.\n')
    .action(async (flags: { to?: string; registry?: string }, cmd: Command) => {
      process.exitCode = await runCommand('rollback', globalsOf(cmd), async (h) => {
        const { rollbackStep } = await import('../../registry/rollback.js');
        const out = await h.run(rollbackStep, flags.to ? { to: flags.to } : {}, flags.registry ? { registry: flags.registry } : {});
        const human = out.status === 'already-active'
          ? `${out.version} is already active${out.restored ? '; its files in public/models were restored' : ''}.`
          : `Rolled back to ${out.version} (was ${out.from ?? 'none'}): public/models/model.json, label_map.json and local_model_${out.version}.tflite restored.`;
        return { output: out, human };
      });
    });
};
