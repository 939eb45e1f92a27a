import type { Command } from 'commander';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';
import { addCloudFlags, cloudConfigFlags, type CloudFlags } from './cloud-flags.js';

export const register: RegisterCommand = (program: Command) => {
  addCloudFlags(
    program
      .command('watch')
      .description('reattach to the Vertex AI training pipeline in the run journal and follow it to the end (Ctrl-C stops watching, never the pipeline)'),
  )
    .addHelpText('after', '\nExamples:\n  edgewise watch\n  edgewise watch --json | jq -c "select(.type==\\"status\\")"\n')
    .action(async (flags: CloudFlags, cmd: Command) => {
      process.exitCode = await runCommand('watch', globalsOf(cmd), async (h) => {
        const { vertexWatchStep } = await import('../../train/vertex/watch.js');
        const { keepRunningOnCancel, summarizePipeline } = await import('../vertex-train.js');
        const ctx = h.context(cloudConfigFlags(flags));
        const out = await keepRunningOnCancel(
          () => ctx.journal.resource<{ name: string }>('vertex.pipeline')?.name,
          () => h.run(vertexWatchStep, {}),
        );
        return { output: out, human: `${summarizePipeline(out)}\nNext: edgewise export` };
      });
    });
};
