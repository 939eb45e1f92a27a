import { input, number, select } from '@inquirer/prompts';
import { detectGcloud, detectImageFolders } from '../../config/detect.js';
import { MOBILE_BUDGET, MOBILE_MODEL_TYPES, MODEL_TYPE_HELP, VERTEX_REGIONS, bucketNameProblem, projectIdProblem } from '../../config/rules.js';
import type { Config } from '../../config/schema.js';
import { DEFAULT_BACKBONE, backboneChoices } from '../../train/local/backbones.js';
import { escapeControls } from '../../core/text.js';

/**
 * The questions `edgewise init` asks on a terminal (outside the wizard), with detected values offered as
 * defaults. Only questions whose answer was not given as a flag are asked.
 */
export async function askInitQuestions(root: string, current: Partial<Config>, given: Record<string, unknown>): Promise<Record<string, unknown>> {
  const answers: Record<string, unknown> = {};
  const gcloud = detectGcloud();
  if (given.backend === undefined) {
    answers.backend = await select({
      message: 'Where should models train?',
      default: current.backend ?? 'local',
      choices: [
        { name: 'local: on this machine, no cloud account needed', value: 'local' },
        { name: 'vertex: Vertex AI AutoML in your Google Cloud project', value: 'vertex' },
      ],
    });
  }
  const backend = (given.backend ?? answers.backend) as string;
  if (given.paths === undefined) {
    const folders = detectImageFolders(root, 5, current.paths?.manifest);
    const def = current.paths?.images ?? folders[0]?.path ?? 'ml/dataset/images';
    answers.paths = {
      images: await input({
        message: `Images folder (relative to the workspace)${folders.length ? `; found: ${folders.map((f) => `${escapeControls(f.path)} (${f.images}${f.note ? `, ${f.note}` : ''})`).join('; ')}` : ''}`,
        default: def,
      }),
    };
  }
  if (backend === 'local' && given.train === undefined) {
    answers.train = {
      backbone: await select({
        message: 'Which network should local training start from?',
        default: (current.train as { backbone?: string } | undefined)?.backbone ?? DEFAULT_BACKBONE,
        choices: backboneChoices().map((b) => ({ name: `${b.label}: ${b.hint}`, value: b.id })),
      }),
    };
  }
  if (backend === 'vertex' || current.project || gcloud.project) {
    if (given.project === undefined) {
      answers.project = await input({
        message: 'Google Cloud project id',
        default: current.project ?? process.env.GOOGLE_CLOUD_PROJECT ?? gcloud.project ?? '',
        validate: (v) => (v === '' && backend !== 'vertex' ? true : (projectIdProblem(v) ?? true)),
      });
      if (answers.project === '') delete answers.project;
    }
    if (given.region === undefined) {
      answers.region = await select({
        message: 'Vertex AI region (where training runs and data stays)',
        default: current.region ?? gcloud.region ?? 'us-central1',
        choices: VERTEX_REGIONS.map((r) => ({ name: r, value: r })),
        pageSize: 10,
      });
    }
    if (given.bucket === undefined) {
      answers.bucket = await input({
        message: 'Cloud Storage bucket for images and exports (name only, no gs://)',
        default: current.bucket ?? '',
        validate: (v) => (v === '' && backend !== 'vertex' ? true : (bucketNameProblem(v) ?? true)),
      });
      if (answers.bucket === '') delete answers.bucket;
    }
    if (given.modelType === undefined) {
      answers.modelType = await select({
        message: 'AutoML model type (all three export to .tflite)',
        default: current.modelType ?? 'MOBILE_TF_VERSATILE_1',
        choices: MOBILE_MODEL_TYPES.map((t) => ({ name: `${t}: ${MODEL_TYPE_HELP[t]}`, value: t })),
      });
    }
    if (given.budgetMilliNodeHours === undefined) {
      const hours = await number({
        message: `Training budget in node hours (${MOBILE_BUDGET.min / 1000}–${MOBILE_BUDGET.max / 1000}; Vertex bills per node hour)`,
        default: (current.budgetMilliNodeHours ?? MOBILE_BUDGET.default) / 1000,
        min: MOBILE_BUDGET.min / 1000,
        max: MOBILE_BUDGET.max / 1000,
        step: 'any',
        required: true,
      });
      answers.budgetMilliNodeHours = Math.round((hours ?? MOBILE_BUDGET.default / 1000) * 1000);
    }
  }
  return answers;
}
