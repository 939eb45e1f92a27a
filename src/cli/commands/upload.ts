import type { Command } from 'commander';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';
import { addCloudFlags, cloudConfigFlags, type CloudFlags } from './cloud-flags.js';

export const register: RegisterCommand = (program: Command) => {
  addCloudFlags(
    program
      .command('upload')
      .description('upload the images named by the Vertex import CSV, then the CSV, to gs://BUCKET/PREFIX/ (unchanged objects skipped by MD5)')
      .option('--dry-run', 'list what would be uploaded; upload nothing'),
  )
    .addHelpText('after', '\nExamples:\n  edgewise upload --dry-run\n  edgewise upload --bucket my-bucket --json\n')
    .action(async (flags: CloudFlags & { dryRun?: boolean }, cmd: Command) => {
      process.exitCode = await runCommand('upload', globalsOf(cmd), async (h) => {
        const { uploadStep } = await import('../../cloud/upload-step.js');
        const { formatBytes } = await import('../../core/progress.js');
        h.context(cloudConfigFlags(flags));
        const out = await h.run(uploadStep, { ...(flags.dryRun ? { dryRun: true } : {}) });
        const human = out.dryRun
          ? `Dry run: ${out.wouldUpload?.length ?? 0} object(s) would be uploaded to gs://${out.bucket}/${out.prefix}/ (${out.skipped} unchanged).${out.notChecked ? `\nPlanned offline; not checked: ${out.notChecked.join('; ')}.` : ''}`
          : `Uploaded ${out.uploaded} object(s) (${formatBytes(out.bytesUploaded)}), ${out.skipped} unchanged, in ${out.seconds.toFixed(1)} s.\nImport CSV: ${out.csvUri}\nNext: edgewise train --backend vertex`;
        return { output: out, human };
      });
    });
};
