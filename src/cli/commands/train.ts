import { Option, type Command } from 'commander';
import { BACKENDS, wholeNumber } from '../flag-values.js';
import { globalsOf, runCommand, type CommandOutcome, type RegisterCommand, type Harness } from '../harness.js';

interface TrainFlags {
  backend?: string;
  backbone?: string;
  layer?: string[];
  hidden?: number;
  seed?: string;
  detach?: boolean;
  newPipeline?: boolean;
  yes?: boolean;
}

export const register: RegisterCommand = (program: Command) => {
  program
    .command('train')
    .description('train a classifier on the train split (early stopping on validation) and export ml/models/vNNN/model.tflite + labels')
    .addOption(new Option('--backend <backend>', 'where to train (default: config backend)').choices(BACKENDS))
    .option('--backbone <id>', 'local: feature backbone (default nsfwjs-mobilenet_v2, bundled; others download once)')
    .option('--layer <name...>', 'local: backbone layer(s) to pool features from (default: the measured choice)')
    .option('--hidden <units>', 'local: units of a hidden layer in the head (default 0: linear softmax)', wholeNumber('--hidden', 0, Infinity, '64'))
    .option('--seed <seed>', 'local: seed for the head (same data + seed = same model)')
    .option('--detach', 'vertex: start (or find) the pipeline and return without following it')
    .option('--new-pipeline', 'vertex: start a new pipeline even if the journal has a matching one')
    .option('-y, --yes', 'vertex: start training without asking about its cost (never asked with --no-input or off a terminal)')
    .addHelpText('after', '\nExamples:\n  edgewise train\n  edgewise train --backend local --json\n  edgewise train --backend vertex --detach\n  edgewise train --backend vertex --yes      (no question about the cost)\n')
    .action(async (flags: TrainFlags, cmd: Command) => {
      process.exitCode = await runCommand('train', globalsOf(cmd), async (h) => {
        const trainFlags: Record<string, unknown> = {};
        if (flags.backbone !== undefined) trainFlags.backbone = flags.backbone;
        if (flags.layer !== undefined) trainFlags.layers = flags.layer;
        if (flags.seed !== undefined) trainFlags.seed = flags.seed;
        if (flags.hidden !== undefined) trainFlags.hidden = flags.hidden;
        const configFlags: Record<string, unknown> = {};
        if (flags.backend !== undefined) configFlags.backend = flags.backend;
        if (Object.keys(trainFlags).length > 0) configFlags.train = trainFlags;
        const ctx = h.context(configFlags);
        if (ctx.config.backend === 'vertex') return runVertex(h, flags);
        const { trainStep } = await import('../../train/step.js');
        const { formatTrainSummary } = await import('../../train/summary.js');
        const output = await h.run(trainStep, {});
        return { output, human: formatTrainSummary(output) + '\nNext: edgewise eval' };
      });
    });
};

/** The Vertex backend lives in src/train/vertex/ (its own module, loaded only when asked for). */
async function runVertex(h: Harness, flags: TrainFlags): Promise<CommandOutcome> {
  const { runVertexTrain } = await import('../vertex-train.js');
  const ctx = h.context();
  const { trainingCost, wouldStartPipeline } = await import('../../train/vertex/cost.js');
  // Training is billed: on a terminal, say what it may cost and ask first (reattaching costs nothing new).
  if (!flags.yes && h.interactive && wouldStartPipeline(ctx.journal, { ...(flags.newPipeline ? { newPipeline: true } : {}), force: ctx.force })) {
    const { confirm } = await import('@inquirer/prompts');
    const { CancelledError } = await import('../../core/errors.js');
    const cost = trainingCost(ctx.config);
    const ok = await confirm({ message: `Start Vertex AI training? It is billed per node hour.\n  ${cost.lines.join('\n  ')}\n  Start it?`, default: false });
    if (!ok) throw new CancelledError('Not started: nothing was created in Vertex AI. (--yes skips this question.)');
  }
  return runVertexTrain(h, {
    ...(flags.detach ? { detach: true } : {}),
    ...(flags.newPipeline ? { newPipeline: true } : {}),
  });
}
