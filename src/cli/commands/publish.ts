import type { Command } from 'commander';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';

export const register: RegisterCommand = (program: Command) => {
  program
    .command('publish')
    .description('ship the evaluated model: public/models/{local_model_vNNN.tflite, model.json, label_map.json} + a registry row, all or nothing')
    .option('--model <run>', 'model folder to publish: a run id under ml/models (e.g. v003) or a path (default: the latest run)')
    .option('--registry <location>', 'registry: a SQLite file (default ml/registry.db) or a postgres:// URL (also DATABASE_URL)')
    .option('--force-unevaluated', 'publish without metrics/thresholds (recorded as such in the registry and model.json)')
    .addHelpText(
      'after',
      '\nThe registry assigns the next version (v001, v002, ...); it is not the run id of the model folder.\n' +
        'Publishing the same model, labels, metrics and thresholds again reports the existing version.\n' +
        'Undo with `edgewise rollback`.\n',
    )
    .action(async (flags: { model?: string; registry?: string; forceUnevaluated?: boolean }, cmd: Command) => {
      process.exitCode = await runCommand('publish', globalsOf(cmd), async (h) => {
        const { publishStep } = await import('../../registry/publish.js');
        const out = await h.run(publishStep, { ...(flags.model ? { model: flags.model } : {}), forceUnevaluated: Boolean(flags.forceUnevaluated) }, flags.registry ? { registry: flags.registry } : {});
        const f = (v: number | null | undefined): string => (typeof v === 'number' ? v.toFixed(3) : '–');
        let human: string;
        if (out.status === 'already-published') {
          human = `Run ${out.run} is already published as ${out.version}${out.active === out.version ? ' (active)' : `; make it active with: edgewise rollback --to ${out.version}`}.`;
        } else {
          const m = out.modelJson!;
          human = [
            `Published run ${out.run} as ${out.version} and made it active${out.previous ? ` (was ${out.previous})` : ''}.`,
            `  ${m.tflite_url}  sha256 ${m.tflite_sha256.slice(0, 12)}…`,
            `  top1 ${f(m.metrics.top1)} · top3 ${f(m.metrics.top3)} · ece ${f(m.metrics.ece)} · tau ${f(m.thresholds.tau)} · margin ${f(m.thresholds.margin)} · T ${m.temperature.toFixed(2)}`,
            out.previous ? `Undo with: edgewise rollback` : `See all versions: edgewise versions`,
          ].join('\n');
        }
        return { output: out, human };
      });
    });
};
