import type { Command } from 'commander';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';
import { addCloudFlags, cloudConfigFlags, type CloudFlags } from './cloud-flags.js';

export const register: RegisterCommand = (program: Command) => {
  addCloudFlags(
    program
      .command('export')
      .description('export the trained Vertex AI model as .tflite and download it with its labels and evaluation into ml/models/vNNN/')
      .option('--model <name>', 'model resource name (default: the one the journal\'s training pipeline produced)')
      .option('--version <vNNN>', 'target version folder (default: the next free one)'),
  )
    .addHelpText('after', '\nExamples:\n  edgewise export\n  edgewise export --json\n')
    .action(async (flags: CloudFlags & { model?: string; version?: string }, cmd: Command) => {
      process.exitCode = await runCommand('export', globalsOf(cmd), async (h) => {
        const { vertexExportStep } = await import('../../train/vertex/export-step.js');
        h.context(cloudConfigFlags(flags));
        const out = await h.run(vertexExportStep, { ...(flags.model ? { model: flags.model } : {}), ...(flags.version ? { version: flags.version } : {}) });
        const human = [`Exported ${out.model} to ${out.modelDir}/`, `  ${out.tflite}`, `  ${out.labelsFile} (${out.labels.length} labels)`, `  ${out.infoFile}`, `  ${out.evaluationFile}`, 'Next: edgewise eval'].join('\n');
        return { output: out, human };
      });
    });
};
