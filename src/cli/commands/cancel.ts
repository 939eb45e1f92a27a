import type { Command } from 'commander';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';
import { addCloudFlags, cloudConfigFlags, type CloudFlags } from './cloud-flags.js';

export const register: RegisterCommand = (program: Command) => {
  addCloudFlags(
    program
      .command('cancel')
      .description('cancel the Vertex AI training pipeline in the run journal (asks first; --yes when not at a terminal)')
      .option('-y, --yes', 'cancel without asking'),
  )
    .addHelpText('after', '\nExamples:\n  edgewise cancel\n  edgewise cancel --yes --json\n')
    .action(async (flags: CloudFlags & { yes?: boolean }, cmd: Command) => {
      process.exitCode = await runCommand('cancel', globalsOf(cmd), async (h) => {
        const { InputError, CancelledError } = await import('../../core/errors.js');
        const { vertexCancelStep } = await import('../../train/vertex/cancel-step.js');
        const { pipelineFromJournal } = await import('../../train/vertex/watch.js');
        const ctx = h.context(cloudConfigFlags(flags));
        const rec = pipelineFromJournal(ctx);
        if (!flags.yes) {
          if (!h.interactive) {
            throw new InputError(`Cancelling ${rec.name} needs confirmation.`, { code: 'cancel.needs_yes', item: '--yes', hint: 'Pass --yes to cancel without a prompt (e.g. edgewise cancel --yes).' });
          }
          const { confirm } = await import('@inquirer/prompts');
          const { escapeControls } = await import('../../core/text.js');
          const ok = await confirm({ message: `Cancel training pipeline ${escapeControls(rec.name)}? The node hours used so far are still billed.`, default: false });
          if (!ok) throw new CancelledError('Not cancelled: the pipeline keeps running.');
        }
        const out = await h.run(vertexCancelStep, {});
        return { output: out, human: `Cancel requested for ${out.pipeline}: now ${out.state}.\nCheck with: edgewise status` };
      });
    });
};
