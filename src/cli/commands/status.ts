import type { Command } from 'commander';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';
import { addCloudFlags, cloudConfigFlags, type CloudFlags } from './cloud-flags.js';

export const register: RegisterCommand = (program: Command) => {
  addCloudFlags(program.command('status').description('show the state of the Vertex AI training pipeline recorded in the run journal (one check, no waiting)'))
    .addHelpText('after', '\nExamples:\n  edgewise status\n  edgewise status --json\n')
    .action(async (flags: CloudFlags, cmd: Command) => {
      process.exitCode = await runCommand('status', globalsOf(cmd), async (h) => {
        const { vertexStatusStep } = await import('../../train/vertex/watch.js');
        const { summarizePipeline } = await import('../vertex-train.js');
        h.context(cloudConfigFlags(flags));
        const out = await h.run(vertexStatusStep, {});
        const timeline = out.transitions.map((t) => `  ${t.at}  ${t.state}`).join('\n');
        const next =
          out.state === 'SUCCEEDED' ? 'Next: edgewise export' : out.state === 'FAILED' || out.state === 'CANCELLED' ? 'Start again: edgewise train --backend vertex --force' : 'Follow it: edgewise watch';
        const human = [summarizePipeline(out), ...(out.error ? [`Error: ${out.error.message}`] : []), timeline ? `Timeline:\n${timeline}` : '', next].filter(Boolean).join('\n');
        return { output: out, human };
      });
    });
};
