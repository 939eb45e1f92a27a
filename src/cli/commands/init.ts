import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { anyNumber, BACKENDS } from '../flag-values.js';
import { globalsOf, runCommand, type RegisterCommand } from '../harness.js';
import type { InitFlags } from './init-flags.js';

export const register: RegisterCommand = (program: Command) => {
  program
    .command('init')
    .description('write edgewise.json: cloud project, region, bucket, model type, budget, backend and paths')
    .option('--project <id>', 'Google Cloud project id (default: GOOGLE_CLOUD_PROJECT or gcloud config)')
    .option('--region <region>', 'Vertex AI region, e.g. us-central1')
    .option('--bucket <name>', 'Cloud Storage bucket name (no gs://)')
    .option('--prefix <prefix>', 'object prefix inside the bucket (default: edgewise)')
    .option('--dataset-name <name>', 'Vertex dataset display name')
    .option('--model-type <type>', 'MOBILE_TF_LOW_LATENCY_1 | MOBILE_TF_VERSATILE_1 | MOBILE_TF_HIGH_ACCURACY_1')
    .option('--budget <milliNodeHours>', 'training budget in milli node hours (1000–100000)', anyNumber('--budget', '24000'))
    .option('--node-hours <hours>', 'training budget in node hours (1–100)', anyNumber('--node-hours', '24'))
    .addOption(new Option('--backend <backend>', 'where to train (default: local)').choices(BACKENDS))
    .option('--manifest <path>', 'manifest CSV (default: ml/dataset/manifest.csv)')
    .option('--images <dir>', 'images folder (default: ml/dataset/images)')
    .option('--backbone <id>', 'local backend: nsfwjs-mobilenet_v2 (bundled, default) | tm-mobilenet_v2_1.00_224 (ImageNet, downloads once, ≈9 MB)')
    .action(async (flags: InitFlags, cmd: Command) => {
      process.exitCode = await runCommand('init', globalsOf(cmd), async (h) => {
        const { initFlagsToConfig } = await import('./init-flags.js');
        const { readConfigFile, mergeConfig, parseConfig, CONFIG_FILE } = await import('../../config/load.js');
        const given = initFlagsToConfig(flags);
        const existing = readConfigFile(h.root) ?? {};
        let answers: Record<string, unknown> = {};
        if (h.interactive) {
          const { askInitQuestions } = await import('./init-prompts.js');
          answers = await askInitQuestions(h.root, parseConfig(existing, CONFIG_FILE), given);
        }
        const next = mergeConfig(existing, answers, given);
        const config = parseConfig(next, 'the flags and edgewise.json');
        if (config.backend === 'vertex' && (!config.project || !config.bucket)) {
          const { InputError } = await import('../../core/errors.js');
          throw new InputError('The vertex backend needs a Google Cloud project and a bucket.', {
            code: 'config.vertex_incomplete',
            hint: 'Pass --project <id> --bucket <name> (or set GOOGLE_CLOUD_PROJECT), or use --backend local.',
          });
        }
        const { saveConfiguration } = await import('../../config/configure-step.js');
        const saved = await saveConfiguration(h.root, next, 'the flags and edgewise.json');
        const { write: _text, ...dataset } = saved.dataset;
        return {
          output: { path: saved.path, config: saved.config, dataset: { ...dataset, ...(saved.dataset.write ? { wrote: saved.dataset.write.path } : {}) } },
          human: `Wrote ${join(h.root, CONFIG_FILE)} (backend: ${saved.config.backend}${saved.config.project ? `, project: ${saved.config.project}` : ''}${saved.config.bucket ? `, bucket: gs://${saved.config.bucket}/${saved.config.prefix}` : ''}).\n${saved.dataset.kind === 'none' ? '⚠ ' : ''}${saved.dataset.message}\nNext: edgewise validate`,
        };
      });
    });
};
