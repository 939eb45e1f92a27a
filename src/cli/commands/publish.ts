import type { Command } from 'commander';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';

export const register: RegisterCommand = (program: Command) => {
  program
    .command('publish')
    .description('ship the evaluated model: public/models/{local_model_vNNN.tflite, model.json, label_map.json} + a registry row, all or nothing')
    .option('--model <run>', 'model folder to publish: a run id under ml/models (e.g. v003) or a path (default: the latest run)')
    .option('--registry <location>', 'registry: a SQLite file (default ml/registry.db) or a postgres:// URL (also DATABASE_URL)')
    .option('--variant <name>', 'which model file of the run ships: float32, int8-weights or int8 (default: the smallest within 1 point of float32\'s top-1, as `edgewise eval` reports)')
    .option('--force-unevaluated', 'publish without metrics/thresholds (recorded as such in the registry and model.json)')
    .addHelpText(
      'after',
      '\nThe registry assigns the next version (v001, v002, ...); it is not the run id of the model folder.\n' +
        'It shows the live version against the new one (metrics and thresholds) and asks on a terminal.\n' +
        'With no one to ask (a script, CI, --json, --no-input) only --yes publishes; without it the\n' +
        'comparison is printed and nothing changes (exit 2).\n' +
        'New thresholds for a published model (edgewise tune) become a new version with the same .tflite.\n' +
        'Publishing the same model, labels, metrics and thresholds again reports the existing version\n' +
        '(or makes it active again when it is an older one).\n' +
        'Undo with `edgewise rollback`.\n',
    )
    .option('-y, --yes', 'publish without asking (a terminal asks after showing old vs new; scripts, CI and --json need it)')
    .action(async (flags: { model?: string; registry?: string; forceUnevaluated?: boolean; yes?: boolean; variant?: string }, cmd: Command) => {
      process.exitCode = await runCommand('publish', globalsOf(cmd), async (h) => {
        const { runPublish } = await import('./publish-run.js');
        return runPublish(h, { ...(flags.model ? { model: flags.model } : {}), ...(flags.registry ? { registry: flags.registry } : {}), ...(flags.variant ? { variant: flags.variant } : {}), forceUnevaluated: Boolean(flags.forceUnevaluated), yes: Boolean(flags.yes) });
      });
    });
};
